//! Business hours: the workspace's, and teams' own. Every member reads them (reports count in
//! the workspace's time zone and, if asked, only its open hours); admins set them.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::domain::business_hours::{Hours, Schedule};
use crate::store::{Store, StoreResult};
use parley_app::business_hours::{BusinessHours, TeamBusinessHours};
use parley_app::model::Viewer;

/// The hours as saved, or open around the clock in UTC until an admin sets them.
pub async fn get(svc: &Services, _viewer: &Viewer) -> ServiceResult<BusinessHours> {
    Ok(svc
        .store
        .routing
        .business_hours()
        .await?
        .unwrap_or_default())
}

/// The hours ready to answer questions about time.
pub async fn schedule(svc: &Services) -> ServiceResult<Schedule> {
    let hours = svc
        .store
        .routing
        .business_hours()
        .await?
        .unwrap_or_default();
    // Checked when saved: a time zone the bundled database no longer knows is the only way in.
    Schedule::from_settings(&hours).map_err(ServiceError::Internal)
}

/// The workspace's schedule and every team's own, ready to answer questions about time (the
/// automation worker and routing ask). Saved hours that no longer check (a time zone the
/// bundled database dropped) are the only way to fail here: the workspace is then open around
/// the clock and such a team follows the workspace, with a warning, rather than nothing
/// running at all.
pub async fn load(store: &Store) -> StoreResult<Hours> {
    let settings = store.routing.business_hours().await?.unwrap_or_default();
    let workspace = Schedule::from_settings(&settings).unwrap_or_else(|why| {
        tracing::warn!(%why, "the workspace's saved hours no longer check: open around the clock");
        Schedule::from_settings(&BusinessHours::default()).expect("around the clock in UTC")
    });
    let mut hours = Hours::workspace_only(workspace);
    for (team, settings) in store.routing.team_hours().await? {
        match Schedule::from_settings(&settings) {
            Ok(schedule) => {
                hours.teams.insert(team, schedule);
            }
            Err(why) => tracing::warn!(team, %why, "a team's saved hours no longer check"),
        }
    }
    Ok(hours)
}

/// A team's hours: its own, or the workspace's it follows.
pub async fn of_team(
    svc: &Services,
    viewer: &Viewer,
    team: i64,
) -> ServiceResult<TeamBusinessHours> {
    if !svc
        .store
        .routing
        .teams()
        .await?
        .iter()
        .any(|t| t.id == team)
    {
        return Err(ServiceError::NotFound("team"));
    }
    let own = (svc.store.routing.team_hours().await?.into_iter())
        .find(|(id, _)| *id == team)
        .map(|(_, hours)| hours);
    Ok(TeamBusinessHours {
        team_id: team,
        own: own.is_some(),
        hours: match own {
            Some(hours) => hours,
            None => get(svc, viewer).await?,
        },
    })
}

/// Gives a team its own hours (admins; checked like the workspace's), or with `None` the
/// workspace's again.
pub async fn set_for_team(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    team: i64,
    hours: Option<BusinessHours>,
) -> ServiceResult<TeamBusinessHours> {
    require_admin(viewer)?;
    let hours = hours.map(tidied).transpose()?;
    svc.store
        .routing
        .set_team_hours(team, hours.as_ref(), svc.now())
        .await?;
    let details = serde_json::json!({ "team_id": team, "hours": hours });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::BusinessHoursChanged,
        format!("team {team}"),
        details,
    )
    .await;
    of_team(svc, viewer, team).await
}

/// Trimmed, holidays sorted once each, and checked: the message names what is wrong.
fn tidied(mut hours: BusinessHours) -> ServiceResult<BusinessHours> {
    hours.time_zone = hours.time_zone.trim().to_owned();
    hours.holidays = hours
        .holidays
        .iter()
        .map(|day| day.trim().to_owned())
        .filter(|day| !day.is_empty())
        .collect();
    hours.holidays.sort();
    hours.holidays.dedup();
    Schedule::from_settings(&hours).map_err(ServiceError::Invalid)?;
    Ok(hours)
}

/// Replaces the workspace's hours (admins), checked first.
pub async fn set(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    hours: BusinessHours,
) -> ServiceResult<BusinessHours> {
    require_admin(viewer)?;
    let hours = tidied(hours)?;
    svc.store
        .routing
        .set_business_hours(&hours, svc.now())
        .await?;
    let details = serde_json::to_value(&hours).expect("business hours serialise");
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::BusinessHoursChanged,
        "workspace".into(),
        details,
    )
    .await;
    Ok(hours)
}
