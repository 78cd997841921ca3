//! Webhook intake through the real endpoint: signatures, durability, idempotency, every
//! fixture in `server/tests/fixtures`, conversations, windows and the read API.

use crate::on_both_engines;
use crate::support::{APP_SECRET, Engine, TestApp, VERIFY_TOKEN, eventually};
use crate::wa::{self, NUMBER_A, NUMBER_B};
use parley_server::store::ParsedWebhook;
use serde_json::{Value, json};
use std::collections::HashMap;

const HOUR_MS: i64 = 3600 * 1000;

fn reference(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn load_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference(path)).expect("reference file"))
        .expect("JSON")
}

/// Waits until every stored webhook has been processed.
async fn drained(app: &TestApp) {
    eventually("the webhook backlog to drain", || async {
        (app.store.journal.backlog().await.unwrap() == 0).then_some(())
    })
    .await;
}

/// Wire timestamps are whole Unix seconds.
fn millis(unix_seconds: &Value) -> i64 {
    unix_seconds.as_i64().expect("a Unix time in seconds") * 1000
}

/// Gives every message and status id in a fixture case a suffix, so cases that share
/// placeholder ids (`wamid.xyzxyz`) do not collapse into one message.
fn unique_ids(case: &Value, suffix: &str) -> Value {
    let mut case = case.clone();
    for entry in case["entry"].as_array_mut().unwrap() {
        for change in entry["changes"].as_array_mut().unwrap() {
            for list in ["messages", "statuses", "message_echoes"] {
                if let Some(items) = change["value"].get_mut(list).and_then(Value::as_array_mut) {
                    for item in items {
                        if let Some(id) = item.get("id").and_then(Value::as_str) {
                            item["id"] = json!(format!("{id}.{suffix}"));
                        }
                    }
                }
            }
        }
    }
    case
}

on_both_engines!(
    every_pywa_message_fixture_is_stored,
    every_reference_payload_is_accepted,
    batches_redeliveries_and_out_of_order_statuses,
    contacts_merge_across_phone_and_bsuid,
    resolved_conversations_reopen_on_a_new_message,
    one_chunk_with_a_profile_change_and_a_merge,
    nul_characters_in_customer_text_do_not_block_processing,
);

