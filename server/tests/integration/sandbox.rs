//! The simulator behaves like Meta: documented requests answered in the documented shapes,
//! invalid ones refused with Meta's codes, delivery outcomes reported by signed webhooks that
//! Parley's intake accepts.

use crate::support::{APP_SECRET, Engine, TestApp, eventually};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use parley_server::sandbox::{DEMO_NUMBERS, PERSONAS, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "sandbox-test-token";

async fn simulator(adjust: impl FnOnce(&mut SimulatorConfig)) -> Simulator {
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    adjust(&mut config);
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    sim
}

fn messages_url(sim: &Simulator, number: &str) -> String {
    format!("{}/v23.0/{number}/messages", sim.base_url())
}

async fn post(sim: &Simulator, body: &Value) -> (u16, Value) {
    post_from(sim, DEMO_NUMBERS[0].id, body).await
}

async fn post_from(sim: &Simulator, number_id: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(messages_url(sim, number_id))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn create_template(sim: &Simulator, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v23.0/{}/message_templates",
            sim.base_url(),
            parley_server::sandbox::DEMO_WABA_ID
        ))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn list_templates(sim: &Simulator, query: &str) -> Value {
    reqwest::Client::new()
        .get(format!(
            "{}/v23.0/{}/message_templates?{query}",
            sim.base_url(),
            parley_server::sandbox::DEMO_WABA_ID
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn approved(sim: &Simulator, name: &str) -> bool {
    list_templates(sim, &format!("name={name}")).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == name && t["status"] == "APPROVED")
}

/// Collects the webhooks a simulator posts, checking each signature.
#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Value>>>,
}

impl Inbox {
    async fn start() -> (Inbox, String) {
        let inbox = Inbox::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (inbox, url)
    }

    fn template_events(&self, name: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|p| p["entry"][0]["changes"][0].clone())
            .filter(|c| {
                c["field"] == "message_template_status_update"
                    && c["value"]["message_template_name"] == name
            })
            .map(|c| c["value"].clone())
            .collect()
    }

    fn statuses_for(&self, wamid: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|p| {
                p["entry"][0]["changes"][0]["value"]["statuses"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|s| s["id"] == wamid)
            .collect()
    }
}

async fn receive(
    State(inbox): State<Inbox>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    parley_server::whatsapp::signature::verify(APP_SECRET.as_bytes(), &body, signature)
        .expect("signed as Meta signs");
    assert!(
        body.is_ascii(),
        "Meta's bodies are ASCII with escaped unicode"
    );
    inbox
        .received
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    axum::http::StatusCode::OK
}

/// Replaces the placeholders in Meta's examples with values a real client would send.
fn concrete(value: &mut Value, to: &str) {
    match value {
        Value::String(s) if s.contains("{{Recipient-Phone-Number}}") => *s = to.to_owned(),
        Value::String(s) if s.starts_with("<http") || s.starts_with("http(s)://") => {
            *s = "https://example.com/file".into()
        }
        Value::Array(items) => items.iter_mut().for_each(|v| concrete(v, to)),
        Value::Object(map) => map.values_mut().for_each(|v| concrete(v, to)),
        _ => {}
    }
}

#[tokio::test]
async fn meta_documented_requests_get_documented_answers() {
    let sim = simulator(|c| {
        c.messages_per_second = 1000;
        c.pair_burst = 1000;
        c.template_review = Duration::ZERO;
    })
    .await;
    let persona = &PERSONAS[0];
    sim.customer_writes(
        persona,
        json!({"type": "text", "text": {"body": "hi"}}),
        Duration::ZERO,
    );
    let examples: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/meta-openapi/messages-request-examples.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (name, example) in examples.as_object().unwrap() {
        let mut body: Value = example["value"].clone();
        concrete(&mut body, persona.wa_id.unwrap());
        if body.get("to").is_some() {
            body["to"] = json!(persona.wa_id.unwrap()); // some examples name a literal test number
        }
        // Templates must exist and be approved: create the examples' templates first. Names
        // that are placeholders ("template-name") cannot exist, and Meta answers 132001.
        let mut expect_missing_template = false;
        if let Some(template) = body.get("template") {
            let name = template["name"].as_str().unwrap();
            let language = template["language"]["code"].as_str().unwrap();
            let created = create_template(
                &sim,
                &json!({ "name": name, "language": language, "category": "UTILITY",
                "components": [{ "type": "BODY", "text": "Sample body" }] }),
            )
            .await;
            let already_there = created.1["error"]["error_subcode"] == 2388024;
            expect_missing_template = created.0 != 200 && !already_there;
            if !expect_missing_template {
                eventually("the template's approval", || async {
                    approved(&sim, name).await.then_some(())
                })
                .await;
            }
        }
        let (status, answer) = post(&sim, &body).await;
        if expect_missing_template {
            assert_eq!(
                answer["error"]["code"],
                132001,
                "{}: {answer}",
                name.as_str()
            );
            checked += 1;
            continue;
        }
        assert_eq!(status, 200, "{}: {answer}", name.as_str());
        if body.get("status").is_some() {
            assert_eq!(answer, json!({"success": true}));
        } else {
            assert_eq!(answer["messaging_product"], "whatsapp");
            assert_eq!(answer["contacts"][0]["wa_id"], persona.wa_id.unwrap());
            assert!(
                answer["messages"][0]["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("wamid.")
            );
        }
        checked += 1;
    }
    assert_eq!(
        checked, 50,
        "every request example of the messages endpoint"
    );
}

#[tokio::test]
async fn invalid_requests_get_metas_codes() {
    let sim = simulator(|c| {
        c.messages_per_second = 5;
        c.pair_burst = 3;
    })
    .await;
    let to = PERSONAS[2].wa_id.unwrap();
    let text = json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hello"}});

    let wrong_token = reqwest::Client::new()
        .post(messages_url(&sim, DEMO_NUMBERS[0].id))
        .bearer_auth("nope")
        .json(&text)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 401);
    let envelope: Value = wrong_token.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], 190);
    for field in ["message", "type", "code", "error_data", "fbtrace_id"] {
        assert!(envelope["error"].get(field).is_some(), "error.{field}");
    }

    let (status, answer) = post(
        &sim,
        &json!({"to": to, "type": "text", "text": {"body": "no product"}}),
    )
    .await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (400, Some(100)));
    let unknown_number = reqwest::Client::new()
        .post(messages_url(&sim, "999"))
        .bearer_auth(TOKEN)
        .json(&text)
        .send()
        .await
        .unwrap();
    let unknown: Value = unknown_number.json().await.unwrap();
    assert_eq!(
        (
            unknown["error"]["code"].as_i64(),
            unknown["error"]["error_subcode"].as_i64()
        ),
        (Some(100), Some(33))
    );

    // Pair limit: the 4th message to the same customer in the window.
    for _ in 0..3 {
        assert_eq!(post(&sim, &text).await.0, 200);
    }
    let (status, answer) = post(&sim, &text).await;
    assert_eq!(
        (status, answer["error"]["code"].as_i64()),
        (400, Some(131056))
    );
    // Throughput: more than 5 per second from one number.
    let mut codes = Vec::new();
    for persona in PERSONAS.iter().filter(|p| p.wa_id.is_some()).take(4) {
        let mut body = text.clone();
        body["to"] = json!(persona.wa_id.unwrap());
        codes.push(post(&sim, &body).await.1["error"]["code"].as_i64());
    }
    assert!(codes.contains(&Some(130429)), "{codes:?}");

    // Injected faults: the next two calls fail, then calls succeed again (from the other
    // number, whose throughput this second is untouched).
    sim.fail_next(2, 131000, 500);
    let mut body = text.clone();
    body["to"] = json!(PERSONAS[3].wa_id.unwrap());
    let other = DEMO_NUMBERS[1].id;
    assert_eq!(post_from(&sim, other, &body).await.0, 500);
    assert_eq!(
        post_from(&sim, other, &body).await.1["error"]["code"],
        131000
    );
    assert_eq!(post_from(&sim, other, &body).await.0, 200);
}

