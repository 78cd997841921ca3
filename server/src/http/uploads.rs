//! Media an agent attaches: checked against Meta's types and sizes, kept locally (so the
//! thread shows it), uploaded to Meta once per file and number, and sent by media id.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::store::{Millis, UploadedMedia};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use parley_app::compose::{Upload, media_kind_for, media_rules};
use sha2::{Digest, Sha256};
use std::time::Duration;

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

/// Uploads a file (multipart: `file`, and `conversation_id` or `phone_number_id` to say for
/// which business number when there are several); 201 with its media id.
#[utoipa::path(post, path = "/api/v1/media", tag = "conversations",
    request_body(content_type = "multipart/form-data", description = "`file`, and `conversation_id` or `phone_number_id` when the account has several numbers"),
    responses((status = 201, body = Upload), (status = 422, body = super::error::ErrorBody),
        (status = 413, description = "larger than 100 MB"), (status = 502, body = super::error::ErrorBody)))]
pub(super) async fn upload(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Upload>), ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    let (mut file, mut number) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let filename = field
                    .file_name()
                    .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned())
                    .filter(|name| !name.is_empty());
                let declared = field
                    .content_type()
                    .map(str::to_owned)
                    .filter(|t| t != "application/octet-stream");
                let bytes = field.bytes().await.map_err(unreadable)?;
                file = Some((filename, declared, bytes));
            }
            Some("phone_number_id") => {
                number = Some(field.text().await.map_err(unreadable)?.trim().to_owned())
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
                number = Some(route.phone_number_id);
            }
            _ => {}
        }
    }
    let (filename, declared, bytes) =
        file.ok_or_else(|| ApiError::Invalid("the upload needs a `file` field".into()))?;
    if bytes.is_empty() {
        return Err(ApiError::Invalid("the file is empty".into()));
    }
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
    if bytes.len() as u64 > max_bytes {
        return Err(ApiError::Invalid(format!(
            "a {kind} may be at most {} KiB; this file has {} KiB",
            max_bytes / 1024,
            bytes.len() / 1024
        )));
    }
    let phone_number_id = match number.filter(|n| !n.is_empty()) {
        Some(number) => number,
        None => {
            let numbers = app.store.business_numbers().await?;
            match numbers.as_slice() {
                [only] => only.phone_number_id.clone(),
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
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let now = Millis::now();
    let since = Millis(now.0 - REUSE_UPLOADS_FOR.as_millis() as i64);
    if let Some(earlier) = app
        .store
        .reusable_upload(&sha256, &phone_number_id, since)
        .await?
    {
        return Ok((StatusCode::CREATED, Json(uploaded(earlier, kind, true))));
    }
    let graph = app.graph()?;
    let directory = app.config.data_dir.join("uploads");
    tokio::fs::create_dir_all(&directory)
        .await
        .map_err(|e| ApiError::Internal(format!("creating {}: {e}", directory.display())))?;
    let path = directory.join(&sha256);
    tokio::fs::write(&path, &bytes)
        .await
        .map_err(|e| ApiError::Internal(format!("writing {}: {e}", path.display())))?;
    let size_bytes = bytes.len() as i64;
    let upload_name = filename
        .clone()
        .unwrap_or_else(|| format!("{kind}-{sha256}"));
    let media_id = graph
        .upload_media(&phone_number_id, bytes, &mime_type, &upload_name)
        .await?;
    let upload = UploadedMedia {
        media_id,
        mime_type,
        size_bytes,
        filename,
        phone_number_id,
    };
    app.store
        .record_upload(&upload, &sha256, &path.to_string_lossy(), now)
        .await?;
    Ok((StatusCode::CREATED, Json(uploaded(upload, kind, false))))
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
