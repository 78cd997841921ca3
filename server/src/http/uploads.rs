//! Media an agent attaches: checked against Meta's types and sizes, kept locally (so the
//! thread shows it), uploaded to Meta once per file and number, and sent by media id.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::store::{Millis, UploadedMedia};
use crate::whatsapp::ids::PhoneNumberId;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use parley_app::compose::{Upload, media_kind_for, media_rules};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// Uploads streamed to disk at once; more wait for a 503 with `Retry-After`.
pub const MAX_CONCURRENT_UPLOADS: usize = 4;

/// Meta's largest media (documents, 100 MB), plus room for the multipart framing.
const MAX_UPLOAD_BODY: usize = 100 * 1024 * 1024 + 64 * 1024;
/// Meta keeps uploaded media for 30 days; reuse an upload for a little less than that.
const REUSE_UPLOADS_FOR: Duration = Duration::from_secs(29 * 24 * 3600);

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/media",
        post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
    )
}

/// Guesses a media type from a file name, for browsers that send none.
fn mime_from_filename(filename: &str) -> Option<&'static str> {
    let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "opus" => "audio/ogg",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// A file as it arrived: on disk, hashed, with what the browser said about it.
struct Received {
    temp: tempfile_path::TempPath,
    sha256: String,
    size: u64,
    filename: Option<String>,
    mime_type: String,
    kind: &'static str,
}

/// Uploads a file (multipart: `file`, and `conversation_id` or `phone_number_id` to say for
/// which business number when there are several); 201 with its media id.
#[utoipa::path(post, path = "/api/v1/media", tag = "conversations",
    request_body(content_type = "multipart/form-data", description = "`file`, and `conversation_id` or `phone_number_id` (a business number Parley knows) when the account has several numbers"),
    responses((status = 201, body = Upload), (status = 422, body = super::error::ErrorBody),
        (status = 413, description = "larger than 100 MB"), (status = 502, body = super::error::ErrorBody),
        (status = 503, description = "too many uploads at once; retry after `Retry-After` seconds"),
        (status = 507, body = super::error::ErrorBody, description = "the media storage quota is full")))]
pub(super) async fn upload(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Upload>), ApiError> {
    // Each upload holds a connection and a disk stream for a while: a few at a time.
    let _slot = app
        .uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy {
            retry_after_secs: 5,
        })?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    let storage = app.config.media_storage();
    let directory = storage.data_dir.join("uploads");
    tokio::fs::create_dir_all(&directory)
        .await
        .map_err(|e| ApiError::Internal(format!("creating {}: {e}", directory.display())))?;
    let (mut file, mut number) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let room = storage.room(&app.store).await?;
                file = Some(receive(field, &directory, room, &storage).await?);
            }
            Some("phone_number_id") => {
                let raw = field.text().await.map_err(unreadable)?;
                number = Some(known_number(&app, raw.trim()).await?);
            }
            Some("conversation_id") => {
                let raw = field.text().await.map_err(unreadable)?;
                let id = raw.trim().parse::<i64>().map_err(|_| {
                    ApiError::Invalid(format!("conversation_id must be a number, not {raw:?}"))
                })?;
                let route = app
                    .store
                    .conversation_route(id)
                    .await?
                    .ok_or(ApiError::NotFound("conversation"))?;
                number = Some(known_number(&app, &route.phone_number_id).await?);
            }
            _ => {}
        }
    }
    let received =
        file.ok_or_else(|| ApiError::Invalid("the upload needs a `file` field".into()))?;
    let phone_number_id = match number {
        Some(number) => number,
        None => {
            let numbers = app.store.business_numbers().await?;
            match numbers.as_slice() {
                [only] => PhoneNumberId::parse(&only.phone_number_id)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
                [] => {
                    return Err(ApiError::Conflict("no business number is known yet".into()));
                }
                _ => {
                    return Err(ApiError::Invalid(
                        "this account has several numbers: say which with phone_number_id or conversation_id".into(),
                    ));
                }
            }
        }
    };
    let now = Millis::now();
    let since = Millis(now.0 - REUSE_UPLOADS_FOR.as_millis() as i64);
    if let Some(earlier) = app
        .store
        .reusable_upload(&received.sha256, phone_number_id.as_str(), since)
        .await?
    {
        return Ok((
            StatusCode::CREATED,
            Json(uploaded(earlier, received.kind, true)),
        ));
    }
    let graph = app.graph()?;
    // Kept under its digest: the same file uploaded twice is stored once.
    let path = directory.join(&received.sha256);
    received
        .temp
        .persist(&path)
        .await
        .map_err(|e| ApiError::Internal(format!("writing {}: {e}", path.display())))?;
    let upload_name = received
        .filename
        .clone()
        .unwrap_or_else(|| format!("{}-{}", received.kind, received.sha256));
    let stream = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Internal(format!("reading {}: {e}", path.display())))?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(stream));
    let media_id = graph
        .upload_media(
            &phone_number_id,
            body,
            received.size,
            &received.mime_type,
            &upload_name,
        )
        .await?;
    let upload = UploadedMedia {
        media_id,
        mime_type: received.mime_type,
        size_bytes: received.size as i64,
        filename: received.filename,
        phone_number_id: phone_number_id.to_string(),
    };
    app.store
        .record_upload(&upload, &received.sha256, &path.to_string_lossy(), now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(uploaded(upload, received.kind, false)),
    ))
}

