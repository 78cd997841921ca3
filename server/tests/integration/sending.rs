//! Every message type through `POST /api/v1/conversations/{id}/messages` to the simulator, as
//! Meta documents them; Meta's limits refused up front with 422; uploads reused; read receipts.

use crate::support::{APP_SECRET, ApiClient, Engine, TestApp, conversation_ids, eventually};
use parley_server::config::Secret;
use parley_server::sandbox::{DEMO_APP_ID, DEMO_WABA_ID, PERSONAS, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "sending-test-token";

pub async fn app_with_simulator() -> (TestApp, Simulator) {
    app_with_simulator_and(|_| {}).await
}

/// A Parley with its own simulated Cloud API (and WABA), adjusted by `adjust`.
pub async fn app_with_simulator_and(
    adjust: impl FnOnce(&mut parley_server::config::Config) + Send + 'static,
) -> (TestApp, Simulator) {
    app_with_adjusted_simulator(|_| {}, adjust).await
}

/// The same, with the simulator adjusted by `adjust_simulator` too.
pub async fn app_with_adjusted_simulator(
    adjust_simulator: impl FnOnce(&mut SimulatorConfig),
    adjust: impl FnOnce(&mut parley_server::config::Config) + Send + 'static,
) -> (TestApp, Simulator) {
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    adjust_simulator(&mut config);
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let graph_url = sim.base_url();
    let app = TestApp::spawn_with(Engine::Sqlite, move |c| {
        c.whatsapp.access_token = Some(Secret::new(TOKEN));
        c.whatsapp.graph_url = graph_url;
        c.whatsapp.waba_id = Some(DEMO_WABA_ID.parse().unwrap());
        c.whatsapp.app_id = Some(DEMO_APP_ID.parse().unwrap());
        adjust(c);
    })
    .await;
    sim.set_webhook_url(app.url("/webhooks/whatsapp"));
    (app, sim)
}

/// A conversation with the first persona, window open, and the id of their message.
pub async fn open_conversation(sim: &Simulator, api: &ApiClient) -> (i64, String) {
    let amira = &PERSONAS[0];
    sim.customer_writes(
        amira,
        json!({"type": "text", "text": {"body": "Hello?"}}),
        Duration::ZERO,
    );
    eventually("the conversation", || async {
        let page = api.conversations("limit=50").await;
        let id = page["conversations"]
            .as_array()?
            .iter()
            .find(|c| c["contact"]["name"] == amira.name)?["id"]
            .as_i64()?;
        let wamid = api.messages(id).await.first()?["wamid"]
            .as_str()?
            .to_owned();
        Some((id, wamid))
    })
    .await
}

pub async fn post_json(app: &TestApp, api: &ApiClient, path: &str, body: Value) -> (u16, Value) {
    let response = api
        .http
        .post(app.url(path))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn upload(
    app: &TestApp,
    api: &ApiClient,
    conversation: i64,
    bytes: &'static [u8],
    name: &str,
    mime: &str,
) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("conversation_id", conversation.to_string())
        .part("file", part);
    let response = api
        .http
        .post(app.url("/api/v1/media"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n a small picture";
const PDF: &[u8] = b"%PDF-1.4 an invoice";

#[tokio::test]
async fn every_message_type_reaches_meta_as_documented() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (id, customer_wamid) = open_conversation(&sim, &api).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    eventually("templates synced at start-up", || async {
        let list = api.get("/api/v1/templates").await;
        (list["templates"].as_array()?.len() >= 4).then_some(())
    })
    .await;

    let (status, image) = upload(&app, &api, id, PNG, "photo.png", "image/png").await;
    assert_eq!(status, 201, "{image}");
    assert_eq!(image["type"], "image");
    let (_, again) = upload(&app, &api, id, PNG, "photo.png", "image/png").await;
    assert_eq!(
        again["media_id"], image["media_id"],
        "the same file is uploaded once"
    );
    assert_eq!(again["reused"], true);
    let (status, pdf) = upload(&app, &api, id, PDF, "invoice.pdf", "application/pdf").await;
    assert_eq!(
        (status, pdf["type"].as_str()),
        (201, Some("document")),
        "{pdf}"
    );

    let requests = [
        json!({"type": "text", "text": "Plain text", "reply_to": customer_wamid}),
        json!({"type": "image", "media_id": image["media_id"], "caption": "Your parcel"}),
        json!({"type": "document", "media_id": pdf["media_id"], "caption": "Invoice"}),
        json!({"type": "template", "template": {"name": "order_update", "language": "en_US", "parameters": ["Amira", "#4471"]}}),
        json!({"type": "interactive", "interactive": {"type": "button", "body": "Did it arrive?",
            "buttons": [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]}}),
        json!({"type": "interactive", "interactive": {"type": "list", "body": "Pick a slot", "button": "Slots",
            "sections": [{"title": "Monday", "rows": [{"id": "m9", "title": "9:00"}, {"id": "m10", "title": "10:00", "description": "Busy"}]}]}}),
        json!({"type": "interactive", "interactive": {"type": "cta_url", "body": "Track it", "display_text": "Track",
            "url": "https://example.com/track"}}),
        json!({"type": "reaction", "message_id": customer_wamid, "emoji": "👍"}),
        json!({"type": "location", "latitude": 52.52, "longitude": 13.405, "name": "Shop", "address": "Berlin"}),
        json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Support Desk", "first_name": "Support"},
            "phones": [{"phone": "+4930123456", "type": "WORK"}]}]}),
    ];
    let mut queued = Vec::new();
    for request in &requests {
        let (status, message) = post_json(&app, &api, &path, request.clone()).await;
        assert_eq!(status, 202, "{request} → {message}");
        assert_eq!(message["status"], "queued");
        queued.push(message);
    }
    let ids: Vec<i64> = queued.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    eventually("every message accepted by Meta", || async {
        let messages = api.messages(id).await;
        ids.iter()
            .all(|mid| {
                messages
                    .iter()
                    .any(|m| m["id"] == *mid && m["wamid"].as_str().is_some())
            })
            .then_some(())
    })
    .await;

    let sent = sim.accepted();
    let kinds: Vec<&str> = sent.iter().filter_map(|s| s["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "document",
            "template",
            "interactive",
            "interactive",
            "interactive",
            "reaction",
            "location",
            "contacts"
        ]
    );
    assert_eq!(
        sent[0]["context"]["message_id"], customer_wamid,
        "quoted reply"
    );
    assert_eq!(sent[2]["document"]["filename"], "invoice.pdf");
    assert_eq!(
        sent[3]["template"]["components"][0]["parameters"][1]["text"],
        "#4471"
    );
    assert_eq!(
        queued[3]["text"],
        "Hi Amira, your order #4471 is on its way."
    );
    let messages = api.messages(id).await;
    let shown = messages.iter().find(|m| m["id"] == ids[1]).unwrap();
    assert_eq!(
        shown["media_url"],
        format!("/api/v1/media/{}", image["media_id"].as_str().unwrap()),
        "the thread shows the uploaded file from Parley's copy"
    );
    let reacted = messages
        .iter()
        .find(|m| m["wamid"] == customer_wamid.as_str())
        .unwrap();
    assert_eq!(reacted["reactions"][0]["emoji"], "👍");
}

