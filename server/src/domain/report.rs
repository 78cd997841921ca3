//! Reports' figures from counted history marks and their values: totals, percentiles and
//! ratings, for the whole team or per member or team. Pure, so hand-computed histories check it.

use super::Millis;
use super::history::{HistoryKind, percentile_of_tallies};
use parley_app::model::UserId;
use parley_app::reports::{CsatSummary, Percentiles};
use std::collections::BTreeMap;

/// Marks of a kind counted for a member and a team (either `None`: none at the time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub kind: HistoryKind,
    pub agent_id: Option<UserId>,
    pub team_id: Option<i64>,
    pub count: i64,
}

/// A mark that measures something: a first reply's wait, a resolution's time, a rating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measured {
    pub kind: HistoryKind,
    pub agent_id: Option<UserId>,
    pub team_id: Option<i64>,
    pub at: Millis,
    pub value: i64,
}

impl Measured {
    /// This one mark as a tally of one.
    pub fn tally(&self) -> Tally {
        Tally {
            kind: self.kind,
            agent_id: self.agent_id,
            team_id: self.team_id,
            value: self.value,
            count: 1,
        }
    }
}

/// How many marks of a kind, for a member and a team, measured the same `value`: figures need
/// no more than this, and the database sends far fewer rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub kind: HistoryKind,
    pub agent_id: Option<UserId>,
    pub team_id: Option<i64>,
    pub value: i64,
    pub count: i64,
}

/// What a set of marks adds up to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub opened: i64,
    pub reopened: i64,
    pub assigned: i64,
    pub replies: i64,
    pub resolved: i64,
    pub windows_lapsed: i64,
    pub first_response: Percentiles,
    pub resolution: Percentiles,
    pub csat: CsatSummary,
}

impl Figures {
    /// Conversations customers started or came back to.
    pub fn conversations_opened(&self) -> i64 {
        self.opened + self.reopened
    }
}

/// The figures of every mark given.
pub fn figures(counts: &[Counted], values: &[Tally]) -> Figures {
    figures_by(counts, values, |_, _| Some(()))
        .remove(&())
        .unwrap_or_default()
}

/// The figures per member the marks count for (marks for nobody left out).
pub fn figures_by_agent(counts: &[Counted], values: &[Tally]) -> BTreeMap<UserId, Figures> {
    figures_by(counts, values, |agent, _| agent)
}

/// The figures per team (`None`: marks taken outside any team's queue).
pub fn figures_by_team(counts: &[Counted], values: &[Tally]) -> BTreeMap<Option<i64>, Figures> {
    figures_by(counts, values, |_, team| Some(team))
}

fn figures_by<K: Ord + Copy>(
    counts: &[Counted],
    values: &[Tally],
    key: impl Fn(Option<UserId>, Option<i64>) -> Option<K>,
) -> BTreeMap<K, Figures> {
    let mut figures: BTreeMap<K, Figures> = BTreeMap::new();
    for counted in counts {
        let Some(key) = key(counted.agent_id, counted.team_id) else {
            continue;
        };
        let entry = figures.entry(key).or_default();
        let total = match counted.kind {
            HistoryKind::Opened => &mut entry.opened,
            HistoryKind::Reopened => &mut entry.reopened,
            HistoryKind::Assigned => &mut entry.assigned,
            HistoryKind::Replied => &mut entry.replies,
            HistoryKind::Resolved => &mut entry.resolved,
            HistoryKind::WindowLapsed => &mut entry.windows_lapsed,
            HistoryKind::TeamChanged
            | HistoryKind::StatusChanged
            | HistoryKind::FirstReply
            | HistoryKind::Csat => continue,
        };
        *total += counted.count;
    }
    type Tallies<K> = BTreeMap<K, Vec<(i64, i64)>>;
    let mut waits: Tallies<K> = BTreeMap::new();
    let mut resolutions: Tallies<K> = BTreeMap::new();
    let mut ratings: Tallies<K> = BTreeMap::new();
    for tally in values {
        let Some(key) = key(tally.agent_id, tally.team_id) else {
            continue;
        };
        let list = match tally.kind {
            HistoryKind::FirstReply => &mut waits,
            HistoryKind::Resolved => &mut resolutions,
            HistoryKind::Csat => &mut ratings,
            _ => continue,
        };
        list.entry(key)
            .or_default()
            .push((tally.value, tally.count));
    }
    for (key, mut list) in waits {
        figures.entry(key).or_default().first_response = percentiles(&mut list);
    }
    for (key, mut list) in resolutions {
        figures.entry(key).or_default().resolution = percentiles(&mut list);
    }
    for (key, list) in ratings {
        figures.entry(key).or_default().csat = csat(&list);
    }
    figures
}

