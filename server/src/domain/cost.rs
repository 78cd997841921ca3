//! What WhatsApp charges. Since 2025-07-01 Meta prices each message it delivers: a status
//! carries `pricing` (`billable`, `category`, `type`), which becomes one [`Charge`] in the
//! ledger. The [`RateCard`] the admins keep turns billable charges into money.

use super::Millis;
use super::inbound::StatusUpdate;
use parley_app::contacts::{country_of, parse_csv};
use parley_app::costs::{CostEstimate, CostGroup, RateCardInput, RateView};
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

/// Why a rate card was refused.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum RateCardError {
    #[error("the currency must be a three-letter ISO 4217 code such as USD, not {0:?}")]
    Currency(String),
    #[error("rate {row}: {reason}")]
    Rate { row: usize, reason: String },
    #[error("rate {row}: {country}/{category} from {day} is listed twice")]
    Duplicate {
        row: usize,
        country: String,
        category: String,
        day: String,
    },
    #[error("the CSV file needs the columns country, category, rate and effective_from: {0}")]
    Csv(String),
}

/// One rate, in millionths of the card's currency per billable message.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    /// ISO 3166-1 alpha-2, or `*`.
    pub country: String,
    pub category: String,
    /// Midnight UTC of the first day it applies.
    pub effective_from: Millis,
    pub micros: i64,
}

/// The rates, in one currency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateCard {
    pub currency: Option<String>,
    pub rates: Vec<Rate>,
}

impl RateCard {
    /// Checks a card as an admin wrote it: a currency code, and for each rate a country code or
    /// `*`, a category, a decimal price of at most six places and a `YYYY-MM-DD` day.
    pub fn from_input(input: &RateCardInput) -> Result<RateCard, RateCardError> {
        let currency = input.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(RateCardError::Currency(input.currency.clone()));
        }
        let mut rates: Vec<Rate> = Vec::with_capacity(input.rates.len());
        for (index, view) in input.rates.iter().enumerate() {
            let row = index + 1;
            let refuse = |reason: String| RateCardError::Rate { row, reason };
            let country = view.country.trim().to_ascii_uppercase();
            if country != "*"
                && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(refuse(format!(
                    "the country must be a two-letter ISO code or *, not {:?}",
                    view.country
                )));
            }
            let category = view.category.trim().to_ascii_lowercase();
            if category.is_empty()
                || !category
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                return Err(refuse(format!(
                    "the category must be Meta's name for it (marketing, utility, …), not {:?}",
                    view.category
                )));
            }
            let micros = parse_micros(&view.rate).ok_or_else(|| {
                refuse(format!(
                    "the rate must be a price such as 0.0250 (at most six decimal places), not {:?}",
                    view.rate
                ))
            })?;
            let effective_from = parse_day(&view.effective_from).ok_or_else(|| {
                refuse(format!(
                    "effective_from must be a day such as 2026-07-01, not {:?}",
                    view.effective_from
                ))
            })?;
            let rate = Rate {
                country,
                category,
                effective_from,
                micros,
            };
            if rates.iter().any(|other| {
                (&other.country, &other.category, other.effective_from)
                    == (&rate.country, &rate.category, rate.effective_from)
            }) {
                return Err(RateCardError::Duplicate {
                    row,
                    country: rate.country,
                    category: rate.category,
                    day: view.effective_from.trim().to_owned(),
                });
            }
            rates.push(rate);
        }
        Ok(RateCard {
            currency: Some(currency),
            rates,
        })
    }

    /// Reads a CSV file with the header `country,category,rate,effective_from` (columns in any
    /// order; others ignored) as a card in `currency`.
    pub fn from_csv(currency: &str, text: &str) -> Result<RateCard, RateCardError> {
        let records = parse_csv(text).map_err(RateCardError::Csv)?;
        let Some((headers, rows)) = records.split_first() else {
            return Err(RateCardError::Csv("the file is empty".into()));
        };
        let column = |name: &str| {
            (headers.cells.iter())
                .position(|header| header.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| RateCardError::Csv(format!("no {name} column")))
        };
        let columns = [
            column("country")?,
            column("category")?,
            column("rate")?,
            column("effective_from")?,
        ];
        let rates = rows
            .iter()
            .filter(|row| row.cells.iter().any(|cell| !cell.trim().is_empty()))
            .map(|row| {
                let field = |at: usize| row.cells.get(columns[at]).cloned().unwrap_or_default();
                RateView {
                    country: field(0),
                    category: field(1),
                    rate: field(2),
                    effective_from: field(3),
                }
            })
            .collect();
        RateCard::from_input(&RateCardInput {
            currency: currency.to_owned(),
            rates,
        })
    }

    /// The card as members and the API see it.
    pub fn views(&self) -> Vec<RateView> {
        self.rates
            .iter()
            .map(|rate| RateView {
                country: rate.country.clone(),
                category: rate.category.clone(),
                rate: format_micros(rate.micros),
                effective_from: format_day(rate.effective_from),
            })
            .collect()
    }

    /// What one billable message in `category` to `country` cost at `at`: the country's own
    /// rate, else the card's `*` rate, whichever took effect last before `at`.
    pub fn rate_for(&self, country: &str, category: &str, at: Millis) -> Option<i64> {
        let latest = |wanted: &str| {
            self.rates
                .iter()
                .filter(|rate| rate.country == wanted && rate.category == category)
                .filter(|rate| rate.effective_from <= at)
                .max_by_key(|rate| rate.effective_from)
                .map(|rate| rate.micros)
        };
        latest(country).or_else(|| latest("*"))
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

/// `"0.025"` → 25,000 millionths; `None` for anything but a non-negative decimal of at most
/// six places.
fn parse_micros(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    if fraction.len() > 6 || whole.len() > 9 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = format!("{fraction:0<6}").parse().ok()?;
    Some(whole * 1_000_000 + fraction)
}

fn format_micros(micros: i64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let trimmed = text.trim_end_matches('0');
    // Keep at least two decimals: 0.50, 1.00.
    let decimals = trimmed.len() - trimmed.find('.').unwrap_or(trimmed.len()) - 1;
    if decimals < 2 {
        format!("{trimmed}{}", "0".repeat(2 - decimals))
    } else {
        trimmed.to_owned()
    }
}

/// `2026-07-01` → midnight UTC that day.
pub fn parse_day(raw: &str) -> Option<Millis> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw.trim(), format).ok()?;
    Some(Millis::from(date.midnight().assume_utc()))
}

