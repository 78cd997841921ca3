//! The rate card admins keep: what a billable message costs per recipient country (`*` for
//! any other) and Meta category, from a day on, in one currency; exact to a millionth.

use super::Millis;
use parley_app::contacts::parse_csv;
use parley_app::costs::{RateCardInput, RateView};

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum RateCardError {
    #[error("the currency must be a three-letter ISO 4217 code such as USD, not {0:?}")]
    Currency(String),
    #[error("rate {row}: {reason}")]
    Rate { row: usize, reason: String },
    #[error("rate {row}: {country}/{category} from {day} (at that volume) is listed twice")]
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
    /// A volume tier: it applies once the month has had this many billable messages to the
    /// country and category (Meta's "100,001 and up" is 100000); 0 from the first.
    pub volume_from: i64,
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
            let volume_from = i64::try_from(view.volume_from)
                .map_err(|_| refuse("volume_from is too large".into()))?;
            let rate = Rate {
                country,
                category,
                effective_from,
                volume_from,
                micros,
            };
            if rates.iter().any(|other| {
                (
                    &other.country,
                    &other.category,
                    other.effective_from,
                    other.volume_from,
                ) == (
                    &rate.country,
                    &rate.category,
                    rate.effective_from,
                    rate.volume_from,
                )
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

    /// Reads a CSV file with the header `country,category,rate,effective_from` and, for volume
    /// tiers, `volume_from` (columns in any order; others ignored) as a card in `currency`.
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
        let tier_column = column("volume_from").ok();
        let rates = rows
            .iter()
            .filter(|row| row.cells.iter().any(|cell| !cell.trim().is_empty()))
            .enumerate()
            .map(|(index, row)| {
                let field = |at: usize| row.cells.get(at).cloned().unwrap_or_default();
                let tier = tier_column.map(field);
                let volume_from = match tier.as_deref().map(str::trim) {
                    None | Some("") => 0,
                    Some(raw) => raw.parse().map_err(|_| RateCardError::Rate {
                        row: index + 1,
                        reason: format!("volume_from must be a whole number, not {raw:?}"),
                    })?,
                };
                Ok(RateView {
                    country: field(columns[0]),
                    category: field(columns[1]),
                    rate: field(columns[2]),
                    effective_from: field(columns[3]),
                    volume_from,
                })
            })
            .collect::<Result<_, RateCardError>>()?;
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
                volume_from: rate.volume_from as u64,
            })
            .collect()
    }

    /// What the first billable message of a month in `category` to `country` costs at `at`
    /// (before any volume tier).
    pub fn rate_for(&self, country: &str, category: &str, at: Millis) -> Option<i64> {
        let tiers = self.tiers_for(country, category, at)?;
        tiers.first().map(|tier| tier.1)
    }

    /// The prices in force at `at` for `category` to `country`: the country's own rates if
    /// the card lists the country for the category, else its `*` rates; those that took
    /// effect last before `at`, as `(volume_from, micros)` tiers in volume order.
    pub fn tiers_for(&self, country: &str, category: &str, at: Millis) -> Option<Vec<(i64, i64)>> {
        let key = self.volume_key(country, category);
        let listed = || {
            (self.rates.iter()).filter(move |rate| rate.country == key && rate.category == category)
        };
        let since = listed()
            .filter(|rate| rate.effective_from <= at)
            .map(|rate| rate.effective_from)
            .max()?;
        let mut tiers: Vec<(i64, i64)> = listed()
            .filter(|rate| rate.effective_from == since)
            .map(|rate| (rate.volume_from, rate.micros))
            .collect();
        tiers.sort_unstable();
        Some(tiers)
    }

    /// Whose volume a message counts towards: its country's, when the card prices the
    /// country in the category at all, else every unlisted country's together (`*`).
    pub fn volume_key<'a>(&self, country: &'a str, category: &str) -> &'a str {
        let listed = self
            .rates
            .iter()
            .any(|rate| rate.country == country && rate.category == category);
        if listed { country } else { "*" }
    }
}

/// What `count` messages cost, the first of them the month's message number `already + 1`,
/// with `tiers` (`(volume_from, micros)` in volume order): each message at the tier its number
/// falls in. Before the first tier's volume (a card without a 0 tier) the first tier applies.
pub fn price_of_volume(tiers: &[(i64, i64)], already: i64, count: i64) -> i64 {
    let mut cost = 0;
    for (index, &(from, micros)) in tiers.iter().enumerate() {
        let start = if index == 0 { i64::MIN } else { from };
        let end = tiers.get(index + 1).map_or(i64::MAX, |next| next.0);
        let (low, high) = (already.max(start), (already + count).min(end));
        if high > low {
            cost += micros * (high - low);
        }
    }
    cost
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
pub(crate) mod tests {
    use super::*;

    /// A rate as an admin writes it.
    pub(crate) fn rate(country: &str, category: &str, rate: &str, from: &str) -> RateView {
        RateView {
            country: country.into(),
            category: category.into(),
            rate: rate.into(),
            effective_from: from.into(),
            volume_from: 0,
        }
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
    fn volume_tiers_price_each_message_by_its_number_in_the_month() {
        let tier = |country: &str, price: &str, volume_from: u64| RateView {
            volume_from,
            ..rate(country, "utility", price, "2026-07-01")
        };
        let card = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![
                tier("IN", "0.01", 0),
                tier("IN", "0.008", 100),
                tier("IN", "0.005", 1000),
            ],
        })
        .unwrap();
        let at = parse_day("2026-07-15").unwrap();
        let tiers = card.tiers_for("IN", "utility", at).unwrap();
        assert_eq!(tiers, [(0, 10_000), (100, 8_000), (1000, 5_000)]);
        // The 91st to the 110th message: ten at the first tier, ten past a hundred.
        assert_eq!(price_of_volume(&tiers, 90, 20), 10 * 10_000 + 10 * 8_000);
        assert_eq!(price_of_volume(&tiers, 2_000, 3), 3 * 5_000);
        assert_eq!(price_of_volume(&tiers, 0, 0), 0);
        assert_eq!(
            card.rate_for("IN", "utility", at),
            Some(10_000),
            "the month's first"
        );
        assert_eq!(card.volume_key("IN", "utility"), "IN");
        assert_eq!(
            card.volume_key("BR", "utility"),
            "*",
            "unlisted countries count together"
        );
        let twice = RateCard::from_input(&RateCardInput {
            currency: "USD".into(),
            rates: vec![tier("IN", "0.01", 100), tier("IN", "0.02", 100)],
        });
        assert!(twice.unwrap_err().to_string().contains("twice"));
        let csv = "country,category,rate,effective_from,volume_from\n\
                   IN,utility,0.01,2026-07-01,\nIN,utility,0.008,2026-07-01,100\n";
        let read = RateCard::from_csv("USD", csv).unwrap();
        assert_eq!(read.rates[1].volume_from, 100);
        assert_eq!(read.views()[1].volume_from, 100);
        let bad = RateCard::from_csv("USD", &csv.replace(",100", ",lots"));
        assert!(bad.unwrap_err().to_string().contains("volume_from"));
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
}