async fn every_pywa_message_fixture_is_stored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let cases = load_json("pywa/updates/message.json");
    for (name, case) in cases.as_object().unwrap() {
        app.deliver(&unique_ids(case, name)).await;
    }
    drained(&app).await;
    let api = app.api().await;
    let stored: HashMap<String, Value> = api
        .all_messages()
        .await
        .into_iter()
        .map(|m| (m["wamid"].as_str().unwrap().to_owned(), m))
        .collect();
    for (name, case) in cases.as_object().unwrap() {
        let wamid = format!(
            "{}.{name}",
            case["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
                .as_str()
                .unwrap()
        );
        let expected = match name.as_str() {
            "reaction" | "unreaction_empty" | "unreaction_no_emoji" => None, // attached to a target, not a message
            "unsupported" | "unsupported_with_type" | "interactive_message_with_err" => {
                Some("unsupported")
            }
            "current_location" | "chosen_location" => Some("location"),
            "voice" => Some("audio"),
            "static_sticker" | "animated_sticker" => Some("sticker"),
            "media_with_url" => Some("image"),
            "reply" | "forwarded" | "forwarded_many_times" | "referral" | "text" => Some("text"),
            other => Some(other),
        };
        match expected {
            None => assert!(
                !stored.contains_key(&wamid),
                "{name} must not be a message of its own"
            ),
            Some(kind) => {
                let message = stored
                    .get(&wamid)
                    .unwrap_or_else(|| panic!("{name} ({wamid}) was not stored"));
                assert_eq!(message["type"], kind, "{name}");
                assert_eq!(message["direction"], "inbound", "{name}");
                assert_eq!(message["status"], "received", "{name}");
            }
        }
    }
    let by_case = |name: &str| {
        stored
            .values()
            .find(|m| m["wamid"].as_str().unwrap().ends_with(&format!(".{name}")))
            .unwrap()
    };
    assert_eq!(by_case("text")["text"], "Body Text");
    assert_eq!(by_case("document")["filename"], "filename.pdf");
    assert_eq!(by_case("document")["text"], "caption");
    assert_eq!(by_case("reply")["reply_to_wamid"], "wamid.xyzxyz==");
    assert_eq!(
        by_case("contacts")["text"],
        "Chandler Bing, Monica, Rachel Green"
    );
    assert_eq!(
        by_case("current_location")["payload"]["location"]["latitude"],
        12.25089
    );
    assert_eq!(
        by_case("unsupported")["payload"]["errors"][0]["code"],
        131051,
        "raw JSON is kept"
    );

    // All came from one customer to one number: one conversation.
    let page = api.conversations("").await;
    let conversations = page["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1);
    let conversation = &conversations[0];
    assert_eq!(conversation["contact"]["name"], "Test Name");
    assert_eq!(conversation["contact"]["wa_id"], "972987654321");
    assert_eq!(conversation["contact"]["bsuid"], "US.13491208655302741918");
    assert_eq!(conversation["phone_number_id"], "1122334455667");
    // The window runs 24 h from the customer's latest message, 72 h from the ad referral.
    let expected_window = cases
        .as_object()
        .unwrap()
        .values()
        .map(|case| &case["entry"][0]["changes"][0]["value"]["messages"][0])
        .filter(|m| m["type"] != "reaction")
        .map(|m| {
            let sent = m["timestamp"].as_str().unwrap().parse::<i64>().unwrap() * 1000;
            sent + if m.get("referral").is_some() { 72 } else { 24 } * HOUR_MS
        })
        .max()
        .unwrap();
    assert_eq!(millis(&conversation["window_expires_at"]), expected_window);
    // Media waits for download; the message is not held back.
    assert!(by_case("image")["media_url"].is_null());
}

async fn every_reference_payload_is_accepted(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut payloads = Vec::new();
    for file in std::fs::read_dir(reference("pywa/updates")).unwrap() {
        let path = file.unwrap().path();
        let cases: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (name, case) in cases.as_object().unwrap() {
            payloads.push((
                format!("{}:{name}", path.file_name().unwrap().to_string_lossy()),
                case.clone(),
            ));
        }
    }
    for name in ["incoming", "sent", "delivered", "read"] {
        payloads.push((
            format!("v25:{name}"),
            load_json(&format!("whatsapp-api-js/v25/{name}.json")),
        ));
    }
    let examples = load_json("meta-openapi/webhook-examples.json");
    for (name, example) in examples.as_object().unwrap() {
        let value: Value = example["value"].clone();
        payloads.push((format!("openapi:{name}"), value));
    }
    assert!(payloads.len() > 90, "{} payloads", payloads.len());
    for (name, payload) in &payloads {
        let body = parley_server::whatsapp::signature::meta_json(&unique_ids(payload, "x"));
        let response = app.post_webhook(body.as_bytes()).await;
        assert_eq!(
            response.status(),
            200,
            "{name}: {}",
            response.text().await.unwrap()
        );
    }
    drained(&app).await;

    let api = app.api().await;
    let page = api.conversations("limit=200").await;
    let conversations = page["conversations"].as_array().unwrap();
    let v25 = conversations
        .iter()
        .find(|c| c["contact"]["wa_id"] == "16315551181")
        .expect("the v25 customer");
    assert_eq!(v25["contact"]["username"], "@testusername");
    assert_eq!(v25["contact"]["bsuid"], "US.13491208655302741918");
    let openapi_text = api
        .all_messages()
        .await
        .into_iter()
        .any(|m| m["type"] == "text" && m["wamid"].as_str().unwrap().starts_with("wamid.HBgL"));
    assert!(openapi_text, "the OpenAPI text example is stored");
}

async fn batches_redeliveries_and_out_of_order_statuses(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let now = wa::now_secs();
    // One POST: two entries, each with two changes on both numbers, several messages each.
    let change = |number: &str, customer: &str, first: i64| {
        wa::messages_change(
            number,
            vec![wa::contact(
                Some(customer),
                None,
                &format!("Customer {customer}"),
            )],
            (0..3)
                .map(|i| {
                    wa::text(
                        &format!("wamid.batch.{number}.{customer}.{i}"),
                        Some(customer),
                        None,
                        first + i,
                        &format!("m{i}"),
                    )
                })
                .collect(),
            vec![],
        )
    };
    let batch = json!({ "object": "whatsapp_business_account", "entry": [
        { "id": "900000000001", "changes": [change(NUMBER_A, "15550001", now - 50), change(NUMBER_B, "15550001", now - 40)] },
        { "id": "900000000001", "changes": [change(NUMBER_A, "15550002", now - 30), change(NUMBER_B, "15550002", now - 20)] },
    ]});
    app.deliver(&batch).await;
    app.deliver(&batch).await; // a byte-identical redelivery
    // The same message again inside a different body.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550001",
        "Customer",
        "wamid.batch.1100000000001.15550001.0",
        now - 50,
        "m0",
    ))
    .await;
    drained(&app).await;
    let api = app.api().await;
    let conversations = api.conversations("").await["conversations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        conversations.len(),
        4,
        "one conversation per customer and number"
    );
    for conversation in &conversations {
        let messages = api.messages(conversation["id"].as_i64().unwrap()).await;
        assert_eq!(messages.len(), 3, "every message once: {messages:?}");
        assert_eq!(conversation["unread_count"], 3);
        assert_eq!(conversation["last_message_preview"], "m2");
    }

    // Statuses out of order for an outbound message: read, then a late sent and delivered.
    app.deliver(&wa::echo(
        NUMBER_A,
        "15550001",
        "wamid.out.1",
        now - 10,
        "Hello from the shop",
    ))
    .await;
    app.deliver(&wa::statuses(
        NUMBER_A,
        vec![wa::status("wamid.out.1", "read", now - 5, "15550001")],
    ))
    .await;
    app.deliver(&wa::statuses(
        NUMBER_A,
        vec![
            wa::status("wamid.out.1", "sent", now - 9, "15550001"),
            wa::status("wamid.out.1", "delivered", now - 8, "15550001"),
        ],
    ))
    .await;
    // A status for a message Parley has not seen yet is kept, and applies when it appears.
    app.deliver(&wa::statuses(
        NUMBER_A,
        vec![wa::status("wamid.out.2", "delivered", now - 3, "15550002")],
    ))
    .await;
    app.deliver(&wa::echo(
        NUMBER_A,
        "15550002",
        "wamid.out.2",
        now - 4,
        "Second",
    ))
    .await;
    // A failure keeps Meta's code, title and details.
    app.deliver(&wa::echo(
        NUMBER_B,
        "15550002",
        "wamid.out.3",
        now - 2,
        "Third",
    ))
    .await;
    app.deliver(&wa::statuses(
        NUMBER_B,
        vec![wa::status("wamid.out.3", "failed", now - 1, "15550002")],
    ))
    .await;
    drained(&app).await;
    let outbound: HashMap<String, Value> = api
        .all_messages()
        .await
        .into_iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| (m["wamid"].as_str().unwrap().to_owned(), m))
        .collect();
    assert_eq!(
        outbound["wamid.out.1"]["status"], "read",
        "a late sent never downgrades read"
    );
    assert_eq!(outbound["wamid.out.2"]["status"], "delivered");
    let failed = &outbound["wamid.out.3"];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], 131047);
    assert_eq!(failed["error"]["title"], "Re-engagement message");
    assert!(
        failed["error"]["details"]
            .as_str()
            .unwrap()
            .contains("24 hours")
    );
}

