//! Group commit: concurrent webhook requests share one transaction, so throughput is bounded by
//! commits per second times batch size rather than by one fsync per request.

use crate::store::{Millis, SharedStore};
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};

/// Most bodies committed together.
const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("could not store the webhook: {0}")]
    Store(String),
    #[error("the webhook journal has stopped")]
    Stopped,
}

type Reply = oneshot::Sender<Result<(), JournalError>>;

/// Appends verified webhook bodies to the database; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    queue: mpsc::Sender<(Bytes, Reply)>,
}

impl Journal {
    /// Starts the writer task. `committed` is notified after every commit.
    pub fn spawn(store: SharedStore, committed: Arc<Notify>) -> Journal {
        let (queue, requests) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(store, requests, committed));
        Journal { queue }
    }

    /// Returns once `body` is committed (or known to be a redelivery of a committed body).
    pub async fn append(&self, body: Bytes) -> Result<(), JournalError> {
        let (reply, committed) = oneshot::channel();
        self.queue
            .send((body, reply))
            .await
            .map_err(|_| JournalError::Stopped)?;
        committed.await.map_err(|_| JournalError::Stopped)?
    }
}

async fn write_batches(
    store: SharedStore,
    mut requests: mpsc::Receiver<(Bytes, Reply)>,
    committed: Arc<Notify>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let bodies: Vec<&[u8]> = batch.iter().map(|(body, _)| body.as_ref()).collect();
        let outcome = store.append_webhooks(&bodies, Millis::now()).await;
        if let Err(error) = &outcome {
            tracing::error!(%error, count = batch.len(), "webhook journal write failed");
        } else {
            committed.notify_one();
        }
        for (_, reply) in batch.drain(..) {
            let result = outcome
                .as_ref()
                .map(|_| ())
                .map_err(|e| JournalError::Store(e.to_string()));
            let _ = reply.send(result);
        }
    }
}
