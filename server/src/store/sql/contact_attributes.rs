//! The custom contact attributes admins define (contacts' values of them: `contacts.rs`).

use super::Engine;
use crate::domain::{DomainEvent, Millis};
use crate::store::contacts::{AttributeRow, AttributeUpdate, NewAttribute};
use crate::store::sql_support::conflict_on_unique;
use crate::store::{StoreError, StoreResult};
use parley_app::contacts::{AttributeDefinition, AttributeKey};

const ATTRIBUTE_COLUMNS: &str = "key, label, kind, options, agent_editable, position";

fn options_json(options: &[String]) -> String {
    serde_json::to_string(options).expect("strings serialise")
}

impl Engine {
    pub(super) async fn list_attributes(&self) -> StoreResult<Vec<AttributeDefinition>> {
        let rows: Vec<AttributeRow> = sqlx::query_as(&format!(
            "SELECT {ATTRIBUTE_COLUMNS} FROM contact_attributes ORDER BY position, key"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(AttributeRow::into_definition)
            .collect()
    }

    pub(super) async fn insert_attribute(
        &self,
        attribute: &NewAttribute,
        now: Millis,
    ) -> StoreResult<AttributeDefinition> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: AttributeRow = sqlx::query_as(&format!(
            "INSERT INTO contact_attributes
               (key, label, kind, options, agent_editable, position, created_at)
             VALUES ($1, $2, $3, $4, $5,
               (SELECT COALESCE(MAX(position), 0) + 1 FROM contact_attributes), $6)
             RETURNING {ATTRIBUTE_COLUMNS}"
        ))
        .bind(attribute.key.as_str())
        .bind(&attribute.label)
        .bind(attribute.kind.as_str())
        .bind(options_json(&attribute.options))
        .bind(attribute.agent_editable)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "an attribute with this key"))?;
        let changed = DomainEvent::AttributesChanged;
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_definition()
    }

    pub(super) async fn change_attribute(
        &self,
        key: &AttributeKey,
        update: &AttributeUpdate,
        now: Millis,
    ) -> StoreResult<AttributeDefinition> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: Option<AttributeRow> = sqlx::query_as(&format!(
            "UPDATE contact_attributes SET
               label = COALESCE($1, label), options = COALESCE($2, options),
               agent_editable = COALESCE($3, agent_editable)
             WHERE key = $4 RETURNING {ATTRIBUTE_COLUMNS}"
        ))
        .bind(update.label.as_deref())
        .bind(update.options.as_deref().map(options_json))
        .bind(update.agent_editable)
        .bind(key.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let mut row = row.ok_or(StoreError::NotFound("contact attribute"))?;
        if let Some(to) = update.position {
            // Moves it to index `to` and numbers them all 0, 1, 2… in their new order.
            let mut keys: Vec<String> = sqlx::query_scalar(
                "SELECT key FROM contact_attributes WHERE key <> $1 ORDER BY position, key",
            )
            .bind(key.as_str())
            .fetch_all(&mut *tx)
            .await?;
            let to = usize::try_from(to.max(0)).unwrap_or(0).min(keys.len());
            keys.insert(to, key.as_str().to_owned());
            for (position, moved) in keys.iter().enumerate() {
                sqlx::query("UPDATE contact_attributes SET position = $1 WHERE key = $2")
                    .bind(position as i64)
                    .bind(moved)
                    .execute(&mut *tx)
                    .await?;
            }
            row.position = to as i64;
        }
        super::events::push(&mut tx, &DomainEvent::AttributesChanged, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_definition()
    }

    pub(super) async fn remove_attribute(
        &self,
        key: &AttributeKey,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM contact_attribute_values WHERE key = $1")
            .bind(key.as_str())
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM contact_attributes WHERE key = $1")
            .bind(key.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("contact attribute"));
        }
        super::events::push(&mut tx, &DomainEvent::AttributesChanged, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }
}
