//! A conversation's history for reports: which domain events leave a mark, and how the
//! figures reports show (percentiles, buckets) are drawn from the marks.

use super::DomainEvent;
use super::Millis;
use parley_app::model::{ConversationStatus, UserId};
use parley_app::reports::TimeBucket;

/// A mark in a conversation's history, as `conversation_history.kind` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    Opened,
    Reopened,
    Assigned,
    TeamChanged,
    StatusChanged,
    /// The first reply since the customer started waiting (value: seconds waited).
    FirstReply,
    Replied,
    /// value: seconds since the conversation was (re)opened.
    Resolved,
    /// The 24-hour window closed while the customer's message was the last word.
    WindowLapsed,
    /// value: the customer's rating.
    Csat,
}

impl HistoryKind {
    pub const ALL: [HistoryKind; 10] = [
        HistoryKind::Opened,
        HistoryKind::Reopened,
        HistoryKind::Assigned,
        HistoryKind::TeamChanged,
        HistoryKind::StatusChanged,
        HistoryKind::FirstReply,
        HistoryKind::Replied,
        HistoryKind::Resolved,
        HistoryKind::WindowLapsed,
        HistoryKind::Csat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Opened => "opened",
            HistoryKind::Reopened => "reopened",
            HistoryKind::Assigned => "assigned",
            HistoryKind::TeamChanged => "team_changed",
            HistoryKind::StatusChanged => "status_changed",
            HistoryKind::FirstReply => "first_reply",
            HistoryKind::Replied => "replied",
            HistoryKind::Resolved => "resolved",
            HistoryKind::WindowLapsed => "window_lapsed",
            HistoryKind::Csat => "csat",
        }
    }

    pub fn parse(raw: &str) -> Option<HistoryKind> {
        HistoryKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }
}

/// What a domain event does to its conversation's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryStep {
    /// A new piece of work begins: the customer waits for a first reply from now.
    Opened,
    Reopened,
    Assigned {
        assignee: Option<UserId>,
    },
    TeamChanged {
        team_id: Option<i64>,
    },
    StatusChanged {
        status: ConversationStatus,
    },
    /// The business answered (`author` empty: from the WhatsApp Business app). The first
    /// answer since the customer started waiting is also a `FirstReply`.
    Replied {
        author: Option<UserId>,
    },
}

/// The step `event` takes in its conversation's history, with who took it, if any.
/// Messages Parley sends by itself (campaigns, consent confirmations, automations) are not
/// replies: they answer nobody.
pub fn step_of(event: &DomainEvent) -> Option<(i64, HistoryStep, Option<UserId>)> {
    let step = match event {
        DomainEvent::ConversationOpened { conversation_id } => {
            (*conversation_id, HistoryStep::Opened, None)
        }
        DomainEvent::ConversationReopened { conversation_id } => {
            (*conversation_id, HistoryStep::Reopened, None)
        }
        DomainEvent::Assigned {
            conversation_id,
            assignee,
            by,
        } => (
            *conversation_id,
            HistoryStep::Assigned {
                assignee: *assignee,
            },
            *by,
        ),
        DomainEvent::TeamSet {
            conversation_id,
            team_id,
            by,
        } => (
            *conversation_id,
            HistoryStep::TeamChanged { team_id: *team_id },
            *by,
        ),
        DomainEvent::StatusChanged {
            conversation_id,
            status,
            by,
            ..
        } => (
            *conversation_id,
            HistoryStep::StatusChanged { status: *status },
            *by,
        ),
        DomainEvent::MessageQueued {
            conversation_id,
            author: Some(author),
            ..
        } => (
            *conversation_id,
            HistoryStep::Replied {
                author: Some(*author),
            },
            Some(*author),
        ),
        DomainEvent::MessageEchoed {
            conversation_id, ..
        } => (
            *conversation_id,
            HistoryStep::Replied { author: None },
            None,
        ),
        _ => return None,
    };
    Some(step)
}

/// The value below which `share` (0–1) of `values` lie, by nearest rank; `None` when empty.
pub fn percentile(values: &[i64], share: f64) -> Option<i64> {
    let mut tallies: Vec<(i64, i64)> = values.iter().map(|&value| (value, 1)).collect();
    percentile_of_tallies(&mut tallies, share)
}

