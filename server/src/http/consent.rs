//! Consent: a contact's ledger, and the opt-out keywords.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::consent;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use parley_app::consent::{
    ConsentEntry, ConsentLedger, ConsentPurpose, ConsentRequest, OptOutLanguage,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger, record))
        .routes(routes!(keywords, set_keywords))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct PurposeParam {
    /// `marketing` (the default; the only purpose that needs consent).
    purpose: Option<ConsentPurpose>,
}

/// A contact's consent for a purpose: the current `state` (their latest entry; `null` when
/// none was ever recorded) and every entry, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/consent", tag = "consent", params(PurposeParam),
    responses((status = 200, body = ConsentLedger), (status = 404, body = super::error::ErrorBody)))]
async fn ledger(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    Query(params): Query<PurposeParam>,
) -> Result<Json<ConsentLedger>, ApiError> {
    let purpose = params.purpose.unwrap_or(ConsentPurpose::Marketing);
    Ok(Json(
        consent::ledger(&app.services, &viewer, id, purpose).await?,
    ))
}

/// Appends to a contact's ledger (any member): `{"purpose": "marketing", "state": "opted_in" |
/// "opted_out", "source": "api" | "agent" | "import", "note": "…"}`. Entries are never changed;
/// a later one supersedes. An opt-out withdraws their marketing campaign messages still queued.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/consent", tag = "consent",
    request_body = ConsentRequest,
    responses((status = 201, body = ConsentEntry), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn record(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<ConsentRequest>,
) -> Result<(StatusCode, Json<ConsentEntry>), ApiError> {
    let entry = consent::record(&app.services, &viewer, id, request).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// The opt-out keywords of every language and each language's confirmation. A customer's
/// message that is one of them, whole (ignoring case, width, spaces and punctuation), opts
/// them out of marketing and is answered with the confirmation.
#[utoipa::path(get, path = "/api/v1/consent/keywords", tag = "consent",
    responses((status = 200, body = Vec<OptOutLanguage>)))]
async fn keywords(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<OptOutLanguage>>, ApiError> {
    Ok(Json(
        consent::opt_out_languages(&app.services, &viewer).await?,
    ))
}

/// Replaces the opt-out keywords (admins): every language, each with its keywords and
/// confirmation. 409 when two languages claim one keyword.
#[utoipa::path(put, path = "/api/v1/consent/keywords", tag = "consent",
    request_body = Vec<OptOutLanguage>,
    responses((status = 200, body = Vec<OptOutLanguage>), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn set_keywords(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(languages): JsonBody<Vec<OptOutLanguage>>,
) -> Result<Json<Vec<OptOutLanguage>>, ApiError> {
    let saved = consent::set_opt_out_languages(&app.services, &viewer, &origin, languages).await?;
    Ok(Json(saved))
}
