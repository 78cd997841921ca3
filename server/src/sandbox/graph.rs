//! The simulator's HTTP surface: Graph API routes as Parley (or any client) calls them, plus
//! `/_simulator/*` controls for tests and demos.

use super::errors::GraphApiError;
use super::validate::{self, Request};
use super::{DeliveryFailure, Simulator, demo_number, personas};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The header that carries the simulator's control secret.
pub const CONTROL_SECRET_HEADER: &str = "x-simulator-secret";

pub fn router(sim: Simulator, bound: std::net::SocketAddr) -> Router {
    let controls = Router::new()
        .route("/_simulator/faults", post(set_faults))
        .route("/_simulator/accepted", get(accepted))
        .route(
            "/_simulator/customers/{address}/messages",
            post(customer_message),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            (sim.clone(), bound),
            controls_guard,
        ));
    Router::new()
        .route("/{version}/{id}/messages", post(send))
        .route("/{version}/{id}/media", post(upload_media))
        .route("/{version}/{id}/phone_numbers", get(phone_numbers))
        .route(
            "/{version}/{id}/message_templates",
            get(list_templates)
                .post(create_template)
                .delete(delete_template),
        )
        .route("/{version}/{id}/uploads", post(start_upload))
        .route(
            "/{version}/{id}",
            get(media_info).delete(delete_media).post(upload_chunk),
        )
        .route("/_media/{id}", get(download_media))
        .merge(controls)
        .layer(axum::extract::DefaultBodyLimit::max(110 * 1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            record_call,
        ))
        .with_state(sim)
}

/// Records every request (tests prove with it what Parley did, and did not, ask Meta).
async fn record_call(
    State(sim): State<Simulator>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    sim.record_call(format!("{} {target}", request.method()));
    next.run(request).await
}

/// Whether `host` (a `Host` header) names `bound`: its address, or `localhost` for loopback.
pub fn host_is(bound: std::net::SocketAddr, host: &str) -> bool {
    let port = bound.port().to_string();
    let Some((name, host_port)) = host.rsplit_once(':') else {
        return false;
    };
    if host_port != port {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip == bound.ip() || (bound.ip().is_unspecified() && ip.is_loopback()),
        Err(_) => {
            name.eq_ignore_ascii_case("localhost")
                && (bound.ip().is_loopback() || bound.ip().is_unspecified())
        }
    }
}

/// The controls change what the simulator does and show what it was sent: only for whoever
/// holds its control secret (Parley, or the test that started it), and only when addressed to
/// the simulator's own address, so that a web page that points a DNS name at 127.0.0.1 (DNS
/// rebinding) is refused. The Graph routes need the access token instead, and keep answering
/// clients that leave Meta's name in `Host` (pywa, redirected here in the fidelity test).
async fn controls_guard(
    State((sim, bound)): State<(Simulator, std::net::SocketAddr)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !host_is(bound, host) {
        return (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response();
    }
    let presented = request
        .headers()
        .get(CONTROL_SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let expected = sim.config().control_secret.as_bytes();
    if !expected.is_empty() && bool::from(presented.ct_eq(expected)) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the simulator's control secret is required",
        )
            .into_response()
    }
}

