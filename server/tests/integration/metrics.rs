//! `/metrics`: off by default, behind a bearer token on Parley's own address or open on an
//! address of its own, in Prometheus' text format with what operators watch.

use crate::processes::free_port;
use crate::sending::{app_with_simulator_and, open_conversation};
use crate::support::{Engine, TestApp, eventually};
use parley_server::config::Secret;
use serde_json::json;

const TOKEN: &str = "scrape-token-for-tests";

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (status, _) = scrape(&app.url("/metrics"), Some(TOKEN)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn metrics_need_the_token_and_show_intake_sends_streams_pools_and_latency() {
    let (app, sim) = app_with_simulator_and(|config| {
        config.metrics.token = Some(Secret::new(TOKEN));
    })
    .await;
    for token in [None, Some("wrong-token")] {
        let (status, body) = scrape(&app.url("/metrics"), token).await;
        assert_eq!(status, 401, "{body}");
    }
    let forged = reqwest::Client::new()
        .post(app.url("/webhooks/whatsapp"))
        .header("x-hub-signature-256", "sha256=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let api = app.api().await;
    let (conversation, _) = open_conversation(&sim, &api).await;
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(json!({"type": "text", "text": "Measured"})),
        )
        .await;
    assert_eq!(status, 202);
    let _stream = api.events().await;
    let body = eventually("the send counted", || async {
        let (status, body) = scrape(&app.url("/metrics"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        body.contains("parley_sends_total{").then_some(body)
    })
    .await;
    for expected in [
        "parley_webhooks_received_total",
        "parley_webhooks_rejected_total{reason=\"bad_signature\"}",
        "parley_sends_total{result=\"accepted\",code=\"none\"}",
        "parley_processing_backlog",
        "parley_journal_lag_seconds",
        "parley_event_streams_open",
        "parley_db_pool_connections{pool=\"main\",state=\"in_use\"}",
        "parley_http_request_duration_seconds_bucket{route=\"/api/v1/conversations/{id}/messages\",method=\"POST\",status=\"2xx\",le=\"0.005\"}",
    ] {
        assert!(
            body.contains(expected),
            "{expected} is missing from:\n{body}"
        );
    }
    assert!(
        !body.contains(&format!("/api/v1/conversations/{conversation}/")),
        "routes are labelled by pattern, never by id"
    );
}

#[tokio::test]
async fn metrics_on_their_own_address_need_no_token() {
    let port = free_port();
    let app = TestApp::spawn_with(Engine::Postgres, move |config| {
        config.metrics.bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    let (status, body) = scrape(&format!("http://127.0.0.1:{port}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(body.contains("parley_processing_backlog"), "{body}");
    // Not on Parley's own address without a token.
    let (status, _) = scrape(&app.url("/metrics"), None).await;
    assert_eq!(status, 404);
}
