//! PostgreSQL, for teams running several Parley nodes against one database.

use super::sessions::DbSessionStore;
use super::{Database, Store, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

// The SQL every domain shares, compiled for this engine (see the `store` module doc).
#[path = "sql/mod.rs"]
mod sql;

type Db = sqlx::Postgres;
type Engine = PostgresEngine;
type Tx<'a> = sqlx::Transaction<'a, Db>;

// Where PostgreSQL's SQL differs from SQLite's.
const ILIKE: &str = "ILIKE";
/// Whether the bytes of `body` contain the bytes bound as `$1`.
const BODY_CONTAINS: &str = "position($1 in body) > 0";
/// Several nodes may claim work at once: each takes rows the others have not locked.
const SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";
const NAME_ORDER: &str = "lower(name)";
/// A transaction-scoped lock on one wamid's statuses (its own key space, apart from the event
/// log's lock), held until commit.
const LOCK_STATUSES: &str = "SELECT pg_advisory_xact_lock(7220602, hashtext($1))";
/// The same for many wamids, listed after it as `VALUES (…), (…)) AS v(w)`.
const LOCK_STATUSES_OF: &str = "SELECT pg_advisory_xact_lock(7220602, hashtext(w)) FROM (";
const SINGLE_NODE: bool = false;
/// Locks the rows a read-then-write transaction decides on.
/// A group's history values as one comma-separated text.
const VALUE_LIST: &str = "string_agg(CAST(h.value AS TEXT), ',')";
const FOR_UPDATE: &str = "FOR UPDATE";
const BEGIN_READ_THEN_WRITE: &str = "BEGIN";
/// `c.id` among a subquery's ids: as an array, so they are looked up by primary key. PostgreSQL
/// plans a semi-join on a cached statement for an average label and scans the whole table.
const ID_AMONG: (&str, &str) = (" = ANY(ARRAY(", "))");

/// How long a pooled connection may sit idle before it is checked again.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(super) struct PostgresEngine {
    pool: PgPool,
    /// Connections for writes derived from the webhook journal (processing and its claims):
    /// they commit without waiting for the WAL flush (`synchronous_commit = off`). The WAL is
    /// ordered, so the next flushed commit makes them durable too; a power loss may drop the
    /// last of them, together with their marks in the journal, so those events are simply
    /// processed again.
    derived: PgPool,
    wakeups: Arc<super::Wakeups>,
}

pub(super) async fn connect(url: &str) -> StoreResult<Store> {
    let options = PgConnectOptions::from_str(url)?;
    // The inbox's queries read a page through an index: starting parallel workers costs more
    // (several ms on a small server) than the query, and the planner picks them for cached
    // statements that expect many rows.
    let pool = pool_options(16)
        .connect_with(
            options
                .clone()
                .options([("max_parallel_workers_per_gather", "0")]),
        )
        .await?;
    let derived = pool_options(4)
        .min_connections(0)
        .connect_lazy_with(options.options([("synchronous_commit", "off")]));
    Ok(PostgresEngine {
        pool,
        derived,
        wakeups: Arc::default(),
    }
    .store())
}

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        // While the database is down every caller waits this long for a connection before its
        // error: webhooks are refused (Meta retries them) well inside Meta's timeout.
        .acquire_timeout(Duration::from_secs(3))
        // A connection in steady use is known to be alive; one that sat idle may have been
        // dropped (a server restart, a proxy's timeout) and is checked before it is handed out.
        // Checking every time would add a round trip to every query.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_AFTER_IDLE {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

impl PostgresEngine {
    fn store(self) -> Store {
        let sessions = DbSessionStore::postgres(self.pool.clone());
        let wakeups = self.wakeups.clone();
        Store::from_engine(Arc::new(self), sessions, wakeups)
    }

    /// Writers need no turns: PostgreSQL locks rows, not the database.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }

    /// Tells this process's readers of the event log that a commit wrote events.
    fn announce(&self) {
        self.wakeups.announce();
    }
}

#[async_trait]
impl Database for PostgresEngine {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/postgres")
            .run(&self.pool)
            .await?;
        DbSessionStore::postgres(self.pool.clone())
            .migrate()
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Other nodes may hold claims: they run out instead.
    async fn release_orphaned_claims(&self) -> StoreResult<()> {
        Ok(())
    }

    fn with_own_connections(&self, connections: u32) -> Store {
        let options = (*self.pool.connect_options()).clone();
        PostgresEngine {
            // Opened now, in the background: not by the first event a browser waits for.
            pool: pool_options(connections)
                .min_connections(connections)
                .connect_lazy_with(options),
            derived: self.derived.clone(),
            wakeups: self.wakeups.clone(),
        }
        .store()
    }

    fn link_nodes(&self) {
        let options = (*self.pool.connect_options()).clone();
        super::postgres_link::spawn(self.pool.clone(), options, self.wakeups.clone());
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn has_one_writer(&self) -> bool {
        false
    }

    fn pools(&self) -> Vec<super::PoolUse> {
        vec![
            super::PoolUse::of("main", &self.pool),
            super::PoolUse::of("derived", &self.derived),
        ]
    }
}
