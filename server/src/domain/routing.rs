//! Routing: which member of a team a waiting conversation goes to. Pure rules over a snapshot
//! the store reads under the team's lock, so that what they decide is what gets written.

use super::time::Millis;
use parley_app::model::UserId;
use parley_app::team::{AutoAssignment as Assignment, Availability};

/// A team member as routing sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    pub availability: Availability,
    /// Open conversations assigned to them (in any team).
    pub open: u32,
    /// When this team last gave them a conversation (never: `None`).
    pub last_assigned_at: Option<Millis>,
}

/// Whether a member may receive a conversation now: online and under the team's capacity.
pub fn qualifies(candidate: &Candidate, capacity: Option<u32>) -> bool {
    candidate.availability == Availability::Online
        && capacity.is_none_or(|cap| candidate.open < cap)
}

/// Who gets the next conversation, or `None` when nobody qualifies (it waits in the queue).
///
/// - Round-robin: the qualifying member the team served longest ago (never before first, then
///   by id), so members take turns whoever was away meanwhile.
/// - Least busy: the qualifying member with the fewest open conversations; ties go to the one
///   served longest ago.
pub fn choose(
    policy: Assignment,
    capacity: Option<u32>,
    candidates: &[Candidate],
) -> Option<UserId> {
    let served = |c: &Candidate| (c.last_assigned_at.map_or(i64::MIN, |at| at.0), c.user.0);
    let qualifying = candidates.iter().filter(|c| qualifies(c, capacity));
    match policy {
        Assignment::None => None,
        Assignment::RoundRobin => qualifying.min_by_key(|c| served(c)).map(|c| c.user),
        Assignment::LeastBusy => qualifying
            .min_by_key(|c| (c.open, served(c)))
            .map(|c| c.user),
    }
}

/// Routes `waiting` conversations (oldest first) one after another, updating the snapshot as
/// each is given: the assignments to make, in order. Stops at the first that finds nobody.
pub fn route_waiting(
    policy: Assignment,
    capacity: Option<u32>,
    candidates: &mut [Candidate],
    waiting: &[i64],
    now: Millis,
) -> Vec<(i64, UserId)> {
    let mut assignments = Vec::new();
    for (turn, conversation) in waiting.iter().enumerate() {
        let Some(user) = choose(policy, capacity, candidates) else {
            break;
        };
        let chosen = candidates
            .iter_mut()
            .find(|c| c.user == user)
            .expect("chosen among the candidates");
        chosen.open += 1;
        // Later turns of one batch count as later, so round-robin keeps turning within it.
        chosen.last_assigned_at = Some(Millis(now.0 + turn as i64));
        assignments.push((*conversation, user));
    }
    assignments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, availability: Availability, open: u32) -> Candidate {
        Candidate {
            user: UserId(id),
            availability,
            open,
            last_assigned_at: None,
        }
    }

    fn team_of_five() -> Vec<Candidate> {
        vec![
            member(1, Availability::Online, 0),
            member(2, Availability::Online, 0),
            member(3, Availability::Online, 10), // at capacity
            member(4, Availability::Away, 0),
            member(5, Availability::Online, 0),
        ]
    }

    fn spread(assignments: &[(i64, UserId)]) -> Vec<(i64, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for (_, user) in assignments {
            *counts.entry(user.0).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }

    #[test]
    fn only_online_members_under_capacity_qualify() {
        assert!(qualifies(&member(1, Availability::Online, 2), Some(3)));
        assert!(!qualifies(&member(1, Availability::Online, 3), Some(3)));
        assert!(qualifies(&member(1, Availability::Online, 300), None));
        assert!(!qualifies(&member(1, Availability::Away, 0), Some(3)));
        assert!(!qualifies(&member(1, Availability::Offline, 0), None));
    }

    #[test]
    fn round_robin_spreads_a_thousand_conversations_evenly_over_who_qualifies() {
        let mut team = team_of_five();
        let waiting: Vec<i64> = (1..=1000).collect();
        let given = route_waiting(Assignment::RoundRobin, None, &mut team, &waiting, Millis(0));
        // Without a capacity, the member with 10 open is served too; the away one never.
        assert_eq!(spread(&given), [(1, 250), (2, 250), (3, 250), (5, 250)]);
        let mut team = team_of_five();
        let given = route_waiting(
            Assignment::RoundRobin,
            Some(400),
            &mut team,
            &waiting,
            Millis(0),
        );
        assert_eq!(given.len(), 1000);
        let counts = spread(&given);
        assert!(
            counts.iter().all(|(id, _)| *id != 4),
            "the away member gets none"
        );
        let max = counts.iter().map(|(_, n)| *n).max().unwrap();
        let min = counts.iter().map(|(_, n)| *n).min().unwrap();
        assert!(max - min <= 1, "turns are even: {counts:?}");
    }

    #[test]
    fn capacity_is_never_exceeded_and_the_rest_waits() {
        let mut team = team_of_five();
        let waiting: Vec<i64> = (1..=1000).collect();
        let given = route_waiting(
            Assignment::RoundRobin,
            Some(10),
            &mut team,
            &waiting,
            Millis(0),
        );
        // Members 1, 2 and 5 take 10 each; 3 is already at 10 and 4 is away.
        assert_eq!(spread(&given), [(1, 10), (2, 10), (5, 10)]);
        assert_eq!(
            given.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            (1..=30).collect::<Vec<_>>(),
            "oldest first"
        );
        assert!(
            team.iter()
                .filter(|c| c.availability == Availability::Online)
                .all(|c| c.open <= 10)
        );
    }

    #[test]
    fn least_busy_fills_the_emptiest_first() {
        let mut team = vec![
            member(1, Availability::Online, 4),
            member(2, Availability::Online, 1),
            member(3, Availability::Online, 0),
        ];
        let given = route_waiting(
            Assignment::LeastBusy,
            Some(5),
            &mut team,
            &[10, 11, 12, 13, 14, 15],
            Millis(0),
        );
        let order: Vec<i64> = given.iter().map(|(_, u)| u.0).collect();
        // 3 (0 open), then 2 and 3 at 1 each, then 2/3 at 2…; 1 only once the others reach 4.
        assert_eq!(order, [3, 2, 3, 2, 3, 2]);
        assert_eq!(team.iter().map(|c| c.open).collect::<Vec<_>>(), [4, 4, 3]);
    }

    #[test]
    fn round_robin_resumes_after_whoever_was_served_last() {
        let mut team = vec![
            member(1, Availability::Online, 0),
            member(2, Availability::Online, 0),
            member(3, Availability::Online, 0),
        ];
        team[0].last_assigned_at = Some(Millis(300));
        team[1].last_assigned_at = Some(Millis(100));
        team[2].last_assigned_at = Some(Millis(200));
        assert_eq!(choose(Assignment::RoundRobin, None, &team), Some(UserId(2)));
        team[1].availability = Availability::Offline;
        assert_eq!(choose(Assignment::RoundRobin, None, &team), Some(UserId(3)));
        assert_eq!(
            choose(Assignment::None, None, &team),
            None,
            "auto-assignment off"
        );
    }
}
