//! Message templates and their approval story: what syncs find, what status webhooks say and
//! what Parley submits, each change kept as a timeline entry.

use super::{Millis, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::templates::{TemplateChange, TemplateDetail, TemplateStatus, TemplateView};

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
    async fn sync_templates(
        &self,
        waba_id: &str,
        found: &[TemplateRecord],
        now: Millis,
    ) -> StoreResult<usize>;
    /// A template Parley just submitted to Meta.
    async fn record_submitted_template(
        &self,
        template: &TemplateRecord,
        now: Millis,
    ) -> StoreResult<()>;
    /// A template Parley deleted at Meta.
    async fn record_deleted_template(&self, id: &str, now: Millis) -> StoreResult<()>;
    /// Every template (deleted ones last), by name and language.
    async fn templates(&self) -> StoreResult<Vec<TemplateView>>;
    async fn template(&self, id: &str) -> StoreResult<Option<TemplateDetail>>;
    /// The template of that name and language, on that WABA when one is given.
    async fn template_by_name(
        &self,
        waba_id: Option<&str>,
        name: &str,
        language: &str,
    ) -> StoreResult<Option<TemplateView>>;
    /// Templates sent since `since` that are now PAUSED, DISABLED or REJECTED.
    async fn troubled_templates(&self, since: Millis) -> StoreResult<Vec<TemplateView>>;
}

