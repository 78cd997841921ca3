//! What WhatsApp charges. Since 2025-07-01 Meta prices each message it delivers: a status
//! carries `pricing` (`billable`, `category`, `type`), which becomes one [`Charge`] in the
//! ledger. The [`RateCard`] the admins keep turns billable charges into money.

use super::Millis;
use super::inbound::StatusUpdate;
use super::rate_card::RateCard;
use parley_app::contacts::country_of;
use parley_app::costs::{CostEstimate, CostGroup};
use std::collections::HashMap;

const DAY_MS: i64 = 86_400_000;

/// One message Meta priced.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub wamid: String,
    pub phone_number_id: String,
    /// ISO 3166-1 alpha-2 of the recipient; empty when their number has no known code.
    pub country: String,
    pub category: String,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    pub pricing_type: String,
    pub billable: bool,
    pub occurred_at: Millis,
}

impl Charge {
    /// The charge a status reports, if it carries `pricing`.
    pub fn of_status(phone_number_id: &str, status: &StatusUpdate) -> Option<Charge> {
        let pricing = status.pricing.as_ref()?.as_object()?;
        let text = |field: &str| {
            pricing
                .get(field)
                .and_then(|value| value.as_str())
                .map(str::to_ascii_lowercase)
        };
        let category = text("category")?;
        let pricing_type = text("type").unwrap_or_else(|| "regular".into());
        // Older payloads say only `billable`; the per-message model says `type` too.
        let billable = pricing
            .get("billable")
            .and_then(|value| value.as_bool())
            .unwrap_or(!pricing_type.starts_with("free"));
        Some(Charge {
            wamid: status.wamid.0.clone(),
            phone_number_id: phone_number_id.to_owned(),
            country: (status.recipient.wa_id.as_deref())
                .and_then(country_of)
                .unwrap_or_default()
                .to_owned(),
            category,
            pricing_type,
            billable,
            occurred_at: Millis(status.timestamp_ms),
        })
    }
}

/// Charges counted by the store: one group's messages of one country, category and UTC day.
#[derive(Clone, Debug, PartialEq)]
pub struct ChargeCount {
    pub key: Option<String>,
    /// What the key stands for (a campaign's or member's name).
    pub label: Option<String>,
    pub country: String,
    pub category: String,
    /// Days since the epoch (UTC).
    pub day: i64,
    pub billable: bool,
    pub messages: i64,
}

/// The UTC day a moment falls in, as days since the epoch.
pub fn day_of(at: Millis) -> i64 {
    at.0.div_euclid(DAY_MS)
}

/// Midnight UTC of a day counted since the epoch.
pub fn day_start(day: i64) -> Millis {
    Millis(day * DAY_MS)
}

/// Adds up counted charges per group, priced with `card`; most expensive first, then by
/// most messages, then by key.
pub fn tally(counts: &[ChargeCount], card: &RateCard) -> Vec<CostGroup> {
    let mut groups: HashMap<Option<String>, CostGroup> = HashMap::new();
    for count in counts {
        let group = groups
            .entry(count.key.clone())
            .or_insert_with(|| empty_group(count.key.clone(), card));
        if group.label.is_none() {
            group.label.clone_from(&count.label);
        }
        group.messages += count.messages;
        if !count.billable {
            group.free += count.messages;
            continue;
        }
        group.billable += count.messages;
        let noon = Millis(day_start(count.day).0 + DAY_MS / 2);
        match card.rate_for(&count.country, &count.category, noon) {
            Some(micros) => group.cost_micros += micros * count.messages,
            None => group.unpriced += count.messages,
        }
    }
    let mut groups: Vec<CostGroup> = groups
        .into_values()
        .map(|mut group| {
            group.cost = group.cost_micros as f64 / 1e6;
            group
        })
        .collect();
    groups.sort_by(|a, b| {
        (b.cost_micros, b.messages)
            .cmp(&(a.cost_micros, a.messages))
            .then_with(|| a.key.cmp(&b.key))
    });
    groups
}

/// What sending one `category` message to each counted recipient costs at `at`: `prefixes`
/// counts recipients by the first digits of their number (enough to tell the country).
pub fn estimate(
    prefixes: &[(String, i64)],
    category: &str,
    card: &RateCard,
    at: Millis,
) -> CostEstimate {
    let mut estimate = CostEstimate {
        category: category.to_owned(),
        messages: 0,
        unpriced: 0,
        cost: 0.0,
        cost_micros: 0,
        currency: card.currency.clone(),
    };
    for (prefix, count) in prefixes {
        estimate.messages += count;
        let country = country_of(prefix).unwrap_or_default();
        match card.rate_for(country, category, at) {
            Some(micros) => estimate.cost_micros += micros * count,
            None => estimate.unpriced += count,
        }
    }
    estimate.cost = estimate.cost_micros as f64 / 1e6;
    estimate
}

