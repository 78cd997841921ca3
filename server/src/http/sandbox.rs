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
        .routes(routes!(number_quality))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct QualityChange {
    /// `GREEN`, `YELLOW` or `RED`.
    quality_rating: String,
}

/// Meta re-rates a simulated number: `RED` flags it (a `phone_number_quality_update` webhook
/// with `FLAGGED` follows, as from Meta), and a better rating unflags it. The Graph API
/// serves the new rating from then on. Sandbox mode only (404 otherwise); admins only.
#[utoipa::path(post, path = "/api/v1/sandbox/numbers/{phone_number_id}/quality", tag = "sandbox",
    request_body = QualityChange,
    responses((status = 204), (status = 404, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn number_quality(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(phone_number_id): Path<String>,
    super::JsonBody(change): super::JsonBody<QualityChange>,
) -> Result<axum::http::StatusCode, ApiError> {
    sandbox::set_number_quality(
        &app.services,
        &viewer,
        &phone_number_id,
        &change.quality_rating,
    )?;
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
