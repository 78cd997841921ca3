//! Second factors and the two-factor policy.

use super::Engine;
use crate::domain::{DomainEvent, Millis};
use crate::store::{SecondFactor, SecondFactorStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::model::UserId;
use parley_app::team::TwoFactorPolicy;

const POLICY_KEY: &str = "two_factor_policy";

#[async_trait]
impl SecondFactorStore for Engine {
    async fn get(&self, user: UserId) -> StoreResult<SecondFactor> {
        let row: Option<(Option<String>, Option<String>, Option<i64>, i64)> = sqlx::query_as(
            "SELECT totp_secret, totp_pending_secret, totp_last_step,
               (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
             FROM users u WHERE id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        let (secret, pending, last_step, left) = row.ok_or(StoreError::NotFound("member"))?;
        Ok(SecondFactor {
            secret,
            pending,
            last_step,
            recovery_codes_left: left.clamp(0, u32::MAX as i64) as u32,
        })
    }

    async fn begin(&self, user: UserId, pending: &str) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2")
            .bind(pending)
            .bind(user.0)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("member"));
        }
        Ok(())
    }

    async fn confirm(
        &self,
        user: UserId,
        step: i64,
        recovery_digests: &[String],
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
               totp_enabled_at = $1, totp_last_step = $2
             WHERE id = $3 AND totp_pending_secret IS NOT NULL",
        )
        .bind(now.0)
        .bind(step)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("two-factor setup"));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_digest, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user.0)
            .bind(digest)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        // Sessions begun with one factor are not ended: the member is in one of them now.
        super::events::push(&mut tx, &DomainEvent::MemberChanged { user_id: user }, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn use_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query(
            "UPDATE users SET totp_last_step = $1
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user.0)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        digest: &str,
        now: Millis,
    ) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        // One code, once: the first matching unused row is spent.
        let changed = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1
             WHERE id = (SELECT id FROM recovery_codes
                         WHERE user_id = $2 AND code_digest = $3 AND used_at IS NULL
                         ORDER BY id LIMIT 1)
               AND used_at IS NULL",
        )
        .bind(now.0)
        .bind(user.0)
        .bind(digest)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn remove(&self, user: UserId, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL,
               totp_enabled_at = NULL, totp_last_step = NULL
             WHERE id = $1",
        )
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("member"));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        super::events::push(&mut tx, &DomainEvent::MemberChanged { user_id: user }, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn policy(&self) -> StoreResult<TwoFactorPolicy> {
        let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(POLICY_KEY)
            .fetch_optional(&self.pool)
            .await?;
        match raw {
            None => Ok(TwoFactorPolicy::default()),
            Some(raw) => TwoFactorPolicy::parse(&raw)
                .ok_or_else(|| StoreError::Corrupt(format!("two-factor policy {raw:?}"))),
        }
    }

    async fn set_policy(&self, policy: TwoFactorPolicy, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO settings (key, value, changed_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at",
        )
        .bind(POLICY_KEY)
        .bind(policy.as_str())
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
