//! Sandbox controls for admins: in sandbox mode, a simulated customer writes in on demand
//! (demos, and the browser tests). The simulator's own controls need its secret, which only
//! this process holds.

use super::identity::RequireAdmin;
use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/sandbox/customers/{address}/messages",
        post(customer_writes),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SimulatedMessage {
    /// The wamid of the message the customer sent.
    id: String,
}

/// A simulated customer (by phone number or business-scoped user id) writes in now. The body
/// is a message's type-specific part, as in Meta's webhooks: `{"type": "text", "text":
/// {"body": "Hi"}}`. Sandbox mode only (404 otherwise); admins only.
#[utoipa::path(post, path = "/api/v1/sandbox/customers/{address}/messages", tag = "sandbox",
    request_body(content = Object, description = "a message's type-specific part"),
    responses((status = 200, body = SimulatedMessage), (status = 404, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
pub(super) async fn customer_writes(
    State(app): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Path(address): Path<String>,
    Json(content): Json<serde_json::Value>,
) -> Result<Json<SimulatedMessage>, ApiError> {
    let sim = app.sandbox.as_ref().ok_or(ApiError::NotFound("sandbox"))?;
    let persona = crate::sandbox::personas_by_address(&address)
        .ok_or(ApiError::NotFound("simulated customer"))?;
    if !content
        .get("type")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(ApiError::Invalid(
            "the message needs a `type` and its part, e.g. {\"type\": \"text\", \"text\": {\"body\": \"Hi\"}}".into(),
        ));
    }
    Ok(Json(SimulatedMessage {
        id: sim.customer_writes(persona, content, Duration::ZERO),
    }))
}
