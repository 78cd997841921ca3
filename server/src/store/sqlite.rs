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
    /// Connections for writes derived from the webhook journal (processing and its claims):
    /// they commit without a flush (`synchronous = NORMAL`), which in WAL mode survives a
    /// process crash, and the next flushed commit on `pool` makes them durable too. A power
    /// loss may drop the last of them, together with their marks in the journal, so those
    /// events are simply processed again.
    derived: SqlitePool,
    /// SQLite has one writer. A connection that finds it taken sleeps in SQLite's busy handler
    /// (1, 2, 5 … 100 ms) and may lose the race again when it wakes: behind a processing
    /// backlog, acknowledgements then waited seconds. Writers in this process take turns here
    /// instead, first come first served, and so never meet a busy database.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // Only other processes (the `parley` admin commands) can still find the writer taken.
        Self::open(Self::options(url)?.busy_timeout(Duration::from_secs(10))).await
    }

    fn options(url: &str) -> StoreResult<SqliteConnectOptions> {
        Ok(SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a webhook acknowledged to Meta survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true))
    }

    async fn open(options: SqliteConnectOptions) -> StoreResult<Self> {
        // No liveness check when a connection is taken from the pool: a database file in this
        // process cannot hang up, and each check is a round trip to the connection's thread.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let derived = SqlitePoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .test_before_acquire(false)
            .connect_lazy_with(options.synchronous(SqliteSynchronous::Normal));
        Ok(SqliteStore {
            pool,
            derived,
            writer: Arc::default(),
        })
    }

    /// Waits for this process's turn to write; held until the write commits.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.writer.lock().await)
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/sqlite")
            .run(&self.pool)
            .await?;
        crate::auth::session::migrate_sqlite(&self.pool).await?;
        Ok(())
    }

    /// SQLite prepares in-process, cheaply: the shared pool serves every task alike.
    fn own_connections(&self, _connections: u32) -> Self {
        self.clone()
    }

    fn sessions(&self) -> crate::auth::session::DbSessionStore {
        crate::auth::session::DbSessionStore::sqlite(self.pool.clone(), self.writer.clone())
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
}

portable_store!(SqliteStore, sqlx::Sqlite);
portable_template_store!(SqliteStore, sqlx::Sqlite);

#[cfg(test)]
mod tests {
    use super::*;

    /// With no busy timeout, a write that found SQLite's writer taken would fail at once
    /// ("database is locked"): these all succeed only because writers take turns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_never_meet_a_busy_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("turns.sqlite").display());
        let store = SqliteStore::open(
            SqliteStore::options(&url)
                .unwrap()
                .busy_timeout(Duration::ZERO),
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    for round in 0..40 {
                        let body = format!("{{\"writer\":{writer},\"round\":{round}}}");
                        store
                            .append_webhooks(&[body.as_bytes()], Millis(round))
                            .await?;
                        let now = Millis::now();
                        store
                            .claim_webhooks(now, now.plus(Duration::from_secs(30)), 4)
                            .await?;
                        let limit = AttemptLimit {
                            window_ms: 60_000,
                            max_attempts: 1_000,
                            blocks_ms: vec![60_000],
                        };
                        store
                            .reserve_attempt(&format!("writer-{writer}"), &limit, now)
                            .await?;
                    }
                    StoreResult::Ok(())
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().expect("every write succeeds");
        }
        assert_eq!(store.webhook_backlog().await.unwrap(), 8 * 40);
    }
}
