//! Message templates and their timelines.

use super::{BEGIN_READ_THEN_WRITE, Engine, Tx};
use crate::domain::inbound::{TemplateChangeKind, TemplateUpdate, meaningful_reason};
use crate::domain::{DomainEvent, Millis};
use crate::store::templates::{TEMPLATE_COLUMNS, TemplateEntryRow, TemplateRow};
use crate::store::{
    ChangeSource, StoreResult, Template, TemplateEntry, TemplateRecord, TemplateStore,
};
use async_trait::async_trait;
use parley_app::templates::TemplateStatus;

#[async_trait]
impl TemplateStore for Engine {
    async fn sync(
        &self,
        waba_id: &str,
        found: &[TemplateRecord],
        now: Millis,
    ) -> StoreResult<usize> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let mut changed = 0;
        for template in found {
            if upsert(&mut tx, template, ChangeSource::Sync, now).await? {
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
                mark_deleted(&mut tx, &id, ChangeSource::Sync, now).await?;
                changed += 1;
            }
        }
        tx.commit().await?;
        self.announce();
        Ok(changed)
    }

    async fn record_submitted(&self, template: &TemplateRecord, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let status = template.status.as_str();
        let entry = Entry::new("submitted", status, None, ChangeSource::Parley);
        add_entry(&mut tx, &template.id, entry, now).await?;
        upsert(&mut tx, template, ChangeSource::Parley, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn record_deleted(&self, id: &str, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        mark_deleted(&mut tx, id, ChangeSource::Parley, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn list(&self) -> StoreResult<Vec<Template>> {
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates
             ORDER BY CASE WHEN status = 'DELETED' THEN 1 ELSE 0 END, name, language"
        );
        let rows: Vec<TemplateRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        rows.into_iter().map(TemplateRow::into_template).collect()
    }

    async fn get(&self, id: &str) -> StoreResult<Option<(Template, Vec<TemplateEntry>)>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE id = $1");
        let row: Option<TemplateRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let entries: Vec<TemplateEntryRow> = sqlx::query_as(
            "SELECT kind, value, reason, source, occurred_at FROM template_events
             WHERE template_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let timeline = entries.into_iter().map(TemplateEntry::from).collect();
        Ok(Some((row.into_template()?, timeline)))
    }

    async fn by_name(
        &self,
        waba_id: Option<&str>,
        name: &str,
        language: &str,
    ) -> StoreResult<Option<Template>> {
        let mut tx = self.pool.begin().await?;
        let found = by_name_in(&mut tx, waba_id, name, language).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn troubled(&self, since: Millis) -> StoreResult<Vec<Template>> {
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates
             WHERE last_sent_at >= $1 AND status IN ('PAUSED', 'DISABLED', 'REJECTED')
             ORDER BY updated_at DESC"
        );
        let rows: Vec<TemplateRow> = sqlx::query_as(&sql)
            .bind(since.0)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TemplateRow::into_template).collect()
    }
}

/// A timeline entry to add.
struct Entry<'a> {
    kind: &'a str,
    value: &'a str,
    reason: Option<&'a str>,
    source: ChangeSource,
}

impl<'a> Entry<'a> {
    fn new(kind: &'a str, value: &'a str, reason: Option<&'a str>, source: ChangeSource) -> Self {
        Entry {
            kind,
            value,
            reason,
            source,
        }
    }
}

