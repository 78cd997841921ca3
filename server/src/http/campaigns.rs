//! Campaigns: create, edit, preview, start, pause, resume, cancel; their counts, recipients
//! and the recipients' CSV.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::campaigns;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;
use parley_app::campaigns::{
    Campaign, CampaignDraft, CampaignPatch, CampaignPreview, CampaignRecipient, RecipientFilter,
    RecipientPage,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(preview))
        .routes(routes!(one, update, delete))
        .routes(routes!(start))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(cancel))
        .routes(routes!(recipients))
        .routes(routes!(recipients_csv))
}

type Answer = Result<Json<Campaign>, ApiError>;

/// Every campaign, newest first, with its counts.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<Campaign>)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<Campaign>>, ApiError> {
    Ok(Json(campaigns::list(&app.services, &viewer).await?))
}

/// Creates a campaign (admins): a draft, or scheduled when `scheduled_at` (unix seconds) is
/// given. `template.parameters` fill the body parameters in order, each `{{contact.name}}`,
/// `{{contact.first_name}}`, `{{contact.phone}}`, `{{contact.email}}`, `{{contact.company}}`,
/// `{{attr.<key>}}` (with an optional fallback: `{{contact.name|there}}`) or literal text.
/// `audience` is `{"labels": [...]}` (any of them), `{"segment_id": n}` or `{"contact_ids":
/// [...]}`. Only APPROVED templates; 422 says what does not fit.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignDraft,
    responses((status = 201, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<CampaignDraft>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let created = campaigns::create(&app.services, &viewer, &origin, draft).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// What a campaign would do, without saving it: the audience's counts (eligible, and who is
/// left out and why) and the message its first recipient would read.
#[utoipa::path(post, path = "/api/v1/campaigns/preview", tag = "campaigns",
    request_body = CampaignDraft,
    responses((status = 200, body = CampaignPreview), (status = 422, body = super::error::ErrorBody)))]
async fn preview(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(draft): JsonBody<CampaignDraft>,
) -> Result<Json<CampaignPreview>, ApiError> {
    Ok(Json(
        campaigns::preview(&app.services, &viewer, &draft).await?,
    ))
}

/// A campaign with its `counts` (before it starts, its audience as it stands) and its
/// failures by Meta error code.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 200, body = Campaign), (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(campaigns::get(&app.services, &viewer, id).await?))
}

/// Changes a draft or scheduled campaign (admins); `"scheduled_at": null` makes it a draft.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    request_body = CampaignPatch,
    responses((status = 200, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(patch): JsonBody<CampaignPatch>,
) -> Answer {
    Ok(Json(
        campaigns::update(&app.services, &viewer, &origin, id, patch).await?,
    ))
}

/// Deletes a campaign that never started (admins); cancel one that did.
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    campaigns::delete(&app.services, &viewer, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts now (admins): the recipients are fixed, each eligible or left out with the reason,
/// and sending begins at the number's pace behind members' messages.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/start", tag = "campaigns",
    responses((status = 200, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn start(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(
        campaigns::start(&app.services, &viewer, &origin, id).await?,
    ))
}

/// Pauses sending (admins); messages already handed to the sender (a few seconds' worth) go.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pause", tag = "campaigns",
    responses((status = 200, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)))]
async fn pause(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(
        campaigns::pause(&app.services, &viewer, &origin, id).await?,
    ))
}

/// Resumes a paused campaign (admins).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/resume", tag = "campaigns",
    responses((status = 200, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)))]
async fn resume(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(
        campaigns::resume(&app.services, &viewer, &origin, id).await?,
    ))
}

/// Cancels (admins): recipients not yet sent are `cancelled` and queued messages no sender
/// holds are withdrawn.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "campaigns",
    responses((status = 200, body = Campaign), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)))]
async fn cancel(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(
        campaigns::cancel(&app.services, &viewer, &origin, id).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct RecipientParams {
    /// A recipient state (`pending`, `queued`, `skipped_no_consent`, `skipped_opted_out`,
    /// `skipped_frequency_cap`, `skipped_no_whatsapp`, `skipped_missing_data`, `cancelled`),
    /// `skipped` (any of those), a message status (`sent`, `delivered`, `read`, `failed`:
    /// cumulative, so `sent` includes delivered and read), or `replied`.
    state: Option<String>,
    /// `next_after` of the previous page.
    after: Option<i64>,
    /// 1 to 500, default 100.
    limit: Option<i64>,
}

fn recipient_filter(state: Option<&str>) -> Result<Option<RecipientFilter>, ApiError> {
    state
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<RecipientFilter>())
        .transpose()
        .map_err(|e| ApiError::Invalid(e.to_string()))
}

/// A campaign's recipients by contact id, filtered by state, each with Meta's error when it
/// failed.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/recipients", tag = "campaigns",
    params(RecipientParams),
    responses((status = 200, body = RecipientPage), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn recipients(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    Query(params): Query<RecipientParams>,
) -> Result<Json<RecipientPage>, ApiError> {
    let filter = recipient_filter(params.state.as_deref())?;
    let limit = params.limit.unwrap_or(100);
    let page =
        campaigns::recipients(&app.services, &viewer, id, filter, params.after, limit).await?;
    Ok(Json(page))
}

const CSV_HEADER: &str =
    "contact_id,name,phone,state,message_status,error_code,error,replied_at\r\n";

fn csv_rows(recipients: &[CampaignRecipient]) -> String {
    recipients
        .iter()
        .map(|r| {
            let cells = [
                r.contact_id.to_string(),
                r.name.clone().unwrap_or_default(),
                r.phone.clone().unwrap_or_default(),
                r.state.as_str().to_owned(),
                r.message_status.clone().unwrap_or_default(),
                r.error
                    .as_ref()
                    .map(|e| e.code.to_string())
                    .unwrap_or_default(),
                r.error
                    .as_ref()
                    .map(|e| e.title.clone())
                    .unwrap_or_default(),
                r.replied_at.map(|t| t.0.to_string()).unwrap_or_default(),
            ];
            super::contacts::csv_line(cells.iter().map(String::as_str))
        })
        .collect()
}

/// The recipients (filtered as `/recipients` is) as CSV, streamed; cells that a spreadsheet
/// would run as formulas are defused.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/recipients.csv", tag = "campaigns",
    params(("state" = Option<String>, Query, description = "as for /recipients")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn recipients_csv(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    Query(params): Query<RecipientParams>,
) -> Result<Response, ApiError> {
    let filter = recipient_filter(params.state.as_deref())?;
    let page_size = campaigns::MAX_RECIPIENT_PAGE;
    // The first page is read before answering, so a missing campaign is a 404, not a broken file.
    let first = campaigns::recipients(&app.services, &viewer, id, filter, None, page_size).await?;
    let state = Some((app, viewer, Some(first), None::<i64>));
    let pages = futures_util::stream::unfold(state, move |state| async move {
        let (app, viewer, page, after) = state?;
        let page = match page {
            Some(page) => page,
            None => {
                match campaigns::recipients(&app.services, &viewer, id, filter, after, page_size)
                    .await
                {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::error!(%error, "recipient export stopped");
                        return Some((Err(std::io::Error::other("export failed")), None));
                    }
                }
            }
        };
        let chunk = csv_rows(&page.recipients);
        let next = page
            .next_after
            .map(|after| (app, viewer, None, Some(after)));
        Some((Ok::<_, std::io::Error>(chunk), next))
    });
    let body = futures_util::stream::once(async { Ok(CSV_HEADER.to_owned()) }).chain(pages);
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"campaign-recipients.csv\""),
        )
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
