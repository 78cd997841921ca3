//! How fast the team answers: summary, per member, per team, over time, and by weekday and
//! hour; each table also as CSV. Admins see everyone's figures; an agent their own.

use super::contacts::{csv_file, csv_line};
use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::charts;
use crate::domain::Millis;
use crate::service::reports;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use parley_app::model::ParseError;
use parley_app::reports::{
    AgentsReport, CsatSummary, Heatmap, Metric, Percentiles, ReportParams, ReportSummary,
    TeamsReport, TimeBucket, TimeSeries,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(agents))
        .routes(routes!(agents_csv))
        .routes(routes!(teams))
        .routes(routes!(teams_csv))
        .routes(routes!(timeseries))
        .routes(routes!(timeseries_csv))
        .routes(routes!(timeseries_svg))
        .routes(routes!(heatmap))
        .routes(routes!(heatmap_svg))
        .routes(routes!(heatmap_csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SeriesParams {
    /// `conversations_opened`, `conversations_resolved`, `messages_in`, `messages_out`,
    /// `first_response_p50`, `first_response_p90`, `resolution_p50`,
    /// `windows_lapsed_unanswered` or `csat_average`.
    metric: String,
    /// `hour` (periods up to 31 days) or `day` (default).
    bucket: Option<String>,
}

/// The team's figures over the period: conversations opened (new or reopened) and resolved,
/// messages in and out, first-response and resolution times (median and 90th percentile, in
/// seconds), windows that lapsed while the customer waited, and satisfaction ratings. Steps
/// are filtered by what was true when they were taken (number, team, member); messages by
/// their conversation now.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(ReportParams),
    responses((status = 200, body = ReportSummary), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn summary(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<Json<ReportSummary>, ApiError> {
    Ok(Json(
        reports::summary(&app.services, &viewer, &params).await?,
    ))
}

/// Per member: assignments, replies, first-response and resolution times, resolutions,
/// lapsed windows and ratings; members with nothing in the period listed with zeros.
#[utoipa::path(get, path = "/api/v1/reports/agents", tag = "reports", params(ReportParams),
    responses((status = 200, body = AgentsReport), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn agents(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<Json<AgentsReport>, ApiError> {
    Ok(Json(
        reports::agents(&app.services, &viewer, &params).await?,
    ))
}

/// The per-member table as CSV (formulas defused).
#[utoipa::path(get, path = "/api/v1/reports/agents.csv", tag = "reports", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn agents_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<impl IntoResponse, ApiError> {
    let report = reports::agents(&app.services, &viewer, &params).await?;
    let mut csv = header_line(&["agent_id", "name", "assigned", "replies"]);
    for agent in &report.agents {
        let mut cells = vec![
            agent.agent_id.0.to_string(),
            agent.name.clone(),
            agent.assigned.to_string(),
            agent.replies.to_string(),
        ];
        cells.extend(timing_cells(
            &agent.first_response_seconds,
            agent.conversations_resolved,
            &agent.resolution_seconds,
            agent.windows_lapsed_unanswered,
            &agent.csat,
        ));
        csv.push_str(&line(&cells));
    }
    Ok(csv_file("report-agents.csv", csv))
}

/// Per team (its queue at the time of each step; `team_id` null: no team).
#[utoipa::path(get, path = "/api/v1/reports/teams", tag = "reports", params(ReportParams),
    responses((status = 200, body = TeamsReport), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn teams(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<Json<TeamsReport>, ApiError> {
    Ok(Json(reports::teams(&app.services, &viewer, &params).await?))
}

/// The per-team table as CSV (formulas defused).
#[utoipa::path(get, path = "/api/v1/reports/teams.csv", tag = "reports", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn teams_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<impl IntoResponse, ApiError> {
    let report = reports::teams(&app.services, &viewer, &params).await?;
    let mut csv = header_line(&["team_id", "name", "conversations_opened", "replies"]);
    for team in &report.teams {
        let mut cells = vec![
            team.team_id.map(|id| id.to_string()).unwrap_or_default(),
            team.name.clone(),
            team.conversations_opened.to_string(),
            team.replies.to_string(),
        ];
        cells.extend(timing_cells(
            &team.first_response_seconds,
            team.conversations_resolved,
            &team.resolution_seconds,
            team.windows_lapsed_unanswered,
            &team.csat,
        ));
        csv.push_str(&line(&cells));
    }
    Ok(csv_file("report-teams.csv", csv))
}

/// One metric per hour or day over the period, every bucket present (counts 0, measures
/// null where nothing was measured). Days are UTC days.
#[utoipa::path(get, path = "/api/v1/reports/timeseries", tag = "reports",
    params(ReportParams, SeriesParams),
    responses((status = 200, body = TimeSeries), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn timeseries(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
    Query(series): Query<SeriesParams>,
) -> Result<Json<TimeSeries>, ApiError> {
    Ok(Json(series_of(&app, &viewer, &params, &series).await?))
}

/// The series as CSV: `start` (ISO 8601, UTC), `value`.
#[utoipa::path(get, path = "/api/v1/reports/timeseries.csv", tag = "reports",
    params(ReportParams, SeriesParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn timeseries_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
    Query(series): Query<SeriesParams>,
) -> Result<impl IntoResponse, ApiError> {
    let series = series_of(&app, &viewer, &params, &series).await?;
    let mut csv = line(&["start".into(), series.metric.as_str().into()]);
    for point in &series.points {
        let value = point.value.map(|v| v.to_string()).unwrap_or_default();
        csv.push_str(&line(&[Millis(point.start.millis()).to_rfc3339(), value]));
    }
    let name = format!(
        "report-{}-by-{}.csv",
        series.metric.as_str(),
        series.bucket.as_str()
    );
    Ok(csv_file(&name, csv))
}

/// Customers' messages by weekday (`cells[0]` Monday … `cells[6]` Sunday) and hour (UTC).
#[utoipa::path(get, path = "/api/v1/reports/heatmap", tag = "reports", params(ReportParams),
    responses((status = 200, body = Heatmap), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn heatmap(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<Json<Heatmap>, ApiError> {
    Ok(Json(
        reports::heatmap(&app.services, &viewer, &params).await?,
    ))
}

/// The series as an accessible SVG bar chart (drawn on the server; each bar titled with its
/// bucket and value).
#[utoipa::path(get, path = "/api/v1/reports/timeseries.svg", tag = "reports",
    params(ReportParams, SeriesParams),
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn timeseries_svg(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
    Query(series): Query<SeriesParams>,
) -> Result<impl IntoResponse, ApiError> {
    let series = series_of(&app, &viewer, &params, &series).await?;
    Ok(svg_image(charts::series_svg(&series)))
}

/// The heatmap as an accessible SVG (a titled cell per weekday and hour).
#[utoipa::path(get, path = "/api/v1/reports/heatmap.svg", tag = "reports", params(ReportParams),
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn heatmap_svg(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<impl IntoResponse, ApiError> {
    let heatmap = reports::heatmap(&app.services, &viewer, &params).await?;
    Ok(svg_image(charts::heatmap_svg(&heatmap)))
}

fn svg_image(svg: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            // The figures are the viewer's own business.
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        svg,
    )
}

/// The heatmap as CSV: a row per weekday (Monday first), a column per hour (UTC).
#[utoipa::path(get, path = "/api/v1/reports/heatmap.csv", tag = "reports", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn heatmap_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ReportParams>,
) -> Result<impl IntoResponse, ApiError> {
    let heatmap = reports::heatmap(&app.services, &viewer, &params).await?;
    let mut header = vec!["weekday".to_owned()];
    header.extend((0..24).map(|hour| format!("{hour:02}")));
    let mut csv = line(&header);
    for (day, hours) in heatmap.cells.iter().enumerate() {
        let mut cells = vec![charts::WEEKDAYS.get(day).copied().unwrap_or("?").to_owned()];
        cells.extend(hours.iter().map(i64::to_string));
        csv.push_str(&line(&cells));
    }
    Ok(csv_file("report-heatmap.csv", csv))
}

async fn series_of(
    app: &AppState,
    viewer: &parley_app::model::Viewer,
    params: &ReportParams,
    series: &SeriesParams,
) -> Result<TimeSeries, ApiError> {
    let invalid = |e: ParseError| ApiError::Invalid(e.to_string());
    let metric: Metric = series.metric.trim().parse().map_err(invalid)?;
    let bucket: TimeBucket = match series.bucket.as_deref().map(str::trim) {
        None | Some("") => TimeBucket::Day,
        Some(raw) => raw.parse().map_err(invalid)?,
    };
    Ok(reports::timeseries(&app.services, viewer, params, metric, bucket).await?)
}

fn line(cells: &[String]) -> String {
    csv_line(cells.iter().map(String::as_str))
}

/// The named columns, then the timing columns every table shares.
fn header_line(first: &[&str]) -> String {
    let timing = [
        "first_responses",
        "first_response_p50_seconds",
        "first_response_p90_seconds",
        "conversations_resolved",
        "resolution_p50_seconds",
        "resolution_p90_seconds",
        "windows_lapsed_unanswered",
        "csat_count",
        "csat_average",
    ];
    csv_line(first.iter().chain(timing.iter()).copied())
}

fn timing_cells(
    first_response: &Percentiles,
    resolved: i64,
    resolution: &Percentiles,
    lapsed: i64,
    csat: &CsatSummary,
) -> Vec<String> {
    let seconds = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
    vec![
        first_response.count.to_string(),
        seconds(first_response.p50),
        seconds(first_response.p90),
        resolved.to_string(),
        seconds(resolution.p50),
        seconds(resolution.p90),
        lapsed.to_string(),
        csat.count.to_string(),
        csat.average.map(|a| a.to_string()).unwrap_or_default(),
    ]
}
