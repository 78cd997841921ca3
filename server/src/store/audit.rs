//! The audit log: admin actions and security events, append-only. The store has no operation
//! that changes or deletes an entry, so nothing in Parley can.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use async_trait::async_trait;
use parley_app::model::UserId;

/// An entry to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub actor_id: Option<UserId>,
    /// Who acted, in words, as they are now (an email, "command line").
    pub actor: String,
    /// The client's address, "command line" or "sandbox".
    pub origin: String,
    pub action: AuditAction,
    /// What was acted on ("member 5", "label 3", "template order_update").
    pub target: String,
    /// What changed (a JSON object).
    pub details: serde_json::Value,
}

/// An entry as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Millis,
    pub entry: NewAuditEntry,
}

/// Which entries to read, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// One action (`member.added`), or a family of them (`member`).
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    /// Entries with a smaller id (the page before).
    pub before: Option<i64>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record(&self, entry: &NewAuditEntry, now: Millis) -> StoreResult<i64>;
    /// Entries matching `filter`, newest first.
    async fn page(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>>;
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    actor: String,
    origin: String,
    action: String,
    target: String,
    details: String,
}

impl AuditRow {
    pub(super) fn into_record(self) -> StoreResult<AuditRecord> {
        let action = self
            .action
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("unknown audit action {:?}", self.action)))?;
        let details = serde_json::from_str(&self.details)
            .map_err(|e| StoreError::Corrupt(format!("audit details: {e}")))?;
        Ok(AuditRecord {
            id: self.id,
            at: Millis(self.at),
            entry: NewAuditEntry {
                actor_id: self.actor_id.map(UserId),
                actor: self.actor,
                origin: self.origin,
                action,
                target: self.target,
                details,
            },
        })
    }
}
