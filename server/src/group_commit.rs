//! Group commit: items submitted concurrently are written together, in one transaction, by one
//! writer task. Throughput is then commits per second times batch size, instead of one disk
//! flush per item, and each caller still hears back only once its own item is durable.

use std::future::Future;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("{0}")]
    Failed(String),
    #[error("the writer has stopped")]
    Stopped,
}

type Reply = oneshot::Sender<Result<(), String>>;

/// The submitting side; cheap to clone.
pub struct GroupCommit<T> {
    queue: mpsc::Sender<(T, Reply)>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    /// Starts the writer: `commit` writes one batch (at most `max_batch` items: whatever
    /// arrived while the previous batch was being written) and says whether it is stored.
    pub fn spawn<F, Fut>(max_batch: usize, mut commit: F) -> Self
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send,
    {
        let (queue, mut requests) = mpsc::channel::<(T, Reply)>(4 * max_batch);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while requests.recv_many(&mut batch, max_batch).await > 0 {
                let (items, replies): (Vec<T>, Vec<Reply>) = batch.drain(..).unzip();
                let outcome = commit(items).await;
                for reply in replies {
                    let _ = reply.send(outcome.clone());
                }
            }
        });
        GroupCommit { queue }
    }

    /// Returns once `item` is committed with its batch.
    pub async fn submit(&self, item: T) -> Result<(), CommitError> {
        let (reply, committed) = oneshot::channel();
        self.queue
            .send((item, reply))
            .await
            .map_err(|_| CommitError::Stopped)?;
        committed
            .await
            .map_err(|_| CommitError::Stopped)?
            .map_err(CommitError::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn concurrent_items_share_commits_and_hear_the_outcome() {
        let batches = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let seen = batches.clone();
        let writer = GroupCommit::spawn(8, move |items: Vec<u32>| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                let refused = items.contains(&13);
                seen.lock().unwrap().push(items);
                if refused {
                    Err("13 is refused".into())
                } else {
                    Ok(())
                }
            }
        });
        let submitted: Vec<_> = (0..20u32)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { (n, writer.submit(n).await) })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in submitted {
            outcomes.push(task.await.unwrap());
        }
        let batches = batches.lock().unwrap().clone();
        assert_eq!(
            batches.iter().map(Vec::len).sum::<usize>(),
            20,
            "every item written once"
        );
        assert!(batches.len() < 20, "items shared commits: {batches:?}");
        assert!(batches.iter().all(|b| b.len() <= 8));
        for (n, outcome) in outcomes {
            let refused_batch = batches.iter().any(|b| b.contains(&n) && b.contains(&13));
            assert_eq!(
                outcome.is_err(),
                refused_batch,
                "item {n} hears its batch's outcome"
            );
        }
    }
}
