//! The REST API for the team: who is signed in and their own settings, password and API
//! tokens; the team itself and one-time set-password links (admins).

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::team;
use crate::views;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::model::{ApiTokenInfo, TeamMember, UserId};
use parley_app::team::{
    AddedMember, Me, MemberChange, MemberDraft, PasswordChange, PasswordLink, ProfileChange,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(my_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(members, add_member))
        .routes(routes!(update_member))
        .routes(routes!(password_link))
}

/// The signed-in member (or the owner of the bearer token), with their settings.
#[utoipa::path(get, path = "/api/v1/me", tag = "team",
    responses((status = 200, body = Me), (status = 401, body = super::error::ErrorBody)))]
async fn me(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Me>, ApiError> {
    let user = team::me(&app.services, &viewer).await?;
    Ok(Json(views::me(&user)))
}

/// Changes the caller's own `name` or `notifications` (which kinds reach their bell).
#[utoipa::path(patch, path = "/api/v1/me", tag = "team", request_body = ProfileChange,
    responses((status = 200, body = Me), (status = 422, body = super::error::ErrorBody)))]
async fn update_me(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(change): JsonBody<ProfileChange>,
) -> Result<Json<Me>, ApiError> {
    let user = team::update_me(&app.services, &viewer, change).await?;
    Ok(Json(views::me(&user)))
}

/// Changes the caller's password (the current one is required, at least 8 characters for the
/// new). Every other session of theirs ends; a browser session making the change continues
/// under a fresh id.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "team", request_body = PasswordChange,
    responses((status = 204, description = "changed"), (status = 422, body = super::error::ErrorBody)))]
async fn change_password(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    session: Session,
    JsonBody(change): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let svc = &app.services;
    team::change_password(svc, &viewer, &origin, change).await?;
    super::sign_in::continue_session(&session, viewer.id, svc.now()).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// Adds a member (admins): `name`, `email`, `role` (`agent` unless said). They have no
/// password yet: hand them the one-time `password_link` answered here (it works once, for
/// 72 hours; Parley sends no mail).
#[utoipa::path(post, path = "/api/v1/team", tag = "team", request_body = MemberDraft,
    responses((status = 201, body = AddedMember), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn add_member(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<MemberDraft>,
) -> Result<(StatusCode, Json<AddedMember>), ApiError> {
    let (user, link) = team::add_member(&app.services, &viewer, &origin, draft).await?;
    let added = AddedMember {
        member: views::team_member(&user),
        password_link: views::password_link(&link),
    };
    Ok((StatusCode::CREATED, Json(added)))
}

/// Changes a member (admins): `name`, `role`, `disabled` (disabling ends their sessions,
/// tokens and event streams at once). The last active admin can be neither demoted nor
/// disabled: 409, with the reason.
#[utoipa::path(patch, path = "/api/v1/team/{id}", tag = "team", request_body = MemberChange,
    responses((status = 200, body = TeamMember), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
async fn update_member(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(change): JsonBody<MemberChange>,
) -> Result<Json<TeamMember>, ApiError> {
    let user =
        team::update_member(&app.services, Some(&viewer), &origin, UserId(id), change).await?;
    Ok(Json(views::team_member(&user)))
}

/// A new one-time set-password link for a member (admins). For a member with a password this
/// is a reset: their password stops working and their sessions end now. Earlier links of
/// theirs stop working.
#[utoipa::path(post, path = "/api/v1/team/{id}/password-link", tag = "team",
    responses((status = 201, body = PasswordLink), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
async fn password_link(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<PasswordLink>), ApiError> {
    let link = team::password_link(&app.services, Some(&viewer), &origin, UserId(id)).await?;
    Ok((StatusCode::CREATED, Json(views::password_link(&link))))
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
    ClientOrigin(origin): ClientOrigin,
    JsonBody(request): JsonBody<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let svc = &app.services;
    let (token, record) = team::create_token(
        svc,
        &viewer,
        &origin,
        &request.name,
        request.expires_in_days,
    )
    .await?;
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
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    let svc = &app.services;
    let revoked = team::revoke_token(svc, &viewer, &origin, id).await?;
    Ok(Json(views::api_token(&revoked, svc.now())))
}
