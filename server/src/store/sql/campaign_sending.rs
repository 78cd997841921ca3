//! A campaign on its way: the recipients due, handed to the outbox with consent and the cap
//! checked again, the page of recipients the campaign page shows, and customers' replies.

use super::{BEGIN_READ_THEN_WRITE, Db, Engine, Tx};
use crate::domain::Millis;
use crate::store::campaigns::{CampaignRecord, Dispatch, DueRecipient, Eligibility};
use crate::store::{NewOutbound, StoreError, StoreResult};
use parley_app::campaigns::{CampaignRecipient, RecipientFields, RecipientFilter, RecipientState};
use parley_app::consent::{ConsentPurpose, ConsentState};
use parley_app::model::{DeliveryError, UnixTime};
use std::collections::HashMap;

/// How long after a campaign message a customer's message counts as its reply.
const REPLY_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Marketing messages a contact was sent since `since` (failed ones do not count).
pub(super) async fn recent_marketing(
    tx: &mut Tx<'_>,
    contact_id: i64,
    since: Millis,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM conversations cv JOIN messages m ON m.conversation_id = cv.id
         WHERE cv.contact_id = $1 AND m.template_category = 'MARKETING'
           AND m.status <> 'failed' AND m.created_at >= $2",
    )
    .bind(contact_id)
    .bind(since.0)
    .fetch_one(&mut **tx)
    .await?)
}

/// A customer's message answers the campaign message they were sent on that conversation
/// within the last week, if any (only the first reply counts).
pub(super) async fn note_reply(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    at: i64,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET replied_at = $1
         WHERE replied_at IS NULL AND message_id IN
           (SELECT id FROM messages WHERE conversation_id = $2 AND campaign_id IS NOT NULL
              AND direction = 'outbound' AND sent_at >= $3 AND sent_at <= $4)",
    )
    .bind(now.0)
    .bind(conversation_id)
    .bind(at - REPLY_WINDOW_MS)
    .bind(at.max(now.0))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The conversation a campaign message goes in: the customer's unresolved one on the number,
/// else their latest; else a new one, resolved, so the inbox shows it only once they answer.
async fn conversation_for_campaign(
    tx: &mut Tx<'_>,
    contact_id: i64,
    phone_number_id: &str,
    now: Millis,
) -> StoreResult<i64> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM conversations WHERE contact_id = $1 AND phone_number_id = $2
         ORDER BY CASE WHEN status <> 'resolved' THEN 0 ELSE 1 END, last_message_at DESC, id DESC
         LIMIT 1",
    )
    .bind(contact_id)
    .bind(phone_number_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO conversations (contact_id, phone_number_id, status, last_message_at,
           created_at, team_id)
         VALUES ($1, $2, 'resolved', $3, $3,
           (SELECT default_team_id FROM business_numbers WHERE phone_number_id = $2))
         RETURNING id",
    )
    .bind(contact_id)
    .bind(phone_number_id)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await?)
}

