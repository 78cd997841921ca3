//! The data layer: one domain-level [`Store`] contract, implemented for SQLite and PostgreSQL.
//! All SQL lives under this module; the rest of Parley speaks in domain types.
//!
//! Timestamps are stored as integer milliseconds since the Unix epoch in both backends: the
//! same exact value on either engine, and cheap keyset comparisons.

mod postgres;
mod sqlite;

use crate::config::DatabaseUrl;
use async_trait::async_trait;
use parley_app::model::{DisplayName, Email, Role, UserId};
use std::sync::Arc;
use time::OffsetDateTime;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Millis {
    pub fn now() -> Self {
        Millis::from(OffsetDateTime::now_utc())
    }

    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }

    pub fn plus(self, duration: std::time::Duration) -> Self {
        Millis(
            self.0
                .saturating_add(duration.as_millis().min(i64::MAX as u128) as i64),
        )
    }
}

impl From<OffsetDateTime> for Millis {
    fn from(t: OffsetDateTime) -> Self {
        Millis((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

/// A team member as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Millis,
}

/// A team member with the password hash, for sign-in only.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

pub struct NewUser {
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    /// A PHC-format argon2id hash.
    pub password_hash: String,
}

/// Failed sign-ins recorded under one key (an account or a client address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRecord {
    pub failures: u32,
    pub window_started_at: Millis,
    pub blocked_until: Option<Millis>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything Parley stores, in domain terms. Both backends pass the same contract tests
/// (`server/tests/store_contract.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database is reachable.
    async fn ping(&self) -> StoreResult<()>;
    /// The session store for sign-in cookies, on the same database.
    fn session_store(&self) -> crate::auth::session::DbSessionStore;

    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    /// Every team member, by name.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_user_disabled(&self, email: &Email, disabled: bool) -> StoreResult<User>;

    /// Stores the SHA-256 digest of a new personal API token.
    async fn create_api_token(
        &self,
        user: UserId,
        token_digest: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// The active member owning a token digest; records its use.
    async fn user_by_api_token(&self, token_digest: &str, now: Millis)
    -> StoreResult<Option<User>>;

    async fn throttle_record(&self, key: &str) -> StoreResult<Option<ThrottleRecord>>;
    async fn put_throttle_record(&self, key: &str, record: ThrottleRecord) -> StoreResult<()>;
    async fn clear_throttle_record(&self, key: &str) -> StoreResult<()>;
}

pub type SharedStore = Arc<dyn Store>;

/// Opens the database `url` names (creating a missing SQLite file) and applies migrations.
pub async fn connect(url: &DatabaseUrl) -> StoreResult<SharedStore> {
    let store: SharedStore = match url {
        DatabaseUrl::Sqlite(url) => Arc::new(SqliteStore::connect(url).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PostgresStore::connect(url.expose()).await?),
    };
    store.migrate().await?;
    Ok(store)
}

fn parse_role(raw: &str) -> StoreResult<Role> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role {raw:?}")))
}

fn parse_email(raw: String) -> StoreResult<Email> {
    Email::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_name(raw: String) -> StoreResult<DisplayName> {
    DisplayName::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
fn conflict_on_unique(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(error),
    }
}

/// A `users` row as both backends return it.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled_at: Option<i64>,
    created_at: i64,
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            email: parse_email(self.email)?,
            name: parse_name(self.name)?,
            role: parse_role(&self.role)?,
            disabled: self.disabled_at.is_some(),
            created_at: Millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

impl CredentialsRow {
    fn into_credentials(self) -> StoreResult<UserCredentials> {
        Ok(UserCredentials {
            user: self.user.into_user()?,
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    failures: i64,
    window_started_at: i64,
    blocked_until: Option<i64>,
}

impl From<ThrottleRow> for ThrottleRecord {
    fn from(row: ThrottleRow) -> Self {
        ThrottleRecord {
            failures: row.failures.clamp(0, u32::MAX as i64) as u32,
            window_started_at: Millis(row.window_started_at),
            blocked_until: row.blocked_until.map(Millis),
        }
    }
}

const USER_COLUMNS: &str = "id, email, name, role, disabled_at, created_at";
