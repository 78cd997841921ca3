//! Sign-in sessions: tower-sessions records in the application database (one sqlx store per
//! backend), plus the rules Parley adds on top: an absolute lifetime, an idle timeout that is
//! refreshed at most once a minute, and immediate end when a member is disabled.

use crate::store::{Millis, SharedStore, StoreResult};
use async_trait::async_trait;
use parley_app::model::UserId;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

pub const COOKIE_NAME: &str = "parley_session";
const USER_ID: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
const SEEN_AT: &str = "seen_at";
/// How stale `seen_at` may get before a request refreshes it (and with it the idle expiry).
const SEEN_REFRESH: Duration = Duration::from_secs(60);

/// The session store of whichever database Parley runs on.
#[derive(Clone, Debug)]
pub enum DbSessionStore {
    /// Writes wait for the application store's turn to write (see `crate::store::SqliteStore`).
    Sqlite(SqliteStore, Arc<tokio::sync::Mutex<()>>),
    Postgres(PostgresStore),
}

impl DbSessionStore {
    pub fn sqlite(pool: sqlx::SqlitePool, writer: Arc<tokio::sync::Mutex<()>>) -> Self {
        DbSessionStore::Sqlite(SqliteStore::new(pool), writer)
    }

    pub fn postgres(pool: sqlx::PgPool) -> Self {
        DbSessionStore::Postgres(PostgresStore::new(pool))
    }
}

pub async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> sqlx::Result<()> {
    SqliteStore::new(pool.clone()).migrate().await
}

pub async fn migrate_postgres(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    PostgresStore::new(pool.clone()).migrate().await
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s, writer) => {
                let _turn = writer.lock().await;
                s.create(record).await
            }
            DbSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s, writer) => {
                let _turn = writer.lock().await;
                s.save(record).await
            }
            DbSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            DbSessionStore::Sqlite(s, _) => s.load(id).await,
            DbSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s, writer) => {
                let _turn = writer.lock().await;
                s.delete(id).await
            }
            DbSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s, writer) => {
                let _turn = writer.lock().await;
                s.delete_expired().await
            }
            DbSessionStore::Postgres(s) => s.delete_expired().await,
        }
    }
}

pub fn layer(
    store: &SharedStore,
    config: &crate::config::SessionConfig,
) -> SessionManagerLayer<DbSessionStore> {
    let idle = time::Duration::try_from(config.idle_timeout).unwrap_or(time::Duration::hours(12));
    SessionManagerLayer::new(store.session_store())
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Removes expired session rows in the background.
pub fn spawn_expired_cleanup(store: &SharedStore) {
    let sessions = store.session_store();
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
pub async fn begin(session: &Session, user: UserId) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    let now = Millis::now().0;
    session.insert(USER_ID, user.0).await?;
    session.insert(SIGNED_IN_AT, now).await?;
    session.insert(SEEN_AT, now).await?;
    Ok(())
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

/// The member this session belongs to, if it is still valid; ends it if not.
pub async fn signed_in_user(
    session: &Session,
    store: &SharedStore,
    config: &crate::config::SessionConfig,
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
    let now = Millis::now();
    let user = store.user_by_id(UserId(user_id)).await?;
    let expired = Millis(signed_in_at).plus(config.absolute_timeout) <= now;
    match (user, session.id()) {
        (Some(user), Some(session_id)) if !user.disabled && !expired => {
            let mut last_seen = seen_at.unwrap_or(signed_in_at);
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
    absolute_timeout: Duration,
    now: Millis,
) -> StoreResult<Option<Millis>> {
    let record = match store.session_store().load(id).await {
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
    let active = store.user_by_id(user).await?.is_some_and(|u| !u.disabled);
    let until = valid_until(
        signed_in_at,
        Millis::from(record.expiry_date),
        absolute_timeout,
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