/// Midnight UTC → `2026-07-01`.
pub fn format_day(at: Millis) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000))
        .ok()
        .and_then(|moment| moment.date().format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inbound::{CustomerKey, WaMessageId};
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

    fn rate(country: &str, category: &str, rate: &str, from: &str) -> RateView {
        RateView {
            country: country.into(),
            category: category.into(),
            rate: rate.into(),
            effective_from: from.into(),
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
    fn a_rate_card_is_checked_and_its_prices_kept_exactly() {
        let input = RateCardInput {
            currency: "usd".into(),
            rates: vec![
                rate("in", "marketing", "0.0107", "2026-07-01"),
                rate("*", "utility", ".004", "2026-01-01"),
            ],
        };
        let card = RateCard::from_input(&input).unwrap();
        assert_eq!(card.currency.as_deref(), Some("USD"));
        assert_eq!(card.rates[0].micros, 10_700);
        assert_eq!(card.rates[1].micros, 4_000);
        assert_eq!(card.views()[0].rate, "0.0107");
        assert_eq!(card.views()[1].rate, "0.004");
        assert_eq!(card.views()[0].effective_from, "2026-07-01");
        assert_eq!(format_micros(500_000), "0.50");
        assert_eq!(format_micros(2_000_000), "2.00");

        let refused = |rates: Vec<RateView>| {
            RateCard::from_input(&RateCardInput {
                currency: "USD".into(),
                rates,
            })
            .unwrap_err()
            .to_string()
        };
        assert!(refused(vec![rate("India", "marketing", "1", "2026-01-01")]).contains("country"));
        assert!(refused(vec![rate("IN", "", "1", "2026-01-01")]).contains("category"));
        assert!(refused(vec![rate("IN", "marketing", "-1", "2026-01-01")]).contains("rate"));
        assert!(refused(vec![rate("IN", "marketing", "0.0000001", "2026-01-01")]).contains("six"));
        assert!(refused(vec![rate("IN", "marketing", "1", "July")]).contains("effective_from"));
        let twice = refused(vec![
            rate("IN", "marketing", "1", "2026-01-01"),
            rate("in", "marketing", "2", "2026-01-01"),
        ]);
        assert!(
            twice.contains("rate 2") && twice.contains("twice"),
            "{twice}"
        );
        let currency = RateCard::from_input(&RateCardInput {
            currency: "dollars".into(),
            rates: vec![],
        });
        assert!(matches!(currency, Err(RateCardError::Currency(_))));
    }

    #[test]
    fn a_csv_rate_card_is_read_by_its_headers() {
        let csv = "Category,Country,Effective_From,Rate,Note\n\
                   marketing,BR,2026-07-01,0.0625,from Meta's sheet\n\
                   authentication_international,*,2026-07-01,0.03,\n";
        let card = RateCard::from_csv("BRL", csv).unwrap();
        assert_eq!(card.rates.len(), 2);
        assert_eq!(card.rates[0].country, "BR");
        assert_eq!(card.rates[0].micros, 62_500);
        assert_eq!(card.rates[1].category, "authentication_international");
        let missing = RateCard::from_csv("USD", "country,category,rate\nIN,marketing,1\n");
        assert!(missing.unwrap_err().to_string().contains("effective_from"));
    }

    #[test]
    fn a_country_rate_wins_over_the_default_and_the_latest_in_effect_applies() {
        let card = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![
                rate("IN", "marketing", "0.01", "2026-01-01"),
                rate("IN", "marketing", "0.02", "2026-07-01"),
                rate("*", "marketing", "0.05", "2026-01-01"),
            ],
        })
        .unwrap();
        let at = |day: &str| {
            parse_day(day)
                .unwrap()
                .plus(std::time::Duration::from_secs(3600))
        };
        assert_eq!(
            card.rate_for("IN", "marketing", at("2026-03-01")),
            Some(10_000)
        );
        assert_eq!(
            card.rate_for("IN", "marketing", at("2026-07-01")),
            Some(20_000)
        );
        assert_eq!(
            card.rate_for("BR", "marketing", at("2026-03-01")),
            Some(50_000)
        );
        assert_eq!(card.rate_for("IN", "marketing", at("2025-12-31")), None);
        assert_eq!(card.rate_for("IN", "utility", at("2026-03-01")), None);
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
