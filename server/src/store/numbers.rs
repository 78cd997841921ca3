//! The account's business phone numbers, learned from the Graph API and from webhooks.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusinessNumber {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    /// Meta's `messaging_limit_tier` (`TIER_250` … `TIER_UNLIMITED`).
    pub messaging_limit_tier: Option<String>,
}

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// Records a business number; what is already known stays unless this says otherwise.
    async fn register(&self, number: &BusinessNumber, now: Millis) -> StoreResult<()>;
    /// Every known number, by id.
    async fn list(&self) -> StoreResult<Vec<BusinessNumber>>;
}
