//! Retention: message content older than the configured age is forgotten, a batch per
//! transaction — text, captions, Meta's payloads, customers' media (files deleted after the
//! commit), reactions, previews, and the journal's raw webhooks — while the rows stay for counts.

use super::Engine;
use crate::domain::Millis;
use crate::store::{Forgotten, StoreResult};

/// What an erased message's payload says instead of Meta's.
pub(super) const ERASED_PAYLOAD: &str = r#"{"erased":true}"#;

impl Engine {
    pub(super) async fn forget_before(&self, cutoff: Millis, limit: i64) -> StoreResult<Forgotten> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE sent_at < $1 AND payload <> $2 ORDER BY id LIMIT $3",
        )
        .bind(cutoff.0)
        .bind(ERASED_PAYLOAD)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut forgotten = Forgotten::default();
        if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
            // The batch is the ids between its first and last (ordered by id, so nothing else
            // old and unforgotten lies between them).
            let batch = "SELECT id FROM messages WHERE id BETWEEN $1 AND $2 AND sent_at < $3";
            forgotten.media_paths = sqlx::query_scalar(&format!(
                "SELECT f.path FROM media_files f JOIN messages m ON m.media_id = f.media_id
                 WHERE m.direction = 'inbound' AND f.path IS NOT NULL AND m.id IN ({batch})"
            ))
            .bind(first)
            .bind(last)
            .bind(cutoff.0)
            .fetch_all(&mut *tx)
            .await?;
            for statement in [
                format!(
                    "DELETE FROM media_files WHERE media_id IN (SELECT media_id FROM messages
                     WHERE direction = 'inbound' AND media_id IS NOT NULL AND id IN ({batch}))"
                ),
                format!(
                    "DELETE FROM reactions WHERE target_wamid IN (SELECT wamid FROM messages
                     WHERE wamid IS NOT NULL AND id IN ({batch}))"
                ),
            ] {
                sqlx::query(&statement)
                    .bind(first)
                    .bind(last)
                    .bind(cutoff.0)
                    .execute(&mut *tx)
                    .await?;
            }
            forgotten.messages = sqlx::query(
                "UPDATE messages SET body = NULL, payload = $4, media_id = NULL,
                   media_mime_type = NULL, filename = NULL, error_details = NULL
                 WHERE id BETWEEN $1 AND $2 AND sent_at < $3",
            )
            .bind(first)
            .bind(last)
            .bind(cutoff.0)
            .bind(ERASED_PAYLOAD)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
        }
        sqlx::query(
            "UPDATE conversations SET last_message_preview = NULL
             WHERE last_message_at < $1 AND last_message_preview IS NOT NULL",
        )
        .bind(cutoff.0)
        .execute(&mut *tx)
        .await?;
        forgotten.webhooks = sqlx::query(
            "UPDATE webhook_events SET body = $2
             WHERE id IN (SELECT id FROM webhook_events
                          WHERE processed_at IS NOT NULL AND received_at < $1 AND body <> $2
                          ORDER BY id LIMIT $3)",
        )
        .bind(cutoff.0)
        .bind(ERASED_PAYLOAD.as_bytes().to_vec())
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        tx.commit().await?;
        Ok(forgotten)
    }
}
