//! Media files: customers' media downloaded from Meta, and what members uploaded.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;

/// Inbound media due for (another) download attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaJob {
    pub media_id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub attempts: i64,
}

/// A media file on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMedia {
    pub path: String,
    pub mime_type: String,
    pub size_bytes: i64,
}

/// A file a member uploaded, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedMedia {
    pub media_id: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub filename: Option<String>,
    /// The business number it was uploaded for (Meta media ids belong to one number).
    pub phone_number_id: String,
}

/// An upload with Parley's copy of the file, to send it again (for another number, or once
/// Meta has forgotten it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadFile {
    pub media: UploadedMedia,
    pub sha256: String,
    pub path: String,
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Inbound media due for (another) download attempt.
    async fn due(&self, now: Millis, limit: i64) -> StoreResult<Vec<MediaJob>>;
    /// The file is on disk: threads showing it learn so.
    async fn stored(
        &self,
        media_id: &str,
        path: &str,
        size_bytes: i64,
        mime_type: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// Records a failed download: retried at `retry_at`, or given up when `None` (threads
    /// showing it then learn why).
    async fn failed(
        &self,
        media_id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Bytes of media stored on disk (downloads and uploads), for the quota.
    async fn stored_bytes(&self) -> StoreResult<i64>;
    async fn file(&self, media_id: &str) -> StoreResult<Option<StoredMedia>>;
    /// Records a file a member uploaded (already stored at `path` and accepted by Meta).
    async fn record_upload(
        &self,
        upload: &UploadedMedia,
        sha256: &str,
        path: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// An earlier upload of the same file for the same number, still usable at Meta.
    async fn reusable_upload(
        &self,
        sha256: &str,
        phone_number_id: &str,
        uploaded_since: Millis,
    ) -> StoreResult<Option<UploadedMedia>>;
    /// A file uploaded through Parley, by its Meta media id.
    async fn uploaded(&self, media_id: &str) -> StoreResult<Option<UploadedMedia>>;
    /// The same, with where Parley keeps the file.
    async fn upload_file(&self, media_id: &str) -> StoreResult<Option<UploadFile>>;
}
