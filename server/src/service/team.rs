//! The team: who is on it, and members' own API tokens.

use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::auth::token;
use crate::store::{ApiToken, User};
use parley_app::model::Viewer;

/// Everyone on the team, by name (admins).
pub async fn members(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<User>> {
    require_admin(viewer)?;
    Ok(svc.store.team.list_users().await?)
}

/// The active members a conversation can be assigned to (anyone may ask; the adapters show
/// no more than names).
pub async fn assignable(svc: &Services, _viewer: &Viewer) -> ServiceResult<Vec<User>> {
    let users = svc.store.team.list_users().await?;
    Ok(users.into_iter().filter(|u| !u.disabled).collect())
}

/// The caller's own tokens, newest first.
pub async fn my_tokens(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<ApiToken>> {
    Ok(svc.store.team.api_tokens_of(viewer.id).await?)
}

/// Creates a token for the caller: `name` says what it is for, `lifetime_days` 1 to 3,650
/// (default 90). Answers the token, shown this once, and its record.
pub async fn create_token(
    svc: &Services,
    viewer: &Viewer,
    name: &str,
    lifetime_days: Option<u32>,
) -> ServiceResult<(String, ApiToken)> {
    let name = token::parse_name(name).map_err(ServiceError::Invalid)?;
    let lifetime = token::lifetime(lifetime_days).map_err(ServiceError::Invalid)?;
    Ok(token::issue(&svc.store, viewer.id, name, Some(lifetime), svc.now()).await?)
}

/// Revokes one of the caller's tokens (not found when it is not theirs).
pub async fn revoke_token(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<ApiToken> {
    Ok(svc
        .store
        .team
        .revoke_api_token(viewer.id, id, svc.now())
        .await?)
}
