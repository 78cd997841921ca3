//! Contacts as the team's CRM: the list, one contact with its history, and members' edits.

use super::{BEGIN_READ_THEN_WRITE, Db, Engine, ILIKE, Tx};
use crate::domain::{DomainEvent, Millis};
use crate::store::contacts::{
    AttributeUpdate, ContactChange, ContactConversationRecord, ContactQuery, ContactRecord, Erased,
    ImportRow, NewAttribute, Segment,
};
use crate::store::conversations::parse_status;
use crate::store::sql_support::{escape_like, push_id_list};
use crate::store::{ContactStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::contacts::{
    AttributeDefinition, AttributeKey, CheckedCondition, PhoneNumber, SegmentFilter, phone_key,
};
use parley_app::model::UserId;
use std::collections::{BTreeMap, HashMap};

const CONTACT_SELECT: &str = "SELECT ct.id, ct.edited_name, ct.name, ct.username, ct.wa_id,
    ct.bsuid, ct.email, ct.company, ct.language, ct.time_zone, ct.note, ct.created_at,
    ct.updated_at,
    (SELECT MAX(c.last_message_at) FROM conversations c WHERE c.contact_id = ct.id)
      AS last_message_at,
    (SELECT COUNT(*) FROM conversations c WHERE c.contact_id = ct.id) AS conversation_count
    FROM contacts ct";

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    edited_name: Option<String>,
    name: Option<String>,
    username: Option<String>,
    wa_id: Option<String>,
    bsuid: Option<String>,
    email: Option<String>,
    company: Option<String>,
    language: Option<String>,
    time_zone: Option<String>,
    note: String,
    created_at: i64,
    updated_at: i64,
    last_message_at: Option<i64>,
    conversation_count: i64,
}

impl ContactRow {
    fn into_record(self) -> ContactRecord {
        ContactRecord {
            id: self.id,
            edited_name: self.edited_name,
            profile_name: self.name,
            username: self.username,
            wa_id: self.wa_id,
            bsuid: self.bsuid,
            email: self.email,
            company: self.company,
            language: self.language,
            time_zone: self.time_zone,
            note: self.note,
            labels: Vec::new(),
            attributes: BTreeMap::new(),
            created_at: Millis(self.created_at),
            updated_at: Millis(self.updated_at),
            last_message_at: self.last_message_at.map(Millis),
            conversation_count: self.conversation_count,
        }
    }
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: i64,
    phone_number_id: String,
    display_phone_number: Option<String>,
    status: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    created_at: i64,
    last_message_at: i64,
}

impl Engine {
    /// Fills in the labels and attribute values of a page of contacts: two queries a page.
    async fn with_labels_and_attributes(
        &self,
        rows: Vec<ContactRow>,
    ) -> StoreResult<Vec<ContactRecord>> {
        let mut records: Vec<ContactRecord> =
            rows.into_iter().map(ContactRow::into_record).collect();
        if records.is_empty() {
            return Ok(records);
        }
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let position: HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut labels = sqlx::QueryBuilder::<Db>::new(
            "SELECT cl.contact_id, l.name FROM contact_labels cl JOIN labels l ON l.id = cl.label_id
             WHERE cl.contact_id IN ",
        );
        push_id_list(&mut labels, &ids);
        labels.push(" ORDER BY l.name_key");
        let labels: Vec<(i64, String)> = labels.build_query_as().fetch_all(&self.pool).await?;
        for (contact, name) in labels {
            records[position[&contact]].labels.push(name);
        }
        let mut values = sqlx::QueryBuilder::<Db>::new(
            "SELECT contact_id, key, value FROM contact_attribute_values WHERE contact_id IN ",
        );
        push_id_list(&mut values, &ids);
        let values: Vec<(i64, String, String)> =
            values.build_query_as().fetch_all(&self.pool).await?;
        for (contact, key, value) in values {
            records[position[&contact]].attributes.insert(key, value);
        }
        Ok(records)
    }
}

