//! The cost ledger (one row per message Meta priced, written by processing with the status
//! that priced it) and the rate card.

use super::StoreResult;
use crate::domain::Millis;
use crate::domain::cost::ChargeCount;
use crate::domain::rate_card::RateCard;
use async_trait::async_trait;
use parley_app::costs::SpendGrouping;

#[async_trait]
pub trait CostStore: Send + Sync {
    /// The rate card; no currency and no rates until an admin sets one.
    async fn rate_card(&self) -> StoreResult<RateCard>;
    /// Replaces the whole rate card.
    async fn replace_rate_card(&self, card: &RateCard) -> StoreResult<()>;
    /// The charges that occurred in `[from, to)`, counted per `grouping`'s key, recipient
    /// country, category, UTC day and billable flag: few rows however many messages.
    async fn count_charges(
        &self,
        grouping: SpendGrouping,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<ChargeCount>>;
}
