//! The embedded default: one SQLite file in WAL mode.

use super::portable::Dialect;
use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a webhook acknowledged to Meta survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/sqlite")
            .run(&self.pool)
            .await?;
        crate::auth::session::migrate_sqlite(&self.pool).await?;
        Ok(())
    }

    fn sessions(&self) -> crate::auth::session::DbSessionStore {
        crate::auth::session::DbSessionStore::sqlite(self.pool.clone())
    }
}

impl Dialect for SqliteStore {
    // SQLite's LIKE already ignores ASCII case.
    const ILIKE: &'static str = "LIKE";
    // SQLite has one writer at a time: claiming needs no row locks.
    const SKIP_LOCKED: &'static str = "";
    const NAME_ORDER: &'static str = "name COLLATE NOCASE";
    // One writer at a time already commits events in id order.
    const SERIALIZE_LIVE_EVENTS: &'static str = "";
    const SINGLE_NODE: bool = true;
    const BEGIN_READ_THEN_WRITE: &'static str = "BEGIN IMMEDIATE";
}

portable_store!(SqliteStore, sqlx::Sqlite);
portable_template_store!(SqliteStore, sqlx::Sqlite);
