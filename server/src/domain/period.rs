//! The period a report covers, as its callers write it: unix seconds or ISO dates.

use super::Millis;
use super::rate_card::parse_day;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
/// Without `from`, a report covers the 30 days up to `to`.
const DEFAULT_SPAN: Duration = Duration::from_secs(30 * 86_400);
/// The longest period a report covers.
const LONGEST: Duration = Duration::from_secs(400 * 86_400);

/// `[from, to)` in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Millis,
    pub to: Millis,
}

impl Period {
    /// From the `from` and `to` a caller gave: unix seconds, or `YYYY-MM-DD` (UTC; a `to` day
    /// is included whole). `to` defaults to now, `from` to 30 days before `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: Millis) -> Result<Period, String> {
        Period::parse_local(from, to, now, 0)
    }

    /// As [`Period::parse`], days beginning at midnight in a zone `offset` ms ahead of UTC.
    pub fn parse_local(
        from: Option<&str>,
        to: Option<&str>,
        now: Millis,
        offset: i64,
    ) -> Result<Period, String> {
        let to = match to.map(str::trim).filter(|raw| !raw.is_empty()) {
            Some(raw) => bound(raw, "to", offset)?.1,
            // What happened at this very moment is in.
            None => Millis(now.0 + 1),
        };
        let from = match from.map(str::trim).filter(|raw| !raw.is_empty()) {
            Some(raw) => bound(raw, "from", offset)?.0,
            None => to.minus(DEFAULT_SPAN),
        };
        if from >= to {
            return Err("from must be before to".into());
        }
        if from.until(to) > LONGEST {
            return Err("a period covers at most 400 days".into());
        }
        Ok(Period { from, to })
    }
}

/// The moment `raw` names as a start and as an end: a second is both; a day starts at its
/// midnight (`offset` ms ahead of UTC) and ends at the next.
fn bound(raw: &str, name: &str, offset: i64) -> Result<(Millis, Millis), String> {
    if let Ok(seconds) = raw.parse::<i64>() {
        let at = Millis(seconds.saturating_mul(1000));
        return Ok((at, at));
    }
    let day = parse_day(raw).ok_or_else(|| {
        format!("{name} must be unix seconds or a date such as 2026-07-01, not {raw:?}")
    })?;
    let midnight = Millis(day.0 - offset);
    Ok((midnight, midnight.plus(DAY)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = Millis(1_767_225_600_000); // 2026-01-01T00:00:00Z

    #[test]
    fn dates_cover_whole_days_and_seconds_are_exact() {
        let days = Period::parse(Some("2025-12-01"), Some("2025-12-31"), NOW).unwrap();
        assert_eq!(days.from, parse_day("2025-12-01").unwrap());
        assert_eq!(days.to, NOW);
        let seconds = Period::parse(Some("1767000000"), Some("1767100000"), NOW).unwrap();
        assert_eq!(
            (seconds.from, seconds.to),
            (Millis(1_767_000_000_000), Millis(1_767_100_000_000))
        );
    }

    #[test]
    fn dates_begin_at_the_zones_midnight() {
        let berlin = 3_600_000;
        let days = Period::parse_local(Some("2025-12-01"), Some("2025-12-02"), NOW, berlin);
        let days = days.unwrap();
        assert_eq!(
            days.from,
            Millis(parse_day("2025-12-01").unwrap().0 - berlin)
        );
        assert_eq!(days.to, Millis(parse_day("2025-12-03").unwrap().0 - berlin));
        let seconds = Period::parse_local(Some("1767000000"), None, NOW, berlin).unwrap();
        assert_eq!(
            seconds.from,
            Millis(1_767_000_000_000),
            "a moment is a moment"
        );
    }

    #[test]
    fn without_bounds_a_period_is_the_last_thirty_days() {
        let period = Period::parse(None, None, NOW).unwrap();
        assert_eq!(period.to, Millis(NOW.0 + 1), "what happens now is in");
        assert_eq!(period.from.until(period.to), DEFAULT_SPAN);
    }

    #[test]
    fn backwards_endless_and_unreadable_periods_are_refused() {
        assert!(Period::parse(Some("2026-01-02"), Some("2026-01-01"), NOW).is_err());
        assert!(Period::parse(Some("2020-01-01"), Some("2026-01-01"), NOW).is_err());
        let unreadable = Period::parse(Some("last week"), None, NOW).unwrap_err();
        assert!(unreadable.contains("from must be"), "{unreadable}");
    }
}
