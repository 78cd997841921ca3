//! What WhatsApp costs: spend from the cost ledger (one row per message Meta priced), and the
//! rate card admins keep so that Parley can put a price on it.

use crate::consent::wire_enum;
use crate::model::UnixTime;
use serde::{Deserialize, Serialize};

wire_enum!(
    /// What a cost report's groups are.
    SpendGrouping {
        /// Meta's pricing category (`marketing`, `utility`, `authentication`, …).
        Category = "category",
        /// The business number that sent.
        Number = "phone_number_id",
        /// The recipient's country (ISO 3166-1 alpha-2).
        Country = "country",
        /// The campaign that sent (`null` key: not a campaign's).
        Campaign = "campaign",
        /// The member who sent (`null` key: a campaign, an automation or another app).
        Agent = "agent",
        /// The UTC day, `YYYY-MM-DD`.
        Day = "day",
    }
);

/// One group's messages and what they cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CostGroup {
    /// The group: a category, number, country, campaign id, member id or day; `null` for
    /// messages with none (a member's own send has no campaign).
    pub key: Option<String>,
    /// What the key stands for, where it is an id (a campaign's or member's name).
    pub label: Option<String>,
    /// Messages Meta priced.
    pub messages: i64,
    /// Of them, charged.
    pub billable: i64,
    /// Of them, free: inside a customer-service window, or from a free entry point.
    pub free: i64,
    /// Billable messages with no rate for their country and category on the rate card.
    pub unpriced: i64,
    /// What the billable messages cost, from the rate card, in `currency`.
    pub cost: f64,
    /// The same in millionths of the currency unit (exact).
    pub cost_micros: i64,
    /// The rate card's currency (`null` while it has no rates).
    pub currency: Option<String>,
}

/// Spend over a period, grouped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CostReport {
    pub from: UnixTime,
    pub to: UnixTime,
    pub group_by: SpendGrouping,
    pub currency: Option<String>,
    /// Most expensive first.
    pub groups: Vec<CostGroup>,
    /// The whole period: every group together.
    pub total: CostGroup,
}

/// One rate: what a billable message in `category` to `country` costs from `effective_from`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RateView {
    /// ISO 3166-1 alpha-2, or `*` for every country the card does not list.
    pub country: String,
    /// Meta's pricing category.
    pub category: String,
    /// The price of one message, as a decimal (`"0.0250"`), in the card's currency.
    pub rate: String,
    /// The first day (UTC, `YYYY-MM-DD`) the rate applies.
    pub effective_from: String,
    /// A volume tier: the rate applies once the calendar month (UTC) has had this many
    /// billable messages to the country (for `*`: to every country it prices) in the category
    /// — Meta's "100,001 and up" is 100000; 0, the default, from the first.
    #[serde(default)]
    pub volume_from: u64,
}

/// The rate card: one currency, rates per country and category over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RateCardView {
    pub currency: Option<String>,
    pub rates: Vec<RateView>,
}

/// A new rate card, replacing the old one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RateCardInput {
    /// ISO 4217 (`USD`, `EUR`, `INR`, …).
    pub currency: String,
    pub rates: Vec<RateView>,
}

/// What a campaign would cost before it starts: its eligible recipients priced by their
/// country for the template's category, at today's rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CostEstimate {
    /// Meta's pricing category the template is charged in.
    pub category: String,
    /// Messages it would send (its eligible recipients).
    pub messages: i64,
    /// Of them, recipients in a country the rate card has no rate for.
    pub unpriced: i64,
    pub cost: f64,
    pub cost_micros: i64,
    pub currency: Option<String>,
}
