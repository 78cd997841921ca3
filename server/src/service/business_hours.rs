//! The workspace's business hours: every member reads them (reports count in their time zone
//! and, if asked, only their open hours); admins set them.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::domain::business_hours::Schedule;
use parley_app::business_hours::BusinessHours;
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

/// Replaces the hours (admins), checked first: a clear message names what is wrong.
pub async fn set(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    mut hours: BusinessHours,
) -> ServiceResult<BusinessHours> {
    require_admin(viewer)?;
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
