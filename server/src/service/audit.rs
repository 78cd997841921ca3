//! The audit log: use cases record what admins do and what happens to credentials, with who
//! and from where; admins read it.
//!
//! An entry is recorded right after the change it describes commits, not in the same
//! transaction: the changes it covers live in several store domains, and a failed audit write
//! must not undo a change that was made. Such a failure is logged as an error.

use super::{ServiceResult, Services, require_admin};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use crate::store::{AuditFilter, AuditRecord, NewAuditEntry, Store};
use parley_app::model::Viewer;
use parley_app::team::AuditQuery;

/// Where a request came from: the client's address, or one of the fixed origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(pub String);

impl Origin {
    pub fn command_line() -> Self {
        Origin("command line".into())
    }

    pub fn sandbox() -> Self {
        Origin("sandbox".into())
    }
}

/// Who acted, as the log names them.
pub enum Actor<'a> {
    Member(&'a Viewer),
    /// Someone not signed in, named as they named themselves (the email tried at sign-in).
    Anonymous(&'a str),
    CommandLine,
}

/// Records one entry; a failure is logged, never passed on (see the module doc).
pub async fn record(
    svc: &Services,
    actor: Actor<'_>,
    origin: &Origin,
    action: AuditAction,
    target: String,
    details: serde_json::Value,
) {
    write(
        &svc.store,
        svc.now(),
        actor,
        origin,
        action,
        target,
        details,
    )
    .await
}

/// [`record`], for the parts of Parley that work on the store itself (sign-in, the CLI).
pub async fn write(
    store: &Store,
    now: Millis,
    actor: Actor<'_>,
    origin: &Origin,
    action: AuditAction,
    target: String,
    details: serde_json::Value,
) {
    let (actor_id, actor) = match actor {
        Actor::Member(viewer) => (Some(viewer.id), viewer.email.to_string()),
        Actor::Anonymous(name) => (None, name.chars().take(254).collect()),
        Actor::CommandLine => (None, "command line".to_owned()),
    };
    let entry = NewAuditEntry {
        actor_id,
        actor,
        origin: origin.0.clone(),
        action,
        target,
        details,
    };
    if let Err(error) = store.audit.record(&entry, now).await {
        tracing::error!(%error, ?entry, "could not record an audit entry");
    }
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// A page of the log, newest first (admins), and the id the next page starts before.
pub async fn page(
    svc: &Services,
    viewer: &Viewer,
    query: &AuditQuery,
) -> ServiceResult<(Vec<AuditRecord>, Option<i64>)> {
    require_admin(viewer)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let filter = AuditFilter {
        action: query
            .action
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        actor_id: query.actor_id.map(parley_app::model::UserId),
        before: query.before,
        // One more than asked says whether another page follows.
        limit: i64::from(limit) + 1,
    };
    let mut records = svc.store.audit.page(&filter).await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next = more.then(|| records.last().map(|r| r.id)).flatten();
    Ok((records, next))
}
