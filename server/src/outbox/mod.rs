//! The sender: it drains the outbox (filled by `service::sending`), paces each business number
//! (and each customer, under Meta's pair limit), keeps each customer's messages in order,
//! retries what is retryable and records what failed and why.
//!
//! Crash safety: a job leased when the process dies is sent again after the restart (at once
//! on SQLite, once its lease runs out on PostgreSQL). Nothing queued is lost. A request Meta
//! accepted just before the crash, whose answer never arrived, is sent twice: at most the
//! sends in flight at that moment, which is one per customer and never more than
//! [`MAX_IN_FLIGHT`]. Meta offers no idempotency key to do better. While the database is away
//! (a restart, a failover), outcomes are kept and recorded once it is back, within the jobs'
//! leases, so those sends are not repeated.

mod pacing;
mod rates;
mod sharing;

pub use rates::SendRates;

use crate::domain::{Millis, SharedClock, retry};
use crate::graph::{GraphClient, GraphError};
use crate::group_commit::{CommitError, GroupCommit};
use crate::store::{OutboxJob, SharedStore, StoreError};
use crate::whatsapp::ids::PhoneNumberId;
use pacing::{NumberGate, PairLimiter, Turn};
use parley_app::model::DeliveryError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

const LEASE: Duration = Duration::from_secs(60);
/// An outcome not recorded this long before its job's lease runs out is given up: past the
/// lease another claim may send the job again, and a late record would race it.
const RECORD_MARGIN: Duration = Duration::from_secs(5);
const MAX_ATTEMPTS: i64 = 8;

/// Why a send's outcome could not be recorded (tried again while the job's lease holds).
#[derive(Debug, thiserror::Error)]
enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Commit(#[from] CommitError),
}

/// How many customers may have a send in flight at once (one customer's messages go one at a
/// time, in order). It also bounds what a crash can duplicate.
pub const MAX_IN_FLIGHT: usize = 64;

/// Most accepted sends recorded in one transaction.
const MAX_RECORD_BATCH: usize = 256;

/// What every send task shares.
struct Sender {
    store: SharedStore,
    /// Records accepted sends, many per commit: at high rates one commit per send, not the
    /// pacer, would set the pace.
    accepted: GroupCommit<(i64, String)>,
    graph: GraphClient,
    clock: SharedClock,
    numbers: NumberGate,
    pairs: Mutex<PairLimiter>,
    /// Claimed jobs not yet started (nor put back): the work in hand. Jobs whose outcome is
    /// still being recorded are not in hand: a slow commit must not stop the claims.
    unstarted: AtomicI64,
    /// Poked as jobs start, so the claim loop tops up in time.
    progress: Notify,
}

impl Sender {
    fn no_longer_in_hand(&self, jobs: i64) {
        self.unstarted.fetch_sub(jobs, Ordering::Relaxed);
        self.progress.notify_one();
    }
}

/// Starts the sender, each business number at its pace; `wake` is notified when a job is
/// queued.
pub fn spawn_sender(
    store: SharedStore,
    graph: GraphClient,
    rates: Arc<SendRates>,
    wake: Arc<Notify>,
    clock: SharedClock,
) {
    let recorder = store.clone();
    let recorder_clock = clock.clone();
    let accepted = GroupCommit::spawn(MAX_RECORD_BATCH, move |sends: Vec<(i64, String)>| {
        let store = recorder.clone();
        let now = recorder_clock.now();
        async move {
            store
                .outbox
                .accepted(&sends, now)
                .await
                .map_err(|error| error.to_string())
        }
    });
    let sender = Arc::new(Sender {
        store,
        accepted,
        graph,
        clock,
        numbers: NumberGate::new(rates.clone()),
        pairs: Mutex::new(PairLimiter::new()),
        unstarted: AtomicI64::new(0),
        progress: Notify::new(),
    });
    // Half a second of work per claim, topped up when a quarter second is left, keeps the
    // pacer busy; and a member's message queued behind a campaign waits for at most that
    // much work claimed before it (claims take members' messages first).
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let busy = Arc::new(sharing::Busy::default());
    sharing::spawn(
        sender.store.clone(),
        rates.clone(),
        busy.clone(),
        sender.clock.clone(),
    );
    tokio::spawn(async move {
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut woken = false;
        loop {
            while tasks.try_join_next().is_some() {}
            let batch = (i64::from(rates.fastest()) / 2).clamp(32, 2000);
            // Top up before the work in hand runs out, so the pacer never waits on a claim;
            // and at once when something was queued, which may be a member's reply that must
            // not wait for the work in hand to run down. (A claim never takes a job queued
            // behind a customer's job still in flight.)
            let in_hand = sender.unstarted.load(Ordering::Relaxed);
            if in_hand < batch / 2 || std::mem::take(&mut woken) {
                let now = sender.clock.now();
                match sender
                    .store
                    .outbox
                    .claim(now, now.plus(LEASE), (batch - in_hand).max(1))
                    .await
                {
                    Ok(jobs) => {
                        for job in &jobs {
                            busy.claimed(&job.phone_number_id);
                        }
                        sender
                            .unstarted
                            .fetch_add(jobs.len() as i64, Ordering::Relaxed);
                        let mut groups = by_customer(jobs);
                        // Conversations' sends take the free send permits first.
                        groups.sort_by_key(|jobs| jobs[0].bulk);
                        for jobs in groups {
                            let (sender, permits) = (sender.clone(), permits.clone());
                            tasks.spawn(async move {
                                if let Ok(_permit) = permits.acquire_owned().await {
                                    sender.send_in_order(jobs).await;
                                }
                            });
                        }
                    }
                    Err(error) => tracing::error!(%error, "outbox: cannot claim jobs"),
                }
            }
            tokio::select! {
                _ = wake.notified() => woken = true,
                _ = sender.progress.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    });
}

/// Claimed jobs grouped by customer, each group in queue order.
fn by_customer(jobs: Vec<OutboxJob>) -> Vec<Vec<OutboxJob>> {
    let mut groups: Vec<Vec<OutboxJob>> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for job in jobs {
        let key = (job.phone_number_id.clone(), recipient(&job).to_owned());
        match index.get(&key) {
            Some(&i) => groups[i].push(job),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![job]);
            }
        }
    }
    groups
}

