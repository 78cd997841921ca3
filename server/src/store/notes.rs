//! Internal notes: what the team writes about a conversation for itself. They live apart from
//! messages, so nothing that sends messages can ever pick one up.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::model::{DisplayName, MemberRef, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub conversation_id: i64,
    pub author: MemberRef,
    pub body: String,
    pub mentions: Vec<MemberRef>,
    pub created_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNote {
    pub conversation_id: i64,
    pub author: UserId,
    pub body: String,
    /// Members to notify (the author is never notified of their own note).
    pub mentions: Vec<UserId>,
}

#[async_trait]
pub trait NoteStore: Send + Sync {
    /// Writes the note, its mentions and a notification for each mentioned member, with their
    /// events, in one transaction.
    async fn add(&self, note: &NewNote, now: Millis) -> StoreResult<Note>;
    /// The conversation's newest `limit` notes, oldest first.
    async fn for_conversation(&self, conversation_id: i64, limit: i64) -> StoreResult<Vec<Note>>;
    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Note>>;
}

pub(super) const NOTE_SELECT: &str = "SELECT n.id, n.conversation_id, n.author_id,
    u.name AS author_name, n.body, n.created_at
    FROM notes n JOIN users u ON u.id = n.author_id";

#[derive(sqlx::FromRow)]
pub(super) struct NoteRow {
    pub(super) id: i64,
    conversation_id: i64,
    author_id: i64,
    author_name: String,
    body: String,
    created_at: i64,
}

pub(super) fn member(id: i64, name: &str) -> StoreResult<MemberRef> {
    Ok(MemberRef {
        id: UserId(id),
        name: DisplayName::parse(name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

impl NoteRow {
    pub(super) fn into_note(self, mentions: Vec<MemberRef>) -> StoreResult<Note> {
        Ok(Note {
            id: self.id,
            conversation_id: self.conversation_id,
            author: member(self.author_id, &self.author_name)?,
            body: self.body,
            mentions,
            created_at: Millis(self.created_at),
        })
    }
}
