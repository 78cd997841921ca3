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
    /// Connections for writes derived from the webhook journal: they commit without a flush
    /// (`synchronous = NORMAL`), which in WAL mode survives a process crash, and the next
    /// flushed commit on `pool` makes them durable too (see `Dialect::RELAXED_COMMIT`).
    derived: SqlitePool,
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
            .connect_with(options.clone())
            .await?;
        let derived = SqlitePoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .connect_lazy_with(options.synchronous(SqliteSynchronous::Normal));
        Ok(SqliteStore { pool, derived })
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
    const LIVE_EVENT_ROW: &'static str = "VALUES ($1, $2, $3, $4, $5)";
    const SINGLE_NODE: bool = true;
    const BEGIN_READ_THEN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const RELAXED_COMMIT: &'static str = "";
}

portable_store!(SqliteStore, sqlx::Sqlite);
portable_template_store!(SqliteStore, sqlx::Sqlite);
