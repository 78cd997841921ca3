//! The team: admins add and change members and hand out one-time set-password links; every
//! member reads and changes their own profile, password and API tokens.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::auth::password::NewPassword;
use crate::auth::{password_link, token};
use crate::domain::audit::AuditAction;
use crate::store::{ApiToken, NewPasswordLink, NewUser, User, UserChange};
use parley_app::model::{DisplayName, Email, Role, UserId, Viewer};
use parley_app::team::{LinkPurpose, MemberChange, MemberDraft, PasswordChange, ProfileChange};
use serde_json::json;

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

/// A link just made: the secret is in `path`, shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedLink {
    pub member: UserId,
    pub path: String,
    pub purpose: LinkPurpose,
    pub expires_at: crate::domain::Millis,
}

fn invalid(error: impl ToString) -> ServiceError {
    ServiceError::Invalid(error.to_string())
}

fn member_target(id: UserId) -> String {
    format!("member {id}")
}

/// Adds a member without a password (admins): they set one through the link answered here.
pub async fn add_member(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: MemberDraft,
) -> ServiceResult<(User, IssuedLink)> {
    require_admin(viewer)?;
    let user = NewUser {
        email: Email::parse(&draft.email).map_err(invalid)?,
        name: DisplayName::parse(&draft.name).map_err(invalid)?,
        role: draft.role.unwrap_or(Role::Agent),
        password_hash: None,
    };
    let user = svc.store.team.create_user(user, svc.now()).await?;
    let details = json!({"email": user.email.as_str(), "name": user.name.as_str(), "role": user.role.as_str()});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::MemberAdded,
        member_target(user.id),
        details,
    )
    .await;
    let link = issue_link(svc, Some(viewer), origin, &user, LinkPurpose::Invite).await?;
    Ok((user, link))
}

async fn issue_link(
    svc: &Services,
    by: Option<&Viewer>,
    origin: &Origin,
    user: &User,
    purpose: LinkPurpose,
) -> ServiceResult<IssuedLink> {
    let now = svc.now();
    let secret = password_link::mint();
    let link = NewPasswordLink {
        user: user.id,
        digest: secret.digest,
        purpose,
        created_by: by.map(|viewer| viewer.id),
        expires_at: now.plus(password_link::LIFETIME),
    };
    svc.store.team.create_password_link(&link, now).await?;
    let actor = by.map_or(Actor::CommandLine, Actor::Member);
    let details = json!({"purpose": purpose.as_str(), "expires_at": link.expires_at.0 / 1000});
    audit::record(
        svc,
        actor,
        origin,
        AuditAction::PasswordLinkCreated,
        member_target(user.id),
        details,
    )
    .await;
    Ok(IssuedLink {
        member: user.id,
        path: password_link::path(&secret.secret),
        purpose,
        expires_at: link.expires_at,
    })
}

/// A fresh one-time link for a member (admins; `None` for the command line). For a member
/// with a password it is a reset: the old password stops working and their sessions end now;
/// for one who never set a password (or whose earlier link lapsed) it is a new invitation.
pub async fn password_link(
    svc: &Services,
    by: Option<&Viewer>,
    origin: &Origin,
    id: UserId,
) -> ServiceResult<IssuedLink> {
    if let Some(viewer) = by {
        require_admin(viewer)?;
    }
    let user = svc
        .store
        .team
        .user_by_id(id)
        .await?
        .ok_or(ServiceError::NotFound("member"))?;
    if user.disabled {
        return Err(ServiceError::Conflict(
            "this member is disabled: enable them before giving them a password link".into(),
        ));
    }
    let credentials = svc.store.team.credentials_by_email(&user.email).await?;
    let purpose = match credentials.and_then(|c| c.password_hash) {
        Some(_) => LinkPurpose::Reset,
        None => LinkPurpose::Invite,
    };
    issue_link(svc, by, origin, &user, purpose).await
}

/// Renames a member, changes their role, disables or enables them (admins; `None` for the
/// command line). The last active admin can be neither demoted nor disabled.
pub async fn update_member(
    svc: &Services,
    by: Option<&Viewer>,
    origin: &Origin,
    id: UserId,
    change: MemberChange,
) -> ServiceResult<User> {
    if let Some(viewer) = by {
        require_admin(viewer)?;
    }
    let before = svc
        .store
        .team
        .user_by_id(id)
        .await?
        .ok_or(ServiceError::NotFound("member"))?;
    let change = UserChange {
        name: change
            .name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
            .map_err(invalid)?,
        role: change.role,
        disabled: change.disabled,
        notifications: None,
    };
    let after = svc.store.team.update_user(id, &change, svc.now()).await?;
    let target = member_target(id);
    let mut entries = Vec::new();
    if before.name != after.name {
        entries.push((
            AuditAction::MemberRenamed,
            json!({"from": before.name.as_str(), "to": after.name.as_str()}),
        ));
    }
    if before.role != after.role {
        entries.push((
            AuditAction::MemberRoleChanged,
            json!({"from": before.role.as_str(), "to": after.role.as_str()}),
        ));
    }
    match (before.disabled, after.disabled) {
        (false, true) => entries.push((
            AuditAction::MemberDisabled,
            json!({"email": after.email.as_str()}),
        )),
        (true, false) => entries.push((
            AuditAction::MemberEnabled,
            json!({"email": after.email.as_str()}),
        )),
        _ => {}
    }
    for (action, details) in entries {
        let actor = by.map_or(Actor::CommandLine, Actor::Member);
        audit::record(svc, actor, origin, action, target.clone(), details).await;
    }
    Ok(after)
}