#[async_trait]
impl ContactStore for Engine {
    async fn list(&self, query: &ContactQuery) -> StoreResult<Vec<ContactRecord>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new(CONTACT_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(before) = query.before {
            sql.push(" AND ct.id < ").push_bind(before);
        }
        push_filters(&mut sql, query);
        sql.push(" ORDER BY ct.id DESC LIMIT ")
            .push_bind(query.limit);
        let rows: Vec<ContactRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        self.with_labels_and_attributes(rows).await
    }

    async fn count(&self, query: &ContactQuery) -> StoreResult<i64> {
        let mut sql = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) FROM contacts ct WHERE 1 = 1");
        push_filters(&mut sql, query);
        Ok(sql.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn get(&self, id: i64) -> StoreResult<Option<ContactRecord>> {
        let row: Option<ContactRow> = sqlx::query_as(&format!("{CONTACT_SELECT} WHERE ct.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(self
            .with_labels_and_attributes(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn history(&self, id: i64) -> StoreResult<Vec<ContactConversationRecord>> {
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT c.id, c.phone_number_id, n.display_phone_number, c.status, c.assignee_id,
               u.name AS assignee_name, c.created_at, c.last_message_at
             FROM conversations c
             LEFT JOIN business_numbers n ON n.phone_number_id = c.phone_number_id
             LEFT JOIN users u ON u.id = c.assignee_id
             WHERE c.contact_id = $1 ORDER BY c.last_message_at DESC, c.id DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ContactConversationRecord {
                    id: row.id,
                    phone_number_id: row.phone_number_id,
                    display_phone_number: row.display_phone_number,
                    status: parse_status(&row.status)?,
                    assignee: row
                        .assignee_id
                        .map(|a| (UserId(a), row.assignee_name.unwrap_or_default())),
                    opened_at: Millis(row.created_at),
                    last_message_at: Millis(row.last_message_at),
                })
            })
            .collect()
    }

    async fn create(
        &self,
        phone: &PhoneNumber,
        change: &ContactChange,
        now: Millis,
    ) -> StoreResult<i64> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let key = phone_key(phone.digits());
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM contacts WHERE phone_key = $1 LIMIT 1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict("a contact with this phone number"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (wa_id, phone_key, created_at, updated_at)
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(phone.digits())
        .bind(&key)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            crate::store::sql_support::conflict_on_unique(e, "a contact with this phone number")
        })?;
        apply(&mut tx, id, change, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(id)
    }

    async fn update(&self, id: i64, change: &ContactChange, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let touched = sqlx::query("UPDATE contacts SET updated_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound("contact"));
        }
        apply(&mut tx, id, change, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn start_conversation(
        &self,
        id: i64,
        phone_number_id: &str,
        now: Millis,
    ) -> StoreResult<i64> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let known: Option<String> = sqlx::query_scalar(
            "SELECT phone_number_id FROM business_numbers WHERE phone_number_id = $1",
        )
        .bind(phone_number_id)
        .fetch_optional(&mut *tx)
        .await?;
        if known.is_none() {
            return Err(StoreError::NotFound("business number"));
        }
        let conversation =
            super::conversations::conversation_for(&mut tx, id, phone_number_id, now.0, now)
                .await?;
        tx.commit().await?;
        self.announce();
        Ok(conversation)
    }

    async fn erase(&self, id: i64, now: Millis) -> StoreResult<Erased> {
        self.erase_contact(id, now).await
    }

    async fn merge(&self, keep: i64, absorb: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        for id in [keep, absorb] {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM contacts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound("contact"));
            }
        }
        super::contact_identity::merge(&mut tx, keep, absorb).await?;
        sqlx::query("UPDATE contacts SET updated_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        let changed = DomainEvent::ContactChanged { contact_id: keep };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn attributes(&self) -> StoreResult<Vec<AttributeDefinition>> {
        self.list_attributes().await
    }

    async fn create_attribute(
        &self,
        attribute: &NewAttribute,
        now: Millis,
    ) -> StoreResult<AttributeDefinition> {
        self.insert_attribute(attribute, now).await
    }

    async fn update_attribute(
        &self,
        key: &AttributeKey,
        update: &AttributeUpdate,
        now: Millis,
    ) -> StoreResult<AttributeDefinition> {
        self.change_attribute(key, update, now).await
    }

    async fn delete_attribute(&self, key: &AttributeKey, now: Millis) -> StoreResult<()> {
        self.remove_attribute(key, now).await
    }

    async fn import(&self, rows: &[ImportRow], now: Millis) -> StoreResult<Vec<bool>> {
        self.import_rows(rows, now).await
    }

    async fn segments(&self) -> StoreResult<Vec<Segment>> {
        self.list_segments().await
    }

    async fn segment(&self, id: i64) -> StoreResult<Option<Segment>> {
        self.find_segment(id).await
    }

    async fn create_segment(
        &self,
        name: &str,
        filter: &SegmentFilter,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Segment> {
        self.insert_segment(name, filter, by, now).await
    }

    async fn update_segment(
        &self,
        id: i64,
        name: Option<&str>,
        filter: Option<&SegmentFilter>,
        now: Millis,
    ) -> StoreResult<Segment> {
        self.change_segment(id, name, filter, now).await
    }

    async fn delete_segment(&self, id: i64) -> StoreResult<()> {
        self.remove_segment(id).await
    }
}

/// The query's conditions, each ` AND …` about the contact `ct`.
pub(super) fn push_filters(sql: &mut sqlx::QueryBuilder<'_, Db>, query: &ContactQuery) {
    if !query.any_labels.is_empty() {
        sql.push(
            " AND EXISTS (SELECT 1 FROM contact_labels cl
               WHERE cl.contact_id = ct.id AND cl.label_id IN ",
        );
        push_id_list(sql, &query.any_labels);
        sql.push(")");
    }
    if let Some(ids) = &query.ids {
        if ids.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            // Written out, not bound: a campaign's list may pass the engines' parameter limits,
            // and integers cannot carry SQL.
            let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
            sql.push(format!(" AND ct.id IN ({})", listed.join(",")));
        }
    }
    for label in &query.labels {
        sql.push(
            " AND EXISTS (SELECT 1 FROM contact_labels cl
               WHERE cl.contact_id = ct.id AND cl.label_id = ",
        )
        .push_bind(*label)
        .push(")");
    }
    let value_of = |sql: &mut sqlx::QueryBuilder<'_, Db>, key: &AttributeKey, exists: bool| {
        let exists = if exists { "EXISTS" } else { "NOT EXISTS" };
        sql.push(format!(
            " AND {exists} (SELECT 1 FROM contact_attribute_values v
               WHERE v.contact_id = ct.id AND v.key = "
        ))
        .push_bind(key.as_str().to_owned());
    };
    for (key, value) in &query.attributes {
        value_of(sql, key, true);
        sql.push(" AND v.value = ")
            .push_bind(value.clone())
            .push(")");
    }
    for condition in &query.conditions {
        match condition {
            CheckedCondition::Equals(key, value) => {
                value_of(sql, key, true);
                sql.push(" AND v.value = ").push_bind(value.clone());
            }
            CheckedCondition::Contains(key, text) => {
                value_of(sql, key, true);
                sql.push(format!(" AND v.value {ILIKE} "))
                    .push_bind(format!("%{}%", escape_like(text)))
                    .push(" ESCAPE '\\'");
            }
            // Dates are stored `YYYY-MM-DD`: text order is date order.
            CheckedCondition::DateBefore(key, date) => {
                value_of(sql, key, true);
                sql.push(" AND v.value < ").push_bind(date.clone());
            }
            CheckedCondition::DateAfter(key, date) => {
                value_of(sql, key, true);
                sql.push(" AND v.value > ").push_bind(date.clone());
            }
            CheckedCondition::LessThan(key, number) => {
                value_of(sql, key, true);
                sql.push(" AND CAST(v.value AS DOUBLE PRECISION) < ")
                    .push_bind(number.0);
            }
            CheckedCondition::MoreThan(key, number) => {
                value_of(sql, key, true);
                sql.push(" AND CAST(v.value AS DOUBLE PRECISION) > ")
                    .push_bind(number.0);
            }
            CheckedCondition::IsEmpty(key) => value_of(sql, key, false),
            CheckedCondition::IsSet(key) => value_of(sql, key, true),
        }
        sql.push(")");
    }
    const LAST: &str =
        "(SELECT MAX(c.last_message_at) FROM conversations c WHERE c.contact_id = ct.id)";
    if let Some(after) = query.last_message_after {
        sql.push(format!(" AND {LAST} >= ")).push_bind(after.0);
    }
    if let Some(before) = query.last_message_before {
        sql.push(format!(" AND COALESCE({LAST}, 0) < "))
            .push_bind(before.0);
    }
    if let Some(open) = query.open_conversation {
        let exists = if open { "EXISTS" } else { "NOT EXISTS" };
        sql.push(format!(
            " AND {exists} (SELECT 1 FROM conversations c
               WHERE c.contact_id = ct.id AND c.status <> 'resolved')"
        ));
    }
    if let Some(number) = &query.phone_number_id {
        sql.push(
            " AND EXISTS (SELECT 1 FROM conversations c
               WHERE c.contact_id = ct.id AND c.phone_number_id = ",
        )
        .push_bind(number.clone())
        .push(")");
    }
    let search = query.search.as_deref().map(str::trim);
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(search));
        // A phone is searched by its digits, however the member typed it.
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        sql.push(" AND (");
        let columns = [
            "ct.edited_name",
            "ct.name",
            "ct.username",
            "ct.email",
            "ct.company",
        ];
        for (i, column) in columns.into_iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(format!("{column} {ILIKE} "))
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
        if digits.len() >= 3 {
            sql.push(" OR ct.wa_id LIKE ")
                .push_bind(format!("%{digits}%"));
        }
        sql.push(")");
    }
}

