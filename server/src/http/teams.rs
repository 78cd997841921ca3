//! Teams and routing: every member reads the teams (the inbox filters by them) and says
//! whether they take conversations; admins make teams and pick numbers' default teams.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::{team, teams};
use crate::views;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::business_hours::{BusinessHours, TeamBusinessHours};
use parley_app::team::{Availability, TeamDraft, TeamView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(set_availability))
        .routes(routes!(set_number_team))
        .routes(routes!(business_hours, set_business_hours))
        .routes(routes!(team_hours, set_team_hours, follow_workspace_hours))
}

/// The workspace's business hours: weekly openings and holidays in a time zone (open around
/// the clock in UTC until an admin sets them). Reports count days in this time zone and,
/// with `business_hours=true`, waits in open hours only.
#[utoipa::path(get, path = "/api/v1/business-hours", tag = "teams",
    responses((status = 200, body = BusinessHours), (status = 401, body = super::error::ErrorBody)))]
async fn business_hours(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<BusinessHours>, ApiError> {
    Ok(Json(
        crate::service::business_hours::get(&app.services, &viewer).await?,
    ))
}

/// Sets the business hours (admins): `time_zone` (IANA, e.g. `Europe/Berlin`), `hours` per
/// weekday (`[{"opens": "09:00", "closes": "17:00"}]`; a day left out or empty is closed;
/// `"24:00"` closes at midnight), `holidays` (`YYYY-MM-DD`, closed all day). 422 names what
/// is wrong: an unknown zone, a time not like 09:00, an opening that closes before it opens
/// or overlaps another, a holiday that is not a date.
#[utoipa::path(put, path = "/api/v1/business-hours", tag = "teams", request_body = BusinessHours,
    responses((status = 200, body = BusinessHours), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn set_business_hours(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(hours): JsonBody<BusinessHours>,
) -> Result<Json<BusinessHours>, ApiError> {
    let saved = crate::service::business_hours::set(&app.services, &viewer, &origin, hours).await?;
    Ok(Json(saved))
}

/// A team's business hours: its own (`own: true`), or the workspace's it follows. Automation
/// judges its conversations' `business_hours` by them, and routing holds conversations that
/// arrive while the team is closed until it opens.
#[utoipa::path(get, path = "/api/v1/teams/{id}/business-hours", tag = "teams",
    responses((status = 200, body = TeamBusinessHours), (status = 404, body = super::error::ErrorBody)))]
async fn team_hours(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<TeamBusinessHours>, ApiError> {
    let hours = crate::service::business_hours::of_team(&app.services, &viewer, id).await?;
    Ok(Json(hours))
}

/// Gives the team its own hours (admins), checked like the workspace's (422 names what is
/// wrong).
#[utoipa::path(put, path = "/api/v1/teams/{id}/business-hours", tag = "teams",
    request_body = BusinessHours,
    responses((status = 200, body = TeamBusinessHours), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn set_team_hours(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(hours): JsonBody<BusinessHours>,
) -> Result<Json<TeamBusinessHours>, ApiError> {
    let services = &app.services;
    let saved =
        crate::service::business_hours::set_for_team(services, &viewer, &origin, id, Some(hours))
            .await?;
    Ok(Json(saved))
}

/// The team follows the workspace's hours again (admins).
#[utoipa::path(delete, path = "/api/v1/teams/{id}/business-hours", tag = "teams",
    responses((status = 200, body = TeamBusinessHours), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn follow_workspace_hours(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<Json<TeamBusinessHours>, ApiError> {
    let services = &app.services;
    let saved =
        crate::service::business_hours::set_for_team(services, &viewer, &origin, id, None).await?;
    Ok(Json(saved))
}

async fn named(
    app: &AppState,
    viewer: &parley_app::model::Viewer,
    found: &[crate::store::Team],
) -> Result<Vec<TeamView>, ApiError> {
    let users = team::assignable(&app.services, viewer).await?;
    Ok(found.iter().map(|t| views::team(t, &users)).collect())
}

/// Every team, by name, with its members, auto-assignment, capacity and how many
/// conversations wait in its queue.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = Vec<TeamView>), (status = 401, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    let found = teams::list(&app.services, &viewer).await?;
    Ok(Json(named(&app, &viewer, &found).await?))
}

/// A new team (admins): `name` (unique whatever its case), `members` (ids), `assignment`
/// (`none`, `round_robin` or `least_busy`) and `capacity` (open conversations per member, or
/// `null` for no limit). Only online members under capacity receive conversations.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamDraft,
    responses((status = 201, body = TeamView), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<TeamDraft>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    let created = teams::create(&app.services, &viewer, &origin, draft).await?;
    let view = named(&app, &viewer, std::slice::from_ref(&created))
        .await?
        .remove(0);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Changes a team (admins); absent fields stay. `members` is the whole team afterwards.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", request_body = TeamDraft,
    responses((status = 200, body = TeamView), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(draft): JsonBody<TeamDraft>,
) -> Result<Json<TeamView>, ApiError> {
    let updated = teams::update(&app.services, &viewer, &origin, id, draft).await?;
    Ok(Json(
        named(&app, &viewer, std::slice::from_ref(&updated))
            .await?
            .remove(0),
    ))
}

/// Deletes a team (admins): its conversations leave its queue and keep their assignees.
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    teams::delete(&app.services, &viewer, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AvailabilityChange {
    availability: Availability,
}

/// Goes `online` (routing gives you conversations), `away` or `offline` (it does not).
/// Parley sets `offline` by itself once every event stream of yours has been closed for
/// `PARLEY_OFFLINE_AFTER_MINUTES`.
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "teams", request_body = AvailabilityChange,
    responses((status = 204, description = "set"), (status = 422, body = super::error::ErrorBody)))]
async fn set_availability(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(change): JsonBody<AvailabilityChange>,
) -> Result<StatusCode, ApiError> {
    teams::set_availability(&app.services, &viewer, change.availability).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NumberChange {
    /// The team new conversations on this number join, or `null` for none.
    #[schema(value_type = Option<i64>)]
    default_team_id: Option<i64>,
}

/// Sets which team a number's new conversations join (admins).
#[utoipa::path(patch, path = "/api/v1/numbers/{phone_number_id}", tag = "teams", request_body = NumberChange,
    responses((status = 204, description = "set"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn set_number_team(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(phone_number_id): Path<String>,
    JsonBody(change): JsonBody<NumberChange>,
) -> Result<StatusCode, ApiError> {
    let team = change.default_team_id;
    teams::set_default_team(&app.services, &viewer, &origin, &phone_number_id, team).await?;
    Ok(StatusCode::NO_CONTENT)
}
