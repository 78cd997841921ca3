//! The webhook journal: verified bodies, committed before Meta gets its 200 and processed
//! afterwards.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;

/// A webhook body waiting to be processed.
#[derive(Clone, Debug)]
pub struct PendingWebhook {
    pub id: i64,
    pub body: Vec<u8>,
    pub attempts: i64,
    pub received_at: Millis,
}

#[async_trait]
pub trait JournalStore: Send + Sync {
    /// Durably records verified webhook bodies in one transaction (a group commit). Every body
    /// is appended, redeliveries too: they are recognised when applied (see the intake store),
    /// because a unique index here would add writes to random pages of an ever-growing index
    /// to every acknowledgement.
    async fn append(&self, bodies: &[&[u8]], received_at: Millis) -> StoreResult<()>;
    /// Leases up to `limit` unprocessed webhooks, oldest first; a lease that runs out (the
    /// holder died) makes the event claimable again.
    async fn claim(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<PendingWebhook>>;
    /// Gives back the unprocessed events of the claim that set `lease_until`, which the
    /// caller could not finish (the database went away mid-batch, or before the claim's
    /// answer came back): they are claimable at once, not when the lease runs out.
    async fn release(&self, lease_until: Millis) -> StoreResult<()>;
    /// Records a processing failure; the event is retried once `retry_at` passes.
    async fn fail(&self, id: i64, error: &str, retry_at: Millis) -> StoreResult<()>;
    /// How many stored webhooks are not processed yet (a health signal).
    async fn backlog(&self) -> StoreResult<i64>;
    /// When the oldest webhook not processed yet was received (how far processing lags).
    async fn oldest_unprocessed(&self) -> StoreResult<Option<Millis>>;
}