/// Writes a member's change to contact `id` and says so in the event log.
async fn apply(tx: &mut Tx<'_>, id: i64, change: &ContactChange, now: Millis) -> StoreResult<()> {
    let fields = [
        ("edited_name", &change.edited_name),
        ("email", &change.email),
        ("company", &change.company),
        ("language", &change.language),
        ("time_zone", &change.time_zone),
    ];
    for (column, value) in fields {
        if let Some(value) = value {
            sqlx::query(&format!("UPDATE contacts SET {column} = $1 WHERE id = $2"))
                .bind(value.as_deref())
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
    }
    if let Some(note) = &change.note {
        sqlx::query("UPDATE contacts SET note = $1 WHERE id = $2")
            .bind(note)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(labels) = &change.labels {
        sqlx::query("DELETE FROM contact_labels WHERE contact_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for label in labels {
            sqlx::query(
                "INSERT INTO contact_labels (contact_id, label_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(label)
            .execute(&mut **tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::NotFound("label")
                }
                _ => StoreError::Database(e),
            })?;
        }
    }
    for (key, value) in &change.attributes {
        match value {
            Some(value) => sqlx::query(
                "INSERT INTO contact_attribute_values (contact_id, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (contact_id, key) DO UPDATE SET value = excluded.value",
            )
            .bind(id)
            .bind(key.as_str())
            .bind(value)
            .execute(&mut **tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::NotFound("contact attribute")
                }
                _ => StoreError::Database(e),
            })?,
            None => {
                sqlx::query(
                    "DELETE FROM contact_attribute_values WHERE contact_id = $1 AND key = $2",
                )
                .bind(id)
                .bind(key.as_str())
                .execute(&mut **tx)
                .await?
            }
        };
    }
    let changed = DomainEvent::ContactChanged { contact_id: id };
    super::events::push(tx, &changed, now).await?;
    Ok(())
}
