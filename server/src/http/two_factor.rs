//! Two-factor sign-in: members set up and remove their authenticator app; admins decide who
//! must use one and reset a member's.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::two_factor;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::model::UserId;
use parley_app::team::{TwoFactorEnrolment, TwoFactorPolicy, TwoFactorStatus};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status, begin, disable))
        .routes(routes!(confirm))
        .routes(routes!(reset))
        .routes(routes!(policy, set_policy))
}

/// Whether the caller signs in with a second factor, how many recovery codes they have left,
/// and whether the workspace requires it of them.
#[utoipa::path(get, path = "/api/v1/me/two-factor", tag = "team",
    responses((status = 200, body = TwoFactorStatus), (status = 401, body = super::error::ErrorBody)))]
async fn status(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<TwoFactorStatus>, ApiError> {
    Ok(Json(two_factor::status(&app.services, &viewer).await?))
}

/// Starts setting up an authenticator app: a new secret as a QR code (SVG), an `otpauth://`
/// URI and text. Nothing changes at sign-in until a code confirms it.
#[utoipa::path(post, path = "/api/v1/me/two-factor", tag = "team",
    responses((status = 200, body = TwoFactorEnrolment), (status = 401, body = super::error::ErrorBody)))]
async fn begin(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<TwoFactorEnrolment>, ApiError> {
    Ok(Json(two_factor::begin(&app.services, &viewer).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Confirmation {
    /// The code the app shows now.
    code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RecoveryCodes {
    /// Ten one-time codes for signing in without the app: shown this once.
    recovery_codes: Vec<String>,
}

/// Confirms the app being set up with a code it shows: from now on signing in asks for a
/// code after the password. Answers ten recovery codes, the only time they are shown.
#[utoipa::path(post, path = "/api/v1/me/two-factor/confirm", tag = "team", request_body = Confirmation,
    responses((status = 200, body = RecoveryCodes), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn confirm(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    session: Session,
    JsonBody(confirmation): JsonBody<Confirmation>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = two_factor::confirm(&app.services, &viewer, &origin, &confirmation.code).await?;
    crate::auth::session::enrolled(&session).await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Removal {
    /// The caller's password.
    password: String,
}

/// Turns the caller's second factor off (their password is required); 409 when the
/// workspace requires it of them.
#[utoipa::path(delete, path = "/api/v1/me/two-factor", tag = "team", request_body = Removal,
    responses((status = 204, description = "removed"), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn disable(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(removal): JsonBody<Removal>,
) -> Result<StatusCode, ApiError> {
    two_factor::disable(&app.services, &viewer, &origin, &removal.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a member's second factor away (admins), e.g. when their phone is lost.
#[utoipa::path(post, path = "/api/v1/team/{id}/two-factor-reset", tag = "team",
    responses((status = 204, description = "reset"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn reset(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    two_factor::reset(&app.services, &viewer, &origin, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct PolicyBody {
    /// `optional`, `admins` or `everyone`.
    policy: TwoFactorPolicy,
}

/// Who must sign in with a second factor (admins).
#[utoipa::path(get, path = "/api/v1/settings/two-factor", tag = "team",
    responses((status = 200, body = PolicyBody), (status = 403, body = super::error::ErrorBody)))]
async fn policy(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<PolicyBody>, ApiError> {
    let policy = two_factor::policy(&app.services, &viewer).await?;
    Ok(Json(PolicyBody { policy }))
}

/// Requires a second factor of admins or of everyone, or leaves it to each member (admins).
/// Members it newly concerns must set one up at their next sign-in before anything else.
#[utoipa::path(put, path = "/api/v1/settings/two-factor", tag = "team", request_body = PolicyBody,
    responses((status = 200, body = PolicyBody), (status = 403, body = super::error::ErrorBody)))]
async fn set_policy(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(body): JsonBody<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    two_factor::set_policy(&app.services, &viewer, &origin, body.policy).await?;
    Ok(Json(body))
}
