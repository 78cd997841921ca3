//! The outbox.

use super::{Db, Engine, SINGLE_NODE, SKIP_LOCKED, Tx};
use crate::domain::inbound::WaMessageId;
use crate::domain::message::preview;
use crate::domain::{DomainEvent, Millis};
use crate::store::sql_support::push_id_list;
use crate::store::{NewOutbound, OutboxJob, OutboxStore, StoreResult};
use async_trait::async_trait;
use parley_app::model::{DeliveryError, Direction, MessageStatus};

use super::conversations::{Activity, Waiting, record_activity};

/// Due jobs, except those queued behind a customer's job in flight or held back; `now` and
/// `limit` name the query's parameters.
fn due(now: &str, limit: &str) -> String {
    format!(
        "SELECT message_id FROM outbox o
         WHERE state = 'pending' AND next_attempt_at <= {now}
           AND (lease_until IS NULL OR lease_until <= {now})
           AND NOT EXISTS (
             SELECT 1 FROM outbox earlier
             WHERE earlier.state = 'pending'
               AND earlier.phone_number_id = o.phone_number_id
               AND earlier.recipient = o.recipient
               AND earlier.message_id < o.message_id
               AND (earlier.next_attempt_at > {now} OR earlier.lease_until > {now}))
         ORDER BY priority, next_attempt_at, message_id LIMIT {limit} {SKIP_LOCKED}"
    )
}

const LEASED: &str = "RETURNING message_id, phone_number_id, request, attempts, priority";

/// Queues a plain text to the conversation's customer from Parley itself (no member): an
/// opt-out's confirmation, or an automation's reply (`automation_id`). `None` when the
/// conversation has no one to send to.
pub(super) async fn send_text_in(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    text: &str,
    automation_id: Option<i64>,
    now: Millis,
) -> StoreResult<Option<i64>> {
    send_own_in(
        tx,
        conversation_id,
        OwnMessage::text(text),
        automation_id,
        now,
    )
    .await
}

/// A message Parley sends by itself: Meta's type, the thread's text, Meta's object, and for
/// a template its id and category (which the cost ledger prices).
pub(super) struct OwnMessage<'a> {
    pub(super) kind: &'static str,
    pub(super) text: &'a str,
    pub(super) object: serde_json::Value,
    pub(super) template: Option<(String, String)>,
}

impl<'a> OwnMessage<'a> {
    /// A plain text (links not previewed).
    pub(super) fn text(text: &'a str) -> OwnMessage<'a> {
        OwnMessage {
            kind: "text",
            text,
            object: serde_json::json!({ "body": text, "preview_url": false }),
            template: None,
        }
    }
}

/// Queues `message` to the conversation's customer from Parley itself; `None` when the
/// conversation has no one to send to.
pub(super) async fn send_own_in(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    message: OwnMessage<'_>,
    automation_id: Option<i64>,
    now: Millis,
) -> StoreResult<Option<i64>> {
    let route: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.phone_number_id, ct.wa_id, ct.bsuid FROM conversations c
         JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1",
    )
    .bind(conversation_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((phone_number_id, wa_id, bsuid)) = route else {
        return Ok(None);
    };
    let Some(recipient) = wa_id.or(bsuid) else {
        return Ok(None);
    };
    let request = serde_json::json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient,
        "type": message.kind,
        message.kind: message.object,
    });
    let own = NewOutbound {
        conversation_id,
        author: None,
        kind: message.kind.into(),
        text: Some(message.text.to_owned()),
        phone_number_id,
        recipient,
        request,
        media: None,
        reply_to_wamid: None,
        reacts_to: None,
        template_id: message.template.as_ref().map(|(id, _)| id.clone()),
        template_category: message.template.map(|(_, category)| category),
        campaign_id: None,
        automation_id,
    };
    enqueue_in(tx, &own, now).await.map(Some)
}