/// Checks the bearer token and the API version, then applies injected faults.
async fn authorize(
    sim: &Simulator,
    headers: &HeaderMap,
    version: &str,
) -> Result<(), GraphApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default();
    if !bool::from(
        presented
            .as_bytes()
            .ct_eq(sim.config().access_token.as_bytes()),
    ) {
        return Err(GraphApiError::invalid_token());
    }
    let valid_version = version.strip_prefix('v').is_some_and(|rest| {
        rest.split('.').count() == 2
            && rest
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if !valid_version {
        return Err(GraphApiError::invalid_parameter(format!(
            "Unknown path components: /{version}"
        )));
    }
    sim.before_call().await
}

/// [`authorize`], for the business account's own edges (numbers, templates).
async fn authorize_account(
    sim: &Simulator,
    headers: &HeaderMap,
    version: &str,
    waba_id: &str,
) -> Result<(), GraphApiError> {
    authorize(sim, headers, version).await?;
    if waba_id == sim.config().waba_id {
        Ok(())
    } else {
        Err(GraphApiError::unknown_object(waba_id))
    }
}

async fn send(
    State(sim): State<Simulator>,
    Path((version, number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match send_inner(&sim, &version, &number_id, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn send_inner(
    sim: &Simulator,
    version: &str,
    number_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, GraphApiError> {
    authorize(sim, headers, version).await?;
    let number = demo_number(number_id).ok_or_else(|| GraphApiError::unknown_object(number_id))?;
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| GraphApiError::invalid_parameter("The request body is not valid JSON."))?;
    match validate::request(&body)? {
        Request::MarkRead { .. } => {
            sim.state().read_receipts.push(body.clone());
            Ok(Json(json!({ "success": true })).into_response())
        }
        Request::Send {
            to,
            kind,
            body,
            template_name,
        } => {
            let mut marketing = false;
            if let Some(name) = &template_name {
                let language = body
                    .pointer("/template/language/code")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let state = sim.state();
                let found = state
                    .templates
                    .iter()
                    .find(|t| &t.name == name && t.language == language);
                match found {
                    Some(t) if t.status == "APPROVED" => marketing = t.category == "MARKETING",
                    Some(t) if t.status == "PAUSED" => {
                        return Err(GraphApiError::template(
                            132015,
                            "Template is Paused",
                            name,
                            language,
                        ));
                    }
                    Some(t) if t.status == "DISABLED" => {
                        return Err(GraphApiError::template(
                            132016,
                            "Template is disabled",
                            name,
                            language,
                        ));
                    }
                    _ => {
                        return Err(GraphApiError::template(
                            132001,
                            "Template name does not exist in the translation",
                            name,
                            language,
                        ));
                    }
                }
            }
            let admitted_at = sim.admit(number.id, &to)?;
            let wamid = sim.next_id("wamid.OUT");
            {
                let mut state = sim.state();
                state.accepted.push(body.clone());
                state.accepted_times.push(admitted_at);
            }
            let answer_delay = sim.answer_delay();
            if !answer_delay.is_zero() {
                tokio::time::sleep(answer_delay).await;
            }
            let persona = personas::by_address(&to);
            // Meta accepts first and reports undeliverable messages through status webhooks.
            let failure = match (persona, kind.as_str()) {
                (None, _) => Some(DeliveryFailure {
                    code: 131026,
                    title: "Message undeliverable",
                    details: "Unable to deliver message. The recipient is not a WhatsApp user or cannot receive this message.",
                }),
                (Some(p), "template")
                    if marketing && sim.state().opted_out_of_marketing.contains(p.address()) =>
                {
                    Some(DeliveryFailure {
                        code: 131050,
                        title: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
                        details: "The user has stopped marketing messages.",
                    })
                }
                (Some(p), kind)
                    if kind != "template" && !sim.window_open(number.id, p.address()) =>
                {
                    Some(DeliveryFailure {
                        code: 131047,
                        title: "Re-engagement message",
                        details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                    })
                }
                _ => None,
            };
            sim.schedule_statuses(number, &to, &wamid, failure);
            if failure.is_none() {
                sim.customer_responds(&to, &kind, &body, &wamid);
            }
            let mut message = json!({ "id": wamid });
            if template_name.is_some() {
                message["message_status"] = json!("accepted");
            }
            let wa_id = persona.and_then(|p| p.wa_id).unwrap_or(&to);
            Ok(Json(json!({ "messaging_product": "whatsapp", "contacts": [{ "input": to, "wa_id": wa_id }], "messages": [message] })).into_response())
        }
    }
}

async fn upload_media(
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

async fn media_info(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        let object = sim.state().media.get(&id).cloned().ok_or_else(|| GraphApiError::unknown_object(&id))?;
        let expires = super::now_ms() + MEDIA_URL_LIFETIME_MS;
        let url = format!("{}/_media/{id}?expires={expires}&signature={}", sim.base_url(), media_signature(&sim, &id, expires));
        Ok::<_, GraphApiError>(Json(json!({ "messaging_product": "whatsapp", "url": url, "mime_type": object.mime_type,
            "sha256": hex::encode(sha2::Sha256::digest(&object.bytes)), "file_size": object.bytes.len(), "id": id })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
struct DownloadParams {
    expires: i64,
    signature: String,
}

/// Media downloads need the bearer token too, and the link expires.
async fn download_media(
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
    if !signature_ok || params.expires < super::now_ms() {
        return (StatusCode::NOT_FOUND, "URL signature mismatch or expired").into_response();
    }
    match sim.state().media.get(&id).cloned() {
        Some(object) => ([(header::CONTENT_TYPE, object.mime_type)], object.bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delete_media(
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

async fn phone_numbers(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    let data: Vec<Value> = super::DEMO_NUMBERS
        .iter()
        .map(|n| json!({ "id": n.id, "display_phone_number": n.display, "verified_name": n.verified_name,
                          "quality_rating": "GREEN", "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
                          "throughput": { "level": "STANDARD" } }))
        .collect();
    Json(
        json!({ "data": data, "paging": { "cursors": { "before": "QVFIUk", "after": "QVFIUl" } } }),
    )
    .into_response()
}

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    fail_next: usize,
    #[serde(default = "default_code")]
    code: i64,
    #[serde(default = "default_status")]
    status: u16,
    #[serde(default)]
    hang_next: usize,
    latency_ms: Option<u64>,
}

fn default_code() -> i64 {
    131000
}

fn default_status() -> u16 {
    500
}

/// `POST /_simulator/faults`: `{"fail_next": 2, "code": 130429, "status": 400}`,
/// `{"hang_next": 1}`, `{"latency_ms": 250}`.
async fn set_faults(State(sim): State<Simulator>, Json(request): Json<FaultRequest>) -> StatusCode {
    sim.fail_next(request.fail_next, request.code, request.status);
    sim.hang_next(request.hang_next);
    if let Some(latency) = request.latency_ms {
        sim.set_latency(Duration::from_millis(latency));
    }
    StatusCode::NO_CONTENT
}

async fn accepted(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "accepted": sim.accepted() }))
}

/// `POST /_simulator/customers/{wa_id or bsuid}/messages` with a message's type-specific part
/// (`{"type": "text", "text": {"body": "hi"}}`): that customer writes in now.
async fn customer_message(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
    Json(content): Json<Value>,
) -> Response {
    match personas::by_address(&address) {
        Some(persona) => {
            Json(json!({ "id": sim.customer_writes(persona, content, Duration::ZERO) }))
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such simulated customer").into_response(),
    }
}

#[derive(Deserialize)]
struct TemplateQuery {
    limit: Option<usize>,
    after: Option<String>,
    name: Option<String>,
    status: Option<String>,
    hsm_id: Option<String>,
}

/// Templates, paged with `limit` and the `after` cursor as Meta pages them.
async fn list_templates(
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

async fn create_template(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authorize_account(&sim, &headers, &version, &waba_id).await?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| GraphApiError::invalid_parameter("The request body is not valid JSON."))?;
        let template = super::templates::create(&body, sim.numeric_id())?;
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

async fn delete_template(
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
struct UploadQuery {
    file_length: Option<u64>,
    file_type: Option<String>,
}

/// Resumable upload, step 1 (`POST /{app-id}/uploads`): opens a session for a template's media
/// sample.
async fn start_upload(
    State(sim): State<Simulator>,
    Path((version, app_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<UploadQuery>,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        if app_id != super::DEMO_APP_ID {
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
async fn upload_chunk(
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

#[cfg(test)]
mod tests {
    use super::host_is;

    #[test]
    fn only_the_bound_address_is_the_simulator() {
        let bound = "127.0.0.1:4000".parse().unwrap();
        assert!(host_is(bound, "127.0.0.1:4000"));
        assert!(host_is(bound, "localhost:4000"));
        assert!(!host_is(bound, "127.0.0.1:4001"));
        assert!(!host_is(bound, "evil.example:4000"));
        assert!(!host_is(bound, "127.0.0.1"));
        assert!(!host_is(bound, ""));
    }
}
