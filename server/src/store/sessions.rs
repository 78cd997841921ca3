//! Sign-in session records: tower-sessions' sqlx stores, one per engine, in Parley's database.
//! On SQLite their writes take the same turn as every other writer in the process. The rules
//! on top (lifetimes, idle expiry, disabled members) are `auth::session`'s.

use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session store of whichever database Parley runs on.
#[derive(Clone, Debug)]
pub enum DbSessionStore {
    /// Writes wait for the application store's turn to write (see `store::sqlite`).
    Sqlite(SqliteStore, Arc<tokio::sync::Mutex<()>>),
    Postgres(PostgresStore),
}

impl DbSessionStore {
    pub(super) fn sqlite(pool: sqlx::SqlitePool, writer: Arc<tokio::sync::Mutex<()>>) -> Self {
        DbSessionStore::Sqlite(SqliteStore::new(pool), writer)
    }

    pub(super) fn postgres(pool: sqlx::PgPool) -> Self {
        DbSessionStore::Postgres(PostgresStore::new(pool))
    }

    /// Creates the session table if it is missing.
    pub(super) async fn migrate(&self) -> sqlx::Result<()> {
        match self {
            DbSessionStore::Sqlite(s, _) => s.migrate().await,
            DbSessionStore::Postgres(s) => s.migrate().await,
        }
    }
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
