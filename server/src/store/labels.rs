//! Labels admins define and members put on conversations (which labels a conversation
//! carries is the conversations domain's: `ConversationChange::labels`).

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::collaboration::{Colour, LabelName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub name: LabelName,
    pub colour: Colour,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLabel {
    pub name: LabelName,
    pub colour: Colour,
    pub description: String,
}

/// What changes about a label; `None` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelUpdate {
    pub name: Option<LabelName>,
    pub colour: Option<Colour>,
    pub description: Option<String>,
}

#[async_trait]
pub trait LabelStore: Send + Sync {
    /// Every label, by name.
    async fn list(&self) -> StoreResult<Vec<Label>>;
    /// A new label; a conflict when the name (whatever its case) is taken.
    async fn create(&self, label: &NewLabel, now: Millis) -> StoreResult<Label>;
    async fn update(&self, id: i64, update: &LabelUpdate, now: Millis) -> StoreResult<Label>;
    /// Deletes the label and takes it off every conversation.
    async fn delete(&self, id: i64, now: Millis) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
pub(super) struct LabelRow {
    pub(super) id: i64,
    name: String,
    colour: String,
    description: String,
}

impl LabelRow {
    pub(super) fn into_label(self) -> StoreResult<Label> {
        let corrupt = |e: parley_app::model::ParseError| StoreError::Corrupt(e.to_string());
        Ok(Label {
            id: self.id,
            name: LabelName::parse(&self.name).map_err(corrupt)?,
            colour: Colour::parse(&self.colour).map_err(corrupt)?,
            description: self.description,
        })
    }
}
