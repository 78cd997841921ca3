//! Turns stored webhook bodies into contacts, conversations and messages.
//!
//! Events are leased in batches and applied a chunk per transaction, idempotently: a
//! byte-identical redelivery is recognised by its digest and skipped, wamids are unique and
//! statuses only move forward. A failed event is recorded and retried with backoff
//! without holding back the events after it.
//!
//! Acknowledgements come first, by degrees. Less than [`SOFT_LAG`] behind, each small chunk
//! waits (up to [`MAX_DEFER`]) for the webhooks waiting on the journal to be answered. Further
//! behind while webhooks keep coming (a campaign's statuses) on SQLite, whose one writer
//! acknowledgements queue for, processing takes a bounded share: each small chunk is followed
//! by a wait of at most [`ACK_SHARE`] times as long as it held the writer, so live ticks stay
//! well under a second behind a stream processing can keep up with, while a burst it cannot
//! keep up with is still acknowledged at most of the journal's speed. Beyond [`MAX_LAG`] it
//! takes its full share.

use super::IntakeLoad;
use crate::domain::Millis;
use crate::domain::inbound::MESSAGE_COST;
use crate::domain::{SharedClock, retry};
use crate::store::{ParsedWebhook, SharedStore, StoreError};
use crate::whatsapp::webhook::Notification;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claim lasts before another worker (or this one, after a restart) may retry it.
const LEASE: Duration = Duration::from_secs(30);
const BATCH: i64 = 256;
/// Chunks are measured in webhooks of one message; a webhook of statuses alone costs less
/// (see [`Notification::cost`]), so a chunk holds more of them.
///
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
const SOFT_LAG: Duration = Duration::from_millis(250);
/// Between [`SOFT_LAG`] and [`MAX_LAG`] behind, acknowledgements get up to this many times the
/// writer time processing takes.
const ACK_SHARE: u32 = 3;
/// How far behind processing may fall before it stops waiting for acknowledgements.
const MAX_LAG: Duration = Duration::from_secs(10);
/// The longest one chunk waits for acknowledgements to go first.
const MAX_DEFER: Duration = Duration::from_millis(20);

/// How many of `events` (at least one) fit a chunk costing at most `budget`.
fn chunk_length(events: &[ParsedWebhook], budget: usize) -> usize {
    let mut spent = 0;
    let fitting = events
        .iter()
        .take_while(|event| {
            spent += event.notification.as_ref().map_or(1, Notification::cost);
            spent <= budget
        })
        .count();
    fitting.max(1).min(events.len())
}

/// How processing takes its next turn at the writer.
#[derive(Debug, PartialEq)]
struct Turn {
    /// The longest to wait first for the webhooks waiting on the journal to be answered.
    defer: Duration,
    /// The chunk's budget, in webhooks of one message.
    size: usize,
}

/// The next turn, from whether webhooks are arriving, how far behind processing is, how long
/// its last chunk held the writer, and whether acknowledgements queue for that writer.
///
/// Only where they do (SQLite) does processing take a share before [`MAX_LAG`]: there a
/// small chunk delays an acknowledgement by about a millisecond. On PostgreSQL the two compete
/// for the node's CPU instead, and taking a share early cost a third of closed-loop ingest.
fn next_turn(
    intake_busy: bool,
    lag: Duration,
    last_chunk_took: Duration,
    one_writer: bool,
) -> Turn {
    let (defer, size) = if !intake_busy {
        (Duration::ZERO, CHUNK)
    } else if lag < SOFT_LAG || (lag < MAX_LAG && !one_writer) {
        (MAX_DEFER, CHUNK_BESIDE_INTAKE)
    } else if lag < MAX_LAG {
        (
            MAX_DEFER.min(last_chunk_took * ACK_SHARE),
            CHUNK_BESIDE_INTAKE,
        )
    } else {
        (Duration::ZERO, CHUNK_BEHIND_INTAKE)
    };
    Turn { defer, size }
}

#[derive(Default)]
struct Leases {
    recent: Vec<Millis>,
    /// The database failed since the leases were last given back.
    outage: bool,
}

#[derive(Clone)]
pub struct Processor {
    store: SharedStore,
    intake: IntakeLoad,
    clock: SharedClock,
    /// The leases this processor's claims set that have not run out, and whether to give
    /// them back (see [`Processor::release_after_outage`]).
    leases: Arc<std::sync::Mutex<Leases>>,
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
    /// After the database failed this processor, its claims may be in any state: a claim
    /// committed whose answer was lost, a batch applied part-way, or one whose commit was
    /// acknowledged and then lost with the server (processing commits without waiting for the
    /// flush). Once the database answers again, every lease it set that has not run out is
    /// given back, so those events are processed at once instead of after the lease;
    /// processing is idempotent, so an event already applied is not applied twice.
    async fn release_after_outage(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let held: Vec<Millis> = {
            let mut leases = self.leases.lock().expect("not poisoned");
            leases.recent.retain(|lease| *lease > now);
            if !leases.outage {
                return Ok(());
            }
            leases.recent.clone()
        };
        for lease in held {
            self.store.journal.release(lease).await?;
        }
        self.leases.lock().expect("not poisoned").outage = false;
        Ok(())
    }

