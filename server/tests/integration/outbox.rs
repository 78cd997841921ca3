//! Sending through the outbox to the simulator: queued at once, delivered through Meta's
//! statuses; refused outside the window without a Graph call; throttling retried, permanent
//! errors shown with Meta's code.

use crate::on_both_engines;
use crate::support::{APP_SECRET, Engine, TestApp, eventually};
use parley_server::config::Secret;
use parley_server::sandbox::{PERSONAS, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "outbox-test-token";

async fn app_with_simulator() -> (TestApp, Simulator) {
    app_with_simulator_on(Engine::Sqlite).await
}

async fn app_with_simulator_on(engine: Engine) -> (TestApp, Simulator) {
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let graph_url = sim.base_url();
    let app = TestApp::spawn_with(engine, move |c| {
        c.whatsapp.access_token = Some(Secret::new(TOKEN));
        c.whatsapp.graph_url = graph_url;
    })
    .await;
    sim.set_webhook_url(app.url("/webhooks/whatsapp"));
    (app, sim)
}

async fn conversation_of(api: &crate::support::ApiClient, name: &str) -> i64 {
    let name = name.to_owned();
    eventually("the conversation", || async {
        let page = api.conversations("limit=50").await;
        page["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["contact"]["name"] == name.as_str())
            .map(|c| c["id"].as_i64().unwrap())
    })
    .await
}

async fn send(
    app: &TestApp,
    api: &crate::support::ApiClient,
    id: i64,
    body: Value,
) -> (u16, Value) {
    let response = api
        .http
        .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Waits until the message reaches one of `statuses`; returns it.
async fn until_status(
    api: &crate::support::ApiClient,
    conversation: i64,
    message: i64,
    statuses: &[&str],
) -> Value {
    eventually(&format!("message {message} to be {statuses:?}"), || async {
        let m = status_of(api, conversation, message).await;
        statuses
            .contains(&m["status"].as_str().unwrap_or_default())
            .then_some(m)
    })
    .await
}

/// The send requests the simulated Meta accepted with this text body.
fn accepted_with_body(sim: &Simulator, body: &str) -> Vec<Value> {
    sim.accepted()
        .into_iter()
        .filter(|a| a["text"]["body"] == body)
        .collect()
}

async fn status_of(api: &crate::support::ApiClient, conversation: i64, message: i64) -> Value {
    api.messages(conversation)
        .await
        .into_iter()
        .find(|m| m["id"] == message)
        .unwrap()
}

on_both_engines!(replies_are_queued_sent_and_delivered);

async fn replies_are_queued_sent_and_delivered(engine: Engine) {
    let (app, sim) = app_with_simulator_on(engine).await;
    let amira = &PERSONAS[0];
    sim.customer_writes(
        amira,
        json!({"type": "text", "text": {"body": "Hello?"}}),
        Duration::ZERO,
    );
    let api = app.api().await;
    let id = conversation_of(&api, amira.name).await;

    let (status, queued) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "Hi Amira! 👋 Your order ships today."}),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["direction"], "outbound");
    assert!(
        queued["author_name"].as_str().unwrap().starts_with("api-"),
        "the sender is named"
    );
    let message = queued["id"].as_i64().unwrap();
    let delivered = until_status(&api, id, message, &["delivered", "read"]).await;
    assert!(delivered["wamid"].as_str().unwrap().starts_with("wamid."));
    let sent = sim.accepted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], amira.wa_id.unwrap());
    assert_eq!(
        sent[0]["text"]["body"],
        "Hi Amira! 👋 Your order ships today."
    );

    let (status, invalid) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "x".repeat(4097)}),
    )
    .await;
    assert_eq!((status, invalid["error"].as_str()), (422, Some("invalid")));
}

