//! Sending: replies are validated against Meta's rules and the service window, written with
//! their send job in one transaction, and delivered by a sender that paces each business
//! number, retries what is retryable and records what failed and why.
//!
//! Crash safety: a job leased when the process dies is retried once its lease runs out, so a
//! request that Meta accepted just before the crash may be sent twice (at most the requests in
//! flight at that moment: Meta offers no idempotency key). Nothing queued is lost.

mod compose;

pub use compose::queue;

use crate::graph::{GraphClient, GraphError};
use crate::store::{Millis, SharedStore, StoreError};
use parley_app::model::DeliveryError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

const LEASE: Duration = Duration::from_secs(60);
const MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the 24-hour customer service window is closed; send an approved template instead")]
    WindowClosed { window_expires_at: Option<Millis> },
    /// Breaks one of Meta's rules (a limit, an unknown or unapproved template…).
    #[error("{0}")]
    Invalid(String),
    #[error("conversation not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Paces sends per business number: never more than `per_second` in any one-second window.
struct Pacer {
    interval: Duration,
    next_slot: HashMap<String, Instant>,
}

impl Pacer {
    fn new(per_second: u32) -> Self {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            next_slot: HashMap::new(),
        }
    }

    async fn wait_turn(&mut self, number: &str) {
        let now = Instant::now();
        let slot = self.next_slot.get(number).copied().unwrap_or(now).max(now);
        self.next_slot
            .insert(number.to_owned(), slot + self.interval);
        tokio::time::sleep_until(slot).await;
    }
}

/// Starts the sender; `wake` is notified when a job is queued.
pub fn spawn_sender(
    store: SharedStore,
    graph: GraphClient,
    per_second: u32,
    wake: Arc<Notify>,
    live: Arc<Notify>,
) {
    tokio::spawn(async move {
        let mut pacer = Pacer::new(per_second);
        loop {
            let now = Millis::now();
            match store.claim_outbox(now, now.plus(LEASE), 32).await {
                Ok(jobs) => {
                    for job in &jobs {
                        pacer.wait_turn(&job.phone_number_id).await;
                        let outcome = graph.send_message(&job.phone_number_id, &job.request).await;
                        if let Err(error) =
                            record(&store, job.message_id, job.attempts, outcome).await
                        {
                            tracing::error!(%error, "outbox: cannot record a send");
                        }
                        live.notify_one();
                    }
                    if jobs.len() == 32 {
                        continue;
                    }
                }
                Err(error) => tracing::error!(%error, "outbox: cannot claim jobs"),
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), wake.notified()).await;
        }
    });
}

async fn record(
    store: &SharedStore,
    message_id: i64,
    attempts: i64,
    outcome: Result<String, GraphError>,
) -> Result<(), StoreError> {
    match outcome {
        Ok(wamid) => {
            store
                .outbox_accepted(message_id, &wamid, Millis::now())
                .await
        }
        Err(error) if error.is_retryable() && attempts < MAX_ATTEMPTS => {
            let jitter = Duration::from_millis(rand::random::<u64>() % 500);
            let backoff = Duration::from_secs(1u64 << attempts.clamp(0, 8))
                .min(Duration::from_secs(120))
                + jitter;
            tracing::warn!(message_id, attempts, %error, "send failed; will retry");
            store
                .outbox_retry(message_id, &error.to_string(), Millis::now().plus(backoff))
                .await
        }
        Err(error) => {
            let failure = match &error {
                GraphError::Api {
                    code,
                    message,
                    details,
                    ..
                } => DeliveryError {
                    code: *code,
                    title: message.clone(),
                    details: details.clone(),
                },
                other => DeliveryError {
                    code: 0,
                    title: other.to_string(),
                    details: None,
                },
            };
            tracing::warn!(message_id, %error, "send failed permanently");
            store
                .outbox_failed(message_id, &failure, Millis::now())
                .await
        }
    }
}
