//! Contacts as intake meets them: found by phone (however spelt: see `phone_key`) or
//! business-scoped user id, created when new, merged when both ids turn out to be one person
//! (`domain::contact` decides which).

use super::Tx;
use crate::domain::Millis;
use crate::domain::contact::{Identity, StoredContact, identify, profile_changes};
use crate::domain::inbound::{ContactProfile, CustomerKey};
use crate::store::StoreResult;
use crate::store::intake::AppliedInChunk;
use parley_app::contacts::phone_key;

/// The contact `column` (`phone_key` or `bsuid`) finds; the oldest if two records share a
/// phone key (written before keys existed).
async fn find(
    tx: &mut Tx<'_>,
    column: &str,
    id: Option<String>,
) -> StoreResult<Option<StoredContact>> {
    let Some(id) = id else { return Ok(None) };
    let sql = format!(
        "SELECT id, name, username, wa_id FROM contacts WHERE {column} = $1 ORDER BY id LIMIT 1"
    );
    let row: Option<FoundContact> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|found| StoredContact {
        id: found.id,
        name: found.name,
        username: found.username,
        wa_id: found.wa_id,
    }))
}

#[derive(sqlx::FromRow)]
struct FoundContact {
    id: i64,
    name: Option<String>,
    username: Option<String>,
    wa_id: Option<String>,
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
    let phone_key = key.wa_id.as_deref().map(phone_key);
    let by_phone = find(tx, "phone_key", phone_key.clone()).await?;
    let by_user_id = find(tx, "bsuid", key.bsuid.clone()).await?;
    let id = match identify(key, by_phone.as_ref(), by_user_id.as_ref()) {
        Identity::New => sqlx::query_scalar(
            "INSERT INTO contacts (wa_id, phone_key, bsuid, name, username, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&key.wa_id)
        .bind(&phone_key)
        .bind(&key.bsuid)
        .bind(&profile.name)
        .bind(&profile.username)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await?,
        Identity::Known { id, learns_id } => {
            let stored = by_phone.as_ref().or(by_user_id.as_ref()).expect("found");
            // WhatsApp's spelling of the phone wins over one a member typed (it is the one
            // Meta accepts as a recipient).
            let respelt =
                key.wa_id.is_some() && by_phone.as_ref().is_some_and(|c| c.wa_id != key.wa_id);
            if learns_id || respelt || profile_changes(stored, profile) {
                sqlx::query(
                    "UPDATE contacts SET wa_id = COALESCE($1, wa_id),
                       phone_key = COALESCE($2, phone_key), bsuid = COALESCE($3, bsuid),
                       name = COALESCE($4, name), username = COALESCE($5, username), updated_at = $6
                     WHERE id = $7",
                )
                .bind(&key.wa_id)
                .bind(&phone_key)
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
            merge(tx, keep, absorb).await?;
            sqlx::query("UPDATE contacts SET bsuid = $1 WHERE id = $2")
                .bind(&key.bsuid)
                .bind(keep)
                .execute(&mut **tx)
                .await?;
            // Keys remembered for the absorbed record now lead to a deleted row.
            written.contacts.clear();
            update_profile(tx, keep, profile, now).await?;
            keep
        }
    };
    written.remember(key, id, profile);
    Ok(id)
}

/// Moves everything of `absorb` to `keep` and deletes it: its conversations, labels and
/// attribute values (the kept record's win where both have one), and the profile fields the
/// kept record lacks (notes are joined). Every table that references a contact is named here;
/// the contract test `a_merge_keeps_everything_of_both` checks that none is missed.
pub(super) async fn merge(tx: &mut Tx<'_>, keep: i64, absorb: i64) -> StoreResult<()> {
    // The absorbed record's unresolved conversations give way where the kept one already has
    // one unresolved on the same number (one unresolved conversation per customer and number).
    sqlx::query(
        "UPDATE conversations SET status = 'resolved', snoozed_until = NULL
         WHERE contact_id = $1 AND status <> 'resolved' AND phone_number_id IN
           (SELECT phone_number_id FROM conversations
            WHERE contact_id = $2 AND status <> 'resolved')",
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
    for moved in [
        "INSERT INTO contact_labels (contact_id, label_id)
         SELECT $1, label_id FROM contact_labels WHERE contact_id = $2
         ON CONFLICT DO NOTHING",
        "INSERT INTO contact_attribute_values (contact_id, key, value)
         SELECT $1, key, value FROM contact_attribute_values WHERE contact_id = $2
         ON CONFLICT DO NOTHING",
        "UPDATE contacts SET
           edited_name = COALESCE(edited_name, (SELECT edited_name FROM contacts WHERE id = $2)),
           name = COALESCE(name, (SELECT name FROM contacts WHERE id = $2)),
           username = COALESCE(username, (SELECT username FROM contacts WHERE id = $2)),
           email = COALESCE(email, (SELECT email FROM contacts WHERE id = $2)),
           company = COALESCE(company, (SELECT company FROM contacts WHERE id = $2)),
           language = COALESCE(language, (SELECT language FROM contacts WHERE id = $2)),
           time_zone = COALESCE(time_zone, (SELECT time_zone FROM contacts WHERE id = $2)),
           note = CASE
             WHEN (SELECT note FROM contacts WHERE id = $2) = '' THEN note
             WHEN note = '' THEN (SELECT note FROM contacts WHERE id = $2)
             ELSE note || '\n\n' || (SELECT note FROM contacts WHERE id = $2) END
         WHERE id = $1",
    ] {
        sqlx::query(moved)
            .bind(keep)
            .bind(absorb)
            .execute(&mut **tx)
            .await?;
    }
    for moved in [
        // The ledgers join: each entry keeps its time, so the latest still decides.
        "UPDATE consent_entries SET contact_id = $1 WHERE contact_id = $2",
        // A campaign that reached both keeps the kept record's row.
        "UPDATE campaign_recipients SET contact_id = $1 WHERE contact_id = $2
           AND campaign_id NOT IN
             (SELECT campaign_id FROM campaign_recipients WHERE contact_id = $1)",
    ] {
        sqlx::query(moved)
            .bind(keep)
            .bind(absorb)
            .execute(&mut **tx)
            .await?;
    }
    for emptied in [
        "DELETE FROM campaign_recipients WHERE contact_id = $1",
        "DELETE FROM contact_labels WHERE contact_id = $1",
        "DELETE FROM contact_attribute_values WHERE contact_id = $1",
    ] {
        sqlx::query(emptied).bind(absorb).execute(&mut **tx).await?;
    }
    // Its ids go to the kept record once it is gone (both columns are unique).
    let ids: (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT wa_id, phone_key, bsuid FROM contacts WHERE id = $1")
            .bind(absorb)
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(absorb)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE contacts SET wa_id = COALESCE(wa_id, $1), phone_key = COALESCE(phone_key, $2),
           bsuid = COALESCE(bsuid, $3)
         WHERE id = $4",
    )
    .bind(ids.0)
    .bind(ids.1)
    .bind(ids.2)
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
