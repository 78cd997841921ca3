//! The embedded default: one SQLite file in WAL mode.

use super::sessions::DbSessionStore;
use super::{Database, Store, StoreResult};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

// The SQL every domain shares, compiled for this engine (see the `store` module doc).
#[path = "sql/mod.rs"]
mod sql;

type Db = sqlx::Sqlite;
type Engine = SqliteEngine;
type Tx<'a> = sqlx::Transaction<'a, Db>;

// Where SQLite's SQL differs from PostgreSQL's.
/// Case-insensitive pattern match (SQLite's LIKE already ignores ASCII case).
const ILIKE: &str = "LIKE";
/// Whether the bytes of `body` contain the bytes bound as `$1`.
const BODY_CONTAINS: &str = "instr(body, $1) > 0";
/// Row locking for claiming work: none needed, SQLite has one writer at a time.
const SKIP_LOCKED: &str = "";
/// Case-insensitive ordering of names.
const NAME_ORDER: &str = "name COLLATE NOCASE";
/// `c.id` among a subquery's ids.
const ID_AMONG: (&str, &str) = (" IN (", ")");
/// Nothing to take: one writer at a time already commits events in id order.
const LOCK_STATUSES: &str = "";
const LOCK_STATUSES_OF: &str = "";
/// This process is the only one working on the database.
const SINGLE_NODE: bool = true;
/// Row locks: none needed, SQLite has one writer at a time.
/// A group's history values as one comma-separated text.
const VALUE_LIST: &str = "group_concat(h.value)";
const FOR_UPDATE: &str = "";
/// A transaction that reads before it writes must take the write lock up front: a read
/// transaction cannot become a writer once another writer has committed.
const BEGIN_READ_THEN_WRITE: &str = "BEGIN IMMEDIATE";

#[derive(Clone)]
pub(super) struct SqliteEngine {
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
    wakeups: Arc<super::Wakeups>,
}

/// Opens (creating if missing) the SQLite file at `url`.
pub(super) async fn connect(url: &str) -> StoreResult<Store> {
    // Only other processes (the `parley` admin commands) can still find the writer taken.
    let engine = SqliteEngine::open(options(url)?.busy_timeout(Duration::from_secs(10))).await?;
    Ok(engine.store())
}

fn options(url: &str) -> StoreResult<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a webhook acknowledged to Meta survives power loss, not only a crash.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true))
}

impl SqliteEngine {
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
        Ok(SqliteEngine {
            pool,
            derived,
            writer: Arc::default(),
            wakeups: Arc::default(),
        })
    }

    fn store(self) -> Store {
        let sessions = DbSessionStore::sqlite(self.pool.clone(), self.writer.clone());
        let wakeups = self.wakeups.clone();
        Store::from_engine(Arc::new(self), sessions, wakeups)
    }

    /// Waits for this process's turn to write; held until the write commits.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.writer.lock().await)
    }

    /// Tells this process's readers of the event log that a commit wrote events.
    fn announce(&self) {
        self.wakeups.announce();
    }
}

#[async_trait]
impl Database for SqliteEngine {
    async fn migrate(&self) -> StoreResult<()> {
        // Foreign keys off, as SQLite asks for while a table is rebuilt (sqlx runs each
        // migration in a transaction, where the pragma cannot change).
        let options = (*self.pool.connect_options()).clone().foreign_keys(false);
        let migrating = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite")
            .run(&migrating)
            .await?;
        migrating.close().await;
        DbSessionStore::sqlite(self.pool.clone(), self.writer.clone())
            .migrate()
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn release_orphaned_claims(&self) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE webhook_events SET lease_until = NULL
             WHERE processed_at IS NULL AND last_error IS NULL",
        )
        .execute(&self.pool)
        .await?;
        // Sends in flight when the process died go out again now, not after the lease.
        sqlx::query("UPDATE outbox SET lease_until = NULL WHERE state = 'pending'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// SQLite prepares in-process, cheaply: the shared pool serves every task alike.
    fn with_own_connections(&self, _connections: u32) -> Store {
        self.clone().store()
    }

    /// One file, one node: every commit's news is already heard here.
    fn link_nodes(&self) {}

    fn is_shared(&self) -> bool {
        false
    }

    fn has_one_writer(&self) -> bool {
        true
    }

    fn pools(&self) -> Vec<super::PoolUse> {
        vec![
            super::PoolUse::of("main", &self.pool),
            super::PoolUse::of("derived", &self.derived),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Millis;
    use crate::store::AttemptLimit;

    /// With no busy timeout, a write that found SQLite's writer taken would fail at once
    /// ("database is locked"): these all succeed only because writers take turns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_never_meet_a_busy_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("turns.sqlite").display());
        let store = SqliteEngine::open(options(&url).unwrap().busy_timeout(Duration::ZERO))
            .await
            .unwrap()
            .store();
        store.migrate().await.unwrap();
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    for round in 0..40 {
                        let body = format!("{{\"writer\":{writer},\"round\":{round}}}");
                        store
                            .journal
                            .append(&[body.as_bytes()], Millis(round))
                            .await?;
                        let now = Millis::now();
                        store
                            .journal
                            .claim(now, now.plus(Duration::from_secs(30)), 4)
                            .await?;
                        let limit = AttemptLimit {
                            window_ms: 60_000,
                            max_attempts: 1_000,
                            blocks_ms: vec![60_000],
                        };
                        store
                            .team
                            .reserve_attempt(&format!("writer-{writer}"), &limit, now)
                            .await?;
                    }
                    crate::store::StoreResult::Ok(())
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().expect("every write succeeds");
        }
        assert_eq!(store.journal.backlog().await.unwrap(), 8 * 40);
    }
}
