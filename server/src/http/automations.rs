//! Automation rules (admins): write, order, switch on and off, test against a sample, and
//! read what each did with each event.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::automations;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use parley_app::automation::{
    Automation, AutomationDraft, AutomationPatch, AutomationRunView, AutomationSample,
    AutomationTrial, AutomationVerdict,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(runs))
        .routes(routes!(test))
        .routes(routes!(test_saved))
}

/// Every rule, in the order they are judged.
#[utoipa::path(get, path = "/api/v1/automations", tag = "automations",
    responses((status = 200, body = Vec<Automation>), (status = 403, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<Automation>>, ApiError> {
    Ok(Json(automations::list(&app.services, &viewer).await?))
}

/// A new rule, judged after the others. `trigger`: `message_received` or
/// `conversation_opened`; `match`: `all` (default) or `any`; `conditions`: each a `field`
/// (`message.text`, `contact.label`, `business_number`, `team`, `business_hours`,
/// `first_message`), an `op` (`contains`, `contains_any`, `equals`, `is_one_of`, `matches`,
/// `is`, `is_not`) and a `value`; `actions`: `send_text`, `add_label`, `remove_label`,
/// `assign_team`, `assign_member`, `set_priority`, `resolve`; `cooldown_minutes` (default 60):
/// at most one action per conversation in that time. 422 names what is wrong (a pattern that
/// does not compile, an unknown label or team…).
#[utoipa::path(post, path = "/api/v1/automations", tag = "automations", request_body = AutomationDraft,
    responses((status = 201, body = Automation), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<AutomationDraft>,
) -> Result<(StatusCode, Json<Automation>), ApiError> {
    let created = automations::create(&app.services, &viewer, &origin, draft).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes a rule: absent fields stay; `enabled` switches it (and clears why Parley turned
/// it off); `position` moves it (0 first).
#[utoipa::path(patch, path = "/api/v1/automations/{id}", tag = "automations",
    request_body = AutomationPatch,
    responses((status = 200, body = Automation), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(patch): JsonBody<AutomationPatch>,
) -> Result<Json<Automation>, ApiError> {
    Ok(Json(
        automations::update(&app.services, &viewer, &origin, id, patch).await?,
    ))
}

/// Deletes a rule and its runs.
#[utoipa::path(delete, path = "/api/v1/automations/{id}", tag = "automations",
    responses((status = 204), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    automations::delete(&app.services, &viewer, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The rule's latest 100 runs (the events it matched), newest first: the event, why it
/// matched (a line per condition), whether it acted or was held back (its cooldown, a message
/// too old to answer) and what each action did. Why a message does not match: the test
/// endpoints.
#[utoipa::path(get, path = "/api/v1/automations/{id}/runs", tag = "automations",
    responses((status = 200, body = Vec<AutomationRunView>), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn runs(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AutomationRunView>>, ApiError> {
    Ok(Json(automations::runs(&app.services, &viewer, id).await?))
}

/// Judges a sample with a rule (saved or not) without acting: whether it matches, why, and
/// the actions it would take.
#[utoipa::path(post, path = "/api/v1/automations/test", tag = "automations",
    request_body = AutomationTrial,
    responses((status = 200, body = AutomationVerdict), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn test(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(trial): JsonBody<AutomationTrial>,
) -> Result<Json<AutomationVerdict>, ApiError> {
    let verdict = automations::test(&app.services, &viewer, trial.rule, trial.sample).await?;
    Ok(Json(verdict))
}

/// Judges a sample with a saved rule without acting.
#[utoipa::path(post, path = "/api/v1/automations/{id}/test", tag = "automations",
    request_body = AutomationSample,
    responses((status = 200, body = AutomationVerdict), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn test_saved(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(sample): JsonBody<AutomationSample>,
) -> Result<Json<AutomationVerdict>, ApiError> {
    let rule = automations::saved(&app.services, &viewer, id).await?;
    Ok(Json(
        automations::test(&app.services, &viewer, rule, sample).await?,
    ))
}
