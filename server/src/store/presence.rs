//! Presence: who has a conversation open and what they are doing there. Short-lived by
//! nature: each entry expires unless the member's browser renews it.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::collaboration::Activity;
use parley_app::model::{MemberRef, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    pub conversation_id: i64,
    pub member: MemberRef,
    pub activity: Activity,
    pub expires_at: Millis,
}

#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// The member is `activity` in the conversation until `expires_at` (or, with `None`, has
    /// left it), with its event for the others.
    async fn set(
        &self,
        conversation_id: i64,
        user: UserId,
        activity: Option<(Activity, Millis)>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Who is in the conversation at `now`.
    async fn in_conversation(
        &self,
        conversation_id: i64,
        now: Millis,
    ) -> StoreResult<Vec<Presence>>;
    /// Forgets expired presence, and presence events older than `events_before` (they matter
    /// only while live). Answers how many entries went.
    async fn sweep(&self, now: Millis, events_before: Millis) -> StoreResult<u64>;
}
