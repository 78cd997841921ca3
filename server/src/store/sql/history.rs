//! Conversations' history, written beside the domain events in the same transaction: a change
//! and its mark in the history commit together or not at all.

use super::Tx;
use crate::domain::history::{HistoryKind, HistoryStep, step_of};
use crate::domain::{DomainEvent, Millis};
use crate::store::StoreResult;
use parley_app::model::{ConversationStatus, UserId};

/// How far back the clock looks for windows that lapsed: a node down this long still
/// records them when it comes back.
const LAPSE_LOOKBACK_MS: i64 = 86_400_000;

/// Marks `events` in their conversations' history, in order. Events that are no step in a
/// conversation's life (statuses, presence, reads) cost nothing here.
pub(super) async fn record(
    tx: &mut Tx<'_>,
    events: &[DomainEvent],
    now: Millis,
) -> StoreResult<()> {
    for (conversation_id, step, actor) in events.iter().filter_map(step_of) {
        match step {
            HistoryStep::Opened | HistoryStep::Reopened => {
                // A new piece of work: the last one's rating belongs to its history.
                sqlx::query(
                    "UPDATE conversations SET cycle_started_at = $2, awaiting_first_reply_since = $2,
                       csat_asked_at = NULL, csat_rating = NULL, csat_comment = NULL,
                       csat_comment_until = NULL
                     WHERE id = $1",
                )
                .bind(conversation_id)
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                let kind = if step == HistoryStep::Opened {
                    HistoryKind::Opened
                } else {
                    HistoryKind::Reopened
                };
                let mark = Mark::new(conversation_id, kind, actor);
                mark.write(tx, now).await?;
            }
            HistoryStep::Assigned { assignee } => {
                let mut mark = Mark::new(conversation_id, HistoryKind::Assigned, actor);
                mark.value = assignee.map(|user| user.0);
                mark.write(tx, now).await?;
            }
            HistoryStep::TeamChanged { team_id } => {
                let mut mark = Mark::new(conversation_id, HistoryKind::TeamChanged, actor);
                mark.value = team_id;
                mark.write(tx, now).await?;
            }
            HistoryStep::StatusChanged {
                status: ConversationStatus::Resolved,
            } => {
                let mut mark = Mark::new(conversation_id, HistoryKind::Resolved, actor);
                mark.value_sql = Some("($7 - COALESCE(cycle_started_at, created_at)) / 1000");
                mark.write(tx, now).await?;
                // A conversation closed unanswered has no first response to wait for.
                sqlx::query(
                    "UPDATE conversations SET awaiting_first_reply_since = NULL,
                       customer_waiting_since = NULL WHERE id = $1",
                )
                .bind(conversation_id)
                .execute(&mut **tx)
                .await?;
            }
            HistoryStep::StatusChanged { status } => {
                let mut mark = Mark::new(conversation_id, HistoryKind::StatusChanged, actor);
                mark.detail = Some(status.as_str());
                mark.write(tx, now).await?;
            }
            HistoryStep::Replied { author } => {
                // A response answers the customer: when the business spoke first (a member
                // started the conversation), there was nobody waiting to measure.
                let mut first = Mark::new(conversation_id, HistoryKind::FirstReply, actor);
                first.agent = author;
                first.value_sql = Some("($7 - awaiting_first_reply_since) / 1000");
                first.only_if = "AND awaiting_first_reply_since IS NOT NULL
                    AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id
                      AND m.direction = 'inbound'
                      AND m.created_at >= conversations.awaiting_first_reply_since)";
                first.write(tx, now).await?;
                sqlx::query(
                    "UPDATE conversations SET awaiting_first_reply_since = NULL
                     WHERE id = $1 AND awaiting_first_reply_since IS NOT NULL",
                )
                .bind(conversation_id)
                .execute(&mut **tx)
                .await?;
                let mut reply = Mark::new(conversation_id, HistoryKind::Replied, actor);
                reply.agent = author;
                reply.write(tx, now).await?;
            }
        }
    }
    Ok(())
}

/// One history row, its number, team and (unless given) member read from the conversation as
/// it stands after the change.
struct Mark {
    conversation_id: i64,
    kind: HistoryKind,
    actor: Option<UserId>,
    /// The member the mark counts for; the conversation's assignee when `None`.
    agent: Option<UserId>,
    value: Option<i64>,
    /// An expression over the conversation's columns (`$7` is now) for `value`.
    value_sql: Option<&'static str>,
    detail: Option<&'static str>,
    /// A further condition on the conversation: no row is written unless it holds.
    only_if: &'static str,
}

impl Mark {
    fn new(conversation_id: i64, kind: HistoryKind, actor: Option<UserId>) -> Mark {
        Mark {
            conversation_id,
            kind,
            actor,
            agent: None,
            value: None,
            value_sql: None,
            detail: None,
            only_if: "",
        }
    }

    /// Writes the row, unless the conversation is not there or `only_if` does not hold.
    async fn write(&self, tx: &mut Tx<'_>, now: Millis) -> StoreResult<()> {
        let value = self.value_sql.unwrap_or("NULL");
        let sql = format!(
            "INSERT INTO conversation_history (conversation_id, kind, actor_id, agent_id, team_id,
               phone_number_id, value, detail, at)
             SELECT id, $2, $3, COALESCE($4, assignee_id), team_id, phone_number_id,
               COALESCE($5, {value}), $6, $7
             FROM conversations WHERE id = $1 {only_if}",
            only_if = self.only_if,
        );
        sqlx::query(&sql)
            .bind(self.conversation_id)
            .bind(self.kind.as_str())
            .bind(self.actor.map(|user| user.0))
            .bind(self.agent.map(|user| user.0))
            .bind(self.value)
            .bind(self.detail)
            .bind(now.0)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Marks the windows that closed by `now` while the customer's message was the last word and
/// the conversation was not resolved, once each (the unique index makes a second node's mark,
/// or a second look, a no-op). Returns how many were marked.
pub(super) async fn mark_lapsed_windows(tx: &mut Tx<'_>, now: Millis) -> StoreResult<u64> {
    let marked = sqlx::query(
        "INSERT INTO conversation_history (conversation_id, kind, agent_id, team_id,
           phone_number_id, at)
         SELECT c.id, 'window_lapsed', c.assignee_id, c.team_id, c.phone_number_id,
           c.window_expires_at
         FROM conversations c
         WHERE c.window_expires_at > $1 AND c.window_expires_at <= $2 AND c.status <> 'resolved'
           AND (SELECT m.direction FROM messages m WHERE m.conversation_id = c.id
                ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) = 'inbound'
         ON CONFLICT DO NOTHING",
    )
    .bind(now.0 - LAPSE_LOOKBACK_MS)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(marked.rows_affected())
}

/// Marks a customer's rating (1 to 5) in the conversation's history, counted for the member
/// who had the conversation.
pub(super) async fn record_csat(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    rating: u8,
    now: Millis,
) -> StoreResult<()> {
    let mut mark = Mark::new(conversation_id, HistoryKind::Csat, None);
    mark.value = Some(i64::from(rating));
    mark.write(tx, now).await
}
