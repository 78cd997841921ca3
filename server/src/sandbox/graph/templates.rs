//! Message templates and the resumable uploads that carry their header samples.

use crate::sandbox::Simulator;
use crate::sandbox::errors::GraphApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{authorize, authorize_account};

#[derive(Deserialize)]
pub(super) struct TemplateQuery {
    limit: Option<usize>,
    after: Option<String>,
    name: Option<String>,
    status: Option<String>,
    hsm_id: Option<String>,
}

/// Templates, paged with `limit` and the `after` cursor as Meta pages them.
pub(super) async fn list_templates(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<TemplateQuery>,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    let all: Vec<Value> = sim
        .state()
        .templates
        .iter()
        .filter(|t| {
            query
                .name
                .as_ref()
                .is_none_or(|n| t.name.contains(n.as_str()))
        })
        .filter(|t| {
            query
                .status
                .as_ref()
                .is_none_or(|s| t.status.eq_ignore_ascii_case(s))
        })
        .map(|t| t.to_json())
        .collect();
    let start = query
        .after
        .as_deref()
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(0)
        .min(all.len());
    let limit = query.limit.unwrap_or(25).clamp(1, 100);
    let end = (start + limit).min(all.len());
    let mut paging =
        json!({ "cursors": { "before": start.to_string(), "after": end.to_string() } });
    if end < all.len() {
        paging["next"] = json!(format!(
            "{}/{version}/{waba_id}/message_templates?limit={limit}&after={end}",
            sim.base_url()
        ));
    }
    Json(json!({ "data": all[start..end], "paging": paging })).into_response()
}

pub(super) async fn create_template(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authorize_account(&sim, &headers, &version, &waba_id).await?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| GraphApiError::invalid_parameter("The request body is not valid JSON."))?;
        let template = crate::sandbox::templates::create(&body, sim.numeric_id())?;
        let duplicate = sim
            .state()
            .templates
            .iter()
            .any(|t| t.name == template.name && t.language == template.language);
        if duplicate {
            let mut error = GraphApiError::invalid_parameter(format!(
                "Content in this language already exists: {} ({})",
                template.name, template.language
            ));
            error.subcode = Some(2388024);
            return Err(error);
        }
        let answer =
            json!({ "id": template.id, "status": "PENDING", "category": template.category });
        sim.submit_template(template);
        Ok(Json(answer).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn delete_template(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<TemplateQuery>,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    let Some(name) = query.name else {
        return GraphApiError::invalid_parameter("Parameter 'name' is required.").into_response();
    };
    let mut state = sim.state();
    let before = state.templates.len();
    state
        .templates
        .retain(|t| !(t.name == name && query.hsm_id.as_ref().is_none_or(|id| &t.id == id)));
    if state.templates.len() == before {
        return GraphApiError::unknown_object(&name).into_response();
    }
    Json(json!({ "success": true })).into_response()
}

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    file_length: Option<u64>,
    file_type: Option<String>,
}

/// Resumable upload, step 1 (`POST /{app-id}/uploads`): opens a session for a template's media
/// sample.
pub(super) async fn start_upload(
    State(sim): State<Simulator>,
    Path((version, app_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<UploadQuery>,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        if app_id != crate::sandbox::DEMO_APP_ID {
            return Err(GraphApiError::unknown_object(&app_id));
        }
        let length = query
            .file_length
            .filter(|l| *l > 0)
            .ok_or_else(|| GraphApiError::invalid_parameter("Parameter 'file_length' is required."))?;
        let kind = query.file_type.unwrap_or_default();
        if !["image/jpeg", "image/png", "video/mp4", "application/pdf"].contains(&kind.as_str()) {
            return Err(GraphApiError::invalid_parameter(format!(
                "Param file_type must be one of image/jpeg, image/png, video/mp4, application/pdf, not {kind:?}."
            )));
        }
        let session = format!("upload:{}", sim.numeric_id());
        sim.state().upload_sessions.insert(session.clone(), length);
        Ok::<_, GraphApiError>(Json(json!({ "id": session })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Resumable upload, step 2 (`POST /upload:{session}` with the bytes): answers the handle a
/// template's `example.header_handle` carries.
pub(super) async fn upload_chunk(
    State(sim): State<Simulator>,
    Path((version, session)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        let expected = sim
            .state()
            .upload_sessions
            .remove(&session)
            .ok_or_else(|| GraphApiError::unknown_object(&session))?;
        if body.len() as u64 != expected {
            return Err(GraphApiError::invalid_parameter(format!(
                "The upload has {} bytes; the session declared {expected}.",
                body.len()
            )));
        }
        Ok::<_, GraphApiError>(
            Json(json!({ "h": format!("4::{}", hex::encode(&body[..body.len().min(12)])) }))
                .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
