//! Campaigns and their recipients.

use super::{BEGIN_READ_THEN_WRITE, Db, Engine, Tx};
use crate::domain::{DomainEvent, Millis};
use crate::store::campaigns::{
    CampaignRecord, CampaignStore, CampaignWrite, CountRow, Dispatch, DueRecipient, Eligibility,
};
use crate::store::{ContactQuery, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::campaigns::{
    CampaignRecipient, CampaignState, PauseReason, RecipientFilter, RecipientState,
};
use parley_app::model::UserId;

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.name, c.phone_number_id, n.display_phone_number,
    c.template_name, c.template_language, c.template_category, c.parameters, c.header_media_id,
    c.audience, c.state, c.pause_reason, c.scheduled_at, c.started_at, c.finished_at,
    u.name AS created_by_name, c.created_at
    FROM campaigns c LEFT JOIN business_numbers n ON n.phone_number_id = c.phone_number_id
    LEFT JOIN users u ON u.id = c.created_by";

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    phone_number_id: String,
    display_phone_number: Option<String>,
    template_name: String,
    template_language: String,
    template_category: String,
    parameters: String,
    header_media_id: Option<String>,
    audience: String,
    state: String,
    pause_reason: Option<String>,
    scheduled_at: Option<i64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    created_by_name: Option<String>,
    created_at: i64,
}

fn corrupt(what: &str) -> impl Fn(String) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("campaign {what}: {e}"))
}

impl CampaignRow {
    fn into_record(self) -> StoreResult<CampaignRecord> {
        Ok(CampaignRecord {
            id: self.id,
            name: self.name,
            phone_number_id: self.phone_number_id,
            display_phone_number: self.display_phone_number,
            template: parley_app::campaigns::CampaignTemplate {
                name: self.template_name,
                language: self.template_language,
                parameters: serde_json::from_str(&self.parameters)
                    .map_err(|e| corrupt("parameters")(e.to_string()))?,
                header_media_id: self.header_media_id,
            },
            template_category: self.template_category,
            audience: serde_json::from_str(&self.audience)
                .map_err(|e| corrupt("audience")(e.to_string()))?,
            state: self
                .state
                .parse()
                .map_err(|e: parley_app::model::ParseError| corrupt("state")(e.to_string()))?,
            pause_reason: self.pause_reason.and_then(|r| r.parse().ok()),
            scheduled_at: self.scheduled_at.map(Millis),
            started_at: self.started_at.map(Millis),
            finished_at: self.finished_at.map(Millis),
            created_by_name: self.created_by_name,
            created_at: Millis(self.created_at),
        })
    }
}

