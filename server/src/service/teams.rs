//! Teams and routing: admins make teams (members, auto-assignment, capacity) and pick each
//! business number's default team; members say whether they take conversations. Routing
//! itself runs in [`crate::routing`], a consumer of the domain events these changes write.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::{Team, TeamUpdate, team_name};
use parley_app::model::Viewer;
use parley_app::team::{Availability, TeamDraft};
use serde_json::json;

/// The most a capacity can be: a member holding more at once is not being routed to.
pub const MAX_CAPACITY: u32 = 1000;

/// Every team, by name (every member may see them: the inbox filters by team).
pub async fn list(svc: &Services, _viewer: &Viewer) -> ServiceResult<Vec<Team>> {
    Ok(svc.store.routing.teams().await?)
}

fn update_of(draft: TeamDraft) -> ServiceResult<TeamUpdate> {
    let name = draft
        .name
        .as_deref()
        .map(team_name)
        .transpose()
        .map_err(ServiceError::Invalid)?;
    if let Some(Some(capacity)) = draft.capacity
        && !(1..=MAX_CAPACITY).contains(&capacity)
    {
        return Err(ServiceError::Invalid(format!(
            "a capacity is 1 to {MAX_CAPACITY} open conversations per member (or null for no limit)"
        )));
    }
    let members = draft.members.map(|mut members| {
        members.sort_unstable();
        members.dedup();
        members
    });
    Ok(TeamUpdate {
        name,
        members,
        assignment: draft.assignment,
        capacity: draft.capacity,
    })
}

fn target(id: i64) -> String {
    format!("team {id}")
}

fn details(team: &Team) -> serde_json::Value {
    json!({
        "name": team.name,
        "members": team.members.iter().map(|m| m.0).collect::<Vec<_>>(),
        "assignment": team.assignment.as_str(),
        "capacity": team.capacity,
    })
}

pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: TeamDraft,
) -> ServiceResult<Team> {
    require_admin(viewer)?;
    let update = update_of(draft)?;
    let name = update
        .name
        .clone()
        .ok_or_else(|| ServiceError::Invalid("a team needs a name".into()))?;
    let team = svc
        .store
        .routing
        .create_team(&name, &update, svc.now())
        .await?;
    let action = AuditAction::TeamCreated;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target(team.id),
        details(&team),
    )
    .await;
    Ok(team)
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
    draft: TeamDraft,
) -> ServiceResult<Team> {
    require_admin(viewer)?;
    let update = update_of(draft)?;
    let team = svc
        .store
        .routing
        .update_team(id, &update, svc.now())
        .await?;
    let action = AuditAction::TeamChanged;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target(id),
        details(&team),
    )
    .await;
    Ok(team)
}

pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    svc.store.routing.delete_team(id, svc.now()).await?;
    let action = AuditAction::TeamDeleted;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        target(id),
        json!({}),
    )
    .await;
    Ok(())
}

/// Business numbers and the team each one's new conversations join.
pub async fn default_teams(
    svc: &Services,
    _viewer: &Viewer,
) -> ServiceResult<Vec<(String, Option<i64>)>> {
    Ok(svc.store.routing.default_teams().await?)
}

/// Which team a number's new conversations join (admins; `None`: none).
pub async fn set_default_team(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    phone_number_id: &str,
    team: Option<i64>,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    svc.store
        .routing
        .set_default_team(phone_number_id, team, svc.now())
        .await?;
    let details = json!({"phone_number_id": phone_number_id, "default_team_id": team});
    let target = format!("number {phone_number_id}");
    let action = AuditAction::TeamChanged;
    audit::record(svc, Actor::Member(viewer), origin, action, target, details).await;
    Ok(())
}

pub async fn availability(svc: &Services, viewer: &Viewer) -> ServiceResult<Availability> {
    Ok(svc.store.routing.availability(viewer.id).await?)
}

/// The caller goes online, away or offline.
pub async fn set_availability(
    svc: &Services,
    viewer: &Viewer,
    availability: Availability,
) -> ServiceResult<()> {
    Ok(svc
        .store
        .routing
        .set_availability(viewer.id, availability, svc.now())
        .await?)
}
