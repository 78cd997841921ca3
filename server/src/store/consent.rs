//! The consent ledger (append-only, per contact and purpose) and the opt-out keywords.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::consent::{
    ConsentEntry, ConsentPurpose, ConsentSource, ConsentState, OptOutLanguage,
};
use parley_app::model::UserId;
use serde_json::Value;

/// A line to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewConsentEntry {
    pub contact_id: i64,
    pub purpose: ConsentPurpose,
    pub state: ConsentState,
    pub source: ConsentSource,
    pub actor: Option<UserId>,
    pub note: Option<String>,
    pub evidence: Option<Value>,
}

#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// A contact's entries for a purpose, newest first.
    async fn ledger(
        &self,
        contact_id: i64,
        purpose: ConsentPurpose,
    ) -> StoreResult<Vec<ConsentEntry>>;
    /// Appends an entry. An opt-out from marketing also withdraws the contact's campaign
    /// messages still waiting in the outbox (those a sender holds are already on their way).
    async fn record(&self, entry: &NewConsentEntry, now: Millis) -> StoreResult<ConsentEntry>;
    /// Appends many entries in one transaction (an import's).
    async fn record_many(&self, entries: &[NewConsentEntry], now: Millis) -> StoreResult<()>;
    /// Every language's keywords, by language.
    async fn opt_out_languages(&self) -> StoreResult<Vec<OptOutLanguage>>;
    /// Replaces every language's keywords (already checked and folded). A conflict when two
    /// languages claim one keyword.
    async fn set_opt_out_languages(&self, languages: &[OptOutLanguage]) -> StoreResult<()>;
}
