//! Turns stored webhook bodies into contacts, conversations and messages.
//!
//! Events are leased in batches and applied in one transaction per batch (each isolated by a
//! savepoint), idempotently: wamids are unique and statuses only move forward. A failed event
//! is recorded and retried with backoff without holding back the events after it.

use crate::store::{Millis, SharedStore};
use crate::whatsapp::webhook::Notification;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claim lasts before another worker (or this one, after a restart) may retry it.
const LEASE: Duration = Duration::from_secs(30);
const BATCH: i64 = 256;
/// Events applied per transaction. Small enough that the database's single writer (SQLite) is
/// never held long, so the journal's commits (and with them webhook acks) do not queue behind
/// processing; large enough to share one fsync among many events.
const APPLY_CHUNK: usize = 16;
/// Also look for work this often: retries come due, and other nodes may have written.
const POLL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Processor {
    store: SharedStore,
    /// Notified after each processed batch (the live-event hub listens).
    applied: Arc<Notify>,
}

/// Starts the processor; `wake` is notified when new events are committed.
pub fn spawn_processor(store: SharedStore, wake: Arc<Notify>, applied: Arc<Notify>) {
    let processor = Processor::new(store, applied);
    tokio::spawn(async move {
        loop {
            match processor.run_once().await {
                Ok(count) if count as i64 == BATCH => continue, // more may be waiting
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "webhook processing failed"),
            }
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    });
}

impl Processor {
    pub fn new(store: SharedStore, applied: Arc<Notify>) -> Self {
        Processor { store, applied }
    }

    /// Claims and applies one batch; returns how many events it claimed.
    pub async fn run_once(&self) -> Result<usize, crate::store::StoreError> {
        let now = Millis::now();
        let claimed = self
            .store
            .claim_webhooks(now, now.plus(LEASE), BATCH)
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let events: Vec<(i64, Option<Notification>)> = claimed
            .iter()
            .map(|event| match Notification::parse(&event.body) {
                Ok(notification) => (event.id, Some(notification)),
                Err(error) => {
                    // Unreadable bodies are refused at the door; one stored before a parser
                    // change stays in the table for inspection but is not retried forever.
                    tracing::warn!(id = event.id, %error, "stored webhook cannot be parsed");
                    (event.id, None)
                }
            })
            .collect();
        let mut failures = Vec::new();
        for chunk in events.chunks(APPLY_CHUNK) {
            failures.extend(self.store.apply_webhooks(chunk, Millis::now()).await?);
            // Let a waiting journal commit take the writer between chunks.
            tokio::task::yield_now().await;
        }
        for (id, error) in failures {
            let attempts = claimed
                .iter()
                .find(|e| e.id == id)
                .map_or(1, |e| e.attempts);
            let retry_at = Millis::now().plus(backoff(attempts));
            tracing::warn!(id, attempts, %error, "webhook processing failed; will retry");
            self.store
                .fail_webhook(id, &error.to_string(), retry_at)
                .await?;
        }
        self.applied.notify_one();
        Ok(claimed.len())
    }
}

/// 1 s, 2 s, 4 s … capped at 5 minutes.
fn backoff(attempts: i64) -> Duration {
    let exponent = attempts.clamp(1, 10) as u32 - 1;
    Duration::from_secs(1u64 << exponent).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(50), Duration::from_secs(300));
    }
}