/// As [`percentile`], of values each given with how often it occurred (`(value, times)`).
/// Sorts `tallies`.
pub fn percentile_of_tallies(tallies: &mut [(i64, i64)], share: f64) -> Option<i64> {
    let total: i64 = tallies.iter().map(|(_, times)| times).sum();
    if total <= 0 {
        return None;
    }
    tallies.sort_unstable();
    let rank = ((share * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    tallies.iter().find_map(|&(value, times)| {
        seen += times;
        (seen >= rank).then_some(value)
    })
}

/// A bucket's width in milliseconds.
pub fn bucket_millis(bucket: TimeBucket) -> i64 {
    match bucket {
        TimeBucket::Hour => 3_600_000,
        TimeBucket::Day => 86_400_000,
    }
}

/// The start of the `bucket` that `at` falls in, `offset` (the zone's distance from UTC, in
/// milliseconds) deciding where a day begins.
pub fn bucket_start(bucket: TimeBucket, at: Millis, offset: i64) -> Millis {
    let width = bucket_millis(bucket);
    Millis((at.0 + offset).div_euclid(width) * width - offset)
}

/// Every bucket start from the one holding `from` up to `to` (exclusive), so that a series
/// shows its empty buckets too.
pub fn bucket_starts(bucket: TimeBucket, from: Millis, to: Millis, offset: i64) -> Vec<Millis> {
    let mut starts = Vec::new();
    let mut at = bucket_start(bucket, from, offset);
    while at < to {
        starts.push(at);
        at = Millis(at.0 + bucket_millis(bucket));
    }
    starts
}

/// The whole UTC days `[first, end)` within `[from, to)`, or `None` when no whole day fits:
/// reports sum these from daily totals and count the edges from the rows themselves.
pub fn whole_days(from: Millis, to: Millis) -> Option<(Millis, Millis)> {
    let day = bucket_millis(TimeBucket::Day);
    let first = bucket_start(TimeBucket::Day, Millis(from.0 + day - 1), 0);
    let end = bucket_start(TimeBucket::Day, to, 0);
    (first < end).then_some((first, end))
}

/// Day of the week (0 Monday … 6 Sunday) and hour of the day of `at`, `offset` ms from UTC.
pub fn weekday_and_hour(at: Millis, offset: i64) -> (usize, usize) {
    let local = at.0 + offset;
    let days = local.div_euclid(86_400_000);
    // 1970-01-01 was a Thursday (3, counting from Monday).
    let weekday = (days + 3).rem_euclid(7) as usize;
    let hour = local.rem_euclid(86_400_000) / 3_600_000;
    (weekday, hour as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_splits_into_whole_utc_days_and_edges() {
        const DAY: i64 = 86_400_000;
        let noon = DAY * 10 + DAY / 2;
        let days =
            |from: i64, to: i64| whole_days(Millis(from), Millis(to)).map(|(a, b)| (a.0, b.0));
        assert_eq!(days(noon, noon + 3 * DAY), Some((DAY * 11, DAY * 13)));
        assert_eq!(days(DAY * 10, DAY * 12), Some((DAY * 10, DAY * 12)));
        assert_eq!(days(noon, noon + DAY), None);
        assert_eq!(days(DAY * 10, DAY * 11 - 1), None);
    }

    #[test]
    fn member_replies_and_echoes_are_replies_but_parleys_own_sends_are_not() {
        let member = DomainEvent::MessageQueued {
            conversation_id: 4,
            message_id: 9,
            author: Some(UserId(2)),
        };
        assert_eq!(
            step_of(&member),
            Some((
                4,
                HistoryStep::Replied {
                    author: Some(UserId(2))
                },
                Some(UserId(2))
            ))
        );
        let campaign = DomainEvent::MessageQueued {
            conversation_id: 4,
            message_id: 9,
            author: None,
        };
        assert_eq!(step_of(&campaign), None);
        let echo = DomainEvent::MessageEchoed {
            conversation_id: 4,
            message_id: 9,
        };
        assert_eq!(
            step_of(&echo),
            Some((4, HistoryStep::Replied { author: None }, None))
        );
        let received = DomainEvent::MessageReceived {
            conversation_id: 4,
            message_id: 9,
        };
        assert_eq!(step_of(&received), None);
    }

    #[test]
    fn lifecycle_events_keep_their_actor() {
        let resolved = DomainEvent::StatusChanged {
            conversation_id: 1,
            status: ConversationStatus::Resolved,
            by: Some(UserId(3)),
            snoozed_until: None,
        };
        assert_eq!(
            step_of(&resolved),
            Some((
                1,
                HistoryStep::StatusChanged {
                    status: ConversationStatus::Resolved
                },
                Some(UserId(3))
            ))
        );
        let team = DomainEvent::TeamSet {
            conversation_id: 1,
            team_id: Some(5),
            by: None,
        };
        assert_eq!(
            step_of(&team),
            Some((1, HistoryStep::TeamChanged { team_id: Some(5) }, None))
        );
        for kind in HistoryKind::ALL {
            assert_eq!(HistoryKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7));
        let values = vec![50, 10, 40, 20, 30];
        assert_eq!(percentile(&values, 0.5), Some(30));
        assert_eq!(percentile(&values, 0.9), Some(50));
        let ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(percentile(&ten, 0.5), Some(5));
        assert_eq!(percentile(&ten, 0.9), Some(9));
        // Counted values rank as if each were listed as often as it occurred.
        let mut tallies = vec![(50, 1), (10, 3), (30, 1)];
        assert_eq!(percentile_of_tallies(&mut tallies, 0.5), Some(10));
        assert_eq!(percentile_of_tallies(&mut tallies, 0.9), Some(50));
        assert_eq!(percentile_of_tallies(&mut [], 0.5), None);
    }

    #[test]
    fn buckets_start_where_the_zone_begins_its_day() {
        // 2026-03-02 01:30 UTC is still 2026-03-01 in UTC−5.
        let at = Millis(1_772_415_000_000);
        assert_eq!(
            bucket_start(TimeBucket::Day, at, 0),
            Millis(1_772_409_600_000)
        );
        let new_york = -5 * 3_600_000;
        assert_eq!(
            bucket_start(TimeBucket::Day, at, new_york),
            Millis(1_772_409_600_000 - 86_400_000 + 5 * 3_600_000)
        );
        assert_eq!(
            bucket_start(TimeBucket::Hour, at, 0),
            Millis(1_772_413_200_000)
        );
        let starts = bucket_starts(TimeBucket::Day, at, Millis(at.0 + 2 * 86_400_000), 0);
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn weekday_and_hour_count_from_monday() {
        // 2026-03-02 was a Monday.
        assert_eq!(weekday_and_hour(Millis(1_772_415_000_000), 0), (0, 1));
        assert_eq!(
            weekday_and_hour(Millis(1_772_415_000_000), -2 * 3_600_000),
            (6, 23)
        );
    }
}
