//! The REST API for the team: who is signed in, the team, and one's own API tokens.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::service::team;
use crate::views;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::model::{ApiTokenInfo, TeamMember, Viewer};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(my_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(members))
}

/// The signed-in member (or the owner of the bearer token).
#[utoipa::path(get, path = "/api/v1/me", tag = "team",
    responses((status = 200, body = Viewer), (status = 401, body = super::error::ErrorBody)))]
async fn me(RequireViewer(viewer): RequireViewer) -> Json<Viewer> {
    Json(viewer)
}

/// Every team member (admins only).
#[utoipa::path(get, path = "/api/v1/team", tag = "team",
    responses((status = 200, body = Vec<TeamMember>), (status = 403, body = super::error::ErrorBody)))]
async fn members(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<TeamMember>>, ApiError> {
    let users = team::members(&app.services, &viewer).await?;
    Ok(Json(users.iter().map(views::team_member).collect()))
}

/// The caller's personal API tokens, newest first (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "team",
    responses((status = 200, body = Vec<ApiTokenInfo>), (status = 401, body = super::error::ErrorBody)))]
async fn my_tokens(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    let now = app.services.now();
    let tokens = team::my_tokens(&app.services, &viewer).await?;
    Ok(Json(
        tokens.iter().map(|t| views::api_token(t, now)).collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewTokenRequest {
    /// What the token is for.
    name: String,
    /// Days until it stops working, 1 to 3650 (default 90).
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CreatedToken {
    /// The token: shown this once, stored only as a digest.
    token: String,
    #[serde(flatten)]
    info: ApiTokenInfo,
}

/// Creates a personal API token for the caller; the answer is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "team", request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 422, body = super::error::ErrorBody)))]
async fn create_token(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Json(request): Json<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let svc = &app.services;
    let (token, record) =
        team::create_token(svc, &viewer, &request.name, request.expires_in_days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            info: views::api_token(&record, svc.now()),
        }),
    ))
}

/// Revokes one of the caller's tokens: it stops working at once (open event streams too).
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "team",
    responses((status = 200, body = ApiTokenInfo), (status = 404, body = super::error::ErrorBody)))]
async fn revoke_token(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    let svc = &app.services;
    let revoked = team::revoke_token(svc, &viewer, id).await?;
    Ok(Json(views::api_token(&revoked, svc.now())))
}
