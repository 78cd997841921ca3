//! Messages: a conversation's timeline, and what members do to messages (retry, cancel).

use super::{KeysetCursor, StoreError, StoreResult};
use crate::domain::Millis;
use crate::domain::message::{MediaState, Message, MessageMedia, Reaction};
use async_trait::async_trait;
use parley_app::model::{DeliveryError, Direction, MessageStatus};

/// A page of a conversation's messages, in time order, and where the older page starts.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub older: Option<KeysetCursor>,
}

/// What a retention pass forgot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub messages: i64,
    /// Journal entries (Meta's raw webhooks) emptied.
    pub webhooks: i64,
    /// Customers' media files to delete from disk.
    pub media_paths: Vec<String>,
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Forgets the content of up to `limit` messages sent before `cutoff`, and of as many
    /// journal entries received before it (see `sql/retention.rs`); the rows stay for counts.
    async fn forget_content_before(&self, cutoff: Millis, limit: i64) -> StoreResult<Forgotten>;
    /// The newest `limit` messages of a conversation before `before` (a message's sort key and
    /// id), in Meta's time order, and the cursor of the older page.
    async fn page(
        &self,
        conversation_id: i64,
        before: Option<KeysetCursor>,
        limit: i64,
    ) -> StoreResult<MessagePage>;
    /// The messages with these ids that exist, in any order (two queries for many).
    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Message>>;
    async fn get(&self, id: i64) -> StoreResult<Option<Message>> {
        Ok(self.by_ids(&[id]).await?.pop())
    }
    /// Whether a message with this wamid belongs to the conversation.
    async fn in_conversation(&self, conversation_id: i64, wamid: &str) -> StoreResult<bool>;
    /// Who else (not `member`) queued a reply in the conversation after message `after`: the
    /// newest such author's name.
    async fn replied_since(
        &self,
        conversation_id: i64,
        after: i64,
        member: parley_app::model::UserId,
    ) -> StoreResult<Option<String>>;
    /// Sends a failed outbound message again, as a new attempt (a new wamid).
    async fn retry(&self, message_id: i64, now: Millis) -> StoreResult<()>;
    /// Withdraws a message that is still queued (not yet handed to Meta).
    async fn cancel(&self, message_id: i64, now: Millis) -> StoreResult<()>;
}

pub(super) const MESSAGE_SELECT: &str = "SELECT m.id, m.conversation_id, m.wamid, m.direction,
    m.kind, m.body, m.payload, m.status, m.sent_at, m.reply_to_wamid, m.media_id,
    m.media_mime_type, m.filename, m.error_code, m.error_title, m.error_details, m.edited_at,
    m.deleted_at, mf.state AS media_state, mf.size_bytes AS media_size,
    mf.last_error AS media_error, COALESCE(u.name, 'Campaign: ' || cp.name,
      CASE WHEN m.automation_id IS NOT NULL THEN 'Automation' END) AS author_name
    FROM messages m LEFT JOIN media_files mf ON mf.media_id = m.media_id
    LEFT JOIN users u ON u.id = m.author_id LEFT JOIN campaigns cp ON cp.id = m.campaign_id";

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub(super) id: i64,
    conversation_id: i64,
    wamid: Option<String>,
    direction: String,
    kind: String,
    body: Option<String>,
    payload: String,
    status: String,
    pub(super) sent_at: i64,
    reply_to_wamid: Option<String>,
    media_id: Option<String>,
    media_mime_type: Option<String>,
    filename: Option<String>,
    error_code: Option<i64>,
    error_title: Option<String>,
    error_details: Option<String>,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    media_state: Option<String>,
    media_size: Option<i64>,
    media_error: Option<String>,
    author_name: Option<String>,
}

pub(super) fn direction_str(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

pub(super) fn parse_direction(raw: &str) -> StoreResult<Direction> {
    match raw {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        other => Err(StoreError::Corrupt(format!("message direction {other:?}"))),
    }
}

/// A reaction row: target wamid, direction, emoji.
pub(super) type ReactionRow = (String, String, String);

impl MessageRow {
    /// The message, with its reactions picked from `reactions`.
    pub(super) fn into_message(self, reactions: &[ReactionRow]) -> StoreResult<Message> {
        let status = self
            .status
            .parse::<MessageStatus>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let reactions = match &self.wamid {
            Some(wamid) => reactions
                .iter()
                .filter(|(target, ..)| target == wamid)
                .map(|(_, direction, emoji)| {
                    Ok(Reaction {
                        emoji: emoji.clone(),
                        direction: parse_direction(direction)?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            None => Vec::new(),
        };
        let media = self.media_id.map(|media_id| MessageMedia {
            media_id,
            mime_type: self.media_mime_type,
            filename: self.filename.clone(),
            state: match (self.media_state.as_deref(), self.media_size) {
                (Some("stored"), size) => MediaState::Stored {
                    size_bytes: size.unwrap_or_default(),
                },
                (Some("failed"), _) => MediaState::Failed {
                    reason: self.media_error.unwrap_or_default(),
                },
                _ => MediaState::Pending,
            },
        });
        Ok(Message {
            id: self.id,
            conversation_id: self.conversation_id,
            wamid: self.wamid,
            direction: parse_direction(&self.direction)?,
            kind: self.kind,
            text: self.body,
            status,
            sent_at: Millis(self.sent_at),
            error: self.error_code.map(|code| DeliveryError {
                code,
                title: self.error_title.unwrap_or_default(),
                details: self.error_details,
            }),
            media,
            author_name: self.author_name,
            reply_to_wamid: self.reply_to_wamid,
            reactions,
            edited: self.edited_at.is_some(),
            deleted: self.deleted_at.is_some(),
            payload: serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null),
        })
    }
}
