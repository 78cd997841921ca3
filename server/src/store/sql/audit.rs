//! The audit log.

use super::Engine;
use crate::domain::Millis;
use crate::store::audit::AuditRow;
use crate::store::{AuditFilter, AuditRecord, AuditStore, NewAuditEntry, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl AuditStore for Engine {
    async fn record(&self, entry: &NewAuditEntry, now: Millis) -> StoreResult<i64> {
        let _turn = self.write_turn().await;
        let id = sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor_id, actor, origin, action, target, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(now.0)
        .bind(entry.actor_id.map(|id| id.0))
        .bind(&entry.actor)
        .bind(&entry.origin)
        .bind(entry.action.as_str())
        .bind(&entry.target)
        .bind(entry.details.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn page(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        // `$1 || '.%'`: a family of actions ("member" matches "member.added").
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, actor_id, actor, origin, action, target, details FROM audit_log
             WHERE ($1 IS NULL OR action = $1 OR action LIKE $1 || '.%')
               AND ($2 IS NULL OR actor_id = $2)
               AND ($3 IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4",
        )
        .bind(filter.action.as_deref())
        .bind(filter.actor_id.map(|id| id.0))
        .bind(filter.before)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AuditRow::into_record).collect()
    }
}
