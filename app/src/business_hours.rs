//! When the business answers: weekly opening hours and holidays in a time zone, for the whole
//! workspace. Reports can count only these hours; the time zone is the workspace's.

use serde::{Deserialize, Serialize};

/// One opening on a day, local time: `"09:00"` to `"17:30"` (`"24:00"` closes at midnight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Opening {
    #[cfg_attr(feature = "ssr", schema(example = "09:00"))]
    pub opens: String,
    #[cfg_attr(feature = "ssr", schema(example = "17:00"))]
    pub closes: String,
}

/// Openings per weekday, in the order of the day; a day without any is closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WeeklyHours {
    #[serde(default)]
    pub monday: Vec<Opening>,
    #[serde(default)]
    pub tuesday: Vec<Opening>,
    #[serde(default)]
    pub wednesday: Vec<Opening>,
    #[serde(default)]
    pub thursday: Vec<Opening>,
    #[serde(default)]
    pub friday: Vec<Opening>,
    #[serde(default)]
    pub saturday: Vec<Opening>,
    #[serde(default)]
    pub sunday: Vec<Opening>,
}

/// The days of the week as the settings name them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl WeeklyHours {
    /// Each weekday's openings, Monday first.
    pub fn days(&self) -> [&Vec<Opening>; 7] {
        [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ]
    }

    pub fn days_mut(&mut self) -> [&mut Vec<Opening>; 7] {
        [
            &mut self.monday,
            &mut self.tuesday,
            &mut self.wednesday,
            &mut self.thursday,
            &mut self.friday,
            &mut self.saturday,
            &mut self.sunday,
        ]
    }
}

/// The workspace's business hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BusinessHours {
    /// An IANA time zone: the hours and holidays are local to it, and reports count its days.
    #[cfg_attr(feature = "ssr", schema(example = "Europe/Berlin"))]
    pub time_zone: String,
    pub hours: WeeklyHours,
    /// Whole days closed, `YYYY-MM-DD`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(example = json!(["2026-12-25"])))]
    pub holidays: Vec<String>,
}

impl Default for BusinessHours {
    /// Until an admin sets them: open around the clock, in UTC.
    fn default() -> BusinessHours {
        let all_day = || {
            vec![Opening {
                opens: "00:00".into(),
                closes: "24:00".into(),
            }]
        };
        let mut hours = WeeklyHours::default();
        for day in hours.days_mut() {
            *day = all_day();
        }
        BusinessHours {
            time_zone: "UTC".into(),
            hours,
            holidays: Vec::new(),
        }
    }
}

/// How a day's openings are written in a form: `09:00-12:30, 13:30-17:00`, or empty (closed).
pub fn openings_text(openings: &[Opening]) -> String {
    openings
        .iter()
        .map(|opening| format!("{}-{}", opening.opens, opening.closes))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a day's openings as `openings_text` writes them (the times are checked on saving).
pub fn parse_openings(text: &str) -> Result<Vec<Opening>, String> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (opens, closes) = part
                .split_once(['-', '–'])
                .ok_or_else(|| format!("“{part}” is not like 09:00-17:00"))?;
            Ok(Opening {
                opens: opens.trim().to_owned(),
                closes: closes.trim().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_days_openings_read_back_as_written() {
        let openings = parse_openings(" 09:00-12:30, 13:30 – 17:00 ").unwrap();
        assert_eq!(openings_text(&openings), "09:00-12:30, 13:30-17:00");
        assert!(parse_openings("").unwrap().is_empty());
        assert!(parse_openings("nine to five").is_err());
    }
}

/// A team's hours: its own (`own`), or the workspace's it follows. Conversations in its queue
/// follow them: automation's open/closed, and routing holds conversations while it is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamBusinessHours {
    pub team_id: i64,
    pub own: bool,
    pub hours: BusinessHours,
}
