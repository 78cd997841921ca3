//! The account's business numbers, learned from the Graph API and from webhooks: their health,
//! its history, and the account's standing.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::numbers::{AccountStanding, ChangeSource};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusinessNumber {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    /// Meta's `messaging_limit_tier` (`TIER_250` … `TIER_UNLIMITED`).
    pub messaging_limit_tier: Option<String>,
}

/// What the Graph API says about a number; `None` where it said nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberHealth {
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub name_status: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit_tier: Option<String>,
    pub throughput_level: Option<String>,
    pub code_verification_status: Option<String>,
    pub platform_type: Option<String>,
    pub status: Option<String>,
}

/// A number as stored: its health and when a refresh last read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNumber {
    pub waba_id: Option<String>,
    pub health: NumberHealth,
    pub refreshed_at: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberChangeRecord {
    pub phone_number_id: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub source: ChangeSource,
    pub detail: Option<String>,
    pub at: Millis,
}

/// When the last webhook arrived, and the oldest send Meta accepted after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookTraffic {
    pub last_webhook_at: Option<Millis>,
    pub oldest_send_since: Option<Millis>,
}

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// Records a business number; what is already known stays unless this says otherwise.
    async fn register(&self, number: &BusinessNumber, now: Millis) -> StoreResult<()>;
    /// Every known number, by id.
    async fn list(&self) -> StoreResult<Vec<BusinessNumber>>;
    /// Records what a refresh read (the number is registered if new): every value that
    /// changed joins the history. Answers how many changed.
    async fn refreshed(
        &self,
        waba_id: &str,
        health: &NumberHealth,
        now: Millis,
    ) -> StoreResult<usize>;
    /// Every known number with its health, by id.
    async fn health(&self) -> StoreResult<Vec<StoredNumber>>;
    /// A number's changes and its account's, newest first.
    async fn history(
        &self,
        phone_number_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<NumberChangeRecord>>;
    /// The standing of every account Meta reported on.
    async fn standings(&self) -> StoreResult<Vec<AccountStanding>>;
    /// Whether webhooks still arrive while sends are made.
    async fn webhook_traffic(&self) -> StoreResult<WebhookTraffic>;
    /// The newest change a webhook reported, as a position in the history (0: none yet).
    async fn latest_webhook_change(&self) -> StoreResult<i64>;
}
