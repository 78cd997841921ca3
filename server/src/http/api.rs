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
}

async fn me(RequireViewer(viewer): RequireViewer) -> Json<Viewer> {
    Json(viewer)
}

async fn team(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
) -> Result<Json<Vec<TeamMember>>, ApiError> {
    Ok(Json(app.team_members().await?))
}