/// Stores an outbound message (status `queued`) and its send job in the caller's transaction.
pub(super) async fn enqueue_in(
    tx: &mut Tx<'_>,
    message: &NewOutbound,
    now: Millis,
) -> StoreResult<i64> {
    let status = MessageStatus::Queued;
    let media = message.media.as_ref();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, direction, kind, body, payload, status,
           status_rank, sent_at, created_at, author_id, media_id, media_mime_type, filename,
           reply_to_wamid, template_category, campaign_id, automation_id)
         VALUES ($1, 'outbound', $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING id",
    )
    .bind(message.conversation_id)
    .bind(&message.kind)
    .bind(&message.text)
    .bind(message.request.to_string())
    .bind(status.as_str())
    .bind(status.rank())
    .bind(now.0)
    .bind(message.author.map(|a| a.0))
    .bind(media.map(|m| &m.media_id))
    .bind(media.map(|m| &m.mime_type))
    .bind(media.and_then(|m| m.filename.as_ref()))
    .bind(&message.reply_to_wamid)
    .bind(&message.template_category)
    .bind(message.campaign_id)
    .bind(message.automation_id)
    .fetch_one(&mut **tx)
    .await?;
    if let Some(target) = &message.reacts_to {
        let emoji = message.text.as_deref().filter(|e| !e.is_empty());
        let target = WaMessageId(target.clone());
        super::messages::react(tx, &target, emoji, Direction::Outbound, now.0, now).await?;
    }
    if let Some(template_id) = &message.template_id {
        super::templates::note_sent(tx, template_id, now).await?;
    }
    let priority = i64::from(message.campaign_id.is_some());
    sqlx::query(
        "INSERT INTO outbox (message_id, phone_number_id, recipient, request, state,
           next_attempt_at, created_at, priority)
         VALUES ($1, $2, $3, $4, 'pending', $5, $5, $6)",
    )
    .bind(id)
    .bind(&message.phone_number_id)
    .bind(&message.recipient)
    .bind(message.request.to_string())
    .bind(now.0)
    .bind(priority)
    .execute(&mut **tx)
    .await?;
    let activity = Activity {
        at: now.0,
        preview: &preview(&message.kind, message.text.as_deref()),
        window: None,
        unread: false,
        waiting: if message.author.is_some() {
            Waiting::Ends
        } else {
            Waiting::Unchanged
        },
    };
    record_activity(tx, message.conversation_id, activity).await?;
    let queued = DomainEvent::MessageQueued {
        conversation_id: message.conversation_id,
        message_id: id,
        author: message.author,
    };
    super::events::push(tx, &queued, now).await?;
    Ok(id)
}

#[async_trait]
impl OutboxStore for Engine {
    async fn enqueue(&self, message: &NewOutbound, now: Millis) -> StoreResult<i64> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let id = enqueue_in(&mut tx, message, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(id)
    }

