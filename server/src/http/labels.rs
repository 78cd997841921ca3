//! Labels: every member reads them; admins define them. Which labels a conversation carries
//! is changed with `PATCH /api/v1/conversations/{id}`.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::labels;
use crate::views;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::collaboration::{LabelDraft, LabelView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

/// Every label, by name.
#[utoipa::path(get, path = "/api/v1/labels", tag = "collaboration",
    responses((status = 200, body = Vec<LabelView>), (status = 401, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<LabelView>>, ApiError> {
    let found = labels::list(&app.services, &viewer).await?;
    Ok(Json(found.iter().map(views::label).collect()))
}

/// A new label (admins): `name` (1 to 40 characters, no commas, unique whatever its case),
/// `colour` (`#rrggbb`, default slate), `description`.
#[utoipa::path(post, path = "/api/v1/labels", tag = "collaboration", request_body = LabelDraft,
    responses((status = 201, body = LabelView), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<LabelDraft>,
) -> Result<(StatusCode, Json<LabelView>), ApiError> {
    let label = labels::create(&app.services, &viewer, &origin, draft).await?;
    Ok((StatusCode::CREATED, Json(views::label(&label))))
}

/// Renames, recolours or redescribes a label (admins); conversations keep it.
#[utoipa::path(patch, path = "/api/v1/labels/{id}", tag = "collaboration", request_body = LabelDraft,
    responses((status = 200, body = LabelView), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(draft): JsonBody<LabelDraft>,
) -> Result<Json<LabelView>, ApiError> {
    let label = labels::update(&app.services, &viewer, &origin, id, draft).await?;
    Ok(Json(views::label(&label)))
}

/// Deletes a label (admins) and takes it off every conversation.
#[utoipa::path(delete, path = "/api/v1/labels/{id}", tag = "collaboration",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    labels::delete(&app.services, &viewer, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