/// Every group together.
pub fn total(groups: &[CostGroup], card: &RateCard) -> CostGroup {
    let mut total = empty_group(None, card);
    for group in groups {
        total.messages += group.messages;
        total.billable += group.billable;
        total.free += group.free;
        total.unpriced += group.unpriced;
        total.cost_micros += group.cost_micros;
    }
    total.cost = total.cost_micros as f64 / 1e6;
    total
}

fn empty_group(key: Option<String>, card: &RateCard) -> CostGroup {
    CostGroup {
        key,
        label: None,
        messages: 0,
        billable: 0,
        free: 0,
        unpriced: 0,
        cost: 0.0,
        cost_micros: 0,
        currency: card.currency.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inbound::{CustomerKey, WaMessageId};
    use crate::domain::rate_card::parse_day;
    use crate::domain::rate_card::tests::rate;
    use parley_app::costs::RateCardInput;
    use parley_app::model::MessageStatus;
    use serde_json::json;

    fn status(to: &str, pricing: serde_json::Value) -> StatusUpdate {
        StatusUpdate {
            wamid: WaMessageId("wamid.1".into()),
            status: MessageStatus::Sent,
            timestamp_ms: 1_767_225_600_000,
            recipient: CustomerKey::new(Some(to.into()), None),
            errors: Vec::new(),
            conversation: None,
            pricing: Some(pricing),
            raw: json!({}),
        }
    }

    #[test]
    fn a_status_with_pricing_is_a_charge_to_the_recipients_country() {
        let pricing = json!({"billable": true, "pricing_model": "PMP",
            "category": "marketing_lite", "type": "regular"});
        let charge = Charge::of_status("1100", &status("447700900123", pricing)).unwrap();
        assert_eq!(charge.country, "GB");
        assert_eq!(charge.category, "marketing_lite");
        assert_eq!(charge.pricing_type, "regular");
        assert!(charge.billable);
        let free = json!({"billable": false, "category": "service",
            "type": "free_customer_service"});
        assert!(
            !Charge::of_status("1100", &status("15551234", free))
                .unwrap()
                .billable
        );
        // Only `type` said: free types are not billed.
        let entry = json!({"category": "marketing", "type": "free_entry_point"});
        assert!(
            !Charge::of_status("1100", &status("15551234", entry))
                .unwrap()
                .billable
        );
        let mut unpriced = status("15551234", json!({}));
        unpriced.pricing = None;
        assert_eq!(Charge::of_status("1100", &unpriced), None);
    }

    #[test]
    fn spend_is_tallied_per_group_with_free_and_unpriced_messages_apart() {
        let card = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![
                rate("IN", "marketing", "0.01", "2026-01-01"),
                rate("IN", "marketing", "0.02", "2026-07-01"),
            ],
        })
        .unwrap();
        let day = |raw: &str| day_of(parse_day(raw).unwrap());
        let count =
            |key: &str, country: &str, category: &str, on: &str, billable, messages| ChargeCount {
                key: Some(key.into()),
                label: None,
                country: country.into(),
                category: category.into(),
                day: day(on),
                billable,
                messages,
            };
        let groups = tally(
            &[
                count("a", "IN", "marketing", "2026-06-30", true, 10),
                count("a", "IN", "marketing", "2026-07-01", true, 5),
                count("a", "IN", "service", "2026-07-01", false, 7),
                count("b", "US", "marketing", "2026-07-01", true, 3),
            ],
            &card,
        );
        assert_eq!(groups.len(), 2);
        let a = &groups[0];
        assert_eq!(a.key.as_deref(), Some("a"));
        assert_eq!((a.messages, a.billable, a.free, a.unpriced), (22, 15, 7, 0));
        assert_eq!(a.cost_micros, 10 * 10_000 + 5 * 20_000);
        assert!((a.cost - 0.2).abs() < 1e-9);
        let b = &groups[1];
        assert_eq!((b.billable, b.unpriced, b.cost_micros), (3, 3, 0));
        let all = total(&groups, &card);
        assert_eq!(
            (all.messages, all.cost_micros, all.unpriced),
            (25, 200_000, 3)
        );
        assert_eq!(all.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn a_campaign_is_estimated_by_its_recipients_countries() {
        let card = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![
                rate("US", "marketing", "0.025", "2026-01-01"),
                rate("IN", "marketing", "0.0107", "2026-01-01"),
            ],
        })
        .unwrap();
        let prefixes = [("1555".into(), 4), ("9198".into(), 10), ("4477".into(), 2)];
        let at = parse_day("2026-07-01").unwrap();
        let estimate = estimate(&prefixes, "marketing", &card, at);
        assert_eq!((estimate.messages, estimate.unpriced), (16, 2));
        assert_eq!(estimate.cost_micros, 4 * 25_000 + 10 * 10_700);
        assert_eq!(estimate.currency.as_deref(), Some("USD"));
    }
}
