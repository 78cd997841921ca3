//! Sign-in sessions: tower-sessions records in the application database (`store::sessions`),
//! plus the rules Parley adds on top: an absolute lifetime, an idle timeout (refreshed at most
//! once a minute, and checked against Parley's clock), and immediate end when a member is
//! disabled or their password changes (sessions begun before `sessions_valid_from` are over).

use crate::domain::Millis;
use crate::store::{DbSessionStore, SharedStore, StoreResult};
use parley_app::model::UserId;
use std::time::Duration;
use tower_sessions::session::Id;
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};

pub const COOKIE_NAME: &str = "parley_session";
const USER_ID: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
const SEEN_AT: &str = "seen_at";
/// How stale `seen_at` may get before a request refreshes it (and with it the idle expiry).
const SEEN_REFRESH: Duration = Duration::from_secs(60);

pub fn layer(
    store: &SharedStore,
    config: &crate::config::SessionConfig,
) -> SessionManagerLayer<DbSessionStore> {
    let idle = time::Duration::try_from(config.idle_timeout).unwrap_or(time::Duration::hours(12));
    SessionManagerLayer::new(store.sessions.clone())
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Removes expired session rows in the background.
pub fn spawn_expired_cleanup(store: &SharedStore) {
    let sessions: DbSessionStore = store.sessions.clone();
    tokio::spawn(async move {
        if let Err(error) = sessions
            .continuously_delete_expired(tokio::time::Duration::from_secs(600))
            .await
        {
            tracing::warn!(%error, "expired-session cleanup stopped");
        }
    });
}

/// Begins a signed-in session with a fresh id (defeats session fixation).
pub async fn begin(
    session: &Session,
    user: UserId,
    now: Millis,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    let now = now.0;
    for owed in [CODE_OWED_BY, CODE_OWED_SINCE, CODE_OWED_NEXT] {
        session.remove_value(owed).await?;
    }
    session.insert(USER_ID, user.0).await?;
    session.insert(SIGNED_IN_AT, now).await?;
    session.insert(SEEN_AT, now).await?;
    Ok(())
}

/// After a password change: the session making it (if it is `user`'s) begins again, so it
/// outlives the end of every session begun before the change.
pub async fn renew(
    session: &Session,
    user: UserId,
    now: Millis,
) -> Result<(), tower_sessions::session::Error> {
    if session.get::<i64>(USER_ID).await? == Some(user.0) {
        begin(session, user, now).await?;
    }
    Ok(())
}

const CODE_OWED_BY: &str = "code_owed_by";
const CODE_OWED_SINCE: &str = "code_owed_since";
const CODE_OWED_NEXT: &str = "code_owed_next";
const MUST_ENROL: &str = "must_enrol_second_factor";
/// How long the code page waits after the password.
const CODE_WAIT: Duration = Duration::from_secs(5 * 60);

/// After a right password, a member with two-factor sign-in owes a code: the session holds who
/// (not signed in yet) for a few minutes.
pub async fn owe_code(
    session: &Session,
    user: UserId,
    next: &str,
    now: Millis,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(CODE_OWED_BY, user.0).await?;
    session.insert(CODE_OWED_SINCE, now.0).await?;
    session.insert(CODE_OWED_NEXT, next).await?;
    Ok(())
}

/// Who owes a code on this session, and where sign-in was headed.
pub struct CodeOwed {
    pub user: UserId,
    pub next: String,
}

pub async fn code_owed(
    session: &Session,
    now: Millis,
) -> Result<Option<CodeOwed>, tower_sessions::session::Error> {
    let user: Option<i64> = session.get(CODE_OWED_BY).await?;
    let since: Option<i64> = session.get(CODE_OWED_SINCE).await?;
    let next: Option<String> = session.get(CODE_OWED_NEXT).await?;
    match (user, since) {
        (Some(user), Some(since)) if Millis(since).plus(CODE_WAIT) > now => Ok(Some(CodeOwed {
            user: UserId(user),
            next: next.unwrap_or_default(),
        })),
        _ => Ok(None),
    }
}

/// The workspace requires a second factor this member has not set up: until they do, this
/// session may only set it up.
pub async fn require_enrolment(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.insert(MUST_ENROL, true).await
}

pub async fn enrolment_required(session: &Session) -> bool {
    session
        .get::<bool>(MUST_ENROL)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The member set up their second factor: the session is a whole one again.
pub async fn enrolled(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.remove::<bool>(MUST_ENROL).await.map(|_| ())
}

pub async fn end(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await
}

/// A valid session's member, and until when the session holds unless it is used again.
pub struct SignedIn {
    pub user: crate::store::User,
    pub session_id: Id,
    pub valid_until: Millis,
}

/// Until when a session holds: its idle expiry, but never past its absolute lifetime.
fn valid_until(signed_in_at: i64, idle_expiry: Millis, absolute_timeout: Duration) -> Millis {
    Millis(signed_in_at).plus(absolute_timeout).min(idle_expiry)
}

/// The member this session belongs to, if it is still valid at `now`; ends it if not.
pub async fn signed_in_user(
    session: &Session,
    store: &SharedStore,
    config: &crate::config::SessionConfig,
    now: Millis,
) -> StoreResult<Option<SignedIn>> {
    let read = async {
        let user_id: Option<i64> = session.get(USER_ID).await?;
        let signed_in_at: Option<i64> = session.get(SIGNED_IN_AT).await?;
        let seen_at: Option<i64> = session.get(SEEN_AT).await?;
        Ok::<_, tower_sessions::session::Error>((user_id, signed_in_at, seen_at))
    };
    let (Some(user_id), Some(signed_in_at), seen_at) = read.await.unwrap_or_default() else {
        return Ok(None);
    };
    let user = store.team.user_by_id(UserId(user_id)).await?;
    let last_seen = seen_at.unwrap_or(signed_in_at);
    let expired = Millis(signed_in_at).plus(config.absolute_timeout) <= now
        || Millis(last_seen).plus(config.idle_timeout) <= now;
    match (user, session.id()) {
        (Some(user), Some(session_id))
            if !user.disabled && !expired && signed_in_at >= user.sessions_valid_from.0 =>
        {
            let mut last_seen = last_seen;
            if now.0 - last_seen >= SEEN_REFRESH.as_millis() as i64 {
                // Modifying the session re-saves it, which pushes the idle expiry forward.
                let _ = session.insert(SEEN_AT, now.0).await;
                last_seen = now.0;
            }
            let idle_expiry = Millis(last_seen).plus(config.idle_timeout);
            Ok(Some(SignedIn {
                user,
                session_id,
                valid_until: valid_until(signed_in_at, idle_expiry, config.absolute_timeout),
            }))
        }
        _ => {
            let _ = session.flush().await;
            Ok(None)
        }
    }
}

/// Whether the session `id` still holds for `user` (it may have been used, and so extended,
/// since it was last checked): until when, or `None` once it has ended, expired or its member
/// was disabled.
pub async fn standing(
    store: &SharedStore,
    id: &Id,
    user: UserId,
    config: &crate::config::SessionConfig,
    now: Millis,
) -> StoreResult<Option<Millis>> {
    let record = match store.sessions.load(id).await {
        Ok(Some(record)) => record,
        Ok(None) => return Ok(None),
        Err(error) => {
            // Unreadable is not the same as ended: keep the stream, look again shortly.
            tracing::warn!(%error, "cannot read a session");
            return Ok(Some(now.plus(Duration::from_secs(5))));
        }
    };
    let number = |key| record.data.get(key).and_then(serde_json::Value::as_i64);
    let (Some(owner), Some(signed_in_at)) = (number(USER_ID), number(SIGNED_IN_AT)) else {
        return Ok(None);
    };
    let last_seen = number(SEEN_AT).unwrap_or(signed_in_at);
    let active = store
        .team
        .user_by_id(user)
        .await?
        .is_some_and(|u| !u.disabled && signed_in_at >= u.sessions_valid_from.0);
    let until = valid_until(
        signed_in_at,
        Millis(last_seen).plus(config.idle_timeout),
        config.absolute_timeout,
    );
    Ok((owner == user.0 && active && until > now).then_some(until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_holds_until_idle_or_absolute_expiry_whichever_is_first() {
        let hour = Duration::from_secs(3600);
        // Signed in at 0, absolute lifetime 10 h: idle expiry at 5 h wins.
        assert_eq!(
            valid_until(0, Millis(5 * 3_600_000), 10 * hour),
            Millis(5 * 3_600_000)
        );
        // Idle expiry at 12 h is past the absolute lifetime.
        assert_eq!(
            valid_until(0, Millis(12 * 3_600_000), 10 * hour),
            Millis(10 * 3_600_000)
        );
    }
}
