//! What WhatsApp charges. Since 2025-07-01 Meta prices each message it delivers: a status
//! carries `pricing` (`billable`, `category`, `type`), which becomes one [`Charge`] in the
//! ledger. The [`RateCard`] the admins keep turns billable charges into money.

use super::Millis;
use super::inbound::StatusUpdate;
use super::rate_card::{RateCard, price_of_volume};
use parley_app::contacts::country_of;
use parley_app::costs::{CostEstimate, CostGroup};
use std::collections::{BTreeMap, HashMap};

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

/// The calendar month (UTC) a day since the epoch falls in, as months since year 0.
pub fn month_of(day: i64) -> i64 {
    let date = time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .map(|moment| moment.date())
        .unwrap_or(time::Date::MIN);
    i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1
}

/// The first moment (midnight UTC) of the calendar month `at` falls in.
pub fn month_start(at: Millis) -> Millis {
    let date = time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000))
        .map(|moment| moment.date())
        .unwrap_or(time::Date::MIN);
    let first = date.replace_day(1).unwrap_or(date);
    Millis::from(first.midnight().assume_utc())
}

/// What each day's billable messages cost, per volume key (a country, or `*`) and category:
/// `(cost in millionths, or None without a rate; messages)`. Volume tiers count the month's
/// messages before each day, so `month` must hold every billable charge from the first of
/// the month of the earliest day priced.
type DayPrices = HashMap<(String, String, i64), (Option<i64>, i64)>;

fn day_prices(month: &[ChargeCount], card: &RateCard) -> DayPrices {
    let mut per_day: BTreeMap<(String, String, i64), i64> = BTreeMap::new();
    for count in month.iter().filter(|count| count.billable) {
        let key = card.volume_key(&count.country, &count.category).to_owned();
        *per_day
            .entry((key, count.category.clone(), count.day))
            .or_default() += count.messages;
    }
    let mut prices = HashMap::with_capacity(per_day.len());
    let mut sent_this_month: HashMap<(String, String, i64), i64> = HashMap::new();
    // In day order per key and category, so each day knows the month's volume before it.
    for ((key, category, day), messages) in per_day {
        let already = sent_this_month
            .entry((key.clone(), category.clone(), month_of(day)))
            .or_default();
        let noon = Millis(day_start(day).0 + DAY_MS / 2);
        let cost = card
            .tiers_for(&key, &category, noon)
            .map(|tiers| price_of_volume(&tiers, *already, messages));
        *already += messages;
        prices.insert((key, category, day), (cost, messages));
    }
    prices
}

/// Adds up counted charges per group, priced with `card` and its volume tiers (counted over
/// `month`: see [`day_prices`]); most expensive first, then by most messages, then by key. A
/// group's share of a day's cost is its share of the day's messages.
pub fn tally(counts: &[ChargeCount], card: &RateCard, month: &[ChargeCount]) -> Vec<CostGroup> {
    let prices = day_prices(month, card);
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
        let key = card.volume_key(&count.country, &count.category).to_owned();
        let day = prices.get(&(key, count.category.clone(), count.day));
        match day {
            Some(&(Some(cost), messages)) if messages > 0 => {
                group.cost_micros += (cost * count.messages + messages / 2) / messages;
            }
            _ => group.unpriced += count.messages,
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
/// counts recipients by the first digits of their number (enough to tell the country);
/// `this_month` (the month's billable charges so far) places them in the volume tiers.
pub fn estimate(
    prefixes: &[(String, i64)],
    category: &str,
    card: &RateCard,
    at: Millis,
    this_month: &[ChargeCount],
) -> CostEstimate {
    let mut estimate = CostEstimate {
        category: category.to_owned(),
        messages: 0,
        unpriced: 0,
        cost: 0.0,
        cost_micros: 0,
        currency: card.currency.clone(),
    };
    let mut already: HashMap<&str, i64> = HashMap::new();
    for count in this_month
        .iter()
        .filter(|count| count.billable && count.category == category)
    {
        *already
            .entry(card.volume_key(&count.country, category))
            .or_default() += count.messages;
    }
    let mut by_key: BTreeMap<&str, i64> = BTreeMap::new();
    for (prefix, count) in prefixes {
        estimate.messages += count;
        let country = country_of(prefix).unwrap_or_default();
        *by_key
            .entry(card.volume_key(country, category))
            .or_default() += count;
    }
    for (key, count) in by_key {
        match card.tiers_for(key, category, at) {
            Some(tiers) => {
                let sent = already.get(key).copied().unwrap_or(0);
                estimate.cost_micros += price_of_volume(&tiers, sent, count);
            }
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
    use parley_app::costs::{RateCardInput, RateView};
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
        let counts = [
            count("a", "IN", "marketing", "2026-06-30", true, 10),
            count("a", "IN", "marketing", "2026-07-01", true, 5),
            count("a", "IN", "service", "2026-07-01", false, 7),
            count("b", "US", "marketing", "2026-07-01", true, 3),
        ];
        let groups = tally(&counts, &card, &counts);
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
    fn volume_tiers_count_the_months_messages_before_each_day_across_groups() {
        let tier = |price: &str, volume_from: u64| RateView {
            volume_from,
            ..rate("IN", "utility", price, "2026-01-01")
        };
        let card = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![tier("0.01", 0), tier("0.005", 10)],
        })
        .unwrap();
        let day = |raw: &str| day_of(parse_day(raw).unwrap());
        let count = |key: &str, on: &str, messages| ChargeCount {
            key: Some(key.into()),
            label: None,
            country: "IN".into(),
            category: "utility".into(),
            day: day(on),
            billable: true,
            messages,
        };
        // June's 20 do not count towards July. On 2 July the month has had 8 (a's 6 and b's
        // 2 on the 1st): its 4 messages are 2 at 0.01 and 2 at 0.005, split 3:1 between a and b.
        let month = [
            count("a", "2026-06-30", 20),
            count("a", "2026-07-01", 6),
            count("b", "2026-07-01", 2),
            count("a", "2026-07-02", 3),
            count("b", "2026-07-02", 1),
        ];
        let groups = tally(&month[3..], &card, &month);
        let cost_of = |key: &str| {
            groups
                .iter()
                .find(|group| group.key.as_deref() == Some(key))
                .unwrap()
                .cost_micros
        };
        assert_eq!(cost_of("a") + cost_of("b"), 2 * 10_000 + 2 * 5_000);
        assert_eq!((cost_of("a"), cost_of("b")), (22_500, 7_500));
        assert_eq!(
            month_start(parse_day("2026-07-19").unwrap()),
            parse_day("2026-07-01").unwrap()
        );
        assert_eq!(month_of(day("2026-07-31")) + 1, month_of(day("2026-08-01")));
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
        let estimate = estimate(&prefixes, "marketing", &card, at, &[]);
        assert_eq!((estimate.messages, estimate.unpriced), (16, 2));
        assert_eq!(estimate.cost_micros, 4 * 25_000 + 10 * 10_700);
        assert_eq!(estimate.currency.as_deref(), Some("USD"));
    }
}
