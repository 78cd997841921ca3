//! Message templates: kept in step with Meta (a sync at start-up, every few minutes and on
//! demand, plus the status webhooks the intake applies), submitted and deleted for admins.

use crate::graph::{GraphClient, GraphError, GraphTemplate};
use crate::store::{Millis, SharedStore, StoreError, TemplateRecord};
use crate::whatsapp::ids::{TemplateId, WabaId};
use parley_app::templates::TemplateStatus;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often templates are re-read from Meta, on top of the webhooks.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(15 * 60);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no WhatsApp Business Account is configured (set WA_WABA_ID)")]
    NoAccount,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn record(waba_id: &WabaId, template: GraphTemplate) -> TemplateRecord {
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
) -> Result<usize, TemplateError> {
    let found: Vec<TemplateRecord> = graph
        .message_templates(waba_id)
        .await?
        .into_iter()
        .map(|t| record(waba_id, t))
        .collect();
    Ok(store
        .sync_templates(waba_id.as_str(), &found, Millis::now())
        .await?)
}

/// Syncs at start-up and then every [`SYNC_INTERVAL`].
pub fn spawn_sync(store: SharedStore, graph: GraphClient, waba_id: WabaId, live: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let pause = match sync(&store, &graph, &waba_id).await {
                Ok(changed) => {
                    if changed > 0 {
                        tracing::info!(changed, "templates synced");
                        live.notify_one();
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

/// A template name as Meta allows it: lowercase letters, digits and underscores.
pub fn check_name(name: &str) -> Result<(), TemplateError> {
    let valid = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(TemplateError::Invalid(
            "the name may only contain lowercase letters, digits and underscores".into(),
        ))
    }
}

/// Submits a template (Meta's creation body) and records it as submitted.
pub async fn submit(
    store: &SharedStore,
    graph: &GraphClient,
    waba_id: &WabaId,
    body: &Value,
) -> Result<String, TemplateError> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    check_name(text("name"))?;
    let created = graph.create_template(waba_id, body).await?;
    let template = TemplateRecord {
        id: created.id.clone(),
        waba_id: waba_id.to_string(),
        name: text("name").to_owned(),
        language: text("language").to_owned(),
        category: if created.category.is_empty() {
            text("category").to_owned()
        } else {
            created.category
        },
        status: TemplateStatus::from(created.status),
        quality: None,
        rejected_reason: None,
        components: body.get("components").cloned().unwrap_or(Value::Null),
    };
    store
        .record_submitted_template(&template, Millis::now())
        .await?;
    Ok(created.id)
}

/// Deletes a template at Meta, then marks it deleted here.
pub async fn delete(
    store: &SharedStore,
    graph: &GraphClient,
    id: &str,
) -> Result<(), TemplateError> {
    let detail = store
        .template(id)
        .await?
        .ok_or(StoreError::NotFound("template"))?;
    let (Ok(waba_id), Ok(template_id)) = (
        WabaId::parse(&detail.template.waba_id),
        TemplateId::parse(id),
    ) else {
        return Err(TemplateError::Invalid(
            "this template's ids are not ones Meta gave".into(),
        ));
    };
    graph
        .delete_template(&waba_id, &detail.template.name, &template_id)
        .await?;
    store.record_deleted_template(id, Millis::now()).await?;
    Ok(())
}
