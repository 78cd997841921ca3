//! Metrics for operators, in Prometheus' text format at `/metrics`: counted where things happen
//! (webhooks, sends, requests) through the `metrics` facade, and read from the database and the
//! live hub when scraped (journal lag and backlog, outbox depth, open streams, pool use).
//! Off unless `PARLEY_METRICS_TOKEN` is set (a bearer token for `/metrics` on Parley's own
//! address) or `PARLEY_METRICS_BIND` gives the metrics an address of their own.

use crate::http::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;
use subtle::ConstantTimeEq;

pub const WEBHOOKS_RECEIVED: &str = "parley_webhooks_received_total";
/// Labelled `reason`: `not_configured`, `unsigned`, `bad_signature`, `malformed`, `not_stored`.
pub const WEBHOOKS_REJECTED: &str = "parley_webhooks_rejected_total";
/// Labelled `result` (`accepted`, `retrying`, `failed`) and `code` (Meta's error code, or
/// `none`).
pub const SENDS: &str = "parley_sends_total";
const REQUEST_SECONDS: &str = "parley_http_request_duration_seconds";
const JOURNAL_LAG: &str = "parley_journal_lag_seconds";
const BACKLOG: &str = "parley_processing_backlog";
const OUTBOX_DEPTH: &str = "parley_outbox_depth";
const STREAMS_OPEN: &str = "parley_event_streams_open";
const SEND_PACE: &str = "parley_send_pace";
const POOL: &str = "parley_db_pool_connections";

/// Request latency buckets, in seconds: a page or an API call is 1–50 ms when healthy.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (every metric before it is dropped).
pub fn recorder() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &LATENCY_BUCKETS)
            .expect("buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Counts a webhook refused, and why.
pub fn webhook_rejected(reason: &'static str) {
    metrics::counter!(WEBHOOKS_REJECTED, "reason" => reason).increment(1);
}

/// Counts a send's outcome.
pub fn send_outcome(result: &'static str, code: Option<i64>) {
    let code = code.map_or_else(|| "none".to_owned(), |code| code.to_string());
    metrics::counter!(SENDS, "result" => result, "code" => code).increment(1);
}

/// Records each request's latency by route pattern (never the raw path: ids would make a
/// series per conversation), method and status class.
pub async fn time_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics::histogram!(REQUEST_SECONDS, "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics` on Parley's own address: with `PARLEY_METRICS_TOKEN` as a bearer token, and
/// not there at all without it.
pub async fn metrics_with_token(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = app.config.metrics.token.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(expected.expose().as_bytes().ct_eq(given.as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    exposition(&app).await
}

/// `GET /metrics` on the metrics' own address (`PARLEY_METRICS_BIND`): whoever reaches it may
/// read it, so bind it where only the scraper can.
pub async fn metrics_open(State(app): State<AppState>) -> Response {
    exposition(&app).await
}

async fn exposition(app: &AppState) -> Response {
    read_gauges(app).await;
    let handle = recorder();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Numbers with sends queued at the last scrape: one that drains reports 0, not its last depth.
static NUMBERS_SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

async fn read_gauges(app: &AppState) {
    let store = &app.services.store;
    let now = app.services.now();
    match store.journal.backlog().await {
        Ok(backlog) => metrics::gauge!(BACKLOG).set(backlog as f64),
        Err(error) => tracing::warn!(%error, "metrics: cannot read the processing backlog"),
    }
    match store.journal.oldest_unprocessed().await {
        Ok(oldest) => {
            let lag = oldest.map_or(0, |at| (now.0 - at.0).max(0));
            metrics::gauge!(JOURNAL_LAG).set(lag as f64 / 1000.0);
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot read the journal's lag"),
    }
    match store.outbox.depth().await {
        Ok(depths) => {
            let mut seen = NUMBERS_SEEN.lock().expect("not poisoned");
            for number in seen.iter() {
                if !depths.iter().any(|(queued, _)| queued == number) {
                    metrics::gauge!(OUTBOX_DEPTH, "phone_number_id" => number.clone()).set(0.0);
                }
            }
            for (number, depth) in depths {
                metrics::gauge!(OUTBOX_DEPTH, "phone_number_id" => number.clone())
                    .set(depth as f64);
                seen.insert(number);
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot read the outbox's depth"),
    }
    metrics::gauge!(STREAMS_OPEN).set(app.live.streams.total() as f64);
    let rates = &app.services.send_rates;
    for number in rates.numbers() {
        let pace = f64::from(rates.of(&number));
        metrics::gauge!(SEND_PACE, "phone_number_id" => number).set(pace);
    }
    for pool in store.pools() {
        let in_use = pool.open as usize - pool.idle.min(pool.open as usize);
        for (state, value) in [
            ("in_use", in_use as f64),
            ("idle", pool.idle as f64),
            ("max", f64::from(pool.max)),
        ] {
            metrics::gauge!(POOL, "pool" => pool.pool, "state" => state).set(value);
        }
    }
}
