//! Teams and routing: teams of members with an assignment policy and a capacity, members'
//! availability, and handing a team's waiting conversations to its members.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::business_hours::BusinessHours;
use parley_app::model::UserId;
use parley_app::team::{AutoAssignment, Availability};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    /// Members' ids, in id order.
    pub members: Vec<UserId>,
    pub assignment: AutoAssignment,
    pub capacity: Option<u32>,
    /// Open, unassigned conversations in its queue.
    pub waiting: u32,
}

/// A new team, or what changes about one (`None` keeps it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub members: Option<Vec<UserId>>,
    pub assignment: Option<AutoAssignment>,
    /// `Some(None)` lifts the limit.
    pub capacity: Option<Option<u32>>,
}

#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// The workspace's business hours as last saved (already checked); `None`: never set.
    async fn business_hours(&self) -> StoreResult<Option<BusinessHours>>;
    async fn set_business_hours(&self, hours: &BusinessHours, now: Millis) -> StoreResult<()>;
    /// Teams' own hours (teams without keep the workspace's), by team id.
    async fn team_hours(&self) -> StoreResult<Vec<(i64, BusinessHours)>>;
    /// Gives a team its own hours (checked), or with `None` the workspace's again; not found
    /// without the team.
    async fn set_team_hours(
        &self,
        team: i64,
        hours: Option<&BusinessHours>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Every team, by name.
    async fn teams(&self) -> StoreResult<Vec<Team>>;
    /// A new team; a conflict when the name (whatever its case) is taken.
    async fn create_team(&self, name: &str, update: &TeamUpdate, now: Millis) -> StoreResult<Team>;
    async fn update_team(&self, id: i64, update: &TeamUpdate, now: Millis) -> StoreResult<Team>;
    /// Deletes the team: its conversations leave its queue (they keep their assignees) and
    /// numbers that defaulted to it default to none.
    async fn delete_team(&self, id: i64, now: Millis) -> StoreResult<()>;
    /// The team new conversations on this number join (`None`: none).
    async fn set_default_team(
        &self,
        phone_number_id: &str,
        team: Option<i64>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Business numbers and their default teams.
    async fn default_teams(&self) -> StoreResult<Vec<(String, Option<i64>)>>;

    async fn availability(&self, user: UserId) -> StoreResult<Availability>;
    /// Sets a member's availability (and counts it as a sign of life).
    async fn set_availability(
        &self,
        user: UserId,
        availability: Availability,
        now: Millis,
    ) -> StoreResult<()>;
    /// These members have event streams open on this node right now.
    async fn streams_seen(&self, users: &[UserId], now: Millis) -> StoreResult<()>;
    /// Members online or away with no stream seen since `quiet_since` go offline; answers who.
    async fn go_offline_when_quiet(
        &self,
        quiet_since: Millis,
        now: Millis,
    ) -> StoreResult<Vec<UserId>>;

    /// Teams with conversations waiting in their queue.
    async fn teams_with_waiting(&self) -> StoreResult<Vec<i64>>;
    /// The teams a member belongs to.
    async fn teams_of(&self, user: UserId) -> StoreResult<Vec<i64>>;
    /// Hands the team's waiting conversations, oldest first, to members who qualify under its
    /// policy (`domain::routing`), in one transaction that holds the team's row and its
    /// members' rows: two nodes routing at once never exceed a capacity nor assign one
    /// conversation twice. Answers the assignments made.
    async fn route(&self, team: i64, now: Millis) -> StoreResult<Vec<(i64, UserId)>>;
    /// A reopened conversation whose assignee is not online goes back to its team's queue
    /// (unassigned); answers whether it did.
    async fn requeue_if_assignee_away(&self, conversation: i64, now: Millis) -> StoreResult<bool>;
}

pub(super) fn parse_assignment(raw: &str) -> StoreResult<AutoAssignment> {
    AutoAssignment::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown assignment {raw:?}")))
}

pub(super) fn parse_availability(raw: &str) -> StoreResult<Availability> {
    Availability::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown availability {raw:?}")))
}

/// A team's name: 1 to 60 characters, no control characters.
pub fn team_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("a team needs a name".into()),
        n if n > 60 => Err("a team's name may have at most 60 characters".into()),
        _ if name.chars().any(char::is_control) => {
            Err("a team's name must not contain control characters".into())
        }
        _ => Ok(name.to_owned()),
    }
}