async fn contacts_merge_across_phone_and_bsuid(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let now = wa::now_secs();
    // Known first by phone, then by username only (no phone), then both at once.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15557770000",
        "Ana",
        "wamid.merge.1",
        now - 30,
        "by phone",
    ))
    .await;
    app.deliver(&wa::notification(vec![wa::messages_change(
        NUMBER_A,
        vec![wa::contact(None, Some("US.777"), "Ana Username")],
        vec![wa::text(
            "wamid.merge.2",
            None,
            Some("US.777"),
            now - 20,
            "by bsuid",
        )],
        vec![],
    )]))
    .await;
    drained(&app).await;
    let api = app.api().await;
    assert_eq!(
        api.conversations("").await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "not yet known to be one person"
    );
    app.deliver(&wa::notification(vec![wa::messages_change(
        NUMBER_A,
        vec![wa::contact(
            Some("15557770000"),
            Some("US.777"),
            "Ana Current",
        )],
        vec![wa::text(
            "wamid.merge.3",
            Some("15557770000"),
            Some("US.777"),
            now - 10,
            "both",
        )],
        vec![],
    )]))
    .await;
    drained(&app).await;
    let conversations = api.conversations("").await["conversations"]
        .as_array()
        .unwrap()
        .clone();
    let contacts: std::collections::HashSet<i64> = conversations
        .iter()
        .map(|c| c["contact"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        contacts.len(),
        1,
        "merged into one contact: {conversations:?}"
    );
    let open: Vec<&Value> = conversations
        .iter()
        .filter(|c| c["status"] == "open")
        .collect();
    assert_eq!(
        open.len(),
        1,
        "one open conversation per contact and number"
    );
    assert_eq!(
        open[0]["contact"]["name"], "Ana Current",
        "the profile name stays current"
    );
    assert_eq!(open[0]["contact"]["wa_id"], "15557770000");
    assert_eq!(open[0]["contact"]["bsuid"], "US.777");
}

