//! The webhook journal: verified bodies are committed (many requests per transaction) before
//! Meta gets its 200.

use crate::domain::SharedClock;
use crate::group_commit::{CommitError, GroupCommit};
use crate::store::SharedStore;
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Most bodies committed together.
const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("could not store the webhook: {0}")]
    Store(String),
    #[error("the webhook journal has stopped")]
    Stopped,
}

/// Appends verified webhook bodies to the database; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    writer: GroupCommit<Bytes>,
    load: IntakeLoad,
}

/// How many webhooks are waiting for their acknowledgement, so that processing can step aside
/// for them.
#[derive(Clone)]
pub struct IntakeLoad {
    waiting: Arc<AtomicUsize>,
    quiet: Arc<Notify>,
    started: Instant,
    /// When the latest webhook arrived, in milliseconds after `started`, plus one (0: never).
    latest_arrival: Arc<AtomicU64>,
}

/// Webhooks arriving this recently count as a stream still flowing.
const RECENT: Duration = Duration::from_millis(100);

impl Default for IntakeLoad {
    fn default() -> Self {
        IntakeLoad {
            waiting: Arc::default(),
            quiet: Arc::default(),
            started: Instant::now(),
            latest_arrival: Arc::default(),
        }
    }
}

impl IntakeLoad {
    /// Whether webhooks are waiting to be committed or have arrived in the last moments.
    pub fn is_busy(&self) -> bool {
        let latest = self.latest_arrival.load(Ordering::Relaxed);
        self.waiting.load(Ordering::Acquire) > 0
            || (latest > 0 && self.now() + 1 - latest < RECENT.as_millis() as u64)
    }

    /// Returns once no webhook is waiting to be committed, or after `at_most`.
    pub async fn quiet(&self, at_most: Duration) {
        let quiet = self.quiet.notified();
        tokio::pin!(quiet);
        quiet.as_mut().enable();
        if self.waiting.load(Ordering::Acquire) > 0 {
            let _ = tokio::time::timeout(at_most, quiet).await;
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Counts one webhook as waiting until the returned guard drops (answered or abandoned).
    fn arrive(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        self.latest_arrival.store(self.now() + 1, Ordering::Relaxed);
        Waiting(self)
    }
}

struct Waiting<'a>(&'a IntakeLoad);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.quiet.notify_waiters();
        }
    }
}

impl Journal {
    /// Starts the writer task. `committed` is notified after every commit.
    pub fn spawn(store: SharedStore, committed: Arc<Notify>, clock: SharedClock) -> Journal {
        let writer = GroupCommit::spawn(MAX_BATCH, move |bodies: Vec<Bytes>| {
            let (store, committed) = (store.clone(), committed.clone());
            let received_at = clock.now();
            async move {
                let slices: Vec<&[u8]> = bodies.iter().map(|body| body.as_ref()).collect();
                match store.journal.append(&slices, received_at).await {
                    Ok(()) => {
                        committed.notify_one();
                        Ok(())
                    }
                    Err(error) => {
                        tracing::error!(%error, count = bodies.len(), "webhook journal write failed");
                        Err(error.to_string())
                    }
                }
            }
        });
        Journal {
            writer,
            load: IntakeLoad::default(),
        }
    }

    pub fn load(&self) -> IntakeLoad {
        self.load.clone()
    }

    /// Returns once `body` is committed (or known to be a redelivery of a committed body).
    pub async fn append(&self, body: Bytes) -> Result<(), JournalError> {
        let _waiting = self.load.arrive();
        self.writer.submit(body).await.map_err(|error| match error {
            CommitError::Failed(why) => JournalError::Store(why),
            CommitError::Stopped => JournalError::Stopped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::IntakeLoad;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn processing_waits_for_acknowledgements_but_not_forever() {
        let load = IntakeLoad::default();
        assert!(!load.is_busy());
        load.quiet(Duration::from_secs(60)).await; // nothing waiting: returns at once

        let waiting = load.arrive();
        assert!(load.is_busy());
        let started = Instant::now();
        load.quiet(Duration::from_millis(20)).await;
        assert!(
            started.elapsed() >= Duration::from_millis(20),
            "waits while one is waiting"
        );

        let answered = {
            let load = load.clone();
            tokio::spawn(async move { load.quiet(Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        drop(waiting);
        tokio::time::timeout(Duration::from_secs(5), answered)
            .await
            .expect("released when the last webhook is answered")
            .unwrap();
        assert!(
            load.is_busy(),
            "a stream that just flowed still counts as busy"
        );
    }
}
