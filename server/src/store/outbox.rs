//! The outbox: outbound messages and their send jobs, written together and drained by the
//! sender.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::model::{DeliveryError, UserId};

/// An outbound message to queue.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    pub conversation_id: i64,
    /// The member who sent it; none for what Parley sends itself (opt-out confirmations,
    /// campaigns).
    pub author: Option<UserId>,
    pub kind: String,
    /// What the thread shows: the text, caption or rendered template.
    pub text: Option<String>,
    pub phone_number_id: String,
    pub recipient: String,
    /// The Graph API request body, exactly as it will be sent.
    pub request: serde_json::Value,
    pub media: Option<OutboundMedia>,
    /// The wamid this message quotes.
    pub reply_to_wamid: Option<String>,
    /// For a reaction: the wamid it reacts to (shown on that message at once).
    pub reacts_to: Option<String>,
    /// For a template: its id, so admins learn which templates are in use.
    pub template_id: Option<String>,
    /// For a template: its category (`MARKETING` counts against the frequency cap).
    pub template_category: Option<String>,
    /// The campaign it belongs to: it then waits behind members' messages.
    pub campaign_id: Option<i64>,
    /// The automation that sent it: the thread shows "Automation".
    pub automation_id: Option<i64>,
}

/// Media attached to an outbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMedia {
    pub media_id: String,
    pub mime_type: String,
    pub filename: Option<String>,
}

/// A send job as the sender sees it.
#[derive(Clone, Debug)]
pub struct OutboxJob {
    pub message_id: i64,
    pub phone_number_id: String,
    pub request: serde_json::Value,
    pub attempts: i64,
    /// A campaign's send, which yields to conversations' sends.
    pub bulk: bool,
    /// Until when this claim holds: after it, another claim may send the job again.
    pub lease_until: Millis,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Stores an outbound message (status `queued`) and its send job in one transaction.
    async fn enqueue(&self, message: &NewOutbound, now: Millis) -> StoreResult<i64>;
    /// Leases up to `limit` due send jobs, oldest first, never one queued behind a job of the
    /// same customer that is in flight or held back.
    async fn claim(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<OutboxJob>>;
    /// Meta accepted these sends (message id, wamid): record each wamid (and any status that
    /// arrived before it), all in one transaction.
    async fn accepted(&self, accepted: &[(i64, String)], now: Millis) -> StoreResult<()>;
    /// A retryable failure: try again at `retry_at`.
    async fn retry_later(&self, message_id: i64, error: &str, retry_at: Millis) -> StoreResult<()>;
    /// Puts a claimed job back untried (pacing, not failure): it is claimed again at `until`
    /// and the attempt does not count.
    async fn defer(&self, message_id: i64, until: Millis) -> StoreResult<()>;
    /// A permanent failure: the message is `failed` with Meta's reason.
    async fn failed(&self, message_id: i64, error: &DeliveryError, now: Millis) -> StoreResult<()>;
    /// Sends waiting to go out (pending, leased or not), per business number.
    async fn depth(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Says that `node` sends on `numbers` as of `now`, forgets senders not heard from since
    /// `since`, and answers how many nodes send on each of `numbers`.
    async fn senders(
        &self,
        node: &str,
        numbers: &[String],
        now: Millis,
        since: Millis,
    ) -> StoreResult<Vec<(String, i64)>>;
}