/// A NUL character in a customer's text (PostgreSQL's text type refuses it) is stored as
/// U+FFFD instead of leaving the message unprocessable.
async fn nul_characters_in_customer_text_do_not_block_processing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15559990000",
        "Nul\u{0}Name",
        "wamid.nul.1",
        now - 5,
        "before\u{0}after",
    ))
    .await;
    drained(&app).await;
    let api = app.api().await;
    let conversation = &api.conversations("").await["conversations"][0];
    assert_eq!(conversation["contact"]["name"], "Nul\u{FFFD}Name");
    let messages = api.messages(conversation["id"].as_i64().unwrap()).await;
    assert_eq!(messages[0]["text"], "before\u{FFFD}after");
}

/// Processing applies a chunk of events in one transaction and remembers the contacts it has
/// written: a profile changing within the chunk, and a merge that retires a contact another
/// event of the same chunk refers to, still end right. (The outcome is checked, not the path:
/// had the one-transaction pass failed, the per-event fallback would produce the same.)
async fn one_chunk_with_a_profile_change_and_a_merge(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let now = wa::now_secs();
    let bodies = [
        wa::inbound_text(
            NUMBER_A,
            "15558880000",
            "Bea Old",
            "wamid.chunk.1",
            now - 50,
            "one",
        ),
        wa::inbound_text(
            NUMBER_A,
            "15558880000",
            "Bea New",
            "wamid.chunk.2",
            now - 40,
            "two",
        ),
        wa::notification(vec![wa::messages_change(
            NUMBER_A,
            vec![wa::contact(None, Some("US.888"), "Bea")],
            vec![wa::text(
                "wamid.chunk.3",
                None,
                Some("US.888"),
                now - 30,
                "three",
            )],
            vec![],
        )]),
        wa::notification(vec![wa::messages_change(
            NUMBER_A,
            vec![wa::contact(
                Some("15558880000"),
                Some("US.888"),
                "Bea Newest",
            )],
            vec![wa::text(
                "wamid.chunk.4",
                Some("15558880000"),
                Some("US.888"),
                now - 20,
                "four",
            )],
            vec![],
        )]),
        wa::notification(vec![wa::messages_change(
            NUMBER_A,
            vec![],
            vec![wa::text(
                "wamid.chunk.5",
                None,
                Some("US.888"),
                now - 10,
                "five",
            )],
            vec![],
        )]),
    ];
    let events: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let bytes = serde_json::to_vec(body).unwrap();
            let notification =
                parley_server::whatsapp::webhook::Notification::parse(&bytes).unwrap();
            ParsedWebhook::new(-(i as i64) - 1, &bytes, Some(notification))
        })
        .collect();
    let failures = app
        .store
        .intake
        .apply(&events, parley_server::store::Millis::now())
        .await
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    let conversations = app.api().await.conversations("").await["conversations"]
        .as_array()
        .unwrap()
        .clone();
    let open: Vec<&Value> = conversations
        .iter()
        .filter(|c| c["status"] == "open")
        .collect();
    assert_eq!(
        open.len(),
        1,
        "one person, one open conversation: {conversations:?}"
    );
    assert_eq!(open[0]["contact"]["name"], "Bea Newest");
    assert_eq!(open[0]["contact"]["bsuid"], "US.888");
    assert_eq!(
        open[0]["last_message_preview"], "five",
        "the last message joined the kept contact"
    );
}

