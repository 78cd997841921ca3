//! PostgreSQL, for teams running several Parley nodes against one database.

use super::*;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PostgresStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("../migrations/postgres")
            .run(&self.pool)
            .await?;
        crate::auth::session::migrate_postgres(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn session_store(&self) -> crate::auth::session::DbSessionStore {
        crate::auth::session::DbSessionStore::postgres(self.pool.clone())
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
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
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(UserRow::into_user).transpose()
    }

    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
        let row = sqlx::query_as::<_, CredentialsRow>(&sql)
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY lower(name), id");
        let rows = sqlx::query_as::<_, UserRow>(&sql)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn set_user_disabled(&self, email: &Email, disabled: bool) -> StoreResult<User> {
        let sql = format!(
            "UPDATE users SET disabled_at = CASE WHEN $1 THEN COALESCE(disabled_at, $2) END WHERE email = $3 RETURNING {USER_COLUMNS}"
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
        sqlx::query(
            "INSERT INTO api_tokens (user_id, token_digest, created_at) VALUES ($1, $2, $3)",
        )
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
               AND id = (SELECT user_id FROM api_tokens WHERE token_digest = $1)"
        );
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(token_digest)
            .fetch_optional(&self.pool)
            .await?;
        if row.is_some() {
            // Last use is informational: refresh it at most once a minute, not on every call.
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_digest = $2 AND COALESCE(last_used_at, 0) < $3")
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
            "SELECT failures, window_started_at, blocked_until FROM login_throttle WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(ThrottleRecord::from))
    }

    async fn put_throttle_record(&self, key: &str, record: ThrottleRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until) VALUES ($1, $2, $3, $4)
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
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
