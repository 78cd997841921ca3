//! Messages: timelines, and the message-level steps of intake and sending.

use super::{Db, Engine, Tx};
use crate::domain::events::MessageChange;
use crate::domain::inbound::{Content, WaMessageId};
use crate::domain::{DomainEvent, Millis};
use crate::store::messages::{MESSAGE_SELECT, MessageRow, ReactionRow, direction_str};
use crate::store::sql_support::push_id_list;
use crate::store::{Forgotten, KeysetCursor, MessagePage, MessageStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::model::{Direction, MessageStatus};

#[async_trait]
impl MessageStore for Engine {
    async fn forget_content_before(&self, cutoff: Millis, limit: i64) -> StoreResult<Forgotten> {
        self.forget_before(cutoff, limit).await
    }

    async fn page(
        &self,
        conversation_id: i64,
        before: Option<KeysetCursor>,
        limit: i64,
    ) -> StoreResult<MessagePage> {
        let mut sql = sqlx::QueryBuilder::<Db>::new(MESSAGE_SELECT);
        sql.push(" WHERE m.conversation_id = ")
            .push_bind(conversation_id);
        if let Some(cursor) = before {
            sql.push(" AND (m.sent_at < ")
                .push_bind(cursor.sort_key)
                .push(" OR (m.sent_at = ")
                .push_bind(cursor.sort_key)
                .push(" AND m.id < ")
                .push_bind(cursor.id)
                .push("))");
        }
        // One row more than asked tells whether an older page exists.
        sql.push(" ORDER BY m.sent_at DESC, m.id DESC LIMIT ")
            .push_bind(limit + 1);
        let mut rows: Vec<MessageRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let older = match rows.last() {
            Some(row) if more => Some(KeysetCursor {
                sort_key: row.sent_at,
                id: row.id,
            }),
            _ => None,
        };
        rows.reverse();
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let reactions = reactions_of(&self.pool, &ids).await?;
        let messages = rows
            .into_iter()
            .map(|row| row.into_message(&reactions))
            .collect::<StoreResult<_>>()?;
        Ok(MessagePage { messages, older })
    }

    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<crate::domain::message::Message>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = sqlx::QueryBuilder::<Db>::new(MESSAGE_SELECT);
        sql.push(" WHERE m.id IN ");
        push_id_list(&mut sql, ids);
        let rows: Vec<MessageRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        let reactions = reactions_of(&self.pool, ids).await?;
        rows.into_iter()
            .map(|row| row.into_message(&reactions))
            .collect()
    }

    async fn in_conversation(&self, conversation_id: i64, wamid: &str) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE wamid = $1 AND conversation_id = $2")
                .bind(wamid)
                .bind(conversation_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn replied_since(
        &self,
        conversation_id: i64,
        after: i64,
        member: parley_app::model::UserId,
    ) -> StoreResult<Option<String>> {
        let author: Option<String> = sqlx::query_scalar(
            "SELECT u.name FROM messages m JOIN users u ON u.id = m.author_id
             WHERE m.conversation_id = $1 AND m.id > $2 AND m.direction = 'outbound'
               AND m.author_id <> $3
             ORDER BY m.id DESC LIMIT 1",
        )
        .bind(conversation_id)
        .bind(after)
        .bind(member.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(author)
    }

    async fn retry(&self, message_id: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let queued = MessageStatus::Queued;
        let conversation_id: Option<i64> = sqlx::query_scalar(
            "UPDATE messages SET status = $1, status_rank = $2, wamid = NULL, error_code = NULL,
               error_title = NULL, error_details = NULL
             WHERE id = $3 AND direction = 'outbound' AND status = 'failed'
               AND EXISTS (SELECT 1 FROM outbox WHERE outbox.message_id = messages.id)
             RETURNING conversation_id",
        )
        .bind(queued.as_str())
        .bind(queued.rank())
        .bind(message_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(conversation_id) = conversation_id else {
            return Err(StoreError::WrongState(
                "only a failed message sent from Parley can be retried",
            ));
        };
        sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1,
               lease_until = NULL, last_error = NULL
             WHERE message_id = $2",
        )
        .bind(now.0)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        changed(
            &mut tx,
            conversation_id,
            message_id,
            MessageChange::Retried,
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn cancel(&self, message_id: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let why = "Cancelled by an agent before it was sent.";
        if !withdraw(&mut tx, message_id, "Cancelled", why, now).await? {
            return Err(StoreError::WrongState(
                "only a message still waiting in the queue can be cancelled",
            ));
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }
}

/// The reactions on these messages: (target wamid, direction, emoji) rows.
async fn reactions_of(pool: &sqlx::Pool<Db>, message_ids: &[i64]) -> StoreResult<Vec<ReactionRow>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut reactions = sqlx::QueryBuilder::<Db>::new(
        "SELECT target_wamid, direction, emoji FROM reactions
         WHERE target_wamid IN (SELECT wamid FROM messages WHERE id IN ",
    );
    push_id_list(&mut reactions, message_ids);
    reactions.push(")");
    Ok(reactions.build_query_as().fetch_all(pool).await?)
}

/// Says that a message changed (besides its status), inside the caller's transaction.
pub(super) async fn changed(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    message_id: i64,
    change: MessageChange,
    now: Millis,
) -> StoreResult<()> {
    let event = DomainEvent::MessageChanged {
        conversation_id,
        message_id,
        change,
    };
    super::events::push(tx, &event, now).await
}

pub(super) async fn exists(tx: &mut Tx<'_>, wamid: &WaMessageId) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE wamid = $1")
        .bind(&wamid.0)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

/// A message as Meta delivered it (a customer's, or an echo of the business's own).
pub(super) struct Delivered<'a> {
    pub(super) conversation_id: i64,
    pub(super) wamid: &'a WaMessageId,
    pub(super) direction: Direction,
    pub(super) content: &'a Content,
    pub(super) raw: &'a serde_json::Value,
    pub(super) status: MessageStatus,
    pub(super) sent_at: i64,
    pub(super) reply_to: Option<&'a WaMessageId>,
}

/// Stores a delivered message (and queues its media for download); `None` when its wamid is
/// already stored.
pub(super) async fn insert(
    tx: &mut Tx<'_>,
    message: Delivered<'_>,
    now: Millis,
) -> StoreResult<Option<i64>> {
    let media = message.content.media();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, wamid, direction, kind, body, payload, status,
           status_rank, sent_at, created_at, reply_to_wamid, media_id, media_mime_type, filename)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (wamid) DO NOTHING RETURNING id",
    )
    .bind(message.conversation_id)
    .bind(&message.wamid.0)
    .bind(direction_str(message.direction))
    .bind(message.content.type_name())
    .bind(message.content.text())
    .bind(message.raw.to_string())
    .bind(message.status.as_str())
    .bind(message.status.rank())
    .bind(message.sent_at)
    .bind(now.0)
    .bind(message.reply_to.map(|r| r.0.clone()))
    .bind(media.and_then(|m| m.media_id.clone()))
    .bind(media.and_then(|m| m.mime_type.clone()))
    .bind(media.and_then(|m| m.filename.clone()))
    .fetch_optional(&mut **tx)
    .await?;
    if let (Some(_), Some(media)) = (id, media)
        && let Some(media_id) = &media.media_id
    {
        sqlx::query(
            "INSERT INTO media_files (media_id, mime_type, sha256, state, next_attempt_at,
               created_at)
             VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT (media_id) DO NOTHING",
        )
        .bind(media_id)
        .bind(&media.mime_type)
        .bind(&media.sha256)
        .bind(now.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Applies a message that changes another (reaction, edit, revoke) rather than standing on
/// its own; `false` when `content` is an ordinary message.
pub(super) async fn apply_amendment(
    tx: &mut Tx<'_>,
    content: &Content,
    direction: Direction,
    at: i64,
    now: Millis,
) -> StoreResult<bool> {
    match content {
        Content::Reaction { target, emoji } => {
            react(tx, target, emoji.as_deref(), direction, at, now).await?
        }
        Content::Edit {
            original,
            replacement,
        } => {
            sqlx::query(
                "UPDATE messages SET body = $1, edited_at = $2 WHERE wamid = $3 AND deleted_at IS NULL",
            )
            .bind(replacement.text())
            .bind(at)
            .bind(&original.0)
            .execute(&mut **tx)
            .await?;
            touch(tx, original, MessageChange::Edited, now).await?
        }
        Content::Revoke { original } => {
            // The customer withdrew it: keep the record, drop what it said.
            sqlx::query("UPDATE messages SET body = NULL, deleted_at = $1 WHERE wamid = $2")
                .bind(at)
                .bind(&original.0)
                .execute(&mut **tx)
                .await?;
            touch(tx, original, MessageChange::Revoked, now).await?
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Sets (or with `None` removes) one side's reaction on a message. An older reaction arriving
/// late does not replace a newer one.
pub(super) async fn react(
    tx: &mut Tx<'_>,
    target: &WaMessageId,
    emoji: Option<&str>,
    direction: Direction,
    reacted_at: i64,
    now: Millis,
) -> StoreResult<()> {
    let side = direction_str(direction);
    let current: Option<i64> = sqlx::query_scalar(
        "SELECT reacted_at FROM reactions WHERE target_wamid = $1 AND direction = $2",
    )
    .bind(&target.0)
    .bind(side)
    .fetch_optional(&mut **tx)
    .await?;
    if current.is_some_and(|at| at > reacted_at) {
        return Ok(());
    }
    match emoji {
        Some(emoji) => {
            sqlx::query(
                "INSERT INTO reactions (target_wamid, direction, emoji, reacted_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (target_wamid, direction) DO UPDATE SET emoji = excluded.emoji,
                   reacted_at = excluded.reacted_at",
            )
            .bind(&target.0)
            .bind(side)
            .bind(emoji)
            .bind(reacted_at)
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM reactions WHERE target_wamid = $1 AND direction = $2")
                .bind(&target.0)
                .bind(side)
                .execute(&mut **tx)
                .await?;
        }
    }
    touch(tx, target, MessageChange::Reaction, now).await
}

/// Says that the stored message with this wamid changed (if it is stored).
async fn touch(
    tx: &mut Tx<'_>,
    wamid: &WaMessageId,
    change: MessageChange,
    now: Millis,
) -> StoreResult<()> {
    let found: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, conversation_id FROM messages WHERE wamid = $1")
            .bind(&wamid.0)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((message_id, conversation_id)) = found {
        changed(tx, conversation_id, message_id, change, now).await?;
    }
    Ok(())
}

/// Takes a queued message out of the outbox, failed with `title` (error code 0), while no
/// sender holds it: once handed to Meta it cannot be called back. Answers whether it was.
pub(super) async fn withdraw(
    tx: &mut Tx<'_>,
    message_id: i64,
    title: &str,
    details: &str,
    now: Millis,
) -> StoreResult<bool> {
    let withdrawn = sqlx::query(
        "UPDATE outbox SET state = 'failed', last_error = 'cancelled'
         WHERE message_id = $1 AND state = 'pending'
           AND (lease_until IS NULL OR lease_until <= $2)",
    )
    .bind(message_id)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    if withdrawn.rows_affected() == 0 {
        return Ok(false);
    }
    let failed = MessageStatus::Failed;
    let conversation_id: i64 = sqlx::query_scalar(
        "UPDATE messages SET status = $1, status_rank = $2, error_code = 0, error_title = $3,
           error_details = $4
         WHERE id = $5 RETURNING conversation_id",
    )
    .bind(failed.as_str())
    .bind(failed.rank())
    .bind(title)
    .bind(details)
    .bind(message_id)
    .fetch_one(&mut **tx)
    .await?;
    changed(
        tx,
        conversation_id,
        message_id,
        MessageChange::Cancelled,
        now,
    )
    .await?;
    Ok(true)
}