#[tokio::test]
async fn subscription_verification() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let client = reqwest::Client::new();
    let verify = |mode: &str, token: &str| {
        client
            .get(app.url("/webhooks/whatsapp"))
            .query(&[
                ("hub.mode", mode),
                ("hub.verify_token", token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
    };
    let ok = verify("subscribe", VERIFY_TOKEN).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(verify("subscribe", "wrong").await.unwrap().status(), 403);
    assert_eq!(
        verify("unsubscribe", VERIFY_TOKEN).await.unwrap().status(),
        403
    );
    assert_eq!(
        client
            .get(app.url("/webhooks/whatsapp"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn unsigned_malformed_and_oversized_bodies_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let now = wa::now_secs();
    let forged = parley_server::whatsapp::signature::meta_json(&wa::inbound_text(
        NUMBER_A,
        "15550009",
        "Mallory",
        "wamid.forged",
        now,
        "forged",
    ));
    let client = reqwest::Client::new();
    let post = |signature: Option<String>, body: Vec<u8>| {
        let mut request = client.post(app.url("/webhooks/whatsapp")).body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        request.send()
    };
    assert_eq!(
        post(None, forged.clone().into_bytes())
            .await
            .unwrap()
            .status(),
        401
    );
    let wrong = parley_server::whatsapp::signature::sign(b"not-the-secret", forged.as_bytes());
    assert_eq!(
        post(Some(wrong), forged.clone().into_bytes())
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(Some("sha256=nothex".into()), forged.clone().into_bytes())
            .await
            .unwrap()
            .status(),
        403
    );
    // Signed over re-serialised JSON instead of the raw bytes: refused.
    let reserialised =
        serde_json::to_vec(&serde_json::from_str::<Value>(&forged).unwrap()).unwrap();
    let tampered = parley_server::whatsapp::signature::sign(APP_SECRET.as_bytes(), &reserialised);
    let mut body = forged.clone().into_bytes();
    body.extend_from_slice(b" ");
    assert_eq!(post(Some(tampered), body).await.unwrap().status(), 403);

    let malformed = app
        .post_webhook(b"{\"object\": \"whatsapp_business_account\", \"entry\": [")
        .await;
    assert_eq!(malformed.status(), 400);
    assert!(malformed.text().await.unwrap().contains("not JSON"));
    let not_whatsapp = app.post_webhook(br#"{"object":"page","entry":[]}"#).await;
    assert_eq!(not_whatsapp.status(), 400);
    let oversized = app.post_webhook(&vec![b' '; 5 * 1024 * 1024]).await;
    assert_eq!(oversized.status(), 413);
    // Just under the limit is fine for the size check (and refused only as malformed).
    let big = app.post_webhook(&vec![b' '; 3 * 1024 * 1024]).await;
    assert_eq!(big.status(), 400);

    // Nothing of that was stored; a properly signed message is.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550010",
        "Real",
        "wamid.real",
        now,
        "real",
    ))
    .await;
    drained(&app).await;
    let all = app.api().await.all_messages().await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["wamid"], "wamid.real");
}

#[tokio::test]
async fn escaped_unicode_is_stored_as_sent() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let text = "שלום 👋🏽 مرحبا — café <b>bold</b> & a/b \"quoted\"";
    let payload = wa::inbound_text(
        NUMBER_A,
        "15550011",
        "Zoë 😀 עברית",
        "wamid.unicode",
        wa::now_secs(),
        text,
    );
    let body = parley_server::whatsapp::signature::meta_json(&payload);
    assert!(
        body.is_ascii()
            && body.contains("\\u05e9")
            && body.contains("\\ud83d")
            && body.contains("a\\/b")
    );
    assert_eq!(app.post_webhook(body.as_bytes()).await.status(), 200);
    drained(&app).await;
    let api = app.api().await;
    let message = &api.all_messages().await[0];
    assert_eq!(message["text"], text);
    assert_eq!(
        api.conversations("").await["conversations"][0]["contact"]["name"],
        "Zoë 😀 עברית"
    );
}

#[tokio::test]
async fn service_windows_follow_meta_timestamps() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550020",
        "W",
        "wamid.w.2",
        now - 600,
        "newer",
    ))
    .await;
    // An older message arriving late does not shrink the window or change the preview.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550020",
        "W",
        "wamid.w.1",
        now - 7200,
        "older",
    ))
    .await;
    drained(&app).await;
    let api = app.api().await;
    let conversation = api.conversations("").await["conversations"][0].clone();
    assert_eq!(
        millis(&conversation["window_expires_at"]),
        (now - 600) * 1000 + 24 * HOUR_MS
    );
    assert_eq!(conversation["last_message_preview"], "newer");
    assert_eq!(millis(&conversation["last_message_at"]), (now - 600) * 1000);
    let messages = api.messages(conversation["id"].as_i64().unwrap()).await;
    let texts: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["older", "newer"],
        "threads are in Meta's time order"
    );

    // A click-to-WhatsApp ad is a free entry point: 72 hours.
    let mut from_ad = wa::inbound_text(
        NUMBER_A,
        "15550021",
        "Ad",
        "wamid.w.ad",
        now - 60,
        "saw your ad",
    );
    from_ad["entry"][0]["changes"][0]["value"]["messages"][0]["referral"] = json!({ "source_url": "https://fb.me/ad", "source_type": "ad", "source_id": "1", "ctwa_clid": "x" });
    app.deliver(&from_ad).await;
    drained(&app).await;
    let ad = api.conversations("q=saw%20your%20ad").await["conversations"][0].clone();
    assert_eq!(
        millis(&ad["window_expires_at"]),
        (now - 60) * 1000 + 72 * HOUR_MS
    );
}

