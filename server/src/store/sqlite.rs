//! The embedded default: one SQLite file in WAL mode.

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
            // FULL: a commit acknowledged to Meta survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/sqlite")
            .run(&self.pool)
            .await?;
        crate::auth::session::migrate_sqlite(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn session_store(&self) -> crate::auth::session::DbSessionStore {
        crate::auth::session::DbSessionStore::sqlite(self.pool.clone())
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
        );
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(user.role.as_str())
            .bind(&user.password_hash)
            .bind(Millis::now().0)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, "a user with this email"))?
            .into_user()
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(UserRow::into_user).transpose()
    }

    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?");
        let row = sqlx::query_as::<_, CredentialsRow>(&sql)
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE, id");
        let rows = sqlx::query_as::<_, UserRow>(&sql)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn set_user_disabled(&self, email: &Email, disabled: bool) -> StoreResult<User> {
        let sql = format!(
            "UPDATE users SET disabled_at = CASE WHEN ? THEN COALESCE(disabled_at, ?) END WHERE email = ? RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(disabled)
            .bind(Millis::now().0)
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound("user"))?.into_user()
    }

    async fn create_api_token(
        &self,
        user: UserId,
        token_digest: &str,
        now: Millis,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_digest, created_at) VALUES (?, ?, ?)")
            .bind(user.0)
            .bind(token_digest)
            .bind(now.0)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, "this token"))?;
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE disabled_at IS NULL
               AND id = (SELECT user_id FROM api_tokens WHERE token_digest = ?)"
        );
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(token_digest)
            .fetch_optional(&self.pool)
            .await?;
        if row.is_some() {
            // Last use is informational: refresh it at most once a minute, not on every call.
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE token_digest = ? AND COALESCE(last_used_at, 0) < ?")
                .bind(now.0)
                .bind(token_digest)
                .bind(now.0 - 60_000)
                .execute(&self.pool)
                .await?;
        }
        row.map(UserRow::into_user).transpose()
    }

    async fn throttle_record(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
        let row = sqlx::query_as::<_, ThrottleRow>(
            "SELECT failures, window_started_at, blocked_until FROM login_throttle WHERE throttle_key = ?",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(ThrottleRecord::from))
    }

    async fn put_throttle_record(&self, key: &str, record: ThrottleRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until) VALUES (?, ?, ?, ?)
             ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures,
               window_started_at = excluded.window_started_at, blocked_until = excluded.blocked_until",
        )
        .bind(key)
        .bind(i64::from(record.failures))
        .bind(record.window_started_at.0)
        .bind(record.blocked_until.map(|m| m.0))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clear_throttle_record(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