/// A business number Parley knows, by id; anything else is refused before any Graph call.
async fn known_number(app: &AppState, raw: &str) -> Result<PhoneNumberId, ApiError> {
    let number = PhoneNumberId::parse(raw).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let known = app.store.business_numbers().await?;
    if known.iter().any(|n| n.phone_number_id == number.as_str()) {
        Ok(number)
    } else {
        Err(ApiError::Invalid(format!(
            "{number} is not a business number of this account"
        )))
    }
}

/// Streams the `file` field to a temporary file beside its final place, hashing it and
/// holding it to Meta's size for its kind (and to the room left under the quota).
async fn receive(
    mut field: axum::extract::multipart::Field<'_>,
    directory: &std::path::Path,
    room: u64,
    storage: &crate::media::MediaStorage,
) -> Result<Received, ApiError> {
    let filename = field
        .file_name()
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned())
        .filter(|name| !name.is_empty());
    let declared = field
        .content_type()
        .map(str::to_owned)
        .filter(|t| t != "application/octet-stream");
    let mime_type = declared
        .or_else(|| {
            filename
                .as_deref()
                .and_then(mime_from_filename)
                .map(str::to_owned)
        })
        .ok_or_else(|| ApiError::Invalid("the file's media type is unknown".into()))?;
    let kind = media_kind_for(&mime_type).ok_or_else(|| {
        ApiError::Invalid(format!(
            "WhatsApp does not accept {mime_type} files (images: JPEG, PNG; video: MP4, 3GPP; \
             audio: AAC, AMR, MP3, M4A, OGG; documents: PDF, text, Office; stickers: WebP)"
        ))
    })?;
    let (_, max_bytes) = media_rules(kind).unwrap_or((&[], 0));
    let temp = tempfile_path::TempPath::new_in(directory);
    let mut out = tokio::fs::File::create(temp.path())
        .await
        .map_err(|e| ApiError::Internal(format!("writing {}: {e}", temp.path().display())))?;
    let mut digest = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ApiError::Invalid(format!("the upload could not be read: {e}")))?
    {
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(ApiError::Invalid(format!(
                "a {kind} may be at most {} KiB; this file is larger",
                max_bytes / 1024,
            )));
        }
        if size > room {
            return Err(ApiError::StorageFull(storage.quota_message()));
        }
        digest.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(|e| ApiError::Internal(format!("writing {}: {e}", temp.path().display())))?;
    }
    out.sync_all()
        .await
        .map_err(|e| ApiError::Internal(format!("writing {}: {e}", temp.path().display())))?;
    if size == 0 {
        return Err(ApiError::Invalid("the file is empty".into()));
    }
    Ok(Received {
        temp,
        sha256: hex::encode(digest.finalize()),
        size,
        filename,
        mime_type,
        kind,
    })
}

/// A file that is removed unless it is moved into place.
mod tempfile_path {
    use std::path::{Path, PathBuf};

    pub struct TempPath(Option<PathBuf>);

    impl TempPath {
        /// A fresh name in `directory` (the file itself is created by the writer).
        pub fn new_in(directory: &Path) -> TempPath {
            let name = format!(".upload-{:016x}", rand::random::<u64>());
            TempPath(Some(directory.join(name)))
        }

        pub fn path(&self) -> &Path {
            self.0.as_deref().expect("not yet persisted")
        }

        /// Moves the file to `to`, replacing what is there (the same bytes, by digest).
        pub async fn persist(mut self, to: &Path) -> std::io::Result<()> {
            let from = self.0.take().expect("persisted once");
            tokio::fs::rename(&from, to).await
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            if let Some(path) = self.0.take() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn uploaded(upload: UploadedMedia, kind: &'static str, reused: bool) -> Upload {
    Upload {
        media_id: upload.media_id,
        kind: kind.to_owned(),
        mime_type: upload.mime_type,
        size_bytes: upload.size_bytes,
        filename: upload.filename,
        phone_number_id: upload.phone_number_id,
        reused,
    }
}