/// The audience `query` with each contact's eligibility as a recipient state: `SELECT id,
/// wa_id, state` for the caller to count or insert.
fn push_eligibility(
    sql: &mut sqlx::QueryBuilder<'_, Db>,
    query: &ContactQuery,
    rules: &Eligibility,
) {
    let marketing = if rules.marketing {
        format!(
            "WHEN a.consent = 'opted_out' THEN 'skipped_opted_out'
             WHEN a.consent IS NULL THEN 'skipped_no_consent'
             WHEN {cap} > 0 AND a.recent >= {cap} THEN 'skipped_frequency_cap'",
            cap = rules.frequency_cap
        )
    } else {
        String::new()
    };
    sql.push(format!(
        "SELECT a.id, a.wa_id, CASE
           WHEN a.wa_id IS NULL OR a.unreachable_at IS NOT NULL THEN 'skipped_no_whatsapp'
           {marketing}
           ELSE 'pending' END AS state
         FROM (SELECT ct.id, ct.wa_id, ct.unreachable_at,
           (SELECT e.state FROM consent_entries e
            WHERE e.contact_id = ct.id AND e.purpose = 'marketing'
            ORDER BY e.id DESC LIMIT 1) AS consent,"
    ));
    if rules.marketing {
        sql.push(
            " (SELECT COUNT(*) FROM conversations cv JOIN messages m ON m.conversation_id = cv.id
               WHERE cv.contact_id = ct.id AND m.template_category = 'MARKETING'
                 AND m.status <> 'failed' AND m.created_at >= ",
        )
        .push_bind(rules.cap_since.0)
        .push(") AS recent");
    } else {
        sql.push(" 0 AS recent");
    }
    sql.push(" FROM contacts ct WHERE 1 = 1");
    super::contacts::push_filters(sql, query);
    sql.push(") a");
}

async fn changed(tx: &mut Tx<'_>, id: i64, state: CampaignState, now: Millis) -> StoreResult<()> {
    let event = DomainEvent::CampaignChanged {
        campaign_id: id,
        state,
    };
    super::events::push(tx, &event, now).await
}

#[async_trait]
impl CampaignStore for Engine {
    async fn list(&self) -> StoreResult<Vec<CampaignRecord>> {
        let rows: Vec<CampaignRow> =
            sqlx::query_as(&format!("{CAMPAIGN_SELECT} ORDER BY c.id DESC"))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(CampaignRow::into_record).collect()
    }

    async fn get(&self, id: i64) -> StoreResult<Option<CampaignRecord>> {
        let row: Option<CampaignRow> =
            sqlx::query_as(&format!("{CAMPAIGN_SELECT} WHERE c.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(CampaignRow::into_record).transpose()
    }

    async fn create(
        &self,
        campaign: &CampaignWrite,
        by: UserId,
        now: Millis,
    ) -> StoreResult<CampaignRecord> {
        let id: i64 = {
            let _turn = self.write_turn().await;
            let mut tx = self.pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (name, phone_number_id, template_name, template_language,
                   template_category, parameters, header_media_id, audience, state, scheduled_at,
                   created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(&campaign.name)
            .bind(&campaign.phone_number_id)
            .bind(&campaign.template.name)
            .bind(&campaign.template.language)
            .bind(&campaign.template_category)
            .bind(serde_json::to_string(&campaign.template.parameters).unwrap_or_default())
            .bind(&campaign.template.header_media_id)
            .bind(serde_json::to_string(&campaign.audience).unwrap_or_default())
            .bind(campaign.state.as_str())
            .bind(campaign.scheduled_at.map(|t| t.0))
            .bind(by.0)
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            changed(&mut tx, id, campaign.state, now).await?;
            tx.commit().await?;
            id
        };
        self.announce();
        self.get(id).await?.ok_or(StoreError::NotFound("campaign"))
    }

    async fn update(&self, id: i64, campaign: &CampaignWrite, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE campaigns SET name = $1, phone_number_id = $2, template_name = $3,
               template_language = $4, template_category = $5, parameters = $6,
               header_media_id = $7, audience = $8, state = $9, scheduled_at = $10,
               updated_at = $11
             WHERE id = $12 AND state IN ('draft', 'scheduled')",
        )
        .bind(&campaign.name)
        .bind(&campaign.phone_number_id)
        .bind(&campaign.template.name)
        .bind(&campaign.template.language)
        .bind(&campaign.template_category)
        .bind(serde_json::to_string(&campaign.template.parameters).unwrap_or_default())
        .bind(&campaign.template.header_media_id)
        .bind(serde_json::to_string(&campaign.audience).unwrap_or_default())
        .bind(campaign.state.as_str())
        .bind(campaign.scheduled_at.map(|t| t.0))
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::WrongState(
                "only a draft or scheduled campaign can be changed",
            ));
        }
        changed(&mut tx, id, campaign.state, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn delete(&self, id: i64) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let deleted =
            sqlx::query("DELETE FROM campaigns WHERE id = $1 AND state IN ('draft', 'scheduled')")
                .bind(id)
                .execute(&self.pool)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::WrongState(
                "only a draft or scheduled campaign can be deleted; cancel it instead",
            ));
        }
        Ok(())
    }

    async fn preview(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Vec<(RecipientState, i64)>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new("SELECT state, COUNT(*) FROM (");
        push_eligibility(&mut sql, query, rules);
        sql.push(") eligibility GROUP BY state");
        let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(state, count)| {
                let state = state.parse().map_err(|e: parley_app::model::ParseError| {
                    StoreError::Corrupt(e.to_string())
                })?;
                Ok((state, count))
            })
            .collect()
    }

    async fn eligible_by_prefix(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Vec<(String, i64)>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new("SELECT SUBSTR(wa_id, 1, 4), COUNT(*) FROM (");
        push_eligibility(&mut sql, query, rules);
        sql.push(") eligibility WHERE state = 'pending' GROUP BY SUBSTR(wa_id, 1, 4)");
        Ok(sql.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn eligible_sample(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Option<i64>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new("SELECT id FROM (");
        push_eligibility(&mut sql, query, rules);
        sql.push(") eligibility WHERE state = 'pending' ORDER BY id DESC LIMIT 1");
        Ok(sql.build_query_scalar().fetch_optional(&self.pool).await?)
    }

    async fn start(
        &self,
        id: i64,
        query: &ContactQuery,
        rules: &Eligibility,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let started = sqlx::query(
            "UPDATE campaigns SET state = 'sending', started_at = $1, updated_at = $1
             WHERE id = $2 AND state IN ('draft', 'scheduled')",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if started.rows_affected() == 0 {
            return Err(StoreError::WrongState(
                "only a draft or scheduled campaign can be started",
            ));
        }
        let mut sql = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, state) SELECT ",
        );
        sql.push_bind(id)
            .push(", eligibility.id, eligibility.state FROM (");
        push_eligibility(&mut sql, query, rules);
        sql.push(") eligibility");
        sql.build().execute(&mut *tx).await?;
        changed(&mut tx, id, CampaignState::Sending, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn transition(
        &self,
        id: i64,
        from: &[CampaignState],
        to: CampaignState,
        reason: Option<PauseReason>,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let from: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let moved = sqlx::query(&format!(
            "UPDATE campaigns SET state = $1, pause_reason = $2, updated_at = $3
             WHERE id = $4 AND state IN ({})",
            from.join(", ")
        ))
        .bind(to.as_str())
        .bind(reason.map(PauseReason::as_str))
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::WrongState(
                "the campaign is not in a state that allows this",
            ));
        }
        changed(&mut tx, id, to, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn cancel(&self, id: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let cancelled = sqlx::query(
            "UPDATE campaigns SET state = 'cancelled', pause_reason = NULL, finished_at = $1,
               updated_at = $1
             WHERE id = $2 AND state IN ('draft', 'scheduled', 'sending', 'paused')",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if cancelled.rows_affected() == 0 {
            return Err(StoreError::WrongState("the campaign has already finished"));
        }
        sqlx::query(
            "UPDATE campaign_recipients SET state = 'cancelled'
             WHERE campaign_id = $1 AND state = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let waiting: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT r.campaign_id, r.contact_id, r.message_id FROM campaign_recipients r
             JOIN outbox o ON o.message_id = r.message_id
             WHERE r.campaign_id = $1 AND r.state = 'queued' AND o.state = 'pending'",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let why = "The campaign was cancelled before it was sent.";
        let withdrawal = ("Cancelled", why, RecipientState::Cancelled);
        super::campaign_sending::withdraw(&mut tx, &waiting, withdrawal, now).await?;
        changed(&mut tx, id, CampaignState::Cancelled, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn counts(&self, id: i64) -> StoreResult<Vec<CountRow>> {
        let rows: Vec<(String, Option<String>, bool, i64)> = sqlx::query_as(
            "SELECT r.state, m.status, r.replied_at IS NOT NULL, COUNT(*)
             FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
             WHERE r.campaign_id = $1
             GROUP BY r.state, m.status, r.replied_at IS NOT NULL",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(state, status, replied, count)| {
                let state = state.parse().map_err(|e: parley_app::model::ParseError| {
                    StoreError::Corrupt(e.to_string())
                })?;
                Ok((state, status, replied, count))
            })
            .collect()
    }

    async fn failures(&self, id: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(m.error_code, 0), COUNT(*) FROM campaign_recipients r
             JOIN messages m ON m.id = r.message_id
             WHERE r.campaign_id = $1 AND m.status = 'failed'
             GROUP BY COALESCE(m.error_code, 0) ORDER BY COUNT(*) DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn recipients(
        &self,
        id: i64,
        filter: Option<RecipientFilter>,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<CampaignRecipient>> {
        self.recipient_page(id, filter, after, limit).await
    }

    async fn due(&self, now: Millis) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM campaigns WHERE state = 'scheduled' AND scheduled_at <= $1
             ORDER BY scheduled_at, id",
        )
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn sending(&self) -> StoreResult<Vec<CampaignRecord>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
            "{CAMPAIGN_SELECT} WHERE c.state = 'sending' ORDER BY c.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CampaignRow::into_record).collect()
    }

    async fn waiting_on_number(&self, phone_number_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox
             WHERE state = 'pending' AND priority > 0 AND phone_number_id = $1",
        )
        .bind(phone_number_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn due_recipients(&self, id: i64, limit: i64) -> StoreResult<Vec<DueRecipient>> {
        self.recipients_due(id, limit).await
    }

    async fn dispatch(
        &self,
        campaign: &CampaignRecord,
        dispatches: &[Dispatch],
        rules: &Eligibility,
        now: Millis,
    ) -> StoreResult<usize> {
        self.dispatch_sends(campaign, dispatches, rules, now).await
    }

    async fn reached_since(&self, phone_number_id: &str, since: Millis) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT c.contact_id) FROM messages m
             JOIN conversations c ON c.id = m.conversation_id
             WHERE m.direction = 'outbound' AND m.kind = 'template' AND m.created_at >= $1
               AND m.status <> 'failed' AND c.phone_number_id = $2",
        )
        .bind(since.0)
        .bind(phone_number_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn marketing_sent_since(&self, contact_id: i64, since: Millis) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let sent = super::campaign_sending::recent_marketing(&mut tx, contact_id, since).await?;
        tx.rollback().await?;
        Ok(sent)
    }

    async fn complete_if_done(&self, id: i64, now: Millis) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let completed = sqlx::query(
            "UPDATE campaigns SET state = 'completed', finished_at = $1, updated_at = $1
             WHERE id = $2 AND state = 'sending'
               AND NOT EXISTS (SELECT 1 FROM campaign_recipients
                               WHERE campaign_id = $2 AND state = 'pending')
               AND NOT EXISTS (SELECT 1 FROM campaign_recipients r
                               JOIN outbox o ON o.message_id = r.message_id
                               WHERE r.campaign_id = $2 AND o.state = 'pending')",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if completed.rows_affected() == 0 {
            return Ok(false);
        }
        changed(&mut tx, id, CampaignState::Completed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(true)
    }
}