    fn failed(&self, error: StoreError) -> StoreError {
        self.leases.lock().expect("not poisoned").outage = true;
        error
    }

    pub fn new(store: SharedStore, intake: IntakeLoad, clock: SharedClock) -> Self {
        Processor {
            store,
            intake,
            clock,
            leases: Arc::default(),
        }
    }

    /// Claims and applies one batch; returns how many events it claimed.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        self.release_after_outage().await?;
        let now = self.clock.now();
        let lease = now.plus(LEASE);
        let claimed = self.store.journal.claim(now, lease, BATCH).await;
        if !matches!(&claimed, Ok(claimed) if claimed.is_empty()) {
            let mut leases = self.leases.lock().expect("not poisoned");
            leases.recent.push(lease);
        }
        let claimed = claimed.map_err(|error| self.failed(error))?;
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
        let mut last_chunk_took = Duration::ZERO;
        while !rest.is_empty() {
            let lag = oldest.until(self.clock.now());
            let one_writer = self.store.has_one_writer();
            let turn = next_turn(self.intake.is_busy(), lag, last_chunk_took, one_writer);
            if !turn.defer.is_zero() {
                self.intake.quiet(turn.defer).await;
            }
            let (chunk, later) = rest.split_at(chunk_length(rest, turn.size * MESSAGE_COST));
            rest = later;
            let started = std::time::Instant::now();
            let applied = match self.store.intake.apply(chunk, self.clock.now()).await {
                Ok(applied) => applied,
                Err(error) => return Err(self.failed(error)),
            };
            last_chunk_took = started.elapsed();
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
            if let Err(error) = self
                .store
                .journal
                .fail(id, &error.to_string(), retry_at)
                .await
            {
                return Err(self.failed(error));
            }
        }
        Ok(claimed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn webhook(id: i64, value: serde_json::Value) -> ParsedWebhook {
        let body = serde_json::to_vec(&json!({ "object": "whatsapp_business_account",
            "entry": [{ "id": "900", "changes": [{ "field": "messages", "value": value }] }] }))
        .unwrap();
        ParsedWebhook::new(id, &body, Notification::parse(&body).ok())
    }

    fn status(id: i64) -> ParsedWebhook {
        webhook(
            id,
            json!({ "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "1555", "phone_number_id": "1100" },
                "statuses": [{ "id": format!("wamid.{id}"), "status": "delivered",
                    "timestamp": "1700000000", "recipient_id": "15551234" }] }),
        )
    }

    fn message(id: i64) -> ParsedWebhook {
        webhook(
            id,
            json!({ "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "1555", "phone_number_id": "1100" },
                "contacts": [{ "profile": { "name": "A" }, "wa_id": "15551234" }],
                "messages": [{ "from": "15551234", "id": format!("wamid.{id}"),
                    "timestamp": "1700000000", "type": "text", "text": { "body": "hi" } }] }),
        )
    }

    #[test]
    fn processing_takes_a_larger_share_of_the_writer_the_further_behind_it_is() {
        let ms = Duration::from_millis;
        for one_writer in [true, false] {
            let idle = next_turn(false, ms(60_000), ms(5), one_writer);
            assert_eq!((idle.defer, idle.size), (Duration::ZERO, CHUNK));
            let beside = next_turn(true, ms(100), ms(5), one_writer);
            assert_eq!(
                (beside.defer, beside.size),
                (MAX_DEFER, CHUNK_BESIDE_INTAKE)
            );
            let far_behind = next_turn(true, ms(11_000), ms(4), one_writer);
            assert_eq!(
                (far_behind.defer, far_behind.size),
                (Duration::ZERO, CHUNK_BEHIND_INTAKE)
            );
        }
        // Behind a steady stream, one writer: acknowledgements get three times the chunk's
        // writer time, and the chunks stay small, since each holds them up.
        let behind = next_turn(true, ms(600), ms(4), true);
        assert_eq!((behind.defer, behind.size), (ms(12), CHUNK_BESIDE_INTAKE));
        assert_eq!(next_turn(true, ms(600), ms(50), true).defer, MAX_DEFER);
        // Acknowledgements that do not queue for processing's writer: it waits for them.
        let behind = next_turn(true, ms(600), ms(4), false);
        assert_eq!(
            (behind.defer, behind.size),
            (MAX_DEFER, CHUNK_BESIDE_INTAKE)
        );
    }

    #[test]
    fn a_chunk_holds_eight_status_webhooks_for_each_message_webhook() {
        let statuses: Vec<ParsedWebhook> = (0..40).map(status).collect();
        let messages: Vec<ParsedWebhook> = (0..40).map(message).collect();
        let budget = CHUNK_BESIDE_INTAKE * MESSAGE_COST;
        assert_eq!(chunk_length(&statuses, budget), CHUNK_BESIDE_INTAKE * 8);
        assert_eq!(chunk_length(&messages, budget), CHUNK_BESIDE_INTAKE);
        let mixed = [message(1), status(2), status(3), message(4), status(5)];
        assert_eq!(chunk_length(&mixed, 2 * MESSAGE_COST), 3);
        // Never empty, never past the end.
        assert_eq!(chunk_length(&messages[..1], 1), 1);
        assert_eq!(chunk_length(&statuses[..3], budget), 3);
    }
}