#[tokio::test]
async fn conversation_list_pages_filters_and_searches() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let now = wa::now_secs();
    for i in 0..5 {
        let number = if i % 2 == 0 { NUMBER_A } else { NUMBER_B };
        app.deliver(&wa::inbound_text(
            number,
            &format!("1555003000{i}"),
            &format!("Person {i}"),
            &format!("wamid.p.{i}"),
            now - 100 + i,
            &format!("hello {i}"),
        ))
        .await;
    }
    drained(&app).await;
    let api = app.api().await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api.conversations(&format!("limit=2&cursor={cursor}")).await;
        for c in page["conversations"].as_array().unwrap() {
            seen.push(c["contact"]["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["Person 4", "Person 3", "Person 2", "Person 1", "Person 0"],
        "latest activity first, no repeats"
    );

    let on_b = api
        .conversations(&format!("phone_number_id={NUMBER_B}"))
        .await;
    assert_eq!(on_b["conversations"].as_array().unwrap().len(), 2);
    let search = api.conversations("q=hello%203").await;
    assert_eq!(search["conversations"][0]["contact"]["name"], "Person 3");
    assert_eq!(search["conversations"].as_array().unwrap().len(), 1);
    let by_phone = api.conversations("q=155500300").await;
    assert_eq!(by_phone["conversations"].as_array().unwrap().len(), 5);
    let window = api.conversations("order=window").await;
    let names: Vec<&str> = window["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contact"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Person 0", "Person 1", "Person 2", "Person 3", "Person 4"],
        "closing soonest first"
    );
    assert_eq!(
        api.conversations("filter=mine").await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        api.conversations("filter=unassigned").await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let bad = reqwest::Client::new()
        .get(app.url("/api/v1/conversations?filter=everyone"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let anonymous = reqwest::Client::new()
        .get(app.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn live_events_stream_and_resume() {
    use futures_util::StreamExt;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let api = app.api().await;
    let open_stream = |last_event_id: Option<String>| {
        let mut request = api
            .http
            .get(app.url("/api/v1/events"))
            .bearer_auth(&api.token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request.send()
    };
    let response = open_stream(None).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut next_event = async || -> (String, String, String) {
        loop {
            if let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim_start().to_owned())
                        .unwrap_or_default()
                };
                if block.lines().all(|l| l.starts_with(':')) {
                    continue; // keep-alive comment
                }
                return (field("id"), field("event"), field("data"));
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(15), stream.next())
                .await
                .expect("an event in time");
            buffer.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        }
    };
    let (_, ready, _) = next_event().await;
    assert_eq!(ready, "ready");
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550040",
        "Live",
        "wamid.live.1",
        now,
        "first",
    ))
    .await;
    let (id, name, data) = next_event().await;
    assert_eq!(name, "message.created");
    let event: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(event["type"], "message_created");
    assert_eq!(event["message"]["text"], "first");
    assert_eq!(event["conversation"]["contact"]["name"], "Live");

    // Missed while disconnected: replayed after reconnecting with Last-Event-ID, in order.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550040",
        "Live",
        "wamid.live.2",
        now + 1,
        "second",
    ))
    .await;
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550040",
        "Live",
        "wamid.live.3",
        now + 2,
        "third",
    ))
    .await;
    drained(&app).await;
    let resumed = open_stream(Some(id.clone())).await.unwrap();
    let body = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut text = String::new();
        let mut stream = resumed.bytes_stream();
        while !text.contains(r#""text":"third""#) {
            text.push_str(std::str::from_utf8(&stream.next().await.unwrap().unwrap()).unwrap());
        }
        text
    })
    .await
    .expect("replay in time");
    assert!(
        !body.contains(r#""text":"first""#),
        "nothing before Last-Event-ID is sent again"
    );
    let second = body.find(r#""text":"second""#).expect("second replayed");
    assert!(
        second < body.find(r#""text":"third""#).expect("third replayed"),
        "in order"
    );
}

async fn resolved_conversations_reopen_on_a_new_message(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550060",
        "Re",
        "wamid.reopen.1",
        now - 60,
        "first",
    ))
    .await;
    drained(&app).await;
    let api = app.api().await;
    let id = api.conversations("").await["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    app.store
        .conversations
        .change(
            id,
            parley_server::domain::conversation::ConversationChange {
                assignee: None,
                status: Some(parley_server::domain::conversation::StatusChange::Resolved),
                ..Default::default()
            },
            None,
            parley_server::store::Millis::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        api.conversations("status=open").await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A redelivery of the old message does not reopen it…
    app.deliver(&json!({"object": "whatsapp_business_account", "entry": [{"id": "900000000002", "changes": [
        wa::messages_change(NUMBER_A, vec![wa::contact(Some("15550060"), None, "Re")],
            vec![wa::text("wamid.reopen.1", Some("15550060"), None, now - 60, "first")], vec![])]}]})).await;
    drained(&app).await;
    assert_eq!(
        api.conversations("status=resolved").await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // …a new message does, in the same conversation.
    app.deliver(&wa::inbound_text(
        NUMBER_A,
        "15550060",
        "Re",
        "wamid.reopen.2",
        now - 30,
        "again",
    ))
    .await;
    drained(&app).await;
    let open = api.conversations("status=open").await["conversations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"].as_i64().unwrap(), id);
    assert_eq!(api.messages(id).await.len(), 2);
}