/// Median and 90th percentile of values (seconds), each with how often it was measured.
pub fn percentiles(tallies: &mut [(i64, i64)]) -> Percentiles {
    Percentiles {
        p50: percentile_of_tallies(tallies, 0.5),
        p90: percentile_of_tallies(tallies, 0.9),
        count: tallies.iter().map(|(_, count)| count).sum(),
    }
}

/// Ratings 1–5, each with how often it was given, counted and averaged (others ignored).
pub fn csat(ratings: &[(i64, i64)]) -> CsatSummary {
    let mut summary = CsatSummary::default();
    let mut sum = 0;
    for &(rating, times) in ratings.iter().filter(|(r, _)| (1..=5).contains(r)) {
        summary.distribution[(rating - 1) as usize] += times;
        summary.count += times;
        sum += rating * times;
    }
    if summary.count > 0 {
        summary.average = Some(((sum as f64 / summary.count as f64) * 100.0).round() / 100.0);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(kind: HistoryKind, agent: Option<i64>, team: Option<i64>, count: i64) -> Counted {
        Counted {
            kind,
            agent_id: agent.map(UserId),
            team_id: team,
            count,
        }
    }

    fn measured(kind: HistoryKind, agent: Option<i64>, team: Option<i64>, value: i64) -> Tally {
        let measured = Measured {
            kind,
            agent_id: agent.map(UserId),
            team_id: team,
            at: Millis(0),
            value,
        };
        measured.tally()
    }

    #[test]
    fn figures_add_up_for_the_team_and_split_per_member_and_team() {
        let counts = [
            counted(HistoryKind::Opened, None, Some(1), 3),
            counted(HistoryKind::Reopened, Some(7), Some(1), 1),
            counted(HistoryKind::Replied, Some(7), Some(1), 5),
            counted(HistoryKind::Replied, Some(8), None, 2),
            counted(HistoryKind::Resolved, Some(7), Some(1), 2),
            counted(HistoryKind::WindowLapsed, None, None, 1),
            counted(HistoryKind::StatusChanged, Some(7), Some(1), 4),
        ];
        let values = [
            measured(HistoryKind::FirstReply, Some(7), Some(1), 60),
            measured(HistoryKind::FirstReply, Some(7), Some(1), 600),
            measured(HistoryKind::FirstReply, Some(8), None, 30),
            measured(HistoryKind::Resolved, Some(7), Some(1), 3600),
            measured(HistoryKind::Csat, Some(7), Some(1), 5),
            measured(HistoryKind::Csat, Some(7), Some(1), 4),
        ];
        let all = figures(&counts, &values);
        assert_eq!(all.conversations_opened(), 4);
        assert_eq!(all.replies, 7);
        assert_eq!(all.windows_lapsed, 1);
        assert_eq!(
            all.first_response,
            Percentiles {
                p50: Some(60),
                p90: Some(600),
                count: 3
            }
        );
        assert_eq!(all.csat.average, Some(4.5));
        assert_eq!(all.csat.distribution, [0, 0, 0, 1, 1]);

        let agents = figures_by_agent(&counts, &values);
        assert_eq!(agents.len(), 2);
        assert_eq!(agents[&UserId(7)].replies, 5);
        assert_eq!(agents[&UserId(7)].first_response.p50, Some(60));
        assert_eq!(agents[&UserId(8)].first_response.count, 1);
        assert_eq!(agents[&UserId(8)].resolved, 0);

        let teams = figures_by_team(&counts, &values);
        assert_eq!(teams[&Some(1)].conversations_opened(), 4);
        assert_eq!(teams[&None].replies, 2);
        assert_eq!(teams[&None].windows_lapsed, 1);
    }

    #[test]
    fn ratings_outside_one_to_five_are_not_counted() {
        let summary = csat(&[(1, 1), (2, 2), (9, 1), (0, 1)]);
        assert_eq!(summary.count, 3);
        assert_eq!(summary.average, Some(1.67));
        assert_eq!(csat(&[]).average, None);
    }
}
