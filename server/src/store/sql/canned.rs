//! Canned replies.

use super::Engine;
use crate::domain::Millis;
use crate::store::canned::{CANNED_SELECT, CannedRow};
use crate::store::sql_support::conflict_on_unique;
use crate::store::{
    CannedReply, CannedReplyStore, CannedReplyUpdate, NewCannedReply, StoreError, StoreResult,
};
use async_trait::async_trait;
use parley_app::model::UserId;

const TAKEN: &str = "a canned reply with this shortcut";

#[async_trait]
impl CannedReplyStore for Engine {
    async fn visible_to(&self, member: UserId) -> StoreResult<Vec<CannedReply>> {
        let rows: Vec<CannedRow> = sqlx::query_as(&format!(
            "{CANNED_SELECT} WHERE r.owner_id IS NULL OR r.owner_id = $1
             ORDER BY r.shortcut, r.owner_id NULLS FIRST"
        ))
        .bind(member.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CannedReply::from).collect())
    }

    async fn get(&self, id: i64) -> StoreResult<Option<CannedReply>> {
        let row: Option<CannedRow> = sqlx::query_as(&format!("{CANNED_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(CannedReply::from))
    }

    async fn create(&self, reply: &NewCannedReply, now: Millis) -> StoreResult<CannedReply> {
        let id: i64 = {
            let _turn = self.write_turn().await;
            sqlx::query_scalar(
                "INSERT INTO canned_replies (owner_id, shortcut, title, body, attachment_media_id,
                   created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(reply.owner.map(|o| o.0))
            .bind(&reply.shortcut)
            .bind(&reply.title)
            .bind(&reply.body)
            .bind(reply.attachment_media_id.as_deref())
            .bind(now.0)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, TAKEN))?
        };
        self.get(id)
            .await?
            .ok_or(StoreError::NotFound("canned reply"))
    }

    async fn update(
        &self,
        id: i64,
        update: &CannedReplyUpdate,
        now: Millis,
    ) -> StoreResult<CannedReply> {
        let updated = {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE canned_replies SET
                   shortcut = COALESCE($1, shortcut), title = COALESCE($2, title),
                   body = COALESCE($3, body),
                   attachment_media_id = CASE WHEN $4 THEN $5 ELSE attachment_media_id END,
                   updated_at = $6
                 WHERE id = $7",
            )
            .bind(update.shortcut.as_deref())
            .bind(update.title.as_deref())
            .bind(update.body.as_deref())
            .bind(update.attachment_media_id.is_some())
            .bind(update.attachment_media_id.clone().flatten())
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, TAKEN))?
        };
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("canned reply"));
        }
        self.get(id)
            .await?
            .ok_or(StoreError::NotFound("canned reply"))
    }

    async fn delete(&self, id: i64) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let deleted = sqlx::query("DELETE FROM canned_replies WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("canned reply"));
        }
        Ok(())
    }
}
