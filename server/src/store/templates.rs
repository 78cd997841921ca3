//! Message templates and their approval story: what syncs find, what status webhooks say and
//! what Parley submits, each change kept as a timeline entry.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::templates::TemplateStatus;

/// A template as Meta describes it (from a sync or a creation).
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateRecord {
    pub id: String,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: TemplateStatus,
    pub quality: Option<String>,
    pub rejected_reason: Option<String>,
    pub components: serde_json::Value,
}

/// A template as stored, with when it last changed and was last sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub record: TemplateRecord,
    pub updated_at: Millis,
    pub last_sent_at: Option<Millis>,
}

/// One entry of a template's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateEntry {
    /// `submitted`, `status`, `quality`, `category` or `deleted`.
    pub kind: String,
    pub value: String,
    pub reason: Option<String>,
    /// Where Parley learned it: `webhook`, `sync` or `parley`.
    pub source: String,
    pub occurred_at: Millis,
}

/// Where a timeline entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSource {
    Webhook,
    Sync,
    Parley,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Webhook => "webhook",
            ChangeSource::Sync => "sync",
            ChangeSource::Parley => "parley",
        }
    }
}

#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Records what a sync of one WABA found: new templates and every status, quality or
    /// category change join the timeline (source `sync`); templates Meta no longer lists
    /// become DELETED. Returns how many templates changed.
    async fn sync(
        &self,
        waba_id: &str,
        found: &[TemplateRecord],
        now: Millis,
    ) -> StoreResult<usize>;
    /// A template Parley just submitted to Meta.
    async fn record_submitted(&self, template: &TemplateRecord, now: Millis) -> StoreResult<()>;
    /// A template Parley deleted at Meta.
    async fn record_deleted(&self, id: &str, now: Millis) -> StoreResult<()>;
    /// Every template (deleted ones last), by name and language.
    async fn list(&self) -> StoreResult<Vec<Template>>;
    /// A template and its timeline, oldest entry first.
    async fn get(&self, id: &str) -> StoreResult<Option<(Template, Vec<TemplateEntry>)>>;
    /// The template of that name and language, on that WABA when one is given (an approved
    /// one first).
    async fn by_name(
        &self,
        waba_id: Option<&str>,
        name: &str,
        language: &str,
    ) -> StoreResult<Option<Template>>;
    /// Templates sent since `since` that are now PAUSED, DISABLED or REJECTED.
    async fn troubled(&self, since: Millis) -> StoreResult<Vec<Template>>;
}

pub(super) const TEMPLATE_COLUMNS: &str = "id, waba_id, name, language, category, status,
    quality, rejected_reason, components, updated_at, last_sent_at";

#[derive(sqlx::FromRow)]
pub(super) struct TemplateRow {
    id: String,
    waba_id: String,
    name: String,
    language: String,
    category: String,
    status: String,
    quality: Option<String>,
    rejected_reason: Option<String>,
    components: String,
    updated_at: i64,
    last_sent_at: Option<i64>,
}

impl TemplateRow {
    pub(super) fn into_template(self) -> StoreResult<Template> {
        Ok(Template {
            record: TemplateRecord {
                id: self.id,
                waba_id: self.waba_id,
                name: self.name,
                language: self.language,
                category: self.category,
                status: TemplateStatus::from(self.status),
                quality: self.quality,
                rejected_reason: self.rejected_reason,
                components: serde_json::from_str(&self.components)
                    .map_err(|e| StoreError::Corrupt(format!("template components: {e}")))?,
            },
            updated_at: Millis(self.updated_at),
            last_sent_at: self.last_sent_at.map(Millis),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TemplateEntryRow {
    kind: String,
    value: String,
    reason: Option<String>,
    source: String,
    occurred_at: i64,
}

impl From<TemplateEntryRow> for TemplateEntry {
    fn from(row: TemplateEntryRow) -> Self {
        TemplateEntry {
            kind: row.kind,
            value: row.value,
            reason: row.reason,
            source: row.source,
            occurred_at: Millis(row.occurred_at),
        }
    }
}
