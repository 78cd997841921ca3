//! Automation rules and their runs. The worker's turn is in `automation_worker.rs`.

use super::{BEGIN_READ_THEN_WRITE, Engine};
use crate::domain::Millis;
use crate::domain::automation::Rule;
use crate::domain::business_hours::Hours;
use crate::store::automations::{ActionOutcome, AutomationRecord, AutomationRun};
use crate::store::{AutomationStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::automation::AutomationDraft;

type RecordRow = (i64, i64, bool, String, Option<String>, i64, i64);

const RECORD_SELECT: &str = "SELECT id, position, enabled, rule, disabled_reason, created_at,
    updated_at FROM automations";

fn record(
    (id, position, enabled, rule, reason, created, updated): RecordRow,
) -> StoreResult<AutomationRecord> {
    let mut draft: AutomationDraft = serde_json::from_str(&rule)
        .map_err(|error| StoreError::Corrupt(format!("automation {id}: {error}")))?;
    draft.enabled = enabled;
    Ok(AutomationRecord {
        id,
        position,
        draft,
        disabled_reason: reason,
        created_at: Millis(created),
        updated_at: Millis(updated),
    })
}

fn json_of(draft: &AutomationDraft) -> String {
    serde_json::to_string(draft).expect("automation rules serialise")
}

#[async_trait]
impl AutomationStore for Engine {
    async fn automations(&self) -> StoreResult<Vec<AutomationRecord>> {
        let rows: Vec<RecordRow> =
            sqlx::query_as(&format!("{RECORD_SELECT} ORDER BY position, id"))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(record).collect()
    }

    async fn automation(&self, id: i64) -> StoreResult<AutomationRecord> {
        let row: Option<RecordRow> = sqlx::query_as(&format!("{RECORD_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        record(row.ok_or(StoreError::NotFound("automation"))?)
    }

    async fn create_automation(
        &self,
        draft: &AutomationDraft,
        now: Millis,
    ) -> StoreResult<AutomationRecord> {
        let _turn = self.write_turn().await;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO automations (name, enabled, position, rule, created_at, updated_at)
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM automations), $3,
               $4, $4)
             RETURNING id",
        )
        .bind(&draft.name)
        .bind(draft.enabled)
        .bind(json_of(draft))
        .bind(now.0)
        .fetch_one(&self.pool)
        .await?;
        self.automation(id).await
    }

    async fn update_automation(
        &self,
        id: i64,
        draft: &AutomationDraft,
        position: Option<i64>,
        now: Millis,
    ) -> StoreResult<AutomationRecord> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let updated = sqlx::query(
            "UPDATE automations SET name = $1, enabled = $2, rule = $3, disabled_reason = NULL,
               updated_at = $4 WHERE id = $5",
        )
        .bind(&draft.name)
        .bind(draft.enabled)
        .bind(json_of(draft))
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("automation"));
        }
        if let Some(position) = position {
            let mut order: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM automations ORDER BY position, id")
                    .fetch_all(&mut *tx)
                    .await?;
            order.retain(|other| *other != id);
            let at = usize::try_from(position).unwrap_or(0).min(order.len());
            order.insert(at, id);
            for (index, rule) in order.iter().enumerate() {
                sqlx::query("UPDATE automations SET position = $1 WHERE id = $2")
                    .bind(index as i64)
                    .bind(rule)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.automation(id).await
    }

    async fn delete_automation(&self, id: i64) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM automation_runs WHERE automation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM automations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("automation"));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn automation_runs(&self, id: i64, limit: i64) -> StoreResult<Vec<AutomationRun>> {
        type Row = (
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            bool,
            bool,
            String,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, automation_id, event_id, occasion_at, conversation_id, matched, acted,
               reasons, actions, at FROM automation_runs WHERE automation_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    id,
                    automation_id,
                    event_id,
                    occasion_at,
                    conversation_id,
                    matched,
                    acted,
                    reasons,
                    actions,
                    at,
                )| {
                    let corrupt = |error: serde_json::Error| {
                        StoreError::Corrupt(format!("run {id}: {error}"))
                    };
                    let reasons: Vec<String> = serde_json::from_str(&reasons).map_err(corrupt)?;
                    let actions: Vec<ActionOutcome> =
                        serde_json::from_str(&actions).map_err(corrupt)?;
                    Ok(AutomationRun {
                        id,
                        automation_id,
                        event_id,
                        occasion_at: occasion_at.map(Millis),
                        conversation_id,
                        matched,
                        acted,
                        reasons,
                        actions,
                        at: Millis(at),
                    })
                },
            )
            .collect()
    }

    async fn skip_logged(&self) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE automation_cursor
             SET event_id = (SELECT COALESCE(MAX(id), 0) FROM domain_events)
             WHERE id = 1 AND event_id < (SELECT COALESCE(MAX(id), 0) FROM domain_events)",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn asked_for_rating(
        &self,
        conversation_id: i64,
        ask_comment: bool,
        at: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE conversations SET csat_asked_at = $1, csat_wants_comment = $2,
               csat_rating = NULL, csat_comment = NULL, csat_comment_until = NULL WHERE id = $3",
        )
        .bind(at.0)
        .bind(ask_comment)
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn run_automations(
        &self,
        rules: &[(i64, Rule)],
        hours: &Hours,
        now: Millis,
    ) -> StoreResult<u64> {
        if rules.is_empty() {
            // Nothing to judge with: the worker starts from here once a rule is enabled.
            self.skip_logged().await?;
            return Ok(0);
        }
        let mut judged = 0;
        loop {
            let (events, more) = {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
                let turn = super::automation_worker::take_turn(&mut tx, rules, hours, now).await?;
                tx.commit().await?;
                turn
            };
            if events > 0 {
                self.announce();
            }
            judged += events;
            if !more {
                break;
            }
        }
        if rules.iter().any(|(_, rule)| rule.trigger().is_timed()) {
            let _turn = self.write_turn().await;
            let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
            let timed =
                super::automation_worker::take_timed_turn(&mut tx, rules, hours, now).await?;
            tx.commit().await?;
            if timed > 0 {
                self.announce();
            }
            judged += timed;
        }
        Ok(judged)
    }
}
