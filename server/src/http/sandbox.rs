//! Sandbox controls for admins: in sandbox mode, a simulated customer writes in on demand.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::service::sandbox;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customer_writes))
        .routes(routes!(graph_calls))
        .routes(routes!(number_health))
}

/// Meta changes a simulated number: `{"quality_rating": "GREEN"|"YELLOW"|"RED", "flagged":
/// true|false, "messaging_limit_tier": "TIER_1K"}`, each optional. RED flags the number and a
/// better rating unflags it; flagging, unflagging and a new limit arrive as Meta's
/// `phone_number_quality_update` webhooks, a rating alone at the next refresh (as with Meta).
/// Sandbox mode only (404 otherwise); admins only.
#[utoipa::path(post, path = "/api/v1/sandbox/numbers/{phone_number_id}/health", tag = "sandbox",
    request_body = crate::sandbox::HealthChange,
    responses((status = 204), (status = 404, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn number_health(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(phone_number_id): Path<String>,
    super::JsonBody(change): super::JsonBody<crate::sandbox::HealthChange>,
) -> Result<axum::http::StatusCode, ApiError> {
    sandbox::change_number_health(&app.services, &viewer, &phone_number_id, &change)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
struct SimulatedMessage {
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
async fn customer_writes(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(address): Path<String>,
    Json(content): Json<serde_json::Value>,
) -> Result<Json<SimulatedMessage>, ApiError> {
    let id = sandbox::customer_writes(&app.services, &viewer, &address, content)?;
    Ok(Json(SimulatedMessage { id }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct GraphCalls {
    /// Every request Parley made of the simulated Graph API, as `METHOD /path?query`, in order.
    calls: Vec<String>,
    /// The body of every message send the simulator accepted, in order.
    #[schema(value_type = Vec<Object>)]
    sent: Vec<serde_json::Value>,
}

/// What Parley has asked of the simulated Cloud API since it started: what would have reached
/// Meta. Sandbox mode only (404 otherwise); admins only.
#[utoipa::path(get, path = "/api/v1/sandbox/graph_calls", tag = "sandbox",
    responses((status = 200, body = GraphCalls), (status = 404, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
async fn graph_calls(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<GraphCalls>, ApiError> {
    let (calls, sent) = sandbox::graph_calls(&app.services, &viewer)?;
    Ok(Json(GraphCalls { calls, sent }))
}