/// Sets pending recipients' state; answers whether this one was still pending.
async fn settle(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    contact_id: i64,
    state: RecipientState,
) -> StoreResult<bool> {
    let settled = sqlx::query(
        "UPDATE campaign_recipients SET state = $1
         WHERE campaign_id = $2 AND contact_id = $3 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(campaign_id)
    .bind(contact_id)
    .execute(&mut **tx)
    .await?;
    Ok(settled.rows_affected() == 1)
}

/// Withdraws waiting campaign messages (campaign, contact, message) that no sender holds yet:
/// each failed with `title` and `why`, its recipient moved to `state`.
pub(super) async fn withdraw(
    tx: &mut Tx<'_>,
    waiting: &[(i64, i64, i64)],
    (title, why, state): (&str, &str, RecipientState),
    now: Millis,
) -> StoreResult<()> {
    for &(campaign_id, contact_id, message_id) in waiting {
        if super::messages::withdraw(tx, message_id, title, why, now).await? {
            sqlx::query(
                "UPDATE campaign_recipients SET state = $1
                 WHERE campaign_id = $2 AND contact_id = $3",
            )
            .bind(state.as_str())
            .bind(campaign_id)
            .bind(contact_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

impl Engine {
    pub(super) async fn recipient_page(
        &self,
        id: i64,
        filter: Option<RecipientFilter>,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<CampaignRecipient>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new(
            "SELECT r.contact_id, COALESCE(ct.edited_name, ct.name), ct.wa_id, r.state,
               m.status, m.conversation_id, m.error_code, m.error_title, m.error_details,
               r.replied_at
             FROM campaign_recipients r JOIN contacts ct ON ct.id = r.contact_id
             LEFT JOIN messages m ON m.id = r.message_id
             WHERE r.campaign_id = ",
        );
        sql.push_bind(id);
        match filter {
            Some(RecipientFilter::State(state)) => {
                sql.push(" AND r.state = ").push_bind(state.as_str());
            }
            Some(RecipientFilter::Status(status)) => {
                let statuses = match status {
                    "sent" => "('sent', 'accepted', 'delivered', 'read')",
                    "delivered" => "('delivered', 'read')",
                    "read" => "('read')",
                    _ => "('failed')",
                };
                sql.push(format!(
                    " AND r.state = 'queued' AND m.status IN {statuses}"
                ));
            }
            Some(RecipientFilter::Replied) => {
                sql.push(" AND r.replied_at IS NOT NULL");
            }
            Some(RecipientFilter::Skipped) => {
                sql.push(" AND r.state LIKE 'skipped%'");
            }
            None => {}
        }
        if let Some(after) = after {
            sql.push(" AND r.contact_id > ").push_bind(after);
        }
        sql.push(" ORDER BY r.contact_id LIMIT ").push_bind(limit);
        type Row = (
            i64,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = sql.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(
                |(
                    contact_id,
                    name,
                    wa_id,
                    state,
                    status,
                    conversation,
                    code,
                    title,
                    details,
                    replied,
                )| {
                    Ok(CampaignRecipient {
                        contact_id,
                        name,
                        phone: wa_id.map(|w| format!("+{w}")),
                        state: state.parse().map_err(|e: parley_app::model::ParseError| {
                            StoreError::Corrupt(e.to_string())
                        })?,
                        message_status: status,
                        conversation_id: conversation,
                        error: code.map(|code| DeliveryError {
                            code,
                            title: title.unwrap_or_default(),
                            details,
                        }),
                        replied_at: replied.map(UnixTime::from_millis),
                    })
                },
            )
            .collect()
    }

    pub(super) async fn recipients_due(
        &self,
        id: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueRecipient>> {
        type Row = (
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT ct.id, ct.wa_id, COALESCE(ct.edited_name, ct.name), ct.email, ct.company
                 FROM campaign_recipients r JOIN contacts ct ON ct.id = r.contact_id
                 WHERE r.campaign_id = $1 AND r.state = 'pending'
                 ORDER BY r.contact_id LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let first = rows[0].0;
        let last = rows[rows.len() - 1].0;
        let values: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT v.contact_id, v.key, v.value FROM contact_attribute_values v
             JOIN campaign_recipients r ON r.contact_id = v.contact_id AND r.campaign_id = $1
             WHERE r.state = 'pending' AND v.contact_id BETWEEN $2 AND $3",
        )
        .bind(id)
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let mut attributes: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (contact, key, value) in values {
            attributes.entry(contact).or_default().push((key, value));
        }
        Ok(rows
            .into_iter()
            .map(|(contact_id, wa_id, name, email, company)| DueRecipient {
                contact_id,
                fields: RecipientFields {
                    name,
                    phone: wa_id.as_ref().map(|w| format!("+{w}")),
                    email,
                    company,
                    attributes: attributes
                        .remove(&contact_id)
                        .unwrap_or_default()
                        .into_iter()
                        .collect(),
                },
                to: wa_id,
            })
            .collect())
    }

    pub(super) async fn dispatch_sends(
        &self,
        campaign: &CampaignRecord,
        dispatches: &[Dispatch],
        rules: &Eligibility,
        now: Millis,
    ) -> StoreResult<usize> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let mut queued = 0;
        for dispatch in dispatches {
            let (contact_id, to, request, text) = match dispatch {
                Dispatch::Skip { contact_id, state } => {
                    settle(&mut tx, campaign.id, *contact_id, *state).await?;
                    continue;
                }
                Dispatch::Send {
                    contact_id,
                    to,
                    request,
                    text,
                } => (*contact_id, to, request, text),
            };
            if rules.marketing {
                let consent =
                    super::consent::current(&mut tx, contact_id, ConsentPurpose::Marketing).await?;
                let skip = match consent {
                    Some(ConsentState::OptedOut) => Some(RecipientState::SkippedOptedOut),
                    None => Some(RecipientState::SkippedNoConsent),
                    Some(ConsentState::OptedIn) => None,
                };
                let skip = match skip {
                    None if rules.frequency_cap > 0
                        && recent_marketing(&mut tx, contact_id, rules.cap_since).await?
                            >= rules.frequency_cap =>
                    {
                        Some(RecipientState::SkippedFrequencyCap)
                    }
                    other => other,
                };
                if let Some(state) = skip {
                    settle(&mut tx, campaign.id, contact_id, state).await?;
                    continue;
                }
            }
            if !settle(&mut tx, campaign.id, contact_id, RecipientState::Queued).await? {
                continue; // taken by another node, or cancelled meanwhile
            }
            let conversation_id =
                conversation_for_campaign(&mut tx, contact_id, &campaign.phone_number_id, now)
                    .await?;
            let message = NewOutbound {
                conversation_id,
                author: None,
                kind: "template".into(),
                text: Some(text.clone()),
                phone_number_id: campaign.phone_number_id.clone(),
                recipient: to.clone(),
                request: request.clone(),
                media: None,
                reply_to_wamid: None,
                reacts_to: None,
                template_id: None,
                template_category: Some(campaign.template_category.clone()),
                campaign_id: Some(campaign.id),
                automation_id: None,
            };
            let message_id = super::outbox::enqueue_in(&mut tx, &message, now).await?;
            sqlx::query(
                "UPDATE campaign_recipients SET message_id = $1
                 WHERE campaign_id = $2 AND contact_id = $3",
            )
            .bind(message_id)
            .bind(campaign.id)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
            queued += 1;
        }
        tx.commit().await?;
        self.announce();
        Ok(queued)
    }
}
