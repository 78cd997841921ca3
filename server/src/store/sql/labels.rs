//! Labels.

use super::{Engine, NAME_ORDER};
use crate::domain::{DomainEvent, Millis};
use crate::store::labels::LabelRow;
use crate::store::sql_support::conflict_on_unique;
use crate::store::{Label, LabelStore, LabelUpdate, NewLabel, StoreError, StoreResult};
use async_trait::async_trait;

const LABEL_COLUMNS: &str = "id, name, colour, description";

#[async_trait]
impl LabelStore for Engine {
    async fn list(&self) -> StoreResult<Vec<Label>> {
        let rows: Vec<LabelRow> = sqlx::query_as(&format!(
            "SELECT {LABEL_COLUMNS} FROM labels ORDER BY {NAME_ORDER}, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(LabelRow::into_label).collect()
    }

    async fn create(&self, label: &NewLabel, now: Millis) -> StoreResult<Label> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: LabelRow = sqlx::query_as(&format!(
            "INSERT INTO labels (name, name_key, colour, description, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {LABEL_COLUMNS}"
        ))
        .bind(label.name.as_str())
        .bind(label.name.key())
        .bind(label.colour.as_str())
        .bind(&label.description)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a label with this name"))?;
        let changed = DomainEvent::LabelCatalogueChanged { label_id: row.id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_label()
    }

    async fn update(&self, id: i64, update: &LabelUpdate, now: Millis) -> StoreResult<Label> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: Option<LabelRow> = sqlx::query_as(&format!(
            "UPDATE labels SET
               name = COALESCE($1, name), name_key = COALESCE($2, name_key),
               colour = COALESCE($3, colour), description = COALESCE($4, description)
             WHERE id = $5 RETURNING {LABEL_COLUMNS}"
        ))
        .bind(update.name.as_ref().map(|n| n.as_str().to_owned()))
        .bind(update.name.as_ref().map(|n| n.key()))
        .bind(update.colour.as_ref().map(|c| c.as_str().to_owned()))
        .bind(update.description.as_deref())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a label with this name"))?;
        let row = row.ok_or(StoreError::NotFound("label"))?;
        let changed = DomainEvent::LabelCatalogueChanged { label_id: id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_label()
    }

    async fn delete(&self, id: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM conversation_labels WHERE label_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM labels WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("label"));
        }
        let changed = DomainEvent::LabelCatalogueChanged { label_id: id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }
}
