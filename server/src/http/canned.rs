//! Canned replies: the team's (admins change them) and each member's own.

use super::identity::RequireViewer;
use super::{ApiError, AppState, JsonBody};
use crate::service::canned;
use crate::views;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::collaboration::{CannedReplyDraft, CannedReplyView};
use parley_app::compose::Upload;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(attach))
}

/// The team's canned replies and the caller's own, by shortcut.
#[utoipa::path(get, path = "/api/v1/canned_replies", tag = "collaboration",
    responses((status = 200, body = Vec<CannedReplyView>), (status = 401, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<CannedReplyView>>, ApiError> {
    let replies = canned::list(&app.services, &viewer).await?;
    Ok(Json(replies.iter().map(views::canned_reply).collect()))
}

/// A new canned reply: `shortcut` (1 to 32 letters, digits, `-`, `_`), `title`, `body`
/// (placeholders `{{contact.name}}`, `{{contact.phone}}`, `{{agent.name}}`), optionally
/// `attachment_media_id` (from `POST /api/v1/media`). `shared: true` makes it the team's
/// (admins only); otherwise it is the caller's own.
#[utoipa::path(post, path = "/api/v1/canned_replies", tag = "collaboration",
    request_body = CannedReplyDraft,
    responses((status = 201, body = CannedReplyView), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(draft): JsonBody<CannedReplyDraft>,
) -> Result<(StatusCode, Json<CannedReplyView>), ApiError> {
    let reply = canned::create(&app.services, &viewer, draft).await?;
    Ok((StatusCode::CREATED, Json(views::canned_reply(&reply))))
}

/// Changes a canned reply: one's own, or (admins) the team's. `attachment_media_id: ""`
/// removes the file.
#[utoipa::path(patch, path = "/api/v1/canned_replies/{id}", tag = "collaboration",
    request_body = CannedReplyDraft,
    responses((status = 200, body = CannedReplyView), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(draft): JsonBody<CannedReplyDraft>,
) -> Result<Json<CannedReplyView>, ApiError> {
    let reply = canned::update(&app.services, &viewer, id, draft).await?;
    Ok(Json(views::canned_reply(&reply)))
}

#[utoipa::path(delete, path = "/api/v1/canned_replies/{id}", tag = "collaboration",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    canned::delete(&app.services, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AttachRequest {
    conversation_id: i64,
}

/// The reply's file, ready to send in this conversation: a media id for its business number
/// (the file is uploaded again when Meta no longer has it for that number).
#[utoipa::path(post, path = "/api/v1/canned_replies/{id}/attachment", tag = "collaboration",
    request_body = AttachRequest,
    responses((status = 200, body = Upload), (status = 404, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn attach(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<AttachRequest>,
) -> Result<Json<Upload>, ApiError> {
    let uploaded =
        canned::attachment_for(&app.services, &viewer, id, request.conversation_id).await?;
    Ok(Json(views::upload(uploaded)))
}
