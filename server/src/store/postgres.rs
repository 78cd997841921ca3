//! PostgreSQL, for teams running several Parley nodes against one database.

use super::portable::Dialect;
use super::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// How long a pooled connection may sit idle before it is checked again.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections for writes derived from the webhook journal (processing and its claims):
    /// they commit without waiting for the WAL flush (`synchronous_commit = off`). The WAL
    /// is ordered, so the next flushed commit makes them durable too; a power loss may drop
    /// the last of them, together with their marks in the journal, so those events are simply
    /// processed again.
    derived: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = Self::pool_options(16).connect_with(options.clone()).await?;
        let derived = Self::pool_options(4)
            .min_connections(0)
            .connect_lazy_with(options.options([("synchronous_commit", "off")]));
        Ok(PostgresStore { pool, derived })
    }

    fn pool_options(max_connections: u32) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // A connection in steady use is known to be alive; one that sat idle may have been
            // dropped (a server restart, a proxy's timeout) and is checked before it is handed
            // out. Checking every time would add a round trip to every query.
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

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/postgres")
            .run(&self.pool)
            .await?;
        crate::auth::session::migrate_postgres(&self.pool).await?;
        Ok(())
    }

    /// Writers need no turns: PostgreSQL locks rows, not the database.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }

    fn sessions(&self) -> crate::auth::session::DbSessionStore {
        crate::auth::session::DbSessionStore::postgres(self.pool.clone())
    }

    fn own_connections(&self, connections: u32) -> Self {
        let options = (*self.pool.connect_options()).clone();
        PostgresStore {
            // Opened now, in the background: not by the first event a browser waits for.
            pool: Self::pool_options(connections)
                .min_connections(connections)
                .connect_lazy_with(options),
            derived: self.derived.clone(),
        }
    }
}

impl Dialect for PostgresStore {
    const ILIKE: &'static str = "ILIKE";
    // Several nodes may claim work at once: each takes rows the others have not locked.
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    const NAME_ORDER: &'static str = "lower(name)";
    // A transaction-scoped lock held until commit: concurrent writers cannot interleave ids.
    const SERIALIZE_LIVE_EVENTS: &'static str = "SELECT pg_advisory_xact_lock(7220601)";
    // The subquery's row, and with it the lock, comes before the id default is evaluated.
    const LIVE_EVENT_ROW: &'static str =
        "SELECT $1, $2, $3, $4, $5 FROM (SELECT pg_advisory_xact_lock(7220601)) AS serialized";
    const SINGLE_NODE: bool = false;
    const BEGIN_READ_THEN_WRITE: &'static str = "BEGIN";
}

portable_store!(PostgresStore, sqlx::Postgres);
portable_template_store!(PostgresStore, sqlx::Postgres);
