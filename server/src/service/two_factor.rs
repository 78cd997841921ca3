//! Two-factor sign-in: members set up an authenticator app (a QR code, confirmed with a code)
//! and get ten recovery codes, shown once; they turn it off with their password unless the
//! workspace requires it; admins require it of admins or everyone, and reset a member's
//! second factor when their phone is lost.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::auth::{recovery, totp};
use crate::domain::audit::AuditAction;
use crate::store::User;
use parley_app::model::{UserId, Viewer};
use parley_app::team::{TwoFactorEnrolment, TwoFactorPolicy, TwoFactorStatus};
use serde_json::json;

fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(error.to_string())
}

/// Whether this member must set up a second factor before doing anything else.
pub async fn must_enrol(svc: &Services, user: &User) -> ServiceResult<bool> {
    let policy = svc.store.second_factor.policy().await?;
    if !policy.requires(user.role) {
        return Ok(false);
    }
    Ok(svc.store.second_factor.get(user.id).await?.secret.is_none())
}

pub async fn status(svc: &Services, viewer: &Viewer) -> ServiceResult<TwoFactorStatus> {
    let factor = svc.store.second_factor.get(viewer.id).await?;
    let policy = svc.store.second_factor.policy().await?;
    Ok(TwoFactorStatus {
        enabled: factor.secret.is_some(),
        recovery_codes_left: factor.recovery_codes_left,
        required: policy.requires(viewer.role),
    })
}

/// Starts setting up an authenticator app: a fresh secret, as a QR code and as text. Until it
/// is confirmed, sign-in is unchanged (an enabled factor stays on while another is set up).
pub async fn begin(svc: &Services, viewer: &Viewer) -> ServiceResult<TwoFactorEnrolment> {
    let secret = totp::TotpSecret::generate();
    svc.store
        .second_factor
        .begin(viewer.id, secret.as_base32())
        .await?;
    let uri = secret.uri(viewer.email.as_str());
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(TwoFactorEnrolment {
        secret: secret.as_base32().to_owned(),
        uri,
        qr_svg,
    })
}

/// Confirms the app with a code it shows: two-factor sign-in is on. Answers ten recovery
/// codes, shown this once (earlier ones stop working).
pub async fn confirm(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    code: &str,
) -> ServiceResult<Vec<String>> {
    let factor = svc.store.second_factor.get(viewer.id).await?;
    let pending = factor
        .pending
        .as_deref()
        .and_then(totp::TotpSecret::from_base32)
        .ok_or_else(|| {
            ServiceError::Conflict("start setting up two-factor sign-in first".into())
        })?;
    let step = pending
        .verify(code, svc.now().0.div_euclid(1000), None)
        .ok_or_else(|| {
            ServiceError::Invalid(
                "that code does not match: check the phone's clock and type the newest code".into(),
            )
        })?;
    let codes = recovery::generate();
    let digests: Vec<String> = codes.iter().map(|c| recovery::digest(c)).collect();
    svc.store
        .second_factor
        .confirm(viewer.id, step, &digests, svc.now())
        .await?;
    let target = format!("member {}", viewer.id);
    let action = AuditAction::TwoFactorEnrolled;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target,
        json!({}),
    )
    .await;
    Ok(codes)
}

/// Turns the caller's second factor off; their password is required, and a workspace that
/// requires a second factor of them refuses.
pub async fn disable(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    password: &str,
) -> ServiceResult<()> {
    let credentials = svc.store.team.credentials_by_email(&viewer.email).await?;
    let hash = credentials.and_then(|c| c.password_hash);
    let password_ok = svc
        .passwords
        .verify(password, hash)
        .await
        .map_err(internal)?;
    if !password_ok {
        return Err(ServiceError::Invalid("the password is wrong".into()));
    }
    if svc
        .store
        .second_factor
        .policy()
        .await?
        .requires(viewer.role)
    {
        return Err(ServiceError::Conflict(
            "your workspace requires two-factor sign-in: set up a new app instead".into(),
        ));
    }
    svc.store.second_factor.remove(viewer.id, svc.now()).await?;
    let target = format!("member {}", viewer.id);
    let action = AuditAction::TwoFactorRemoved;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target,
        json!({}),
    )
    .await;
    Ok(())
}

/// Takes a member's second factor away (admins), e.g. when their phone is lost: they sign in
/// with their password and, if the workspace requires it, set up a new one at once.
pub async fn reset(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    member: UserId,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    svc.store.second_factor.remove(member, svc.now()).await?;
    let target = format!("member {member}");
    let action = AuditAction::TwoFactorReset;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target,
        json!({}),
    )
    .await;
    Ok(())
}

pub async fn policy(svc: &Services, viewer: &Viewer) -> ServiceResult<TwoFactorPolicy> {
    require_admin(viewer)?;
    Ok(svc.store.second_factor.policy().await?)
}

/// Who must sign in with a second factor (admins). Members it newly concerns are asked to set
/// one up at their next sign-in.
pub async fn set_policy(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    policy: TwoFactorPolicy,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let before = svc.store.second_factor.policy().await?;
    svc.store
        .second_factor
        .set_policy(policy, svc.now())
        .await?;
    let details = json!({"from": before.as_str(), "to": policy.as_str()});
    let action = AuditAction::TwoFactorPolicyChanged;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        "workspace".into(),
        details,
    )
    .await;
    Ok(())
}
