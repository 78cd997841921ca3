//! Contacts as the team's CRM: profile fields members edit, labels, custom attribute values,
//! the attributes admins define, and each contact's conversation history. (Intake finds and
//! merges contacts inside its own transaction: `sql/contacts.rs`.)

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::contacts::{
    AttributeDefinition, AttributeKey, AttributeType, CheckedCondition, PhoneNumber, SegmentFilter,
};
use parley_app::model::{ConversationStatus, UserId};
use std::collections::BTreeMap;

/// A contact as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRecord {
    pub id: i64,
    /// The name a member gave.
    pub edited_name: Option<String>,
    /// The WhatsApp profile name.
    pub profile_name: Option<String>,
    pub username: Option<String>,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub note: String,
    /// Label names, in name order.
    pub labels: Vec<String>,
    /// Attribute values in canonical text form, by key.
    pub attributes: BTreeMap<String, String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub last_message_at: Option<Millis>,
    pub conversation_count: i64,
}

impl ContactRecord {
    /// The name the team knows them by.
    pub fn name(&self) -> Option<&str> {
        self.edited_name.as_deref().or(self.profile_name.as_deref())
    }
}

/// One conversation of a contact's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactConversationRecord {
    pub id: i64,
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    pub status: ConversationStatus,
    pub assignee: Option<(UserId, String)>,
    pub opened_at: Millis,
    pub last_message_at: Millis,
}

/// Which contacts a list shows: all of `labels`, every attribute equal to its value and every
/// condition holding, names, phones, emails or companies containing `search`, and the rest of
/// a segment's parts; newest first, after the `before` id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactQuery {
    pub search: Option<String>,
    pub labels: Vec<i64>,
    /// With at least one of these labels.
    pub any_labels: Vec<i64>,
    /// Only these contacts (none: no such limit).
    pub ids: Option<Vec<i64>>,
    /// Attribute keys and canonical values.
    pub attributes: Vec<(AttributeKey, String)>,
    pub conditions: Vec<CheckedCondition>,
    /// Their latest message at or after / before.
    pub last_message_after: Option<Millis>,
    pub last_message_before: Option<Millis>,
    /// With or without a conversation that is not resolved.
    pub open_conversation: Option<bool>,
    /// With a conversation on this business number.
    pub phone_number_id: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// A segment as stored: its filter as the member saved it (checked again each time it runs,
/// since attributes and labels may have changed since).
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub filter: SegmentFilter,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What changes about a contact: `None` keeps a field, `Some(None)` clears it. `labels`
/// replaces the set; `attributes` sets (or, with `None`, clears) the keys it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactChange {
    pub edited_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub time_zone: Option<Option<String>>,
    pub note: Option<String>,
    pub labels: Option<Vec<i64>>,
    pub attributes: BTreeMap<AttributeKey, Option<String>>,
}

/// What changes about an attribute (`None` keeps it). `position` moves it to that index in
/// the list (0 first; the others close up).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeUpdate {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub agent_editable: Option<bool>,
    pub position: Option<i64>,
}

#[async_trait]
pub trait ContactStore: Send + Sync {
    /// A page of contacts (at most `limit`, newest first).
    async fn list(&self, query: &ContactQuery) -> StoreResult<Vec<ContactRecord>>;
    /// How many contacts the query selects (its `before` and `limit` aside).
    async fn count(&self, query: &ContactQuery) -> StoreResult<i64>;
    async fn get(&self, id: i64) -> StoreResult<Option<ContactRecord>>;
    /// Every conversation with the contact on every number, newest first.
    async fn history(&self, id: i64) -> StoreResult<Vec<ContactConversationRecord>>;
    /// A contact added by hand; a conflict when one already has this phone (however spelt).
    async fn create(
        &self,
        phone: &PhoneNumber,
        change: &ContactChange,
        now: Millis,
    ) -> StoreResult<i64>;
    async fn update(&self, id: i64, change: &ContactChange, now: Millis) -> StoreResult<()>;
    /// Erases what Parley holds about a contact (see `sql/contact_erasure.rs`), keeping its
    /// conversations and messages as anonymous rows so that counts survive. Answers what was
    /// erased, and the media files to delete from disk once committed.
    async fn erase(&self, id: i64, now: Millis) -> StoreResult<Erased>;
    /// The conversation a member starts with the contact on a business number: their
    /// unresolved one there, else their latest one reopened, else a new one.
    async fn start_conversation(
        &self,
        id: i64,
        phone_number_id: &str,
        now: Millis,
    ) -> StoreResult<i64>;
    /// Merges contact `absorb` into `keep` (see `contact_identity::merge`: everything of both
    /// is kept) and deletes it.
    async fn merge(&self, keep: i64, absorb: i64, now: Millis) -> StoreResult<()>;

