//! `/_simulator/*`: controls for tests and demos, guarded by a secret and the simulator's own host.

use crate::sandbox::{Simulator, personas};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The header that carries the simulator's control secret.
pub const CONTROL_SECRET_HEADER: &str = "x-simulator-secret";

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
pub(super) async fn controls_guard(
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

#[derive(Deserialize)]
pub(super) struct FaultRequest {
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
pub(super) async fn set_faults(
    State(sim): State<Simulator>,
    Json(request): Json<FaultRequest>,
) -> StatusCode {
    sim.fail_next(request.fail_next, request.code, request.status);
    sim.hang_next(request.hang_next);
    if let Some(latency) = request.latency_ms {
        sim.set_latency(Duration::from_millis(latency));
    }
    StatusCode::NO_CONTENT
}

pub(super) async fn accepted(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "accepted": sim.accepted() }))
}

/// `POST /_simulator/customers/{wa_id or bsuid}/messages` with a message's type-specific part
/// (`{"type": "text", "text": {"body": "hi"}}`): that customer writes in now.
pub(super) async fn customer_message(
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
