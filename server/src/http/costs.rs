//! What WhatsApp costs: spend from the cost ledger, and the rate card that prices it (admins).

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::costs;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use parley_app::costs::{CostReport, RateCardInput, RateCardView, SpendGrouping};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(report_csv))
        .routes(routes!(rate_card, replace_rate_card))
        .routes(routes!(import_rate_card))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportParams {
    /// `category`, `phone_number_id`, `country`, `campaign`, `agent` or `day` (default
    /// `category`).
    group_by: Option<String>,
    /// Unix seconds or `YYYY-MM-DD` (UTC); default 30 days before `to`.
    from: Option<String>,
    /// Unix seconds or `YYYY-MM-DD` (that day included); default now.
    to: Option<String>,
}

/// Spend (admins): the messages Meta priced in the period — each counted once however often
/// its status repeats the price — grouped, with billable and free (customer-service window,
/// free entry point) apart, and priced from the rate card. Billable messages with no rate for
/// their country and category are counted as `unpriced`.
#[utoipa::path(get, path = "/api/v1/reports/costs", tag = "reports", params(ReportParams),
    responses((status = 200, body = CostReport), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn report(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<Json<CostReport>, ApiError> {
    Ok(Json(spend(&app, &viewer, &params).await?))
}

/// The same report as CSV (admins): a row per group and a total row; cells that a spreadsheet
/// would run as a formula are defused.
#[utoipa::path(get, path = "/api/v1/reports/costs.csv", tag = "reports", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn report_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<impl IntoResponse, ApiError> {
    let report = spend(&app, &viewer, &params).await?;
    let line = |cells: &[String]| super::contacts::csv_line(cells.iter().map(String::as_str));
    let mut csv = line(&[
        report.group_by.as_str().to_owned(),
        "name".into(),
        "messages".into(),
        "billable".into(),
        "free".into(),
        "unpriced".into(),
        "cost".into(),
        "currency".into(),
    ]);
    for (group, key) in (report
        .groups
        .iter()
        .map(|g| (g, g.key.clone().unwrap_or_default())))
    .chain([(&report.total, "total".to_owned())])
    {
        csv.push_str(&line(&[
            key,
            group.label.clone().unwrap_or_default(),
            group.messages.to_string(),
            group.billable.to_string(),
            group.free.to_string(),
            group.unpriced.to_string(),
            format!("{:.6}", group.cost),
            group.currency.clone().unwrap_or_default(),
        ]));
    }
    let name = format!("costs-by-{}.csv", report.group_by.as_str());
    Ok(super::contacts::csv_file(&name, csv))
}

async fn spend(
    app: &AppState,
    viewer: &parley_app::model::Viewer,
    params: &ReportParams,
) -> Result<CostReport, ApiError> {
    let group_by = match params.group_by.as_deref() {
        None | Some("") => SpendGrouping::Category,
        Some(raw) => raw
            .parse()
            .map_err(|e: parley_app::model::ParseError| ApiError::Invalid(e.to_string()))?,
    };
    let (from, to) = (params.from.as_deref(), params.to.as_deref());
    Ok(costs::report(&app.services, viewer, group_by, from, to).await?)
}

/// The rate card (admins): one currency; per recipient country (`*`: any other) and Meta
/// category, the price of a billable message from a day on.
#[utoipa::path(get, path = "/api/v1/rate_card", tag = "reports",
    responses((status = 200, body = RateCardView), (status = 403, body = super::error::ErrorBody)))]
async fn rate_card(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<RateCardView>, ApiError> {
    Ok(Json(costs::rate_card(&app.services, &viewer).await?))
}

/// Replaces the rate card (admins): `{"currency": "USD", "rates": [{"country": "IN",
/// "category": "marketing", "rate": "0.0107", "effective_from": "2026-07-01"}, …]}`. 422 names
/// the first bad rate; nothing is saved then.
#[utoipa::path(put, path = "/api/v1/rate_card", tag = "reports", request_body = RateCardInput,
    responses((status = 200, body = RateCardView), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn replace_rate_card(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(input): JsonBody<RateCardInput>,
) -> Result<Json<RateCardView>, ApiError> {
    let card = costs::replace_rate_card(&app.services, &viewer, &origin, &input).await?;
    Ok(Json(card))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportParams {
    /// ISO 4217 code of the file's prices.
    currency: String,
}

/// Replaces the rate card with a CSV file (admins): a header naming `country`, `category`,
/// `rate` and `effective_from` (any order; other columns ignored), `,` or `;` separated.
#[utoipa::path(post, path = "/api/v1/rate_card/import", tag = "reports", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = RateCardView), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn import_rate_card(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Query(params): Query<ImportParams>,
    body: String,
) -> Result<Json<RateCardView>, ApiError> {
    let card =
        costs::import_rate_card(&app.services, &viewer, &origin, &params.currency, &body).await?;
    Ok(Json(card))
}
