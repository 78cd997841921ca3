//! The REST API under `/api/v1`: session cookie or `Authorization: Bearer <token>`.

use super::identity::{RequireAdmin, RequireViewer};
use super::{ApiError, AppState};
use crate::auth::token;
use crate::store::Millis;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use parley_app::model::{ApiTokenInfo, TeamMember, Viewer};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/tokens", get(my_tokens).post(create_token))
        .route("/api/v1/me/tokens/{id}", delete(revoke_token))
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

/// The caller's personal API tokens, newest first (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "team",
    responses((status = 200, body = Vec<ApiTokenInfo>), (status = 401, body = super::error::ErrorBody)))]
pub(super) async fn my_tokens(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    let now = Millis::now();
    let tokens = app.store.api_tokens_of(viewer.id).await?;
    Ok(Json(tokens.iter().map(|t| token::info(t, now)).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct NewTokenRequest {
    /// What the token is for.
    name: String,
    /// Days until it stops working, 1 to 3650 (default 90).
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CreatedToken {
    /// The token: shown this once, stored only as a digest.
    token: String,
    #[serde(flatten)]
    info: ApiTokenInfo,
}

/// Creates a personal API token for the caller; the answer is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "team", request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn create_token(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Json(request): Json<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = token::parse_name(&request.name).map_err(ApiError::Invalid)?;
    let lifetime = token::lifetime(request.expires_in_days).map_err(ApiError::Invalid)?;
    let now = Millis::now();
    let (minted, record) = token::issue(&app.store, viewer.id, name, Some(lifetime), now).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: minted,
            info: token::info(&record, now),
        }),
    ))
}

/// Revokes one of the caller's tokens: it stops working at once (open event streams too).
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "team",
    responses((status = 200, body = ApiTokenInfo), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn revoke_token(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    let now = Millis::now();
    let revoked = app.store.revoke_api_token(viewer.id, id, now).await?;
    Ok(Json(token::info(&revoked, now)))
}
