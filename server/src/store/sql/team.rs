//! Members, personal API tokens and sign-in throttling.

use super::{BEGIN_READ_THEN_WRITE, Engine, FOR_UPDATE, NAME_ORDER};
use crate::domain::{DomainEvent, Millis};
use crate::store::sql_support::{block_until_sql, conflict_on_unique};
use crate::store::team::{
    API_TOKEN_COLUMNS, ApiTokenRow, CredentialsRow, PasswordLinkRow, ThrottleRow, TokenUserRow,
    USER_COLUMNS, UserRow, qualified_user_columns,
};
use crate::store::{
    ApiToken, AttemptLimit, NewApiToken, NewPasswordLink, NewUser, PendingPasswordLink,
    Reservation, StoreError, StoreResult, TeamStore, ThrottleRecord, TokenOwner, User, UserChange,
    UserCredentials,
};
use async_trait::async_trait;
use parley_app::model::{Email, UserId};
use parley_app::team::LinkPurpose;

#[async_trait]
impl TeamStore for Engine {
    async fn create_user(&self, user: NewUser, now: Millis) -> StoreResult<User> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO users (email, name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
        );
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(user.role.as_str())
            .bind(user.password_hash.as_deref().unwrap_or_default())
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, "a user with this email"))?
            .into_user()?;
        let added = DomainEvent::MemberChanged { user_id: user.id };
        super::events::push(&mut tx, &added, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(user)
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
        row.map(|row| {
            Ok(UserCredentials {
                user: row.user.into_user()?,
                // An empty hash: invited, or reset by an admin; no password works.
                password_hash: Some(row.password_hash).filter(|hash| !hash.is_empty()),
            })
        })
        .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY {NAME_ORDER}, id");
        let rows = sqlx::query_as::<_, UserRow>(&sql)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn update_user(&self, id: UserId, change: &UserChange, now: Millis) -> StoreResult<User> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        // Locks the active admins' rows: a concurrent demotion waits for this one to commit and
        // then counts what it left.
        let admins: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id {FOR_UPDATE}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let sql = format!(
            "UPDATE users SET
               name = COALESCE($1, name),
               role = COALESCE($2, role),
               disabled_at = CASE WHEN $3 IS NULL THEN disabled_at
                                  WHEN $3 THEN COALESCE(disabled_at, $4) END,
               notify_mention = COALESCE($5, notify_mention),
               notify_snooze_ended = COALESCE($6, notify_snooze_ended)
             WHERE id = $7 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(change.name.as_ref().map(|name| name.as_str().to_owned()))
            .bind(change.role.map(|role| role.as_str()))
            .bind(change.disabled)
            .bind(now.0)
            .bind(change.notifications.map(|n| n.mention))
            .bind(change.notifications.map(|n| n.snooze_ended))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
        let user = row.ok_or(StoreError::NotFound("member"))?.into_user()?;
        let was_admin = admins.contains(&id.0);
        let still_admin = user.role == parley_app::model::Role::Admin && !user.disabled;
        if was_admin && !still_admin && admins.len() == 1 {
            return Err(StoreError::WrongState(
                "this is the last active admin: make another member an admin first",
            ));
        }
        let event = if change.disabled.is_some() || change.role.is_some() {
            DomainEvent::CredentialsChanged { user_id: user.id }
        } else {
            DomainEvent::MemberChanged { user_id: user.id }
        };
        super::events::push(&mut tx, &event, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(user)
    }

    async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, sessions_valid_from = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(now.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("member"));
        }
        let changed = DomainEvent::CredentialsChanged { user_id: user };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn create_password_link(&self, link: &NewPasswordLink, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(link.user.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("member"));
        }
        sqlx::query(
            "UPDATE password_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        )
        .bind(now.0)
        .bind(link.user.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO password_links
               (user_id, token_digest, purpose, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(link.user.0)
        .bind(&link.digest)
        .bind(link.purpose.as_str())
        .bind(link.created_by.map(|by| by.0))
        .bind(now.0)
        .bind(link.expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "this link"))?;
        if link.purpose == LinkPurpose::Reset {
            sqlx::query(
                "UPDATE users SET password_hash = '', sessions_valid_from = $1 WHERE id = $2",
            )
            .bind(now.0)
            .bind(link.user.0)
            .execute(&mut *tx)
            .await?;
            let changed = DomainEvent::CredentialsChanged { user_id: link.user };
            super::events::push(&mut tx, &changed, now).await?;
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn pending_password_link(
        &self,
        digest: &str,
        now: Millis,
    ) -> StoreResult<Option<PendingPasswordLink>> {
        let sql = format!(
            "SELECT {columns}, l.purpose, l.expires_at
             FROM password_links l JOIN users u ON u.id = l.user_id
             WHERE l.token_digest = $1 AND l.used_at IS NULL AND l.expires_at > $2
               AND u.disabled_at IS NULL",
            columns = qualified_user_columns("u"),
        );
        let row = sqlx::query_as::<_, PasswordLinkRow>(&sql)
            .bind(digest)
            .bind(now.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(PasswordLinkRow::into_pending).transpose()
    }

    async fn redeem_password_link(
        &self,
        digest: &str,
        password_hash: &str,
        now: Millis,
    ) -> StoreResult<User> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        // Spending the link first: of two uses at once, the second finds it spent.
        let owner: Option<i64> = sqlx::query_scalar(
            "UPDATE password_links SET used_at = $1
             WHERE token_digest = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(now.0)
        .bind(digest)
        .fetch_optional(&mut *tx)
        .await?;
        let owner = owner.ok_or(StoreError::NotFound("password link"))?;
        let sql = format!(
            "UPDATE users SET password_hash = $1, sessions_valid_from = $2
             WHERE id = $3 AND disabled_at IS NULL RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(password_hash)
            .bind(now.0)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
        let user = row
            .ok_or(StoreError::NotFound("password link"))?
            .into_user()?;
        let changed = DomainEvent::CredentialsChanged { user_id: user.id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(user)
    }

    async fn create_api_token(&self, token: &NewApiToken, now: Millis) -> StoreResult<ApiToken> {
        let _turn = self.write_turn().await;
        let sql = format!(
            "INSERT INTO api_tokens (user_id, token_digest, name, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {API_TOKEN_COLUMNS}"
        );
        let row = sqlx::query_as::<_, ApiTokenRow>(&sql)
            .bind(token.user.0)
            .bind(&token.digest)
            .bind(&token.name)
            .bind(now.0)
            .bind(token.expires_at.map(|at| at.0))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, "this token"))?;
        Ok(row.into())
    }

    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
        );
        let rows = sqlx::query_as::<_, ApiTokenRow>(&sql)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn revoke_api_token(&self, owner: UserId, id: i64, now: Millis) -> StoreResult<ApiToken> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1)
             WHERE id = $2 AND user_id = $3 RETURNING {API_TOKEN_COLUMNS}"
        );
        let row = sqlx::query_as::<_, ApiTokenRow>(&sql)
            .bind(now.0)
            .bind(id)
            .bind(owner.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("token"))?;
        let changed = DomainEvent::CredentialsChanged { user_id: owner };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(row.into())
    }

    async fn user_by_api_token(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> StoreResult<Option<TokenOwner>> {
        let Some(row) = sqlx::query_as::<_, TokenUserRow>(&format!(
            "SELECT {columns}, t.id AS token_id, t.last_used_at, t.expires_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_digest = $1 AND u.disabled_at IS NULL AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2)",
            columns = qualified_user_columns("u")
        ))
        .bind(token_digest)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        // Last use is informational: refresh it at most once a minute, not per call (an UPDATE
        // takes SQLite's one writer even when it changes nothing).
        if row.last_used_at.is_none_or(|at| at < now.0 - 60_000) {
            let _turn = self.write_turn().await;
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.0)
                .bind(row.token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(TokenOwner {
            token_id: row.token_id,
            expires_at: row.expires_at.map(Millis),
            user: row.user.into_user()?,
        }))
    }

    async fn credentials_changed(&self, user: UserId, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let changed = DomainEvent::CredentialsChanged { user_id: user };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn throttle_record(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
        let row = sqlx::query_as::<_, ThrottleRow>(
            "SELECT failures, window_started_at, blocked_until FROM login_throttle
             WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(ThrottleRecord::from))
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        limit: &AttemptLimit,
        now: Millis,
    ) -> StoreResult<Reservation> {
        let _turn = self.write_turn().await;
        // The count after this attempt, from the row as it stood ($3: the window's start).
        let counted = "CASE WHEN login_throttle.window_started_at <= $3 THEN 1
                       ELSE login_throttle.failures + 1 END";
        let sql = format!(
            "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until)
             VALUES ($1, 1, $2, {first})
             ON CONFLICT (throttle_key) DO UPDATE SET
               failures = {counted},
               window_started_at = CASE WHEN login_throttle.window_started_at <= $3 THEN $2
                                        ELSE login_throttle.window_started_at END,
               blocked_until = {block}
             WHERE login_throttle.blocked_until IS NULL OR login_throttle.blocked_until <= $2
             RETURNING failures, window_started_at, blocked_until",
            first = block_until_sql("1", limit),
            block = block_until_sql(counted, limit),
        );
        let counted: Option<ThrottleRow> = sqlx::query_as(&sql)
            .bind(key)
            .bind(now.0)
            .bind(now.0 - limit.window_ms)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = counted {
            return Ok(Reservation::Counted(row.into()));
        }
        let blocking = self.throttle_record(key).await?;
        let until = blocking
            .and_then(|record| record.blocked_until)
            .unwrap_or(now);
        Ok(Reservation::Blocked { until })
    }

    async fn refund_attempt(&self, key: &str, limit: &AttemptLimit) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1,
               blocked_until = CASE WHEN failures - 1 < $1 THEN NULL ELSE blocked_until END
             WHERE throttle_key = $2 AND failures > 0",
        )
        .bind(i64::from(limit.max_attempts))
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clear_throttle_record(&self, key: &str) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
