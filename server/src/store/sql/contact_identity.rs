//! Contacts as intake meets them: found by phone or business-scoped user id, created when new,
//! merged when both ids turn out to be one person (`domain::contact` decides which).

use super::Tx;
use crate::domain::Millis;
use crate::domain::contact::{Identity, StoredContact, identify, profile_changes};
use crate::domain::inbound::{ContactProfile, CustomerKey};
use crate::store::StoreResult;
use crate::store::intake::AppliedInChunk;

async fn find(
    tx: &mut Tx<'_>,
    column: &str,
    id: &Option<String>,
) -> StoreResult<Option<StoredContact>> {
    let Some(id) = id else { return Ok(None) };
    let sql = format!("SELECT id, name, username FROM contacts WHERE {column} = $1");
    let row: Option<(i64, Option<String>, Option<String>)> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|(id, name, username)| StoredContact { id, name, username }))
}

/// The contact for `key`, created if new, merged when the phone and the business-scoped id
/// turn out to be two records of one person; its profile brought up to date.
pub(super) async fn resolve(
    tx: &mut Tx<'_>,
    key: &CustomerKey,
    profile: &ContactProfile,
    written: &mut AppliedInChunk,
    now: Millis,
) -> StoreResult<i64> {
    if let Some(known) = written.contacts.get(key) {
        let id = known.id;
        if profile_changes(known, profile) {
            update_profile(tx, id, profile, now).await?;
            written.remember(key, id, profile);
        }
        return Ok(id);
    }
    let by_phone = find(tx, "wa_id", &key.wa_id).await?;
    let by_user_id = find(tx, "bsuid", &key.bsuid).await?;
    let id = match identify(key, by_phone.as_ref(), by_user_id.as_ref()) {
        Identity::New => {
            sqlx::query_scalar(
                "INSERT INTO contacts (wa_id, bsuid, name, username, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&key.wa_id)
            .bind(&key.bsuid)
            .bind(&profile.name)
            .bind(&profile.username)
            .bind(now.0)
            .fetch_one(&mut **tx)
            .await?
        }
        Identity::Known { id, learns_id } => {
            let stored = by_phone.as_ref().or(by_user_id.as_ref()).expect("found");
            if learns_id || profile_changes(stored, profile) {
                sqlx::query(
                    "UPDATE contacts SET wa_id = COALESCE($1, wa_id), bsuid = COALESCE($2, bsuid),
                       name = COALESCE($3, name), username = COALESCE($4, username), updated_at = $5
                     WHERE id = $6",
                )
                .bind(&key.wa_id)
                .bind(&key.bsuid)
                .bind(&profile.name)
                .bind(&profile.username)
                .bind(now.0)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            id
        }
        Identity::Merge { keep, absorb } => {
            merge(tx, keep, absorb, key).await?;
            // Keys remembered for the absorbed record now lead to a deleted row.
            written.contacts.clear();
            update_profile(tx, keep, profile, now).await?;
            keep
        }
    };
    written.remember(key, id, profile);
    Ok(id)
}

/// Moves everything of `absorb` to `keep` and deletes it. Every table that references a
/// contact is named here.
async fn merge(tx: &mut Tx<'_>, keep: i64, absorb: i64, key: &CustomerKey) -> StoreResult<()> {
    // The absorbed record's open conversations give way where the kept one already has one
    // open on the same number (one open conversation per number).
    sqlx::query(
        "UPDATE conversations SET status = 'resolved'
         WHERE contact_id = $1 AND status = 'open' AND phone_number_id IN
           (SELECT phone_number_id FROM conversations WHERE contact_id = $2 AND status = 'open')",
    )
    .bind(absorb)
    .bind(keep)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE conversations SET contact_id = $1 WHERE contact_id = $2")
        .bind(keep)
        .bind(absorb)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(absorb)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE contacts SET bsuid = $1 WHERE id = $2")
        .bind(&key.bsuid)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Keeps the profile current: a name or username Meta sent replaces the stored one.
async fn update_profile(
    tx: &mut Tx<'_>,
    id: i64,
    profile: &ContactProfile,
    now: Millis,
) -> StoreResult<()> {
    if profile.name.is_some() || profile.username.is_some() {
        sqlx::query(
            "UPDATE contacts SET name = COALESCE($1, name), username = COALESCE($2, username),
               updated_at = $3
             WHERE id = $4",
        )
        .bind(&profile.name)
        .bind(&profile.username)
        .bind(now.0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
