//! How urgent a conversation is, and until when it is parked.

use crate::model::{ParseError, UnixTime};
use serde::{Deserialize, Serialize};

/// How urgent a conversation is. Sorts as it reads: `urgent` first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::None,
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::None => "none",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// 0 (none) to 4 (urgent), as stored.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.get(usize::try_from(rank).ok()?).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::None => "No priority",
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParseError::new("priority", "must be none, low, medium, high or urgent"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnoozePreset {
    OneHour,
    /// 18:00 today, or tomorrow once it is past 17:00.
    Tonight,
    /// 09:00 tomorrow.
    Tomorrow,
    /// 09:00 next Monday.
    NextWeek,
}

impl SnoozePreset {
    pub const ALL: [SnoozePreset; 4] = [
        SnoozePreset::OneHour,
        SnoozePreset::Tonight,
        SnoozePreset::Tomorrow,
        SnoozePreset::NextWeek,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SnoozePreset::OneHour => "1 hour",
            SnoozePreset::Tonight => "Tonight (18:00)",
            SnoozePreset::Tomorrow => "Tomorrow (09:00)",
            SnoozePreset::NextWeek => "Next week (Monday 09:00)",
        }
    }

    /// When the snooze ends, for a member whose clock is `now_ms` at `offset_minutes` east of
    /// UTC (their wall clock decides what "tomorrow at nine" means).
    pub fn until(self, now_ms: i64, offset_minutes: i32) -> UnixTime {
        const DAY: i64 = 86_400;
        let now = now_ms.div_euclid(1000);
        let offset = i64::from(offset_minutes) * 60;
        let local = now + offset;
        let midnight = local - local.rem_euclid(DAY);
        let at = |day_start: i64, hour: i64| UnixTime(day_start + hour * 3600 - offset);
        match self {
            SnoozePreset::OneHour => UnixTime(now + 3600),
            SnoozePreset::Tonight => {
                if local - midnight < 17 * 3600 {
                    at(midnight, 18)
                } else {
                    at(midnight + DAY, 18)
                }
            }
            SnoozePreset::Tomorrow => at(midnight + DAY, 9),
            SnoozePreset::NextWeek => {
                // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
                let weekday = (midnight.div_euclid(DAY) + 3).rem_euclid(7);
                at(midnight + (7 - weekday) * DAY, 9)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_round_trip_through_their_rank() {
        for priority in Priority::ALL {
            assert_eq!(Priority::from_rank(priority.rank()), Some(priority));
            assert_eq!(priority.as_str().parse::<Priority>().unwrap(), priority);
        }
        assert!(Priority::Urgent > Priority::High);
        assert_eq!(Priority::from_rank(5), None);
    }

    #[test]
    fn snooze_presets_follow_the_members_wall_clock() {
        // Thursday 2026-12-03 10:30 UTC; the member is at UTC+1 (11:30 their time).
        let now = 1_796_293_800_000;
        let offset = 60;
        let hour = |h: i64| 1_796_256_000 + h * 3600 - 3600; // their midnight + h
        assert_eq!(
            SnoozePreset::OneHour.until(now, offset),
            UnixTime(1_796_297_400)
        );
        assert_eq!(SnoozePreset::Tonight.until(now, offset), UnixTime(hour(18)));
        assert_eq!(
            SnoozePreset::Tomorrow.until(now, offset),
            UnixTime(hour(24 + 9))
        );
        // Monday 2026-12-07 09:00 their time.
        assert_eq!(
            SnoozePreset::NextWeek.until(now, offset),
            UnixTime(hour(4 * 24 + 9))
        );
        // Past 17:00, "tonight" is tomorrow evening.
        let evening = now + 7 * 3_600_000; // 18:30 their time
        assert_eq!(
            SnoozePreset::Tonight.until(evening, offset),
            UnixTime(hour(24 + 18))
        );
    }
}