/// Inserts or updates a template; each changed status, quality or category joins the
/// timeline. Returns whether anything changed.
async fn upsert(
    tx: &mut Tx<'_>,
    template: &TemplateRecord,
    source: ChangeSource,
    now: Millis,
) -> StoreResult<bool> {
    let existing: Option<(String, Option<String>, String, String)> =
        sqlx::query_as("SELECT status, quality, category, components FROM templates WHERE id = $1")
            .bind(&template.id)
            .fetch_optional(&mut **tx)
            .await?;
    let components = template.components.to_string();
    let status = template.status.as_str();
    let reason = template.rejected_reason.as_deref();
    let mut changed = false;
    match &existing {
        None => {
            add_entry(
                tx,
                &template.id,
                Entry::new("status", status, reason, source),
                now,
            )
            .await?;
            changed = true;
        }
        Some((old_status, old_quality, old_category, old_components)) => {
            if old_status != status {
                let entry = Entry::new("status", status, reason, source);
                add_entry(tx, &template.id, entry, now).await?;
                changed = true;
            }
            if let Some(quality) = &template.quality
                && old_quality.as_ref() != Some(quality)
            {
                let entry = Entry::new("quality", quality, None, source);
                add_entry(tx, &template.id, entry, now).await?;
                changed = true;
            }
            if old_category != &template.category {
                let entry = Entry::new("category", &template.category, None, source);
                add_entry(tx, &template.id, entry, now).await?;
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
               language = excluded.language, category = excluded.category,
               status = excluded.status, quality = COALESCE(excluded.quality, templates.quality),
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
        .bind(meaningful_reason(reason))
        .bind(&components)
        .bind(now.0)
        .execute(&mut **tx)
        .await?;
        announce_change(tx, &template.id, now).await?;
    }
    Ok(changed)
}

async fn mark_deleted(
    tx: &mut Tx<'_>,
    id: &str,
    source: ChangeSource,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query("UPDATE templates SET status = 'DELETED', updated_at = $1 WHERE id = $2")
        .bind(now.0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    add_entry(tx, id, Entry::new("deleted", "DELETED", None, source), now).await?;
    announce_change(tx, id, now).await
}

/// Applies a template webhook (status, quality or category) to its template. One that arrives
/// before any sync creates the template from what it says.
pub(super) async fn apply_update(
    tx: &mut Tx<'_>,
    waba_id: &str,
    update: &TemplateUpdate,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO templates (id, waba_id, name, language, category, status, components,
           updated_at)
         VALUES ($1, $2, $3, $4, 'UNKNOWN', 'PENDING', '[]', $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&update.id)
    .bind(waba_id)
    .bind(update.name.as_deref().unwrap_or("unknown"))
    .bind(update.language.as_deref().unwrap_or(""))
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    let query = match update.kind {
        TemplateChangeKind::Status => sqlx::query(
            "UPDATE templates SET status = $1, rejected_reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(&update.value)
        .bind(&update.reason),
        TemplateChangeKind::Quality => {
            sqlx::query("UPDATE templates SET quality = $1, updated_at = $2 WHERE id = $3")
                .bind(&update.value)
        }
        TemplateChangeKind::Category => {
            sqlx::query("UPDATE templates SET category = $1, updated_at = $2 WHERE id = $3")
                .bind(&update.value)
        }
    };
    query
        .bind(now.0)
        .bind(&update.id)
        .execute(&mut **tx)
        .await?;
    let entry = Entry::new(
        update.kind.as_str(),
        &update.value,
        update.reason.as_deref(),
        ChangeSource::Webhook,
    );
    add_entry(tx, &update.id, entry, now).await?;
    announce_change(tx, &update.id, now).await
}

/// Remembers when a template was last sent (admins learn which ones are in use).
pub(super) async fn note_sent(tx: &mut Tx<'_>, template_id: &str, now: Millis) -> StoreResult<()> {
    sqlx::query("UPDATE templates SET last_sent_at = $1 WHERE id = $2")
        .bind(now.0)
        .bind(template_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn add_entry(
    tx: &mut Tx<'_>,
    template_id: &str,
    entry: Entry<'_>,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO template_events (template_id, kind, value, reason, source, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(template_id)
    .bind(entry.kind)
    .bind(entry.value)
    .bind(meaningful_reason(entry.reason))
    .bind(entry.source.as_str())
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn announce_change(tx: &mut Tx<'_>, template_id: &str, now: Millis) -> StoreResult<()> {
    let changed = DomainEvent::TemplateStatusChanged {
        template_id: template_id.to_owned(),
    };
    super::events::push(tx, &changed, now).await
}

/// A template by name and language (an approved one first), in the caller's transaction.
pub(super) async fn by_name_in(
    tx: &mut super::Tx<'_>,
    waba_id: Option<&str>,
    name: &str,
    language: &str,
) -> StoreResult<Option<crate::store::Template>> {
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} FROM templates
         WHERE name = $1 AND language = $2 AND ($3 IS NULL OR waba_id = $3)
         ORDER BY CASE WHEN status = 'APPROVED' THEN 0 ELSE 1 END LIMIT 1"
    );
    let row: Option<TemplateRow> = sqlx::query_as(&sql)
        .bind(name)
        .bind(language)
        .bind(waba_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(TemplateRow::into_template).transpose()
}