#[tokio::test]
async fn delivery_outcomes_arrive_as_signed_webhooks() {
    let (inbox, url) = Inbox::start().await;
    let sim = simulator(|c| c.webhook_url = Some(url)).await;
    let talkative = &PERSONAS[0];
    sim.customer_writes(
        talkative,
        json!({"type": "text", "text": {"body": "hi"}}),
        Duration::ZERO,
    );
    let send = |to: &str| json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "Hello 👋"}});
    let delivered = post(&sim, &send(talkative.wa_id.unwrap())).await.1["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = post(&sim, &send("15559998887")).await.1["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let silent = PERSONAS.iter().find(|p| !p.responsive).unwrap();
    let closed = post(&sim, &send(silent.wa_id.unwrap())).await.1["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.opt_out_of_marketing(PERSONAS[1].wa_id.unwrap());
    let template = json!({"messaging_product": "whatsapp", "to": PERSONAS[1].wa_id.unwrap(), "type": "template",
        "template": {"name": "spring_sale", "language": {"code": "en_US"}}});
    let opted_out = post(&sim, &template).await.1["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    eventually("the delivery story", || async {
        let states: Vec<String> = inbox
            .statuses_for(&delivered)
            .iter()
            .map(|s| s["status"].as_str().unwrap().to_owned())
            .collect();
        (states.contains(&"read".to_owned()) && states.contains(&"sent".to_owned())).then_some(())
    })
    .await;
    let failure = |wamid: &str| {
        let wamid = wamid.to_owned();
        let inbox = inbox.clone();
        async move {
            inbox
                .statuses_for(&wamid)
                .iter()
                .find(|s| s["status"] == "failed")
                .map(|s| s["errors"][0]["code"].as_i64().unwrap())
        }
    };
    assert_eq!(eventually("131026", || failure(&unknown)).await, 131026);
    assert_eq!(eventually("131047", || failure(&closed)).await, 131047);
    assert_eq!(eventually("131050", || failure(&opted_out)).await, 131050);
    let sent = inbox
        .statuses_for(&delivered)
        .into_iter()
        .find(|s| s["status"] == "sent")
        .unwrap();
    assert_eq!(sent["pricing"]["pricing_model"], "PMP");
    // A reply inside the customer's window is free, as Meta prices it.
    assert_eq!(sent["pricing"]["category"], "service");
    assert_eq!(sent["pricing"]["type"], "free_customer_service");
    assert_eq!(sent["pricing"]["billable"], false);
}

