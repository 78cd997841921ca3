//! Contacts from a CSV import, a chunk of rows per transaction: each row updates the contact
//! its phone (however spelt) or WhatsApp user id finds, or creates one. A few statements a row
//! (find, write, labels, values, consent), so that 100,000 rows import in seconds.

use super::{Engine, Tx};
use crate::domain::{DomainEvent, Millis};
use crate::store::NewConsentEntry;
use crate::store::StoreResult;
use crate::store::contacts::ImportRow;
use parley_app::consent::{ConsentPurpose, ConsentSource, ConsentState};
use parley_app::contacts::phone_key;
use serde_json::json;

impl Engine {
    pub(super) async fn import_rows(
        &self,
        rows: &[ImportRow],
        now: Millis,
    ) -> StoreResult<Vec<bool>> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let mut created = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, new) = find_or_create(&mut tx, row, now).await?;
            created.push(new);
            let fields = &row.contact;
            sqlx::query(
                "UPDATE contacts SET edited_name = COALESCE($1, edited_name),
                   email = COALESCE($2, email), company = COALESCE($3, company),
                   language = COALESCE($4, language), time_zone = COALESCE($5, time_zone),
                   note = COALESCE($6, note), updated_at = $7
                 WHERE id = $8",
            )
            .bind(&fields.name)
            .bind(&fields.email)
            .bind(&fields.company)
            .bind(&fields.language)
            .bind(&fields.time_zone)
            .bind(&fields.note)
            .bind(now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            for label in &row.labels {
                sqlx::query(
                    "INSERT INTO contact_labels (contact_id, label_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(label)
                .execute(&mut *tx)
                .await?;
            }
            for (key, value) in &fields.attributes {
                sqlx::query(
                    "INSERT INTO contact_attribute_values (contact_id, key, value)
                     VALUES ($1, $2, $3)
                     ON CONFLICT (contact_id, key) DO UPDATE SET value = excluded.value",
                )
                .bind(id)
                .bind(key.as_str())
                .bind(value)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(state) = fields.consent {
                record_consent(&mut tx, id, state, row, now).await?;
            }
        }
        let imported = DomainEvent::ContactsImported {
            created: created.iter().filter(|c| **c).count() as i64,
            updated: created.iter().filter(|c| !**c).count() as i64,
        };
        super::events::push(&mut tx, &imported, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(created)
    }
}

/// A consent cell, in the ledger with the file and line as evidence; only when it changes the
/// contact's consent, so importing a file again adds nothing.
async fn record_consent(
    tx: &mut Tx<'_>,
    contact_id: i64,
    state: ConsentState,
    row: &ImportRow,
    now: Millis,
) -> StoreResult<()> {
    if super::consent::current(tx, contact_id, ConsentPurpose::Marketing).await? == Some(state) {
        return Ok(());
    }
    let entry = NewConsentEntry {
        contact_id,
        purpose: ConsentPurpose::Marketing,
        state,
        source: ConsentSource::Import,
        actor: row.imported_by,
        note: None,
        evidence: Some(json!({ "file": row.file.as_deref().unwrap_or("CSV"),
            "line": row.contact.line })),
    };
    super::consent::append(tx, &entry, now).await?;
    Ok(())
}

/// The contact a row is about, and whether it was created for it.
async fn find_or_create(tx: &mut Tx<'_>, row: &ImportRow, now: Millis) -> StoreResult<(i64, bool)> {
    let key = row.contact.phone.as_ref().map(|p| phone_key(p.digits()));
    if let Some(key) = &key {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM contacts WHERE phone_key = $1 ORDER BY id LIMIT 1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some(id) = found {
            return Ok((id, false));
        }
    }
    if let Some(user_id) = &row.contact.user_id {
        let found: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, wa_id FROM contacts WHERE bsuid = $1")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((id, wa_id)) = found {
            // The row brings the phone this user-id record lacked.
            if wa_id.is_none()
                && let Some(phone) = &row.contact.phone
            {
                sqlx::query("UPDATE contacts SET wa_id = $1, phone_key = $2 WHERE id = $3")
                    .bind(phone.digits())
                    .bind(&key)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            return Ok((id, false));
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (wa_id, phone_key, bsuid, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(row.contact.phone.as_ref().map(|p| p.digits().to_owned()))
    .bind(&key)
    .bind(&row.contact.user_id)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| crate::store::sql_support::conflict_on_unique(e, "a contact with this phone"))?;
    Ok((id, true))
}
