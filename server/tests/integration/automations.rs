//! Automations over HTTP with the worker running: admins write, test, switch and order rules;
//! a keyword rule answers a customer as "Automation" and its run says why; agents get 403.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, eventually};
use crate::wa;
use parley_app::model::Role;
use serde_json::{Value, json};

on_both_engines!(rules_are_written_tested_and_answer_customers,);

fn keyword_rule() -> Value {
    json!({
        "name": "Prices",
        "trigger": "message_received",
        "conditions": [{"field": "message.text", "op": "contains_any", "value": ["price", "价格"]}],
        "actions": [
            {"type": "send_text", "text": "Our prices: example.com/prices"},
            {"type": "add_label", "label": "pricing"},
        ],
    })
}

async fn rules_are_written_tested_and_answer_customers(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = app.api().await;
    let (agent, _) = app.member("Ana", Role::Agent).await;
    let (status, _) = agent.call("GET", "/api/v1/automations", None).await;
    assert_eq!(status, 403, "admins only");
    let (status, _) = agent
        .call("POST", "/api/v1/automations", Some(keyword_rule()))
        .await;
    assert_eq!(status, 403);

    // Refused with what is wrong: a label that does not exist, a pattern that does not compile.
    let (status, body) = admin
        .call("POST", "/api/v1/automations", Some(keyword_rule()))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("no label"),
        "{body}"
    );
    let mut bad = keyword_rule();
    bad["conditions"] = json!([{"field": "message.text", "op": "matches", "value": "(price"}]);
    let (status, body) = admin.call("POST", "/api/v1/automations", Some(bad)).await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("pattern"),
        "{body}"
    );

    let label = json!({"name": "pricing", "colour": "#2563eb"});
    let (status, body) = admin.call("POST", "/api/v1/labels", Some(label)).await;
    assert_eq!(status, 201, "{body}");
    let (status, rule) = admin
        .call("POST", "/api/v1/automations", Some(keyword_rule()))
        .await;
    assert_eq!(status, 201, "{rule}");
    let id = rule["id"].as_i64().unwrap();
    assert_eq!(
        (&rule["enabled"], &rule["match"]),
        (&json!(true), &json!("all"))
    );

    // Tried on samples without acting.
    let sample = json!({"text": "这个价格?"});
    let verdict = admin
        .call(
            "POST",
            &format!("/api/v1/automations/{id}/test"),
            Some(sample),
        )
        .await
        .1;
    assert_eq!(verdict["matched"], true, "{verdict}");
    assert_eq!(verdict["actions"].as_array().unwrap().len(), 2);
    let trial = json!({"rule": keyword_rule(), "sample": {"text": "hello"}});
    let verdict = admin
        .call("POST", "/api/v1/automations/test", Some(trial))
        .await
        .1;
    assert_eq!(verdict["matched"], false);
    assert_eq!(
        verdict["reasons"][0],
        "message.text contains none of the keywords"
    );

    // A customer asks; the worker answers as "Automation" and labels the conversation.
    let asks = wa::inbound_text(
        wa::NUMBER_A,
        "15551801",
        "Lee",
        "wamid.lee.1",
        wa::now_secs(),
        "What's the PRICE?",
    );
    app.deliver(&asks).await;
    let conversation = eventually("Lee's conversation", || async {
        let page = admin.conversations("search=15551801").await;
        page["conversations"][0]["id"].as_i64()
    })
    .await;
    let reply = eventually("the automated reply", || async {
        let thread = admin.messages(conversation).await;
        thread
            .into_iter()
            .find(|m| m["author_name"] == "Automation")
    })
    .await;
    assert_eq!(reply["text"], "Our prices: example.com/prices", "{reply}");
    let runs = admin.get(&format!("/api/v1/automations/{id}/runs")).await;
    assert_eq!(runs[0]["acted"], true, "{runs}");
    assert_eq!(runs[0]["conversation_id"], conversation);
    assert_eq!(runs[0]["actions"][1]["result"], "done");
    let summary = admin
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert!(
        summary["labels"].to_string().contains("pricing"),
        "{summary}"
    );

    // Switched off, moved, deleted.
    let (status, off) = admin
        .call(
            "PATCH",
            &format!("/api/v1/automations/{id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!((status, &off["enabled"]), (200, &json!(false)), "{off}");
    let listed = admin.get("/api/v1/automations").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (status, _) = admin
        .call("DELETE", &format!("/api/v1/automations/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .call("GET", &format!("/api/v1/automations/{id}/runs"), None)
        .await;
    assert_eq!(status, 404);
}
