//! The automation worker: a consumer of the domain-event log, never part of the write that
//! logged an event. Every node runs one; they take turns through the store (its cursor row is
//! locked for a turn), so each event is judged once. Woken by this node's commits, and every
//! [`POLL`] for other nodes'.

use crate::domain::SharedClock;
use crate::domain::automation::Rule;
use crate::store::{SharedStore, StoreResult};
use std::collections::HashMap;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(500);
/// Without enabled rules the worker only moves its cursor to the log's end, this often.
const IDLE_SKIP: Duration = Duration::from_secs(5);

/// Enabled rules in order, each checked once per change (keyed by id and last change).
#[derive(Default)]
struct Rules {
    checked: HashMap<(i64, i64), Rule>,
}

impl Rules {
    async fn load(&mut self, store: &SharedStore) -> StoreResult<Vec<(i64, Rule)>> {
        let records = store.automations.automations().await?;
        let mut enabled = Vec::new();
        let mut kept = HashMap::new();
        for record in records.into_iter().filter(|record| record.draft.enabled) {
            let key = (record.id, record.updated_at.0);
            let rule = match self.checked.remove(&key) {
                Some(rule) => rule,
                None => match Rule::check(record.draft) {
                    Ok(rule) => rule,
                    Err(why) => {
                        tracing::warn!(rule = record.id, %why, "automation: a saved rule no longer checks");
                        continue;
                    }
                },
            };
            enabled.push((record.id, rule.clone()));
            kept.insert(key, rule);
        }
        self.checked = kept;
        Ok(enabled)
    }
}

pub fn spawn(store: SharedStore, clock: SharedClock) {
    let written = store.wakeups.subscribe();
    tokio::spawn(async move {
        let mut rules = Rules::default();
        let mut last_skip: Option<tokio::time::Instant> = None;
        loop {
            if let Err(error) = take_turns(&store, &clock, &mut rules, &mut last_skip).await {
                tracing::warn!(%error, "automation: cannot judge events (tried again shortly)");
            }
            let _ = tokio::time::timeout(POLL, written.notified()).await;
        }
    });
}

/// Judges everything logged since the last turn.
async fn take_turns(
    store: &SharedStore,
    clock: &SharedClock,
    rules: &mut Rules,
    last_skip: &mut Option<tokio::time::Instant>,
) -> StoreResult<()> {
    let enabled = rules.load(store).await?;
    if enabled.is_empty() {
        if last_skip.is_some_and(|at| at.elapsed() < IDLE_SKIP) {
            return Ok(());
        }
        *last_skip = Some(tokio::time::Instant::now());
    }
    let hours = crate::service::business_hours::load(store).await?;
    store
        .automations
        .run_automations(&enabled, &hours, clock.now())
        .await?;
    Ok(())
}
