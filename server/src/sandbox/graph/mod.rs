//! The simulator's HTTP surface: Graph API routes as Parley (or any client) calls them, plus
//! `/_simulator/*` controls for tests and demos.

use super::errors::GraphApiError;
use super::validate::{self, Request};
use super::{DeliveryFailure, Simulator, audience, demo_number, personas};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

mod controls;
mod media;
mod numbers;
mod templates;

pub use numbers::HealthChange;
pub(super) use numbers::{SimNumber, seeded as seeded_numbers};

pub use controls::CONTROL_SECRET_HEADER;
use controls::{accepted, controls_guard, customer_message, set_faults};
use media::{delete_media, download_media, media_info, upload_media};
use templates::{create_template, delete_template, list_templates, start_upload, upload_chunk};

pub fn router(sim: Simulator, bound: std::net::SocketAddr) -> Router {
    let controls = Router::new()
        .route("/_simulator/faults", post(set_faults))
        .route("/_simulator/accepted", get(accepted))
        .route(
            "/_simulator/customers/{address}/messages",
            post(customer_message),
        )
        .route("/_simulator/numbers/{id}", post(numbers::change_health))
        .route_layer(axum::middleware::from_fn_with_state(
            (sim.clone(), bound),
            controls_guard,
        ));
    Router::new()
        .route("/{version}/{id}/messages", post(send))
        .route("/{version}/{id}/media", post(upload_media))
        .route("/{version}/{id}/phone_numbers", get(numbers::phone_numbers))
        .route(
            "/{version}/{id}/whatsapp_business_profile",
            get(numbers::profile).post(numbers::update_profile),
        )
        .route(
            "/{version}/{id}/subscribed_apps",
            get(numbers::subscribed_apps).post(numbers::subscribe_app),
        )
        .route(
            "/{version}/{id}/message_templates",
            get(list_templates)
                .post(create_template)
                .delete(delete_template),
        )
        .route("/{version}/{id}/uploads", post(start_upload))
        .route(
            "/{version}/{id}",
            get(object).delete(delete_media).post(upload_chunk),
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

/// Checks the bearer token and the API version, then applies injected faults.
pub(super) async fn authorize(
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
pub(super) async fn authorize_account(
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
            let mut template_category = None;
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
                    Some(t) if t.status == "APPROVED" => {
                        marketing = t.category == "MARKETING";
                        template_category = Some(t.category.to_ascii_lowercase());
                    }
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
            let window_open = sim.window_open(number.id, &to);
            let window_closed = kind != "template" && !window_open;
            let failure = match (persona, audience::fate(&to)) {
                (None, None) => Some(super::NOT_ON_WHATSAPP),
                (None, Some(fate)) => audience::failure(fate, marketing),
                (Some(p), _)
                    if marketing && sim.state().opted_out_of_marketing.contains(p.address()) =>
                {
                    Some(super::STOPPED_MARKETING)
                }
                _ => None,
            }
            .or(window_closed.then_some(DeliveryFailure {
                code: 131047,
                title: "Re-engagement message",
                details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            }));
            let pricing = super::webhooks::pricing_of(template_category.as_deref(), window_open);
            sim.schedule_statuses(number, &to, &wamid, failure, pricing);
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

/// `GET /{id}`: a phone number's fields, or a media object's.
async fn object(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if demo_number(&id).is_some() {
        if let Err(error) = authorize(&sim, &headers, &version).await {
            return error.into_response();
        }
        if let Some(number) = numbers::number(&sim, &id, query.get("fields").map(String::as_str)) {
            return number;
        }
    }
    media_info(State(sim), Path((version, id)), headers).await
}
