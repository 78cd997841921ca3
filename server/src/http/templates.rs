//! The template API: every member reads approved templates (to send them); admins read all
//! of them with their timelines, submit, sync and delete.

use super::identity::{RequireAdmin, RequireViewer};
use super::{ApiError, AppState};
use crate::templates::{self, TemplateError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use parley_app::model::Role;
use parley_app::templates::{HeaderSample, TemplateDetail, TemplateStatus, TemplateView};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/templates", get(list).post(submit))
        .route("/api/v1/templates/sync", post(sync))
        .route(
            "/api/v1/templates/samples",
            post(sample).layer(axum::extract::DefaultBodyLimit::max(MAX_SAMPLE_BODY)),
        )
        .route("/api/v1/templates/{id}", get(one).delete(delete))
}

impl From<TemplateError> for ApiError {
    fn from(error: TemplateError) -> Self {
        match error {
            TemplateError::NoAccount => ApiError::Conflict(error.to_string()),
            TemplateError::Invalid(why) => ApiError::Invalid(why),
            // Meta refused what was submitted: its own words are the useful answer.
            TemplateError::Graph(e @ crate::graph::GraphError::Api { status: 400, .. }) => {
                ApiError::Invalid(e.for_members())
            }
            TemplateError::Graph(e) => e.into(),
            TemplateError::Store(e) => e.into(),
        }
    }
}

/// The WhatsApp Business Account whose templates Parley manages.
pub(super) fn account(app: &AppState) -> Result<crate::whatsapp::ids::WabaId, TemplateError> {
    app.config
        .whatsapp
        .waba_id
        .clone()
        .ok_or(TemplateError::NoAccount)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TemplateFilter {
    /// Only this status (`APPROVED`, `PENDING`, `REJECTED`…).
    status: Option<String>,
    /// Only this category (`MARKETING`, `UTILITY`, `AUTHENTICATION`).
    category: Option<String>,
    /// Only this language (`en_US`…).
    language: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct TemplateList {
    templates: Vec<TemplateView>,
}

/// Templates: all of them for admins, the approved ones for agents.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", params(TemplateFilter),
    responses((status = 200, body = TemplateList)))]
pub(super) async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(filter): Query<TemplateFilter>,
) -> Result<Json<TemplateList>, ApiError> {
    let admin = viewer.role == Role::Admin;
    let wanted = |field: &Option<String>, value: &str| {
        field
            .as_deref()
            .filter(|f| !f.is_empty())
            .is_none_or(|f| f.eq_ignore_ascii_case(value))
    };
    let templates = app
        .store
        .templates()
        .await?
        .into_iter()
        .filter(|t| admin || t.status == TemplateStatus::Approved)
        .filter(|t| wanted(&filter.status, t.status.as_str()))
        .filter(|t| wanted(&filter.category, &t.category))
        .filter(|t| wanted(&filter.language, &t.language))
        .collect();
    Ok(Json(TemplateList { templates }))
}

/// One template with its timeline (agents: approved templates only).
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates",
    responses((status = 200, body = TemplateDetail), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<String>,
) -> Result<Json<TemplateDetail>, ApiError> {
    let detail = app
        .store
        .template(&id)
        .await?
        .filter(|d| viewer.role == Role::Admin || d.template.status == TemplateStatus::Approved)
        .ok_or(ApiError::NotFound("template"))?;
    Ok(Json(detail))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct Submitted {
    id: String,
}

/// Submits a template for Meta's review (the body is Meta's: `name`, `language`, `category`,
/// `components`). Meta's objections come back as 422 in Meta's words.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates",
    request_body(content = Object, description = "Meta's template creation body"),
    responses((status = 201, body = Submitted), (status = 422, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
pub(super) async fn submit(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Json(body): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let waba_id = account(&app)?;
    let id = templates::submit(&app.store, app.graph()?, &waba_id, &body).await?;
    app.live.waker().notify_one();
    Ok((StatusCode::CREATED, Json(Submitted { id })))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct Synced {
    /// How many templates changed.
    changed: usize,
}

/// Re-reads every template from Meta now; changes join the timelines.
#[utoipa::path(post, path = "/api/v1/templates/sync", tag = "templates",
    responses((status = 200, body = Synced), (status = 502, body = super::error::ErrorBody)))]
pub(super) async fn sync(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
) -> Result<Json<Synced>, ApiError> {
    let waba_id = account(&app)?;
    let changed = templates::sync(&app.store, app.graph()?, &waba_id).await?;
    app.live.waker().notify_one();
    Ok(Json(Synced { changed }))
}

/// Deletes a template at Meta.
#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "templates",
    responses((status = 204, description = "deleted"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn delete(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    templates::delete(&app.store, app.graph()?, &id).await?;
    app.live.waker().notify_one();
    Ok(StatusCode::NO_CONTENT)
}

/// Meta's largest header sample (a 16 MB video), plus the multipart framing.
const MAX_SAMPLE_BODY: usize = 16 * 1024 * 1024 + 64 * 1024;

/// Uploads a media header's sample (multipart `file`: JPEG, PNG, MP4 or PDF) through the app's
/// resumable upload; the answer goes into the template's `example.header_handle`.
#[utoipa::path(post, path = "/api/v1/templates/samples", tag = "templates",
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 201, body = HeaderSample), (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn sample(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    mut form: axum::extract::Multipart,
) -> Result<(StatusCode, Json<HeaderSample>), ApiError> {
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
        let app_id = app.config.whatsapp.app_id.clone().ok_or_else(|| {
            ApiError::Conflict("media headers need the Meta app's id: set WA_APP_ID".into())
        })?;
        let name = filename.clone().unwrap_or_else(|| "sample".into());
        let handle = app
            .graph()?
            .upload_sample(&app_id, bytes, &mime_type, &name)
            .await?;
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