#[tokio::test]
async fn parley_accepts_the_simulators_webhooks() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let sim = simulator(|c| c.webhook_url = Some(app.url("/webhooks/whatsapp"))).await;
    for persona in PERSONAS {
        let content = parley_server::sandbox::customer_content(&sim, persona);
        sim.customer_writes(persona, content, Duration::ZERO);
    }
    let api = app.api().await;
    let conversations = eventually("every persona's conversation", || async {
        let page = api.conversations("limit=50").await;
        let list = page["conversations"].as_array().unwrap().clone();
        (list.len() == PERSONAS.len()).then_some(list)
    })
    .await;
    let username_only = conversations
        .iter()
        .find(|c| c["contact"]["username"] == "@kenji.t")
        .expect("the username-only persona");
    assert!(username_only["contact"]["wa_id"].is_null());
    assert!(
        username_only["contact"]["bsuid"]
            .as_str()
            .unwrap()
            .starts_with("US.")
    );
    let numbers: std::collections::HashSet<&str> = conversations
        .iter()
        .map(|c| c["phone_number_id"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "customers write to both business numbers");
}

#[tokio::test]
async fn templates_are_validated_reviewed_and_paged() {
    let (inbox, url) = Inbox::start().await;
    let sim = simulator(|c| {
        c.webhook_url = Some(url);
        c.template_review = Duration::from_millis(500);
    })
    .await;
    let body = |name: &str, text: &str| {
        json!({ "name": name, "language": "en_US", "category": "UTILITY",
        "components": [{ "type": "BODY", "text": text, "example": { "body_text": [["Ana", "#1"]] } }] })
    };
    let (status, created) =
        create_template(&sim, &body("order_ready", "Hi {{1}}, order {{2}} is ready")).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert!(
        created["id"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
    );
    let (_, rejected) =
        create_template(&sim, &body("reject_this_one", "Hi {{1}}, order {{2}}")).await;
    assert_eq!(rejected["status"], "PENDING");

    assert_eq!(
        create_template(&sim, &body("Bad-Name", "x")).await.1["error"]["code"],
        100
    );
    let no_examples = json!({ "name": "needs_examples", "language": "en_US", "category": "UTILITY",
        "components": [{ "type": "BODY", "text": "Hi {{1}}" }] });
    assert_eq!(
        create_template(&sim, &no_examples).await.1["error"]["code"],
        100
    );
    let duplicate = create_template(&sim, &body("order_ready", "Hi {{1}} {{2}}"))
        .await
        .1;
    assert_eq!(duplicate["error"]["error_subcode"], 2388024);

    let verdict = |name: &'static str| {
        let inbox = inbox.clone();
        async move { inbox.template_events(name).first().cloned() }
    };
    let approved = eventually("approval webhook", || verdict("order_ready")).await;
    assert_eq!(approved["event"], "APPROVED");
    let rejection = eventually("rejection webhook", || verdict("reject_this_one")).await;
    assert_eq!(rejection["event"], "REJECTED");
    assert_eq!(rejection["reason"], "INVALID_FORMAT");

    // Paged like Meta: follow `paging.next` to the end.
    let mut names = Vec::new();
    let mut page = list_templates(&sim, "limit=2").await;
    loop {
        names.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned()),
        );
        let Some(next) = page["paging"]["next"].as_str() else {
            break;
        };
        page = reqwest::Client::new()
            .get(next)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    assert!(
        names.contains(&"hello_world".to_owned()) && names.contains(&"order_ready".to_owned()),
        "{names:?}"
    );

    // Only approved templates can be sent.
    let send = |name: &str| {
        json!({ "messaging_product": "whatsapp", "to": PERSONAS[0].wa_id.unwrap(), "type": "template",
        "template": { "name": name, "language": { "code": "en_US" } } })
    };
    assert_eq!(post(&sim, &send("order_ready")).await.0, 200);
    assert_eq!(
        post(&sim, &send("reject_this_one")).await.1["error"]["code"],
        132001
    );
    sim.set_template_status("order_ready", "PAUSED", "Low quality");
    assert_eq!(
        post(&sim, &send("order_ready")).await.1["error"]["code"],
        132015
    );
    let paused = eventually("paused webhook", || async {
        inbox
            .template_events("order_ready")
            .into_iter()
            .find(|e| e["event"] == "PAUSED")
    })
    .await;
    assert_eq!(paused["reason"], "Low quality");

    let deleted = reqwest::Client::new()
        .delete(format!(
            "{}/v23.0/{}/message_templates?name=order_ready",
            sim.base_url(),
            parley_server::sandbox::DEMO_WABA_ID
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.json::<Value>().await.unwrap(),
        json!({"success": true})
    );
    assert!(!approved_or_listed(&sim, "order_ready").await);
}

async fn approved_or_listed(sim: &Simulator, name: &str) -> bool {
    list_templates(sim, &format!("name={name}")).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == name)
}
