//! Notifications: what a member should look at (a note that mentions them, a conversation of
//! theirs back from snooze), read or not. They are written by the changes that cause them
//! (`sql::notifications::notify`), in the same transaction.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use crate::domain::conversation::ContactRef;
use async_trait::async_trait;
use parley_app::collaboration::NotificationKind;
use parley_app::model::{DisplayName, MemberRef, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user: UserId,
    pub kind: NotificationKind,
    pub conversation_id: i64,
    pub contact: ContactRef,
    pub note_id: Option<i64>,
    pub actor: Option<MemberRef>,
    /// The note's text, for a mention; the rule's text, for an automation's.
    pub note_body: Option<String>,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

/// A member's newest notifications and how many of all theirs are unread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub unread: i64,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// The member's newest `limit` notifications, newest first.
    async fn for_member(&self, user: UserId, limit: i64) -> StoreResult<NotificationPage>;
    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Notification>>;
    /// Marks the member's notifications read: these ids, or all of them. Answers how many
    /// changed; another member's ids are left alone.
    async fn mark_read(&self, user: UserId, ids: Option<&[i64]>, now: Millis) -> StoreResult<u64>;
}

pub(super) const NOTIFICATION_SELECT: &str = "SELECT n.id, n.user_id, n.kind, n.conversation_id,
    n.note_id, n.actor_id, a.name AS actor_name, COALESCE(n.detail, no.body) AS note_body, n.created_at, n.read_at,
    ct.id AS contact_id, COALESCE(ct.edited_name, ct.name) AS contact_name, ct.username AS contact_username, ct.wa_id,
    ct.bsuid
    FROM notifications n
    JOIN conversations c ON c.id = n.conversation_id
    JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN users a ON a.id = n.actor_id
    LEFT JOIN notes no ON no.id = n.note_id";

#[derive(sqlx::FromRow)]
pub(super) struct NotificationRow {
    id: i64,
    user_id: i64,
    kind: String,
    conversation_id: i64,
    note_id: Option<i64>,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    note_body: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
    contact_id: i64,
    contact_name: Option<String>,
    contact_username: Option<String>,
    wa_id: Option<String>,
    bsuid: Option<String>,
}

pub(super) fn kind_str(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention => "mention",
        NotificationKind::SnoozeEnded => "snooze_ended",
        NotificationKind::Automation => "automation",
    }
}

impl NotificationRow {
    pub(super) fn into_notification(self) -> StoreResult<Notification> {
        let kind = match self.kind.as_str() {
            "mention" => NotificationKind::Mention,
            "snooze_ended" => NotificationKind::SnoozeEnded,
            "automation" => NotificationKind::Automation,
            other => return Err(StoreError::Corrupt(format!("notification kind {other:?}"))),
        };
        let actor = match (self.actor_id, self.actor_name) {
            (Some(id), Some(name)) => Some(MemberRef {
                id: UserId(id),
                name: DisplayName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            }),
            _ => None,
        };
        Ok(Notification {
            id: self.id,
            user: UserId(self.user_id),
            kind,
            conversation_id: self.conversation_id,
            contact: ContactRef {
                id: self.contact_id,
                name: self.contact_name,
                username: self.contact_username,
                wa_id: self.wa_id,
                bsuid: self.bsuid,
            },
            note_id: self.note_id,
            actor,
            note_body: self.note_body,
            created_at: Millis(self.created_at),
            read_at: self.read_at.map(Millis),
        })
    }
}