#[tokio::test]
async fn a_closed_window_refuses_free_form_without_calling_meta() {
    let (app, sim) = app_with_simulator().await;
    let quiet = PERSONAS.iter().find(|p| !p.responsive).unwrap();
    let two_days_ago = parley_server::store::Millis::now().0 - 48 * 3600 * 1000;
    sim.customer_writes_at(
        quiet,
        json!({"type": "text", "text": {"body": "old"}}),
        Duration::ZERO,
        two_days_ago,
    );
    let api = app.api().await;
    let id = conversation_of(&api, quiet.name).await;
    let (status, refused) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "Are you still there?"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(refused["error"], "window_closed");
    assert!(refused["window_expires_at"].is_i64());
    assert!(sim.accepted().is_empty(), "no Graph call");
    assert_eq!(api.messages(id).await.len(), 1, "nothing queued");
}

#[tokio::test]
async fn throttling_is_retried_and_permanent_errors_are_shown() {
    let (app, sim) = app_with_simulator().await;
    let amira = &PERSONAS[0];
    sim.customer_writes(
        amira,
        json!({"type": "text", "text": {"body": "Hello?"}}),
        Duration::ZERO,
    );
    let api = app.api().await;
    let id = conversation_of(&api, amira.name).await;

    sim.fail_next(2, 130429, 400);
    let (_, queued) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "After two throttles"}),
    )
    .await;
    let message = queued["id"].as_i64().unwrap();
    until_status(&api, id, message, &["delivered", "read"]).await;
    let accepted = accepted_with_body(&sim, "After two throttles");
    assert_eq!(accepted.len(), 1, "sent exactly once");

    sim.fail_next(1, 100, 400);
    let (_, queued) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "Refused for good"}),
    )
    .await;
    let message = queued["id"].as_i64().unwrap();
    let failed = until_status(&api, id, message, &["failed"]).await;
    assert_eq!(failed["error"]["code"], 100);
    assert!(
        failed["error"]["title"]
            .as_str()
            .unwrap()
            .contains("Injected")
    );
}

#[tokio::test]
async fn failed_messages_can_be_retried_and_queued_ones_cancelled() {
    let (app, sim) = app_with_simulator().await;
    let amira = &PERSONAS[0];
    sim.customer_writes(
        amira,
        json!({"type": "text", "text": {"body": "Hello?"}}),
        Duration::ZERO,
    );
    let api = app.api().await;
    let id = conversation_of(&api, amira.name).await;
    let post = |path: String| {
        let request = api.http.post(app.url(&path)).bearer_auth(&api.token);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    sim.fail_next(1, 100, 400);
    let (_, queued) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "Second time lucky"}),
    )
    .await;
    let message = queued["id"].as_i64().unwrap();
    until_status(&api, id, message, &["failed"]).await;
    let (status, retried) = post(format!("/api/v1/messages/{message}/retry")).await;
    assert_eq!(
        (status, retried["status"].as_str()),
        (202, Some("queued")),
        "{retried}"
    );
    until_status(&api, id, message, &["delivered", "read"]).await;
    let sent = accepted_with_body(&sim, "Second time lucky");
    assert_eq!(sent.len(), 1, "the retry really sent it");
    let (status, _) = post(format!("/api/v1/messages/{message}/retry")).await;
    assert_eq!(status, 409, "a delivered message cannot be retried");

    // The sender hangs on one call, so the next reply waits in the queue: it can be cancelled.
    sim.hang_next(1);
    let sends_to_meta = || {
        sim.calls()
            .iter()
            .filter(|c| c.starts_with("POST ") && c.ends_with("/messages"))
            .count()
    };
    let before = sends_to_meta();
    send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "stuck at Meta"}),
    )
    .await;
    eventually("the sender to be held by Meta", || async {
        (sends_to_meta() > before).then_some(())
    })
    .await;
    let (_, waiting) = send(
        &app,
        &api,
        id,
        json!({"type": "text", "text": "never mind"}),
    )
    .await;
    let waiting = waiting["id"].as_i64().unwrap();
    let (status, cancelled) = post(format!("/api/v1/messages/{waiting}/cancel")).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "failed");
    assert_eq!(cancelled["error"]["title"], "Cancelled");
    let (status, _) = post(format!("/api/v1/messages/{waiting}/cancel")).await;
    assert_eq!(status, 409);
}
