//! Working a conversation together: internal notes, one's notifications, and presence.

use super::identity::RequireViewer;
use super::{ApiError, AppState, JsonBody};
use crate::service::{notes, notifications, presence};
use crate::views;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use parley_app::collaboration::{Activity, NoteDraft, NoteView, NotificationList, PresenceView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, add_note))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(who_is_here, set_presence))
}

/// A conversation's internal notes, oldest first (its newest 500).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/notes", tag = "collaboration",
    responses((status = 200, body = Vec<NoteView>), (status = 404, body = super::error::ErrorBody)))]
async fn list_notes(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<Vec<NoteView>>, ApiError> {
    let found = notes::list(&app.services, &viewer, id).await?;
    Ok(Json(found.iter().map(views::note).collect()))
}

/// Writes an internal note: shown to the team in the thread, never sent to the customer.
/// `@Name` in the body mentions that member (the longest matching name); `mentions` adds
/// members by id. Each mentioned member is notified.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "collaboration",
    request_body = NoteDraft,
    responses((status = 201, body = NoteView), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn add_note(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(draft): JsonBody<NoteDraft>,
) -> Result<(StatusCode, Json<NoteView>), ApiError> {
    let note = notes::add(&app.services, &viewer, id, draft).await?;
    Ok((StatusCode::CREATED, Json(views::note(&note))))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NotificationParams {
    /// How many, 1 to 200 (default 50).
    limit: Option<i64>,
}

/// The caller's notifications, newest first, and how many are unread.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "collaboration",
    params(NotificationParams),
    responses((status = 200, body = NotificationList), (status = 401, body = super::error::ErrorBody)))]
async fn list_notifications(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<NotificationParams>,
) -> Result<Json<NotificationList>, ApiError> {
    let limit = params.limit.unwrap_or(notifications::DEFAULT_LIMIT);
    let page = notifications::list(&app.services, &viewer, limit).await?;
    Ok(Json(views::notification_list(&page)))
}

/// Which notifications to mark read.
#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ReadNotifications {
    /// These (the caller's own); all of the caller's when absent.
    #[serde(default)]
    ids: Option<Vec<i64>>,
}

/// Marks the caller's notifications read (these, or all).
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "collaboration",
    request_body(content = Option<ReadNotifications>),
    responses((status = 204, description = "marked read"), (status = 401, body = super::error::ErrorBody)))]
async fn read_notifications(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let request: ReadNotifications = if body.is_empty() {
        ReadNotifications::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Invalid(e.to_string()))?
    };
    notifications::mark_read(&app.services, &viewer, request.ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is in the conversation now, and what they are doing.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/presence", tag = "collaboration",
    responses((status = 200, body = Vec<PresenceView>), (status = 404, body = super::error::ErrorBody)))]
async fn who_is_here(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PresenceView>>, ApiError> {
    let here = presence::in_conversation(&app.services, &viewer, id).await?;
    Ok(Json(here.iter().map(views::presence).collect()))
}

/// What the caller is doing in the conversation.
#[derive(Deserialize, utoipa::ToSchema)]
struct PresenceUpdate {
    /// `viewing` (lasts 45 s: renew every 20 s), `replying` or `noting` (typing; lasts 8 s),
    /// or `null` to leave.
    activity: Option<Activity>,
}

/// Tells the others the caller is in the conversation (or typing, or gone).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/presence", tag = "collaboration",
    request_body = PresenceUpdate,
    responses((status = 204, description = "recorded"), (status = 404, body = super::error::ErrorBody)))]
async fn set_presence(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(update): JsonBody<PresenceUpdate>,
) -> Result<StatusCode, ApiError> {
    presence::set(&app.services, &viewer, id, update.activity).await?;
    Ok(StatusCode::NO_CONTENT)
}
