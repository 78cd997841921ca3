//! Segments: saved contact filters, their counts, and the contacts in them.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::{contacts, segments};
use crate::views;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use parley_app::contacts::{ContactPage, SegmentDraft, SegmentView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, update, delete))
        .routes(routes!(segment_contacts))
}

/// Saved segments, by name, each with its count now.
#[utoipa::path(get, path = "/api/v1/segments", tag = "contacts",
    responses((status = 200, body = Vec<SegmentView>)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<SegmentView>>, ApiError> {
    let found = segments::list(&app.services, &viewer).await?;
    Ok(Json(found.iter().map(views::segment).collect()))
}

/// Saves a segment (admins): `{"name", "filter": {"labels": [...], "conditions": [{"attribute",
/// "op": "equals|contains|before|after|is_empty|is_set", "value"}], "last_message_after",
/// "last_message_before" (unix seconds), "open_conversation": true|false, "phone_number_id"}}`.
/// 422 names a condition that does not fit its attribute.
#[utoipa::path(post, path = "/api/v1/segments", tag = "contacts", request_body = SegmentDraft,
    responses((status = 201, body = SegmentView), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<SegmentDraft>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let saved = segments::save(&app.services, &viewer, &origin, None, draft).await?;
    Ok((StatusCode::CREATED, Json(views::segment(&saved))))
}

/// A segment with its count now.
#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "contacts",
    responses((status = 200, body = SegmentView), (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<SegmentView>, ApiError> {
    let found = segments::get(&app.services, &viewer, id).await?;
    Ok(Json(views::segment(&found)))
}

/// Renames a segment or replaces its filter (admins).
#[utoipa::path(patch, path = "/api/v1/segments/{id}", tag = "contacts", request_body = SegmentDraft,
    responses((status = 200, body = SegmentView), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(draft): JsonBody<SegmentDraft>,
) -> Result<Json<SegmentView>, ApiError> {
    let saved = segments::save(&app.services, &viewer, &origin, Some(id), draft).await?;
    Ok(Json(views::segment(&saved)))
}

/// Deletes a segment (admins); its contacts stay.
#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "contacts",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    segments::delete(&app.services, &viewer, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The contacts in a segment now, newest first, a page at a time (`cursor`, `limit`).
#[utoipa::path(get, path = "/api/v1/segments/{id}/contacts", tag = "contacts",
    params(("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "1 to 200, default 50")),
    responses((status = 200, body = ContactPage), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn segment_contacts(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<ContactPage>, ApiError> {
    let mut filter = super::contacts::filter(pairs)?;
    filter.segment_id = Some(id);
    let found = contacts::list(&app.services, &viewer, filter).await?;
    Ok(Json(super::contacts::page(&found)))
}
