//! Erasing a contact (a GDPR request): every place Parley keeps what the customer wrote or who
//! they are, in one transaction. Conversations and messages stay as anonymous rows (direction,
//! type, times, statuses, pricing) so that reports keep their counts.
//!
//! What is erased, table by table: `contacts` (names, username, phone, user id, profile fields,
//! note; the row stays, keyed `erased:<id>`), `contact_labels`, `contact_attribute_values`,
//! `consent_entries` (campaign recipient rows stay, for counts),
//! `messages` (text, Meta's payload, captions' file names, media references), `reactions` to
//! their messages, `media_files` of what they sent (the files go from disk after the commit),
//! `outbox` requests (queued ones are cancelled), `conversations` (previews), `notes` on their
//! conversations, and `webhook_events` (the journal's raw bodies that name them).

use super::{BODY_CONTAINS, Engine, Tx};
use crate::domain::{DomainEvent, Millis};
use crate::store::{Erased, StoreError, StoreResult};

const THEIR_CONVERSATIONS: &str = "SELECT id FROM conversations WHERE contact_id = $1";
const THEIR_MESSAGES: &str = "SELECT m.id FROM messages m JOIN conversations c
    ON c.id = m.conversation_id WHERE c.contact_id = $1";

impl Engine {
    pub(super) async fn erase_contact(&self, id: i64, now: Millis) -> StoreResult<Erased> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let ids: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT wa_id, bsuid FROM contacts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((wa_id, bsuid)) = ids else {
            return Err(StoreError::NotFound("contact"));
        };
        let conversations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE contact_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let media_paths: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT f.path FROM media_files f JOIN messages m ON m.media_id = f.media_id
             WHERE m.direction = 'inbound' AND f.path IS NOT NULL AND m.id IN ({THEIR_MESSAGES})"
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let mut erased = Erased {
            conversations,
            media_paths,
            ..Erased::default()
        };
        run(
            &mut tx,
            id,
            &format!(
                "DELETE FROM media_files WHERE media_id IN (SELECT media_id FROM messages
                 WHERE direction = 'inbound' AND media_id IS NOT NULL AND id IN ({THEIR_MESSAGES}))"
            ),
        )
        .await?;
        run(
            &mut tx,
            id,
            &format!(
                "DELETE FROM reactions WHERE target_wamid IN (SELECT wamid FROM messages
                 WHERE wamid IS NOT NULL AND id IN ({THEIR_MESSAGES}))"
            ),
        )
        .await?;
        run(
            &mut tx,
            id,
            &format!(
                "UPDATE outbox SET state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END,
                   last_error = CASE WHEN state = 'pending' THEN 'the contact was erased'
                                     ELSE last_error END,
                   request = '{{}}', lease_until = NULL
                 WHERE message_id IN ({THEIR_MESSAGES})"
            ),
        )
        .await?;
        erased.messages = run(
            &mut tx,
            id,
            &format!(
                "UPDATE messages SET body = NULL, payload = '{{\"erased\":true}}', media_id = NULL,
                   media_mime_type = NULL, filename = NULL, error_details = NULL
                 WHERE conversation_id IN ({THEIR_CONVERSATIONS})"
            ),
        )
        .await? as i64;
        run(
            &mut tx,
            id,
            "UPDATE conversations SET last_message_preview = NULL WHERE contact_id = $1",
        )
        .await?;
        run(
            &mut tx,
            id,
            &format!(
                "UPDATE notes SET body = '(erased with the contact)'
                 WHERE conversation_id IN ({THEIR_CONVERSATIONS})"
            ),
        )
        .await?;
        for table in [
            "contact_labels",
            "contact_attribute_values",
            "consent_entries",
        ] {
            run(
                &mut tx,
                id,
                &format!("DELETE FROM {table} WHERE contact_id = $1"),
            )
            .await?;
        }
        run(
            &mut tx,
            id,
            "UPDATE contacts SET name = NULL, edited_name = NULL, username = NULL, email = NULL,
               company = NULL, language = NULL, time_zone = NULL, note = '', wa_id = NULL,
               phone_key = NULL, bsuid = 'erased:' || CAST(id AS TEXT)
             WHERE id = $1",
        )
        .await?;
        // The journal keeps Meta's raw bodies; those that name the customer lose their content
        // (the digest stays, so a redelivery is still recognised).
        for needle in [wa_id, bsuid].into_iter().flatten() {
            let quoted = format!("\"{needle}\"").into_bytes();
            let rewritten = sqlx::query(&format!(
                "UPDATE webhook_events SET body = $2
                 WHERE processed_at IS NOT NULL AND {BODY_CONTAINS}"
            ))
            .bind(quoted)
            .bind(b"{\"erased\":true}".to_vec())
            .execute(&mut *tx)
            .await?;
            erased.webhooks += rewritten.rows_affected() as i64;
        }
        let changed = DomainEvent::ContactChanged { contact_id: id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(erased)
    }
}

async fn run(tx: &mut Tx<'_>, id: i64, sql: &str) -> StoreResult<u64> {
    Ok(sqlx::query(sql)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}
