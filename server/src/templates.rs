//! Keeping templates in step with Meta: a sync at start-up and every few minutes (status
//! webhooks, applied by intake, keep them current in between). What members do to templates
//! is `service::templates`.

use crate::domain::SharedClock;
use crate::graph::{GraphClient, GraphError, GraphTemplate};
use crate::store::{SharedStore, StoreError, TemplateRecord};
use crate::whatsapp::ids::WabaId;
use parley_app::templates::TemplateStatus;
use std::time::Duration;

/// How often templates are re-read from Meta, on top of the webhooks.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(15 * 60);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn record(waba_id: &WabaId, template: GraphTemplate) -> TemplateRecord {
    let quality = template.quality();
    TemplateRecord {
        id: template.id,
        waba_id: waba_id.to_string(),
        name: template.name,
        language: template.language,
        category: template.category,
        status: TemplateStatus::from(template.status),
        quality,
        rejected_reason: template.rejected_reason,
        components: template.components,
    }
}

/// Reads every template of the account from Meta and records what changed.
pub async fn sync(
    store: &SharedStore,
    graph: &GraphClient,
    waba_id: &WabaId,
    clock: &SharedClock,
) -> Result<usize, SyncError> {
    let found: Vec<TemplateRecord> = graph
        .message_templates(waba_id)
        .await?
        .into_iter()
        .map(|t| record(waba_id, t))
        .collect();
    Ok(store
        .templates
        .sync(waba_id.as_str(), &found, clock.now())
        .await?)
}

/// Syncs at start-up and then every [`SYNC_INTERVAL`].
pub fn spawn_sync(store: SharedStore, graph: GraphClient, waba_id: WabaId, clock: SharedClock) {
    tokio::spawn(async move {
        loop {
            let pause = match sync(&store, &graph, &waba_id, &clock).await {
                Ok(changed) => {
                    if changed > 0 {
                        tracing::info!(changed, "templates synced");
                    }
                    SYNC_INTERVAL
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot sync templates; trying again soon");
                    RETRY_AFTER_FAILURE
                }
            };
            tokio::time::sleep(pause).await;
        }
    });
}
