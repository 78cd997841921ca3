//! Turns stored webhook bodies into contacts, conversations and messages.
//!
//! Events are leased in batches and applied a chunk per transaction, idempotently: a
//! byte-identical redelivery is recognised by its digest and skipped, wamids are unique and
//! statuses only move forward. A failed event is recorded and retried with backoff
//! without holding back the events after it.
//!
//! Acknowledgements come first: while processing is less than [`MAX_LAG`] behind, each chunk
//! waits (up to [`MAX_DEFER`]) for the webhooks waiting on the journal to be answered, so a
//! burst is acknowledged at the journal's speed and processed right after it. Further behind,
//! processing takes its full share.

use super::IntakeLoad;
use crate::domain::{SharedClock, retry};
use crate::store::{ParsedWebhook, SharedStore};
use crate::whatsapp::webhook::Notification;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claim lasts before another worker (or this one, after a restart) may retry it.
const LEASE: Duration = Duration::from_secs(30);
const BATCH: i64 = 256;
/// Events applied per transaction while webhooks wait for their acknowledgement: few, so the
/// database's single writer (SQLite) is held for about a millisecond and their commit does not
/// queue behind processing.
const CHUNK_BESIDE_INTAKE: usize = 4;
/// Events applied per transaction when processing has fallen behind a stream still flowing:
/// it takes its full share, in chunks that hold the writer a few milliseconds.
const CHUNK_BEHIND_INTAKE: usize = 16;
/// Events applied per transaction otherwise: enough to share one commit among many.
const CHUNK: usize = 64;
/// Also look for work this often: retries come due, and other nodes may have written.
const POLL: Duration = Duration::from_millis(500);
/// How far behind (the age of the oldest event in hand) processing may fall while it lets
/// acknowledgements go first.
const MAX_LAG: Duration = Duration::from_secs(10);
/// The longest one chunk waits for acknowledgements to go first.
const MAX_DEFER: Duration = Duration::from_millis(20);

#[derive(Clone)]
pub struct Processor {
    store: SharedStore,
    intake: IntakeLoad,
    clock: SharedClock,
}

/// Starts the processor; `wake` is notified when new events are committed.
pub fn spawn_processor(
    store: SharedStore,
    wake: Arc<Notify>,
    intake: IntakeLoad,
    clock: SharedClock,
) {
    let processor = Processor::new(store, intake, clock);
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
    pub fn new(store: SharedStore, intake: IntakeLoad, clock: SharedClock) -> Self {
        Processor {
            store,
            intake,
            clock,
        }
    }

    /// Claims and applies one batch; returns how many events it claimed.
    pub async fn run_once(&self) -> Result<usize, crate::store::StoreError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .journal
            .claim(now, now.plus(LEASE), BATCH)
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let events: Vec<ParsedWebhook> = claimed
            .iter()
            .map(|event| {
                let notification = match Notification::parse(&event.body) {
                    Ok(notification) => Some(notification),
                    Err(error) => {
                        // Unreadable bodies are refused at the door; one stored before a parser
                        // change stays in the table for inspection but is not retried forever.
                        tracing::warn!(id = event.id, %error, "stored webhook cannot be parsed");
                        None
                    }
                };
                ParsedWebhook::new(event.id, &event.body, notification)
            })
            .collect();
        let oldest = claimed
            .iter()
            .map(|event| event.received_at)
            .min()
            .unwrap_or(now);
        let mut failures = Vec::new();
        let mut rest = &events[..];
        while !rest.is_empty() {
            let mut size = CHUNK;
            if self.intake.is_busy() {
                if oldest.plus(MAX_LAG) > self.clock.now() {
                    self.intake.quiet(MAX_DEFER).await;
                    size = CHUNK_BESIDE_INTAKE;
                } else {
                    size = CHUNK_BEHIND_INTAKE;
                }
            }
            let (chunk, later) = rest.split_at(size.min(rest.len()));
            rest = later;
            let applied = self.store.intake.apply(chunk, self.clock.now()).await?;
            failures.extend(applied);
            // Let a waiting journal commit take the writer between chunks.
            tokio::task::yield_now().await;
        }
        for (id, error) in failures {
            let attempts = claimed
                .iter()
                .find(|e| e.id == id)
                .map_or(1, |e| e.attempts);
            let retry_at = self
                .clock
                .now()
                .plus(retry::WEBHOOK.after(attempts.clamp(1, 32) as u32));
            tracing::warn!(id, attempts, %error, "webhook processing failed; will retry");
            self.store
                .journal
                .fail(id, &error.to_string(), retry_at)
                .await?;
        }
        Ok(claimed.len())
    }
}