    async fn claim(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<OutboxJob>> {
        let mut rows: Vec<(i64, String, String, i64, i64)> = if SINGLE_NODE {
            // Finding them scans the outbox: done as a read, it does not hold the one writer
            // (SQLite) that sends being recorded are waiting for. Nobody else claims here; the
            // lease still checks that a job was not cancelled since.
            let ids: Vec<i64> = sqlx::query_scalar(&due("$1", "$2"))
                .bind(now.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let _turn = self.write_turn().await;
            let mut lease = sqlx::QueryBuilder::<Db>::new("UPDATE outbox SET lease_until = ");
            lease
                .push_bind(lease_until.0)
                .push(", attempts = attempts + 1 WHERE message_id IN ");
            push_id_list(&mut lease, &ids);
            lease.push(" AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ");
            lease.push_bind(now.0).push(") ").push(LEASED);
            lease.build_query_as().fetch_all(&self.pool).await?
        } else {
            let _turn = self.write_turn().await;
            let claim = format!(
                "UPDATE outbox SET lease_until = $1, attempts = attempts + 1
                 WHERE message_id IN ({}) {LEASED}",
                due("$2", "$3")
            );
            sqlx::query_as(&claim)
                .bind(lease_until.0)
                .bind(now.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
        };
        rows.sort_by_key(|row| row.0);
        Ok(rows
            .into_iter()
            .map(
                |(message_id, phone_number_id, request, attempts, priority)| OutboxJob {
                    message_id,
                    phone_number_id,
                    request: serde_json::from_str(&request).unwrap_or_default(),
                    attempts,
                    bulk: priority > 0,
                    lease_until,
                },
            )
            .collect())
    }

    async fn accepted(&self, accepted: &[(i64, String)], now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for (message_id, wamid) in accepted {
            sqlx::query(
                "UPDATE outbox SET state = 'done', lease_until = NULL, last_error = NULL
                 WHERE message_id = $1",
            )
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
            let status = MessageStatus::Accepted;
            // Sends are recorded in batches: one missing row must not fail the others.
            let conversation_id: Option<i64> = sqlx::query_scalar(
                "UPDATE messages SET wamid = $1, status = $2, status_rank = $3 WHERE id = $4
                 RETURNING conversation_id",
            )
            .bind(wamid)
            .bind(status.as_str())
            .bind(status.rank())
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(conversation_id) = conversation_id else {
                tracing::warn!(message_id, "an accepted send's message is gone");
                continue;
            };
            let advanced = DomainEvent::StatusAdvanced {
                conversation_id,
                message_id: *message_id,
                status,
                pricing: None,
            };
            super::events::push(&mut tx, &advanced, now).await?;
            // Statuses can arrive before the send's response.
            let wamid = WaMessageId(wamid.clone());
            super::statuses::apply_recorded_statuses(&mut tx, &wamid, now).await?;
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn retry_later(&self, message_id: i64, error: &str, retry_at: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2
             WHERE message_id = $3",
        )
        .bind(retry_at.0)
        .bind(error)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn defer(&self, message_id: i64, until: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, attempts = attempts - 1
             WHERE message_id = $2 AND state = 'pending'",
        )
        .bind(until.0)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn failed(&self, message_id: i64, error: &DeliveryError, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1
             WHERE message_id = $2",
        )
        .bind(&error.title)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        let status = MessageStatus::Failed;
        let conversation_id: i64 = sqlx::query_scalar(
            "UPDATE messages SET status = $1, status_rank = $2, error_code = $3, error_title = $4,
               error_details = $5
             WHERE id = $6 RETURNING conversation_id",
        )
        .bind(status.as_str())
        .bind(status.rank())
        .bind(error.code)
        .bind(&error.title)
        .bind(&error.details)
        .bind(message_id)
        .fetch_one(&mut *tx)
        .await?;
        super::consent::on_send_failure(&mut tx, message_id, error.code, now).await?;
        let advanced = DomainEvent::StatusAdvanced {
            conversation_id,
            message_id,
            status,
            pricing: None,
        };
        super::events::push(&mut tx, &advanced, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn senders(
        &self,
        node: &str,
        numbers: &[String],
        now: Millis,
        since: Millis,
    ) -> StoreResult<Vec<(String, i64)>> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for number in numbers {
            sqlx::query(
                "INSERT INTO number_senders (phone_number_id, node, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (phone_number_id, node) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(number)
            .bind(node)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM number_senders WHERE seen_at < $1")
            .bind(since.0)
            .execute(&mut *tx)
            .await?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT phone_number_id, COUNT(*) FROM number_senders
             GROUP BY phone_number_id ORDER BY phone_number_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(counts
            .into_iter()
            .filter(|(number, _)| numbers.contains(number))
            .collect())
    }

    async fn depth(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT phone_number_id, COUNT(*) FROM outbox WHERE state = 'pending'
             GROUP BY phone_number_id ORDER BY phone_number_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