pub(super) const TEMPLATE_COLUMNS: &str = "id, waba_id, name, language, category, status, quality,
    rejected_reason, components, updated_at, last_sent_at";

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
    pub(super) fn into_view(self) -> StoreResult<TemplateView> {
        Ok(TemplateView {
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
            updated_at: Millis(self.updated_at).to_rfc3339(),
            last_sent_at: self.last_sent_at.map(|t| Millis(t).to_rfc3339()),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TemplateEventRow {
    kind: String,
    value: String,
    reason: Option<String>,
    source: String,
    occurred_at: i64,
}

impl From<TemplateEventRow> for TemplateChange {
    fn from(row: TemplateEventRow) -> Self {
        TemplateChange {
            kind: row.kind,
            value: row.value,
            reason: row.reason,
            source: row.source,
            occurred_at: Millis(row.occurred_at).to_rfc3339(),
        }
    }
}

/// Meta says `NONE` when there is no rejection reason.
pub(super) fn meaningful_reason(reason: Option<&str>) -> Option<String> {
    reason
        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("NONE"))
        .map(str::to_owned)
}

/// One template webhook, read from its `value`.
pub(super) struct TemplateWebhook {
    pub id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    pub kind: &'static str,
    pub value: String,
    pub reason: Option<String>,
}

impl TemplateWebhook {
    /// Reads `message_template_status_update`, `message_template_quality_update` and
    /// `template_category_update`; anything else is not a template change.
    pub(super) fn parse(field: &str, value: &serde_json::Value) -> Option<TemplateWebhook> {
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        // Meta sends the id as a number; some integrations forward it as a string.
        let id = match value.get("message_template_id")? {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return None,
        };
        let (kind, new_value, reason) = match field {
            "message_template_status_update" => (
                "status",
                text("event")?,
                meaningful_reason(text("reason").as_deref()).or_else(|| {
                    value
                        .pointer("/other_info/description")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                }),
            ),
            "message_template_quality_update" => ("quality", text("new_quality_score")?, None),
            "template_category_update" => (
                "category",
                text("new_category").or_else(|| text("correct_category"))?,
                None,
            ),
            _ => return None,
        };
        Some(TemplateWebhook {
            id,
            name: text("message_template_name"),
            language: text("message_template_language"),
            kind,
            value: new_value,
            reason,
        })
    }
}

macro_rules! portable_template_store {
    ($engine:ident, $db:ty) => {
        #[async_trait]
        impl TemplateStore for $engine {
            async fn sync_templates(&self, waba_id: &str, found: &[TemplateRecord], now: Millis) -> StoreResult<usize> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin_with(<$engine>::BEGIN_READ_THEN_WRITE).await?;
                let mut changed = 0;
                for template in found {
                    if <$engine>::upsert_template(&mut tx, template, ChangeSource::Sync, now).await? {
                        changed += 1;
                    }
                }
                let known: Vec<(String, String)> =
                    sqlx::query_as("SELECT id, status FROM templates WHERE waba_id = $1")
                        .bind(waba_id)
                        .fetch_all(&mut *tx)
                        .await?;
                for (id, status) in known {
                    let gone = !found.iter().any(|t| t.id == id);
                    if gone && TemplateStatus::from(status) != TemplateStatus::Deleted {
                        <$engine>::mark_template_deleted(&mut tx, &id, ChangeSource::Sync, now).await?;
                        changed += 1;
                    }
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn record_submitted_template(&self, template: &TemplateRecord, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin_with(<$engine>::BEGIN_READ_THEN_WRITE).await?;
                <$engine>::insert_template_event(&mut tx, &template.id, "submitted", template.status.as_str(), None, ChangeSource::Parley, now).await?;
                <$engine>::upsert_template(&mut tx, template, ChangeSource::Parley, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_deleted_template(&self, id: &str, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin_with(<$engine>::BEGIN_READ_THEN_WRITE).await?;
                <$engine>::mark_template_deleted(&mut tx, id, ChangeSource::Parley, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn templates(&self) -> StoreResult<Vec<TemplateView>> {
                let sql = format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM templates
                     ORDER BY CASE WHEN status = 'DELETED' THEN 1 ELSE 0 END, name, language"
                );
                let rows: Vec<TemplateRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                rows.into_iter().map(TemplateRow::into_view).collect()
            }

            async fn template(&self, id: &str) -> StoreResult<Option<TemplateDetail>> {
                let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE id = $1");
                let Some(row) = sqlx::query_as::<_, TemplateRow>(&sql).bind(id).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let events: Vec<TemplateEventRow> = sqlx::query_as(
                    "SELECT kind, value, reason, source, occurred_at FROM template_events
                     WHERE template_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                Ok(Some(TemplateDetail {
                    template: row.into_view()?,
                    timeline: events.into_iter().map(TemplateChange::from).collect(),
                }))
            }

            async fn template_by_name(&self, waba_id: Option<&str>, name: &str, language: &str) -> StoreResult<Option<TemplateView>> {
                let sql = format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM templates
                     WHERE name = $1 AND language = $2 AND ($3 IS NULL OR waba_id = $3)
                     ORDER BY CASE WHEN status = 'APPROVED' THEN 0 ELSE 1 END LIMIT 1"
                );
                let row: Option<TemplateRow> = sqlx::query_as(&sql)
                    .bind(name)
                    .bind(language)
                    .bind(waba_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TemplateRow::into_view).transpose()
            }

            async fn troubled_templates(&self, since: Millis) -> StoreResult<Vec<TemplateView>> {
                let sql = format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM templates
                     WHERE last_sent_at >= $1 AND status IN ('PAUSED', 'DISABLED', 'REJECTED')
                     ORDER BY updated_at DESC"
                );
                let rows: Vec<TemplateRow> = sqlx::query_as(&sql).bind(since.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(TemplateRow::into_view).collect()
            }
        }

        /// Template steps inside a caller's transaction.
        impl $engine {
            /// Inserts or updates a template; each changed status, quality or category joins
            /// the timeline. Returns whether anything changed.
            async fn upsert_template(
                tx: &mut sqlx::Transaction<'_, $db>,
                template: &TemplateRecord,
                source: ChangeSource,
                now: Millis,
            ) -> StoreResult<bool> {
                let existing: Option<(String, Option<String>, String, String)> = sqlx::query_as(
                    "SELECT status, quality, category, components FROM templates WHERE id = $1",
                )
                .bind(&template.id)
                .fetch_optional(&mut **tx)
                .await?;
                let components = template.components.to_string();
                let status = template.status.as_str();
                let mut changed = false;
                match &existing {
                    None => {
                        <$engine>::insert_template_event(tx, &template.id, "status", status,
                            template.rejected_reason.as_deref(), source, now).await?;
                        changed = true;
                    }
                    Some((old_status, old_quality, old_category, old_components)) => {
                        if old_status != status {
                            <$engine>::insert_template_event(tx, &template.id, "status", status,
                                template.rejected_reason.as_deref(), source, now).await?;
                            changed = true;
                        }
                        if let Some(quality) = &template.quality
                            && old_quality.as_ref() != Some(quality)
                        {
                            <$engine>::insert_template_event(tx, &template.id, "quality", quality, None, source, now).await?;
                            changed = true;
                        }
                        if old_category != &template.category {
                            <$engine>::insert_template_event(tx, &template.id, "category", &template.category, None, source, now).await?;
                            changed = true;
                        }
                        changed |= old_components != &components;
                    }
                }
                if changed {
                    sqlx::query(
                        "INSERT INTO templates (id, waba_id, name, language, category, status, quality,
                           rejected_reason, components, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, name = excluded.name,
                           language = excluded.language, category = excluded.category, status = excluded.status,
                           quality = COALESCE(excluded.quality, templates.quality),
                           rejected_reason = excluded.rejected_reason, components = excluded.components,
                           updated_at = excluded.updated_at",
                    )
                    .bind(&template.id)
                    .bind(&template.waba_id)
                    .bind(&template.name)
                    .bind(&template.language)
                    .bind(&template.category)
                    .bind(status)
                    .bind(&template.quality)
                    .bind(meaningful_reason(template.rejected_reason.as_deref()))
                    .bind(&components)
                    .bind(now.0)
                    .execute(&mut **tx)
                    .await?;
                    <$engine>::push_template_live_event(tx, &template.id, now).await?;
                }
                Ok(changed)
            }

            async fn mark_template_deleted(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                source: ChangeSource,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE templates SET status = 'DELETED', updated_at = $1 WHERE id = $2")
                    .bind(now.0)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                <$engine>::insert_template_event(tx, id, "deleted", "DELETED", None, source, now).await?;
                <$engine>::push_template_live_event(tx, id, now).await
            }

            /// Applies a template webhook (status, quality or category) to its template. One
            /// that arrives before any sync creates the template from what it says.
            async fn apply_template_webhook(
                tx: &mut sqlx::Transaction<'_, $db>,
                waba_id: &str,
                update: &TemplateWebhook,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO templates (id, waba_id, name, language, category, status, components, updated_at)
                     VALUES ($1, $2, $3, $4, 'UNKNOWN', 'PENDING', '[]', $5) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&update.id)
                .bind(waba_id)
                .bind(update.name.as_deref().unwrap_or("unknown"))
                .bind(update.language.as_deref().unwrap_or(""))
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                let query = if update.kind == "status" {
                    sqlx::query("UPDATE templates SET status = $1, rejected_reason = $2, updated_at = $3 WHERE id = $4")
                        .bind(&update.value)
                        .bind(&update.reason)
                } else if update.kind == "quality" {
                    sqlx::query("UPDATE templates SET quality = $1, updated_at = $2 WHERE id = $3").bind(&update.value)
                } else {
                    sqlx::query("UPDATE templates SET category = $1, updated_at = $2 WHERE id = $3").bind(&update.value)
                };
                query.bind(now.0).bind(&update.id).execute(&mut **tx).await?;
                <$engine>::insert_template_event(tx, &update.id, update.kind, &update.value,
                    update.reason.as_deref(), ChangeSource::Webhook, now).await?;
                <$engine>::push_template_live_event(tx, &update.id, now).await
            }

            async fn insert_template_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                template_id: &str,
                kind: &str,
                value: &str,
                reason: Option<&str>,
                source: ChangeSource,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO template_events (template_id, kind, value, reason, source, occurred_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(template_id)
                .bind(kind)
                .bind(value)
                .bind(meaningful_reason(reason))
                .bind(source.as_str())
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn push_template_live_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                template_id: &str,
                now: Millis,
            ) -> StoreResult<()> {
                let payload = serde_json::json!({ "template_id": template_id }).to_string();
                <$engine>::push_live_event(tx, "template.updated", None, None, Some(payload), now).await
            }
        }
    };
}
