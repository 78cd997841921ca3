//! Media: uploads, their URLs, signed downloads.

use crate::sandbox::errors::GraphApiError;
use crate::sandbox::{Simulator, demo_number};
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use super::authorize;

pub(super) async fn upload_media(
    State(sim): State<Simulator>,
    Path((version, number_id)): Path<(String, String)>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        demo_number(&number_id).ok_or_else(|| GraphApiError::unknown_object(&number_id))?;
        let (mut file, mut mime, mut product) = (None, None, None);
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| GraphApiError::invalid_parameter(e.to_string()))?
        {
            match field.name() {
                Some("file") => {
                    let content_type = field.content_type().map(str::to_owned);
                    file = Some(
                        field
                            .bytes()
                            .await
                            .map_err(|e| GraphApiError::invalid_parameter(e.to_string()))?,
                    );
                    mime = mime.or(content_type);
                }
                Some("type") => mime = Some(field.text().await.unwrap_or_default()),
                Some("messaging_product") => product = Some(field.text().await.unwrap_or_default()),
                _ => {}
            }
        }
        if product.as_deref() != Some("whatsapp") {
            return Err(GraphApiError::invalid_parameter(
                "Parameter 'messaging_product' is required and must be 'whatsapp'.",
            ));
        }
        let file =
            file.ok_or_else(|| GraphApiError::invalid_parameter("Parameter 'file' is required."))?;
        let mime = mime
            .filter(|m| !m.is_empty())
            .ok_or_else(|| GraphApiError::invalid_parameter("Parameter 'type' is required."))?;
        let id = sim.store_media(file, &mime);
        Ok::<_, GraphApiError>(Json(json!({ "id": id })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// How long a media URL stays valid (Meta: 5 minutes).
const MEDIA_URL_LIFETIME_MS: i64 = 5 * 60 * 1000;

fn media_signature(sim: &Simulator, id: &str, expires: i64) -> String {
    crate::whatsapp::signature::sign(
        sim.config().app_secret.as_bytes(),
        format!("{id}:{expires}").as_bytes(),
    )
    .trim_start_matches("sha256=")
    .to_owned()
}

pub(super) async fn media_info(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        let object = sim.state().media.get(&id).cloned().ok_or_else(|| GraphApiError::unknown_object(&id))?;
        let expires = crate::sandbox::now_ms() + MEDIA_URL_LIFETIME_MS;
        let url = format!("{}/_media/{id}?expires={expires}&signature={}", sim.base_url(), media_signature(&sim, &id, expires));
        Ok::<_, GraphApiError>(Json(json!({ "messaging_product": "whatsapp", "url": url, "mime_type": object.mime_type,
            "sha256": hex::encode(sha2::Sha256::digest(&object.bytes)), "file_size": object.bytes.len(), "id": id })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub(super) struct DownloadParams {
    expires: i64,
    signature: String,
}

/// Media downloads need the bearer token too, and the link expires.
pub(super) async fn download_media(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(params): Query<DownloadParams>,
) -> Response {
    if let Err(error) = authorize(&sim, &headers, "v23.0").await {
        return error.into_response();
    }
    let signature_ok = bool::from(
        media_signature(&sim, &id, params.expires)
            .as_bytes()
            .ct_eq(params.signature.as_bytes()),
    );
    if !signature_ok || params.expires < crate::sandbox::now_ms() {
        return (StatusCode::NOT_FOUND, "URL signature mismatch or expired").into_response();
    }
    match sim.state().media.get(&id).cloned() {
        Some(object) => ([(header::CONTENT_TYPE, object.mime_type)], object.bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(super) async fn delete_media(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = authorize(&sim, &headers, &version).await {
        return error.into_response();
    }
    match sim.state().media.remove(&id) {
        Some(_) => Json(json!({ "success": true })).into_response(),
        None => GraphApiError::unknown_object(&id).into_response(),
    }
}
