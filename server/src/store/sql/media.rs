//! Media files.

use super::{Engine, Tx};
use crate::domain::Millis;
use crate::domain::events::MessageChange;
use crate::store::{MediaJob, MediaStore, StoreResult, StoredMedia, UploadFile, UploadedMedia};
use async_trait::async_trait;

#[async_trait]
impl MediaStore for Engine {
    async fn due(&self, now: Millis, limit: i64) -> StoreResult<Vec<MediaJob>> {
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT media_id, mime_type, sha256, attempts FROM media_files
             WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(media_id, mime_type, sha256, attempts)| MediaJob {
                media_id,
                mime_type,
                sha256,
                attempts,
            })
            .collect())
    }

    async fn stored(
        &self,
        media_id: &str,
        path: &str,
        size_bytes: i64,
        mime_type: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE media_files SET state = 'stored', path = $1, size_bytes = $2, mime_type = $3,
               last_error = NULL
             WHERE media_id = $4",
        )
        .bind(path)
        .bind(size_bytes)
        .bind(mime_type)
        .bind(media_id)
        .execute(&mut *tx)
        .await?;
        messages_changed(&mut tx, media_id, MessageChange::MediaStored, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn failed(
        &self,
        media_id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE media_files SET attempts = attempts + 1, last_error = $1,
               state = CASE WHEN $2 THEN 'pending' ELSE 'failed' END,
               next_attempt_at = COALESCE($3, next_attempt_at)
             WHERE media_id = $4",
        )
        .bind(error)
        .bind(retry_at.is_some())
        .bind(retry_at.map(|m| m.0))
        .bind(media_id)
        .execute(&mut *tx)
        .await?;
        if retry_at.is_none() {
            messages_changed(&mut tx, media_id, MessageChange::MediaFailed, now).await?;
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn stored_bytes(&self) -> StoreResult<i64> {
        let total: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(size_bytes) AS BIGINT) FROM media_files WHERE state = 'stored'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(total.unwrap_or(0))
    }

    async fn file(&self, media_id: &str) -> StoreResult<Option<StoredMedia>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT path, mime_type, size_bytes FROM media_files
             WHERE media_id = $1 AND state = 'stored'",
        )
        .bind(media_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(path, mime_type, size_bytes)| StoredMedia {
            path,
            mime_type,
            size_bytes,
        }))
    }

    async fn record_upload(
        &self,
        upload: &UploadedMedia,
        sha256: &str,
        path: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO media_files (media_id, mime_type, sha256, state, next_attempt_at, path,
               size_bytes, created_at, uploaded_for, filename)
             VALUES ($1, $2, $3, 'stored', $4, $5, $6, $4, $7, $8)
             ON CONFLICT (media_id) DO NOTHING",
        )
        .bind(&upload.media_id)
        .bind(&upload.mime_type)
        .bind(sha256)
        .bind(now.0)
        .bind(path)
        .bind(upload.size_bytes)
        .bind(&upload.phone_number_id)
        .bind(&upload.filename)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn reusable_upload(
        &self,
        sha256: &str,
        phone_number_id: &str,
        uploaded_since: Millis,
    ) -> StoreResult<Option<UploadedMedia>> {
        let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT media_id, mime_type, size_bytes, filename FROM media_files
             WHERE sha256 = $1 AND uploaded_for = $2 AND created_at >= $3 AND state = 'stored'
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(sha256)
        .bind(phone_number_id)
        .bind(uploaded_since.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(media_id, mime_type, size_bytes, filename)| UploadedMedia {
                media_id,
                mime_type,
                size_bytes,
                filename,
                phone_number_id: phone_number_id.to_owned(),
            },
        ))
    }

    async fn uploaded(&self, media_id: &str) -> StoreResult<Option<UploadedMedia>> {
        let row: Option<(String, String, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT media_id, mime_type, size_bytes, filename, uploaded_for FROM media_files
             WHERE media_id = $1 AND uploaded_for IS NOT NULL AND state = 'stored'",
        )
        .bind(media_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(media_id, mime_type, size_bytes, filename, phone_number_id)| UploadedMedia {
                media_id,
                mime_type,
                size_bytes,
                filename,
                phone_number_id,
            },
        ))
    }
    async fn upload_file(&self, media_id: &str) -> StoreResult<Option<UploadFile>> {
        type Row = (String, i64, Option<String>, String, String, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT mime_type, size_bytes, filename, uploaded_for, sha256, path FROM media_files
             WHERE media_id = $1 AND uploaded_for IS NOT NULL AND state = 'stored'",
        )
        .bind(media_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(mime_type, size_bytes, filename, phone_number_id, sha256, path)| UploadFile {
                media: UploadedMedia {
                    media_id: media_id.to_owned(),
                    mime_type,
                    size_bytes,
                    filename,
                    phone_number_id,
                },
                sha256,
                path,
            },
        ))
    }
}

/// Every message showing this media changed.
async fn messages_changed(
    tx: &mut Tx<'_>,
    media_id: &str,
    change: MessageChange,
    now: Millis,
) -> StoreResult<()> {
    let messages: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, conversation_id FROM messages WHERE media_id = $1")
            .bind(media_id)
            .fetch_all(&mut **tx)
            .await?;
    for (message_id, conversation_id) in messages {
        super::messages::changed(tx, conversation_id, message_id, change, now).await?;
    }
    Ok(())
}
