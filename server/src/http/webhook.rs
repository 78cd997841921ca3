//! `/webhooks/whatsapp`: Meta's subscription check (GET) and event delivery (POST).
//!
//! A POST is verified over the raw bytes, checked to be a WhatsApp notification, committed to
//! the journal, and only then answered 200. Processing happens afterwards, off the request.

use super::AppState;
use crate::telemetry;
use crate::whatsapp::signature::{self, SignatureError};
use crate::whatsapp::webhook::Notification;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Meta batches up to 1,000 updates per POST; 3 MiB is the documented ceiling, with headroom.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_subscription, receive))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

#[derive(Deserialize)]
struct Subscription {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription check: answers `hub.challenge` when the verify token matches.
#[utoipa::path(get, path = "/webhooks/whatsapp", tag = "webhooks",
    params(("hub.mode" = String, Query), ("hub.verify_token" = String, Query), ("hub.challenge" = String, Query)),
    responses((status = 200, description = "the challenge, as plain text"), (status = 403, description = "wrong token")))]
async fn verify_subscription(
    State(app): State<AppState>,
    Query(query): Query<Subscription>,
) -> Response {
    let expected = app.config.whatsapp.verify_token.as_ref();
    let token_ok = match (expected, query.verify_token.as_deref()) {
        (Some(expected), Some(given)) => {
            bool::from(expected.expose().as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    };
    match (query.mode.as_deref(), token_ok, query.challenge) {
        (Some("subscribe"), true, Some(challenge)) => (StatusCode::OK, challenge).into_response(),
        _ => (StatusCode::FORBIDDEN, "verification failed").into_response(),
    }
}

/// Event delivery from Meta, signed with `X-Hub-Signature-256`. Answered 200 only once the body
/// is durably stored.
#[utoipa::path(post, path = "/webhooks/whatsapp", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body>")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "stored"), (status = 400, description = "not a WhatsApp notification"),
        (status = 401, description = "no signature"), (status = 403, description = "wrong signature"),
        (status = 413, description = "body over 4 MiB"), (status = 503, description = "not stored; Meta will retry")))]
async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    metrics::counter!(telemetry::WEBHOOKS_RECEIVED).increment(1);
    let Some(secret) = app.config.whatsapp.app_secret.as_ref() else {
        telemetry::webhook_rejected("not_configured");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks are not configured: set WA_APP_SECRET",
        )
            .into_response();
    };
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    match signature::verify(secret.expose().as_bytes(), &body, header) {
        Ok(()) => {}
        Err(SignatureError::Missing) => {
            telemetry::webhook_rejected("unsigned");
            return (
                StatusCode::UNAUTHORIZED,
                SignatureError::Missing.to_string(),
            )
                .into_response();
        }
        Err(error) => {
            tracing::warn!(%error, "refused a webhook with a bad signature");
            telemetry::webhook_rejected("bad_signature");
            return (StatusCode::FORBIDDEN, error.to_string()).into_response();
        }
    }
    if let Err(error) = Notification::parse(&body) {
        telemetry::webhook_rejected("malformed");
        return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
    }
    match app.journal.append(body).await {
        Ok(()) => StatusCode::OK.into_response(),
        // Not acknowledged, so Meta delivers it again later: nothing is lost.
        Err(error) => {
            telemetry::webhook_rejected("not_stored");
            (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response()
        }
    }
}