/// The caller as stored (with their settings).
pub async fn me(svc: &Services, viewer: &Viewer) -> ServiceResult<User> {
    svc.store
        .team
        .user_by_id(viewer.id)
        .await?
        .ok_or(ServiceError::NotFound("member"))
}

/// The caller changes their own name or notification settings.
pub async fn update_me(
    svc: &Services,
    viewer: &Viewer,
    change: ProfileChange,
) -> ServiceResult<User> {
    let change = UserChange {
        name: change
            .name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
            .map_err(invalid)?,
        notifications: change.notifications,
        ..UserChange::default()
    };
    Ok(svc
        .store
        .team
        .update_user(viewer.id, &change, svc.now())
        .await?)
}

/// The caller changes their own password; the current one is required. Every session of
/// theirs ends, this one included: the adapter begins a fresh one for the caller.
pub async fn change_password(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    change: PasswordChange,
) -> ServiceResult<()> {
    let new = NewPassword::parse(&change.new_password).map_err(ServiceError::Invalid)?;
    let credentials = svc.store.team.credentials_by_email(&viewer.email).await?;
    let hash = credentials.and_then(|c| c.password_hash);
    let current_ok = svc
        .passwords
        .verify(&change.current_password, hash)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let target = member_target(viewer.id);
    if !current_ok {
        audit::record(
            svc,
            Actor::Member(viewer),
            origin,
            AuditAction::SignInFailed,
            target,
            json!({"while": "changing their password"}),
        )
        .await;
        return Err(ServiceError::Invalid(
            "the current password is wrong".into(),
        ));
    }
    let hash = svc
        .passwords
        .hash(new)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    svc.store
        .team
        .set_password(viewer.id, &hash, svc.now())
        .await?;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::PasswordChanged,
        target,
        json!({}),
    )
    .await;
    Ok(())
}

/// Whose the link is, while it still works (anyone holding it may ask).
pub async fn pending_link(
    svc: &Services,
    secret: &str,
) -> ServiceResult<crate::store::PendingPasswordLink> {
    let gone = ServiceError::NotFound("password link");
    if !password_link::looks_like_secret(secret) {
        return Err(gone);
    }
    let digest = token::digest(secret);
    svc.store
        .team
        .pending_password_link(&digest, svc.now())
        .await?
        .ok_or(gone)
}

/// Sets a member's password through their one-time link, which is then spent.
pub async fn redeem_link(
    svc: &Services,
    origin: &Origin,
    secret: &str,
    password: &str,
) -> ServiceResult<User> {
    let pending = pending_link(svc, secret).await?;
    let password = NewPassword::parse(password).map_err(ServiceError::Invalid)?;
    let hash = svc
        .passwords
        .hash(password)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let user = svc
        .store
        .team
        .redeem_password_link(&token::digest(secret), &hash, svc.now())
        .await?;
    let details = json!({"purpose": pending.purpose.as_str()});
    audit::record(
        svc,
        Actor::Anonymous(user.email.as_str()),
        origin,
        AuditAction::PasswordSet,
        member_target(user.id),
        details,
    )
    .await;
    Ok(user)
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
    origin: &Origin,
    name: &str,
    lifetime_days: Option<u32>,
) -> ServiceResult<(String, ApiToken)> {
    let name = token::parse_name(name).map_err(ServiceError::Invalid)?;
    let lifetime = token::lifetime(lifetime_days).map_err(ServiceError::Invalid)?;
    let (secret, token) =
        token::issue(&svc.store, viewer.id, name, Some(lifetime), svc.now()).await?;
    let details = json!({"name": token.name, "expires_at": token.expires_at.map(|at| at.0 / 1000)});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::TokenCreated,
        format!("token {}", token.id),
        details,
    )
    .await;
    Ok((secret, token))
}

/// Revokes one of the caller's tokens (not found when it is not theirs).
pub async fn revoke_token(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<ApiToken> {
    let token = svc
        .store
        .team
        .revoke_api_token(viewer.id, id, svc.now())
        .await?;
    let details = json!({"name": token.name});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::TokenRevoked,
        format!("token {id}"),
        details,
    )
    .await;
    Ok(token)
}