#[tokio::test]
async fn metas_limits_are_refused_up_front_with_422() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (id, _) = open_conversation(&sim, &api).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let four_buttons: Vec<Value> = (0..4)
        .map(|i| json!({"id": format!("b{i}"), "title": format!("B{i}")}))
        .collect();
    let eleven_rows: Vec<Value> = (0..11)
        .map(|i| json!({"id": format!("r{i}"), "title": format!("Row {i}")}))
        .collect();
    let refused = [
        (json!({"type": "text", "text": "x".repeat(4097)}), "4096"),
        (
            json!({"type": "interactive", "interactive": {"type": "button", "body": "b", "buttons": four_buttons}}),
            "between 1 and 3",
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "list", "body": "b", "button": "Go",
            "sections": [{"rows": eleven_rows}]}}),
            "between 1 and 10",
        ),
        (
            json!({"type": "image", "media_id": "never-uploaded"}),
            "upload the file",
        ),
        (
            json!({"type": "image", "media_id": "m", "caption": "c".repeat(1025)}),
            "1024",
        ),
        (
            json!({"type": "template", "template": {"name": "no_such_template", "language": "en_US"}}),
            "no template",
        ),
        (
            json!({"type": "template", "template": {"name": "order_update", "language": "en_US", "parameters": ["only one"]}}),
            "takes 2",
        ),
        (
            json!({"type": "reaction", "message_id": "wamid.elsewhere", "emoji": "👍"}),
            "this conversation",
        ),
        (
            json!({"type": "location", "latitude": 91.0, "longitude": 0.0}),
            "latitude",
        ),
        (json!({"type": "carrier_pigeon"}), "not a message"),
    ];
    for (request, expected) in refused {
        let (status, answer) = post_json(&app, &api, &path, request.clone()).await;
        assert_eq!(status, 422, "{request} → {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
    let (status, svg) = upload(
        &app,
        &api,
        id,
        b"<svg onload=alert(1)>",
        "x.svg",
        "image/svg+xml",
    )
    .await;
    assert_eq!(status, 422, "{svg}");
    assert!(sim.accepted().is_empty(), "nothing reached Meta");
    assert_eq!(api.messages(id).await.len(), 1, "nothing queued");
}

#[tokio::test]
async fn reading_a_conversation_sends_a_read_receipt() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (id, wamid) = open_conversation(&sim, &api).await;
    let (status, _) = post_json(
        &app,
        &api,
        &format!("/api/v1/conversations/{id}/read"),
        json!({"typing": true}),
    )
    .await;
    assert_eq!(status, 204);
    let receipts = sim.read_receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0]["message_id"], wamid);
    assert_eq!(receipts[0]["typing_indicator"]["type"], "text");
    let conversation = api.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conversation["unread_count"], 0);

    // While an agent writes in the inbox, the customer sees "typing…".
    let browser = app.browser();
    app.add_user(
        "typist@example.com",
        parley_app::model::Role::Agent,
        "correct horse",
    )
    .await;
    app.sign_in(&browser, "typist@example.com", "correct horse")
        .await;
    let typing = browser
        .post(app.url("/rpc/agent_typing"))
        .header("origin", app.origin())
        .form(&[("conversation_id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(typing.status().as_u16(), 200);
    let receipts = sim.read_receipts();
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[1]["typing_indicator"]["type"], "text");
}

#[tokio::test]
async fn the_configured_send_rate_is_never_exceeded_and_order_is_kept() {
    const RATE: usize = 20;
    // Meta's side enforces the same cap: what would exceed it is refused (130429).
    let (app, sim) = app_with_adjusted_simulator(
        |s| s.messages_per_second = RATE,
        |c| c.send_rate = Some(RATE as u32),
    )
    .await;
    let api = app.api().await;
    // Customers on one business number, each with an open window.
    let number = PERSONAS[0].number;
    let customers: Vec<_> = PERSONAS.iter().filter(|p| p.number == number).collect();
    for persona in &customers {
        sim.customer_writes(
            persona,
            json!({"type": "text", "text": {"body": "Hi"}}),
            Duration::ZERO,
        );
    }
    let conversations: Vec<i64> = eventually("the conversations", || async {
        let page = api.conversations("limit=50").await;
        let ids = conversation_ids(&page)?;
        (ids.len() == customers.len()).then_some(ids)
    })
    .await;
    let total = 80;
    for i in 0..total {
        let id = conversations[i % conversations.len()];
        let (status, _) = post_json(
            &app,
            &api,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": format!("Burst message {i}")}),
        )
        .await;
        assert_eq!(status, 202);
    }
    eventually("every burst message sent", || async {
        (sim.accepted_count() >= total).then_some(())
    })
    .await;
    // What Meta (the simulator) admitted never exceeds the cap: it refuses a send that would,
    // and Parley retries it in order.
    let times = sim.accepted_times();
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(
            in_window <= RATE,
            "{in_window} sends within one second (cap {RATE})"
        );
    }
    // Parley paces its own starts, so refusals are rare (jitter between its clock and the
    // simulator's can cause one); unpaced, most of this burst would be refused. How close to
    // the cap the sender gets is measured by `bench/run --only send`.
    assert!(
        sim.throughput_refusals() <= total / 16,
        "{} of {total} sends refused as too fast: the sender is not pacing",
        sim.throughput_refusals()
    );
    // Each customer's messages arrived in the order they were queued.
    for persona in &customers {
        let to = persona.address();
        let order: Vec<usize> = sim
            .accepted()
            .iter()
            .filter(|a| a["to"] == to)
            .filter_map(|a| {
                a["text"]["body"]
                    .as_str()?
                    .strip_prefix("Burst message ")?
                    .parse()
                    .ok()
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "in queue order for {to}");
    }
}
