//! Canned replies: the team's shared answers (admins keep them) and each member's own.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::model::UserId;

/// A file sent with a canned reply: an upload a member made through Parley.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedFile {
    pub media_id: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub filename: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedReply {
    pub id: i64,
    /// `None`: shared with the team.
    pub owner: Option<UserId>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub attachment: Option<CannedFile>,
    pub updated_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCannedReply {
    pub owner: Option<UserId>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub attachment_media_id: Option<String>,
}

/// What changes; `None` keeps it (`attachment_media_id: Some(None)` removes the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CannedReplyUpdate {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub attachment_media_id: Option<Option<String>>,
}

#[async_trait]
pub trait CannedReplyStore: Send + Sync {
    /// The shared replies and `member`'s own, by shortcut.
    async fn visible_to(&self, member: UserId) -> StoreResult<Vec<CannedReply>>;
    async fn get(&self, id: i64) -> StoreResult<Option<CannedReply>>;
    /// A conflict when the shortcut is taken (among the shared ones, or the owner's own).
    async fn create(&self, reply: &NewCannedReply, now: Millis) -> StoreResult<CannedReply>;
    async fn update(
        &self,
        id: i64,
        update: &CannedReplyUpdate,
        now: Millis,
    ) -> StoreResult<CannedReply>;
    async fn delete(&self, id: i64) -> StoreResult<()>;
}

pub(super) const CANNED_SELECT: &str = "SELECT r.id, r.owner_id, r.shortcut, r.title, r.body,
    r.attachment_media_id, f.mime_type, f.size_bytes, f.filename, r.updated_at
    FROM canned_replies r LEFT JOIN media_files f ON f.media_id = r.attachment_media_id";

#[derive(sqlx::FromRow)]
pub(super) struct CannedRow {
    id: i64,
    owner_id: Option<i64>,
    shortcut: String,
    title: String,
    body: String,
    attachment_media_id: Option<String>,
    mime_type: Option<String>,
    size_bytes: Option<i64>,
    filename: Option<String>,
    updated_at: i64,
}

impl From<CannedRow> for CannedReply {
    fn from(row: CannedRow) -> CannedReply {
        CannedReply {
            id: row.id,
            owner: row.owner_id.map(UserId),
            shortcut: row.shortcut,
            title: row.title,
            body: row.body,
            attachment: row.attachment_media_id.map(|media_id| CannedFile {
                media_id,
                mime_type: row.mime_type.unwrap_or_default(),
                size_bytes: row.size_bytes.unwrap_or_default(),
                filename: row.filename,
            }),
            updated_at: Millis(row.updated_at),
        }
    }
}
