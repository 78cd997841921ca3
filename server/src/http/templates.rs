//! The template API: every member reads approved templates (to send them); admins read all
//! of them with their timelines, submit, sync and delete.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState};
use crate::service::templates::{self, TemplateFilter};
use crate::views;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use parley_app::templates::{HeaderSample, TemplateDetail, TemplateView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Meta's largest header sample (a 16 MB video), plus the multipart framing.
const MAX_SAMPLE_BODY: usize = 16 * 1024 * 1024 + 64 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, submit))
        .routes(routes!(sync))
        .routes(routes!(one, delete))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(sample))
                .layer(DefaultBodyLimit::max(MAX_SAMPLE_BODY)),
        )
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Only this status (`APPROVED`, `PENDING`, `REJECTED`…).
    status: Option<String>,
    /// Only this category (`MARKETING`, `UTILITY`, `AUTHENTICATION`).
    category: Option<String>,
    /// Only this language (`en_US`…).
    language: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct TemplateList {
    templates: Vec<TemplateView>,
}

/// Templates: all of them for admins, the approved ones for agents.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", params(ListParams),
    responses((status = 200, body = TemplateList)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ListParams>,
) -> Result<Json<TemplateList>, ApiError> {
    let filter = TemplateFilter {
        status: params.status,
        category: params.category,
        language: params.language,
    };
    let found = templates::list(&app.services, &viewer, &filter).await?;
    Ok(Json(TemplateList {
        templates: found.iter().map(views::template).collect(),
    }))
}

/// One template with its timeline (agents: approved templates only).
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates",
    responses((status = 200, body = TemplateDetail), (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<String>,
) -> Result<Json<TemplateDetail>, ApiError> {
    let (template, timeline) = templates::get(&app.services, &viewer, &id).await?;
    Ok(Json(views::template_detail(&template, &timeline)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Submitted {
    id: String,
}

/// Submits a template for Meta's review (the body is Meta's: `name`, `language`, `category`,
/// `components`). Meta's objections come back as 422 in Meta's words.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates",
    request_body(content = Object, description = "Meta's template creation body"),
    responses((status = 201, body = Submitted), (status = 422, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
async fn submit(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Json(body): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let id = templates::submit(&app.services, &viewer, &origin, &body).await?;
    Ok((StatusCode::CREATED, Json(Submitted { id })))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Synced {
    /// How many templates changed.
    changed: usize,
}

/// Re-reads every template from Meta now; changes join the timelines.
#[utoipa::path(post, path = "/api/v1/templates/sync", tag = "templates",
    responses((status = 200, body = Synced), (status = 502, body = super::error::ErrorBody)))]
async fn sync(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Synced>, ApiError> {
    let changed = templates::sync(&app.services, &viewer).await?;
    Ok(Json(Synced { changed }))
}

/// Deletes a template at Meta.
#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "templates",
    responses((status = 204, description = "deleted"), (status = 404, body = super::error::ErrorBody)))]
async fn delete(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    templates::delete(&app.services, &viewer, &origin, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads a media header's sample (multipart `file`: JPEG, PNG, MP4 or PDF) through the app's
/// resumable upload; the answer goes into the template's `example.header_handle`.
#[utoipa::path(post, path = "/api/v1/templates/samples", tag = "templates",
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 201, body = HeaderSample), (status = 422, body = super::error::ErrorBody)))]
async fn sample(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    mut form: axum::extract::Multipart,
) -> Result<(StatusCode, Json<HeaderSample>), ApiError> {
    crate::service::require_admin(&viewer)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().map(str::to_owned);
        let mime_type = field.content_type().unwrap_or_default().to_owned();
        let format = HeaderSample::format_for(&mime_type).ok_or_else(|| {
            ApiError::Invalid(format!(
                "a header sample must be JPEG, PNG, MP4 or PDF, not {mime_type:?}"
            ))
        })?;
        let bytes = field.bytes().await.map_err(unreadable)?;
        if bytes.is_empty() {
            return Err(ApiError::Invalid("the file is empty".into()));
        }
        let name = filename.clone().unwrap_or_else(|| "sample".into());
        let handle =
            templates::upload_sample(&app.services, &viewer, bytes, &mime_type, &name).await?;
        return Ok((
            StatusCode::CREATED,
            Json(HeaderSample {
                format: format.to_owned(),
                handle,
                filename,
            }),
        ));
    }
    Err(ApiError::Invalid("the upload needs a `file` field".into()))
}
