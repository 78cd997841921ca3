//! Property tests: arbitrary bytes, arbitrary JSON and hostile text against the doors an
//! attacker can reach. They run `PROPTEST_CASES` cases each (scripts/test sets a small number;
//! `PROPTEST_CASES=20000 cargo test -p parley-server --test integration properties` runs long).
//!
//! What must hold whatever comes in: nothing panics; a body without Meta's signature is never
//! stored; the sign-in redirect never leaves Parley's origin; and no message an agent composes
//! makes Parley call the Graph API anywhere but the conversation's own `/messages` edge.

use crate::sending::{app_with_simulator, open_conversation};
use crate::support::{APP_SECRET, Engine, TestApp, eventually};
use parley_server::http::local_target;
use parley_server::whatsapp::signature::{sign, verify};
use parley_server::whatsapp::webhook::Notification;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep, with hostile strings among the ordinary ones.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        hostile_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Names Meta's payloads (and Parley's requests) use, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "object",
            "entry",
            "id",
            "changes",
            "field",
            "value",
            "messages",
            "statuses",
            "contacts",
            "metadata",
            "phone_number_id",
            "from",
            "type",
            "text",
            "body",
            "image",
            "media_id",
            "caption",
            "template",
            "name",
            "language",
            "parameters",
            "interactive",
            "buttons",
            "reaction",
            "message_id",
            "emoji",
            "wa_id",
            "timestamp",
            "context",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ]
}

/// Text as customers and attackers write it: path tricks, control characters, scripts, NUL.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("../_simulator/faults?".to_owned()),
        Just("900000000001/message_templates?".to_owned()),
        Just("%2e%2e/%2F#frag".to_owned()),
        Just("whatsapp_business_account".to_owned()),
        Just("\u{0}\u{202e}مرحبا 你好 🚀".to_owned()),
        "\\PC{0,40}",
        ".{0,20}",
    ]
}

proptest! {
    #[test]
    fn the_webhook_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Notification::parse(&body);
    }

    #[test]
    fn the_webhook_parser_never_panics_on_json(mut value in any_json(), entries in any_json()) {
        if let Some(object) = value.as_object_mut() {
            object.insert("object".into(), json!("whatsapp_business_account"));
            object.insert("entry".into(), json!([entries]));
        }
        let _ = Notification::parse(value.to_string().as_bytes());
    }

    #[test]
    fn only_the_right_signature_verifies(
        body in prop::collection::vec(any::<u8>(), 0..512),
        header in prop_oneof![
            Just(None),
            "\\PC{0,80}".prop_map(Some),
            "sha256=[0-9a-f]{64}".prop_map(Some),
        ],
    ) {
        let right = sign(APP_SECRET.as_bytes(), &body);
        let verdict = verify(APP_SECRET.as_bytes(), &body, header.as_deref());
        prop_assert_eq!(verdict.is_ok(), header.as_deref().map(str::trim) == Some(right.as_str()));
        prop_assert!(verify(APP_SECRET.as_bytes(), &body, Some(&right)).is_ok());
    }

    #[test]
    fn the_sign_in_redirect_stays_on_parley(next in prop_oneof![
        "\\PC{0,30}",
        "/[\\t\\n /\\\\a-z.:@%]{0,20}",
        Just("/\t/evil.example".to_owned()),
    ]) {
        let target = local_target(Some(&next));
        prop_assert!(target == "/inbox" || target == next);
        prop_assert!(target.starts_with('/') && !target.starts_with("//"), "{target:?}");
        prop_assert!(target.bytes().all(|b| b.is_ascii_graphic() && b != b'\\'), "{target:?}");
        let base = reqwest::Url::parse("https://parley.invalid/").unwrap();
        prop_assert_eq!(base.join(target).unwrap().origin(), base.origin());
    }
}

/// A runtime and one app that every case of a property shares.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_unsigned_body_is_never_stored() {
    let runtime = runtime();
    let app = runtime.block_on(TestApp::spawn(Engine::Sqlite));
    let http = reqwest::Client::new();
    proptest!(|(body in any_json(), signature in prop_oneof![
        Just(None),
        "sha256=[0-9a-f]{64}".prop_map(Some),
        "\\PC{0,70}".prop_map(Some),
    ])| {
        let bytes = body.to_string();
        let status = runtime.block_on(async {
            let mut request = http
                .post(app.url("/webhooks/whatsapp"))
                .header("content-type", "application/json")
                .body(bytes.clone());
            if let Some(signature) = &signature {
                request = request.header("x-hub-signature-256", signature);
            }
            request.send().await.unwrap().status()
        });
        prop_assert!(status == 401 || status == 403, "{status} for {signature:?}");
        let stored = runtime.block_on(app.store.journal.backlog()).unwrap();
        prop_assert_eq!(stored, 0);
    });
}

/// A message an agent might ask Parley to send: known types with hostile values, and
/// anything at all.
fn any_send_request() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec![
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "template",
        "interactive",
        "reaction",
        "location",
        "contacts",
        "../x",
    ]);
    let shaped = (
        kind,
        hostile_text(),
        hostile_text(),
        any_json(),
        prop::option::of(hostile_text()),
    )
        .prop_map(|(kind, a, b, extra, reply_to)| {
            let mut request = json!({
                "type": kind,
                "text": a,
                "media_id": b,
                "caption": a,
                "filename": b,
                "template": {"name": a, "language": b, "parameters": [a, b]},
                "interactive": {"type": "button", "body": a, "buttons": [{"id": b, "title": a}]},
                "message_id": b,
                "emoji": "👍",
                "latitude": 1.5,
                "longitude": 2.5,
                "contacts": [{"name": {"formatted_name": a}}],
                "extra": extra,
            });
            if let Some(reply_to) = reply_to {
                request["reply_to"] = json!(reply_to);
            }
            request
        });
    prop_oneof![4 => shaped, 1 => any_json()]
}

#[test]
fn composed_messages_only_ever_reach_their_own_messages_edge() {
    let runtime = runtime();
    let (app, sim, api, conversation) = runtime.block_on(async {
        let (app, sim) = app_with_simulator().await;
        let api = app.api().await;
        let (conversation, _) = open_conversation(&sim, &api).await;
        (app, sim, api, conversation)
    });
    let calls_before = sim.calls().len();
    let path = app.url(&format!("/api/v1/conversations/{conversation}/messages"));
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    proptest!(|(request in any_send_request())| {
        let status = runtime.block_on(async {
            api.http
                .post(&path)
                .bearer_auth(&api.token)
                .json(&request)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
        prop_assert!(matches!(status, 202 | 409 | 422), "{status} for {request}");
        if status == 202 {
            accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    // At least one ordinary reply, so the edge is known to be exercised.
    let status = runtime.block_on(async {
        api.http
            .post(&path)
            .bearer_auth(&api.token)
            .json(&json!({"type": "text", "text": "../_simulator/faults? is just text"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 202);
    eprintln!("{} arbitrary messages were accepted", accepted.into_inner());
    // Every accepted message has been handed to the simulator (or failed) by now.
    runtime.block_on(eventually("the queue to drain", || async {
        let page = api
            .get(&format!(
                "/api/v1/conversations/{conversation}/messages?limit=500"
            ))
            .await;
        page["messages"]
            .as_array()?
            .iter()
            .all(|m| m["status"] != "queued")
            .then_some(())
    }));
    let calls = &sim.calls()[calls_before..];
    assert!(!calls.is_empty());
    for call in calls {
        assert_eq!(
            call, "POST /v23.0/1100000000001/messages",
            "an unexpected Graph call"
        );
    }
}