fn recipient(job: &OutboxJob) -> &str {
    job.request
        .get("to")
        .and_then(|to| to.as_str())
        .unwrap_or_default()
}

impl Sender {
    /// Sends one customer's jobs in order. When the pair limit or a retryable failure holds
    /// one back, the customer's later jobs are put back behind it, so the order survives.
    async fn send_in_order(&self, jobs: Vec<OutboxJob>) {
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            let now = Instant::now();
            let pair = self.pairs.lock().expect("pair limiter").try_take(
                &job.phone_number_id,
                recipient(&job),
                now,
            );
            let held_until = match pair {
                Err(ready) => Some(self.clock.now().plus(ready - now)),
                Ok(()) => {
                    let turn = if job.bulk {
                        Turn::Bulk
                    } else {
                        Turn::Conversation
                    };
                    self.numbers.wait_turn(&job.phone_number_id, turn).await;
                    self.no_longer_in_hand(1);
                    let outcome = match PhoneNumberId::parse(&job.phone_number_id) {
                        Ok(number) => self.graph.send_message(&number, &job.request).await,
                        Err(invalid) => Err(invalid.into()),
                    };
                    self.record_while_leased(&job, &outcome).await
                }
            };
            if let Some(until) = held_until {
                let held = if pair.is_err() { Some(job) } else { None };
                // Claims take due jobs in id order, and never one behind a held-back job of
                // the same customer: they go out again in queue order.
                for later in held.into_iter().chain(jobs.by_ref()) {
                    self.no_longer_in_hand(1);
                    if let Err(error) = self.store.outbox.defer(later.message_id, until).await {
                        tracing::error!(%error, "outbox: cannot put a job back");
                    }
                }
                return;
            }
        }
    }

    /// Records a send's outcome, trying again while the database is away (a restart, a
    /// failover) for as long as the job's lease holds: a send Meta accepted and Parley then
    /// recorded is not sent twice. Answers when the job will be retried, if it will.
    async fn record_while_leased(
        &self,
        job: &OutboxJob,
        outcome: &Result<String, GraphError>,
    ) -> Option<Millis> {
        let give_up = job.lease_until.minus(RECORD_MARGIN);
        let mut pause = Duration::from_millis(100);
        loop {
            match self.record(job.message_id, job.attempts, outcome).await {
                Ok(retry_at) => return retry_at,
                Err(error) if self.clock.now().plus(pause) < give_up => {
                    tracing::warn!(%error, message_id = job.message_id, "outbox: cannot record a send yet");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(error) => {
                    tracing::error!(%error, message_id = job.message_id, "outbox: cannot record a send");
                    return None;
                }
            }
        }
    }

    /// Records a send's outcome; answers when it will be retried, if it will.
    async fn record(
        &self,
        message_id: i64,
        attempts: i64,
        outcome: &Result<String, GraphError>,
    ) -> Result<Option<Millis>, RecordError> {
        let store = &self.store;
        match outcome {
            Ok(wamid) => {
                self.accepted.submit((message_id, wamid.clone())).await?;
                crate::telemetry::send_outcome("accepted", None);
                Ok(None)
            }
            Err(error) if error.is_retryable() && attempts < MAX_ATTEMPTS => {
                let jitter = Duration::from_millis(rand::random::<u64>() % 500);
                let backoff = retry::SEND.after(attempts.clamp(1, 32) as u32) + jitter;
                tracing::warn!(message_id, attempts, %error, "send failed; will retry");
                let retry_at = self.clock.now().plus(backoff);
                store
                    .outbox
                    .retry_later(message_id, &error.to_string(), retry_at)
                    .await?;
                crate::telemetry::send_outcome("retrying", error.meta_code());
                Ok(Some(retry_at))
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
                        title: other.for_members(),
                        details: None,
                    },
                };
                tracing::warn!(message_id, %error, "send failed permanently");
                store
                    .outbox
                    .failed(message_id, &failure, self.clock.now())
                    .await?;
                crate::telemetry::send_outcome("failed", error.meta_code());
                Ok(None)
            }
        }
    }
}
