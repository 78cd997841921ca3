//! When the business is open, from the workspace's (or a team's) weekly hours and holidays in
//! its time zone (daylight-saving changes included). Pure: reports count a customer's wait in
//! open seconds, out-of-office replies ask whether it is open now, routing whether a team is.

use super::Millis;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_app::business_hours::{BusinessHours, WEEKDAYS};
use std::collections::{BTreeSet, HashMap};

const MINUTES_A_DAY: u16 = 24 * 60;

/// Business hours checked and ready to answer questions about time.
#[derive(Clone, Debug)]
pub struct Schedule {
    zone: TimeZone,
    zone_name: String,
    /// Per weekday, Monday first: openings as minutes from local midnight, in order, apart.
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

/// `"09:00"` as minutes from midnight; `"24:00"` is the day's end.
fn minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(MINUTES_A_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

/// The workspace's schedule and the teams' own: a conversation follows its team's hours if the
/// team keeps its own, else the workspace's.
#[derive(Clone, Debug)]
pub struct Hours {
    pub workspace: Schedule,
    pub teams: HashMap<i64, Schedule>,
}

impl Hours {
    /// The workspace's hours for every team.
    pub fn workspace_only(workspace: Schedule) -> Hours {
        Hours {
            workspace,
            teams: HashMap::new(),
        }
    }

    pub fn of_team(&self, team: Option<i64>) -> &Schedule {
        (team.and_then(|team| self.teams.get(&team))).unwrap_or(&self.workspace)
    }
}

impl Schedule {
    /// Checks the settings: a known time zone, times like 09:00, each opening closing after it
    /// opens and apart from the day's others, holidays as dates. The message names what is wrong.
    pub fn from_settings(settings: &BusinessHours) -> Result<Schedule, String> {
        let name = settings.time_zone.trim();
        let zone = TimeZone::get(name)
            .map_err(|_| format!("“{name}” is not a time zone (write one like Europe/Berlin)"))?;
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (index, openings) in settings.hours.days().into_iter().enumerate() {
            let day = WEEKDAYS[index];
            let time = |text: &str| {
                minutes(text).ok_or_else(|| format!("{day}: “{text}” is not a time like 09:00"))
            };
            let mut spans = Vec::with_capacity(openings.len());
            for opening in openings {
                let (opens, closes) = (time(&opening.opens)?, time(&opening.closes)?);
                if opens >= closes {
                    return Err(format!(
                        "{day}: {}-{} closes before it opens",
                        opening.opens, opening.closes
                    ));
                }
                spans.push((opens, closes));
            }
            spans.sort_unstable();
            if spans.windows(2).any(|pair| pair[1].0 < pair[0].1) {
                return Err(format!("{day}: openings overlap"));
            }
            week[index] = spans;
        }
        let holidays = settings
            .holidays
            .iter()
            .map(|text| {
                text.trim()
                    .parse::<Date>()
                    .map_err(|_| format!("holiday “{text}” is not a date like 2026-12-25"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Schedule {
            zone,
            zone_name: name.to_owned(),
            week,
            holidays,
        })
    }

    /// The time zone's name, as set.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// Whether the business is open at `at`.
    pub fn is_open(&self, at: Millis) -> bool {
        let Ok(timestamp) = Timestamp::from_millisecond(at.0) else {
            return false;
        };
        let local = timestamp.to_zoned_datetime(self.zone.clone());
        let date = local.date();
        if self.holidays.contains(&date) {
            return false;
        }
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.openings(date)
            .iter()
            .any(|&(opens, closes)| opens <= minute && minute < closes)
    }

    /// The seconds in `[from, to)` the business was open: a wait from Friday evening to
    /// Monday morning counts the opening hour on Monday, not the weekend.
    pub fn open_seconds(&self, from: Millis, to: Millis) -> i64 {
        if to <= from {
            return 0;
        }
        let (Some(mut date), Some(last)) = (self.date_of(from), self.date_of(to)) else {
            return 0;
        };
        let mut open_ms = 0;
        loop {
            if !self.holidays.contains(&date) {
                for &(opens, closes) in self.openings(date) {
                    let (Some(start), Some(end)) =
                        (self.instant(date, opens), self.instant(date, closes))
                    else {
                        continue;
                    };
                    let (start, end) = (start.max(from.0), end.min(to.0));
                    open_ms += (end - start).max(0);
                }
            }
            match date.tomorrow() {
                Ok(next) if date < last => date = next,
                _ => break,
            }
        }
        open_ms / 1000
    }

    /// How far the zone's clocks are ahead of UTC at `at`, in milliseconds.
    pub fn offset_at(&self, at: Millis) -> i64 {
        Timestamp::from_millisecond(at.0)
            .map(|timestamp| i64::from(self.zone.to_offset(timestamp).seconds()) * 1000)
            .unwrap_or(0)
    }

    fn openings(&self, date: Date) -> &[(u16, u16)] {
        &self.week[date.weekday().to_monday_zero_offset() as usize]
    }

    fn date_of(&self, at: Millis) -> Option<Date> {
        let timestamp = Timestamp::from_millisecond(at.0).ok()?;
        Some(timestamp.to_zoned_datetime(self.zone.clone()).date())
    }

    /// The moment the local clock shows `minute` on `date` (a time skipped by a change to
    /// summer time: the moment after the gap).
    fn instant(&self, date: Date, minute: u16) -> Option<i64> {
        let (date, minute) = if minute == MINUTES_A_DAY {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minute)
        };
        let local = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        let zoned = local.to_zoned_datetime(self.zone.clone()).ok()?;
        Some(zoned.timestamp().as_millisecond())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_app::business_hours::{Opening, WeeklyHours};

    fn nine_to_five(zone: &str) -> BusinessHours {
        let day = || {
            vec![Opening {
                opens: "09:00".into(),
                closes: "17:00".into(),
            }]
        };
        BusinessHours {
            time_zone: zone.into(),
            hours: WeeklyHours {
                monday: day(),
                tuesday: day(),
                wednesday: day(),
                thursday: day(),
                friday: day(),
                ..Default::default()
            },
            holidays: vec!["2026-12-24".into()],
        }
    }

    /// A UTC time as milliseconds: `"2026-12-04T15:30"`.
    fn utc(text: &str) -> Millis {
        let local: jiff::civil::DateTime = text.parse().unwrap();
        Millis(
            local
                .to_zoned_datetime(TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_millisecond(),
        )
    }

    #[test]
    fn a_wait_over_the_weekend_counts_only_open_hours() {
        let berlin = Schedule::from_settings(&nine_to_five("Europe/Berlin")).unwrap();
        // Friday 16:30 in Berlin (UTC+1) to Monday 09:30: half an hour each side.
        let (friday, monday) = (utc("2026-12-04T15:30"), utc("2026-12-07T08:30"));
        assert_eq!(berlin.open_seconds(friday, monday), 3_600);
        assert!(!berlin.is_open(utc("2026-12-05T10:00")), "Saturday");
        assert!(berlin.is_open(utc("2026-12-07T08:00")), "Monday 09:00");
        assert!(!berlin.is_open(utc("2026-12-07T16:00")), "Monday 17:00");
        // Wholly inside one opening: every second counts.
        assert_eq!(
            berlin.open_seconds(utc("2026-12-07T09:00"), utc("2026-12-07T09:10")),
            600
        );
        assert_eq!(berlin.open_seconds(monday, friday), 0);
        assert_eq!(berlin.offset_at(friday), 3_600_000);
    }

    #[test]
    fn holidays_are_closed_and_summer_time_days_are_shorter() {
        let berlin = Schedule::from_settings(&nine_to_five("Europe/Berlin")).unwrap();
        assert!(!berlin.is_open(utc("2026-12-24T10:00")), "Christmas Eve");
        assert_eq!(
            berlin.open_seconds(utc("2026-12-23T00:00"), utc("2026-12-26T00:00")),
            2 * 8 * 3_600,
            "Wednesday and Friday"
        );
        let always = BusinessHours {
            time_zone: "Europe/Berlin".into(),
            ..Default::default()
        };
        let always = Schedule::from_settings(&always).unwrap();
        // Sunday 29 March 2026 (local midnight to midnight) has 23 hours.
        let (start, end) = (utc("2026-03-28T23:00"), utc("2026-03-29T22:00"));
        assert_eq!(always.open_seconds(start, end), 23 * 3_600);
        assert!(always.is_open(start));
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_wrong() {
        let refused = |edit: fn(&mut BusinessHours)| {
            let mut settings = nine_to_five("Europe/Berlin");
            edit(&mut settings);
            Schedule::from_settings(&settings).unwrap_err()
        };
        assert!(refused(|s| s.time_zone = "Mars/Olympus".into()).contains("time zone"));
        assert!(refused(|s| s.hours.monday[0].opens = "9am".into()).contains("monday"));
        assert!(refused(|s| s.hours.friday[0].closes = "08:00".into()).contains("before"));
        assert!(refused(|s| s.hours.tuesday[0].closes = "24:01".into()).contains("24:01"));
        assert!(refused(|s| s.hours.monday.push(s.hours.monday[0].clone())).contains("overlap"));
        assert!(refused(|s| s.holidays.push("Christmas".into())).contains("Christmas"));
    }
}