    /// The attributes admins defined, in position order.
    async fn attributes(&self) -> StoreResult<Vec<AttributeDefinition>>;
    /// A new attribute at the end of the list; a conflict when the key is taken.
    async fn create_attribute(
        &self,
        attribute: &NewAttribute,
        now: Millis,
    ) -> StoreResult<AttributeDefinition>;
    async fn update_attribute(
        &self,
        key: &AttributeKey,
        update: &AttributeUpdate,
        now: Millis,
    ) -> StoreResult<AttributeDefinition>;
    /// Deletes the attribute and every contact's value of it.
    async fn delete_attribute(&self, key: &AttributeKey, now: Millis) -> StoreResult<()>;

    /// Imported rows, in one transaction: each updates the contact its phone (however spelt)
    /// or user id finds (non-empty fields only; labels added), or creates one. Answers, per
    /// row, whether it created a contact.
    async fn import(&self, rows: &[ImportRow], now: Millis) -> StoreResult<Vec<bool>>;

    /// Every segment, by name.
    async fn segments(&self) -> StoreResult<Vec<Segment>>;
    async fn segment(&self, id: i64) -> StoreResult<Option<Segment>>;
    async fn create_segment(
        &self,
        name: &str,
        filter: &SegmentFilter,
        by: Option<parley_app::model::UserId>,
        now: Millis,
    ) -> StoreResult<Segment>;
    /// Renames it or replaces its filter (`None` keeps either).
    async fn update_segment(
        &self,
        id: i64,
        name: Option<&str>,
        filter: Option<&SegmentFilter>,
        now: Millis,
    ) -> StoreResult<Segment>;
    async fn delete_segment(&self, id: i64) -> StoreResult<()>;
}

/// What an erasure removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub conversations: i64,
    pub messages: i64,
    /// Journal entries (Meta's raw webhooks) that mentioned the customer.
    pub webhooks: i64,
    /// Downloaded media of theirs, by path under the data directory.
    pub media_paths: Vec<String>,
}

/// A row of a contact import, read and checked, its labels' ids resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    pub contact: parley_app::contacts::ImportedContact,
    /// Labels to add.
    pub labels: Vec<i64>,
    /// Who imported it, and from which file: a consent cell's evidence.
    pub imported_by: Option<parley_app::model::UserId>,
    pub file: Option<String>,
}

/// An attribute to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttribute {
    pub key: AttributeKey,
    pub label: String,
    pub kind: AttributeType,
    pub options: Vec<String>,
    pub agent_editable: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct AttributeRow {
    key: String,
    label: String,
    kind: String,
    options: String,
    agent_editable: bool,
    pub(super) position: i64,
}

impl AttributeRow {
    pub(super) fn into_definition(self) -> StoreResult<AttributeDefinition> {
        let corrupt = |e: String| StoreError::Corrupt(e);
        Ok(AttributeDefinition {
            key: AttributeKey::parse(&self.key).map_err(|e| corrupt(e.to_string()))?,
            label: self.label,
            kind: self
                .kind
                .parse()
                .map_err(|e: parley_app::model::ParseError| corrupt(e.to_string()))?,
            options: serde_json::from_str(&self.options).map_err(|e| corrupt(e.to_string()))?,
            agent_editable: self.agent_editable,
            position: self.position,
        })
    }
}
