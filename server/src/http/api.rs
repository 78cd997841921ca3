//! The REST API under `/api/v1`: session cookie or `Authorization: Bearer <token>`.

use super::identity::{RequireAdmin, RequireViewer};
use super::{ApiError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use parley_app::model::{TeamMember, Viewer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/team", get(team))
        .route("/api/v1/openapi.json", get(openapi))
}

/// This API, described as OpenAPI 3.1 (generated from the handlers and the shared types).
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        super::openapi::document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises"),
    )
}

/// The signed-in member (or the owner of the bearer token).
#[utoipa::path(get, path = "/api/v1/me", tag = "team",
    responses((status = 200, body = Viewer), (status = 401, body = super::error::ErrorBody)))]
pub(super) async fn me(RequireViewer(viewer): RequireViewer) -> Json<Viewer> {
    Json(viewer)
}

/// Every team member (admins only).
#[utoipa::path(get, path = "/api/v1/team", tag = "team",
    responses((status = 200, body = Vec<TeamMember>), (status = 403, body = super::error::ErrorBody)))]
pub(super) async fn team(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
) -> Result<Json<Vec<TeamMember>>, ApiError> {
    Ok(Json(app.team_members().await?))
}
