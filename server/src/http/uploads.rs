//! `POST /api/v1/media`: the multipart form, fed to `service::media` as it streams in.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::service::media::{self, UploadFor};
use crate::views;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use parley_app::compose::Upload;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Meta's largest media (documents, 100 MB), plus room for the multipart framing.
const MAX_UPLOAD_BODY: usize = 100 * 1024 * 1024 + 64 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
}

/// Uploads a file (multipart: `file`, and `conversation_id` or `phone_number_id` to say for
/// which business number when there are several, or `purpose=canned_reply` for a canned
/// reply's attachment); 201 with its media id.
#[utoipa::path(post, path = "/api/v1/media", tag = "conversations",
    request_body(content_type = "multipart/form-data", description = "`file`, and `conversation_id` or `phone_number_id` (a business number Parley knows) when the account has several numbers, or `purpose=canned_reply`"),
    responses((status = 201, body = Upload), (status = 422, body = super::error::ErrorBody),
        (status = 413, description = "larger than 100 MB"), (status = 502, body = super::error::ErrorBody),
        (status = 503, description = "too many uploads at once; retry after `Retry-After` seconds"),
        (status = 507, body = super::error::ErrorBody, description = "the media storage quota is full")))]
pub(super) async fn upload(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Upload>), ApiError> {
    let svc = &app.services;
    let _slot = media::upload_slot(svc)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    let (mut file, mut target) = (None, UploadFor::OnlyNumber);
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let filename = field.file_name().map(str::to_owned);
                let declared = field.content_type().map(str::to_owned);
                let mut incoming = media::begin(svc, filename, declared).await?;
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    incoming.push(&chunk).await?;
                }
                file = Some(incoming.finish().await?);
            }
            Some("phone_number_id") => {
                let raw = field.text().await.map_err(unreadable)?;
                // Checked now, so that a wrong number fails before the file is uploaded.
                media::known_number(svc, raw.trim()).await?;
                target = UploadFor::Number(raw);
            }
            // A canned reply's file: sent from whichever number a conversation uses later
            // (uploaded again for that number when needed).
            Some("purpose") => {
                let raw = field.text().await.map_err(unreadable)?;
                if raw.trim() != "canned_reply" {
                    return Err(ApiError::Invalid(format!(
                        "purpose must be canned_reply, not {raw:?}"
                    )));
                }
                target = UploadFor::AnyNumber;
            }
            Some("conversation_id") => {
                let raw = field.text().await.map_err(unreadable)?;
                let id = raw.trim().parse::<i64>().map_err(|_| {
                    ApiError::Invalid(format!("conversation_id must be a number, not {raw:?}"))
                })?;
                target = UploadFor::Conversation(id);
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| ApiError::Invalid("the upload needs a `file` field".into()))?;
    let uploaded = media::upload(svc, &viewer, file, target).await?;
    Ok((StatusCode::CREATED, Json(views::upload(uploaded))))
}
