//! Templates against the simulator: synced at start-up, submitted and reviewed (PENDING →
//! APPROVED or REJECTED, told by status webhooks), each change in the timeline; paused
//! templates in use raise the banner; agents read approved templates only.

use crate::sending::{PNG, app_with_simulator, open_conversation, post_json, upload};
use crate::support::{Engine, TestApp, eventually};
use parley_app::model::Role;
use serde_json::{Value, json};

pub(crate) async fn template_named(api: &crate::support::ApiClient, name: &str) -> Value {
    let name = name.to_owned();
    eventually(&format!("template {name}"), || async {
        let list = api.get("/api/v1/templates").await;
        list["templates"]
            .as_array()?
            .iter()
            .find(|t| t["name"] == name.as_str())
            .cloned()
    })
    .await
}

/// The newest entry of a template's timeline.
fn last_change(detail: &Value) -> Value {
    detail["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("a timeline entry")
}

#[tokio::test]
async fn submitted_templates_are_tracked_through_review() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let seeded = template_named(&api, "hello_world").await;
    assert_eq!(seeded["status"], "APPROVED");
    assert_eq!(seeded["category"], "UTILITY");

    let body = json!({ "name": "delivery_window", "language": "en_US", "category": "UTILITY",
        "components": [{ "type": "BODY", "text": "Hi {{1}}, we deliver between {{2}}.",
                         "example": { "body_text": [["Ana", "9 and 11"]] } }] });
    let (status, created) = post_json(&app, &api, "/api/v1/templates", body.clone()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let detail = eventually("the review's verdict", || async {
        let detail = api.get(&format!("/api/v1/templates/{id}")).await;
        (detail["template"]["status"] != "PENDING").then_some(detail)
    })
    .await;
    let timeline: Vec<(String, String)> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(timeline[0], ("submitted".into(), "PENDING".into()));
    assert_eq!(timeline[1], ("status".into(), "PENDING".into()));
    assert_eq!(
        timeline.last().unwrap(),
        &("status".into(), "APPROVED".into())
    );
    assert_eq!(last_change(&detail)["source"], "webhook");

    // A marketing template asking for a password is rejected, with Meta's reason.
    let phishy = json!({ "name": "account_check", "language": "en_US", "category": "MARKETING",
        "components": [{ "type": "BODY", "text": "Reply with your password to keep your account." }] });
    let (status, created) = post_json(&app, &api, "/api/v1/templates", phishy).await;
    assert_eq!(status, 201, "{created}");
    let rejected_id = created["id"].as_str().unwrap().to_owned();
    let rejected = eventually("the rejection", || async {
        let detail = api.get(&format!("/api/v1/templates/{rejected_id}")).await;
        (detail["template"]["status"] == "REJECTED").then_some(detail)
    })
    .await;
    assert_eq!(
        rejected["template"]["rejected_reason"],
        "INCORRECT_CATEGORY"
    );
    let last = last_change(&rejected);
    assert_eq!(
        (last["value"].as_str(), last["reason"].as_str()),
        (Some("REJECTED"), Some("INCORRECT_CATEGORY"))
    );

    let (status, duplicate) = post_json(&app, &api, "/api/v1/templates", body).await;
    assert_eq!(
        status, 422,
        "Meta's objection, in Meta's words: {duplicate}"
    );
    assert!(
        duplicate["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    let (status, bad_name) = post_json(
        &app,
        &api,
        "/api/v1/templates",
        json!({ "name": "Bad Name", "language": "en_US", "category": "UTILITY", "components": [] }),
    )
    .await;
    assert_eq!(status, 422, "{bad_name}");

    let deleted = api
        .http
        .delete(app.url(&format!("/api/v1/templates/{id}")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let detail = api.get(&format!("/api/v1/templates/{id}")).await;
    assert_eq!(detail["template"]["status"], "DELETED");
    assert_eq!(last_change(&detail)["kind"], "deleted");
    drop(sim);
}

#[tokio::test]
async fn a_paused_template_in_use_is_flagged_and_can_no_longer_be_sent() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (conversation, _) = open_conversation(&sim, &api).await;
    template_named(&api, "spring_sale").await;
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let sale =
        json!({"type": "template", "template": {"name": "spring_sale", "language": "en_US"}});
    // A marketing template goes only to a customer who opted in.
    let (status, refused) = post_json(&app, &api, &path, sale.clone()).await;
    assert_eq!(status, 422, "{refused}");
    let contact = api
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await["contact"]["id"]
        .as_i64()
        .unwrap();
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/contacts/{contact}/consent"),
            Some(json!({"state": "opted_in", "source": "agent", "note": "asked for offers"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, sent) = post_json(&app, &api, &path, sale.clone()).await;
    assert_eq!(status, 202, "{sent}");

    sim.set_template_status("spring_sale", "PAUSED", "Low quality");
    let paused = eventually("the pause to arrive", || async {
        let t = template_named(&api, "spring_sale").await;
        (t["status"] == "PAUSED").then_some(t)
    })
    .await;
    let id = paused["id"].as_str().unwrap();
    let detail = api.get(&format!("/api/v1/templates/{id}")).await;
    let last = last_change(&detail);
    assert_eq!(
        (last["value"].as_str(), last["source"].as_str()),
        (Some("PAUSED"), Some("webhook"))
    );
    assert_eq!(last["reason"], "Low quality");

    let (status, refused) = post_json(&app, &api, &path, sale).await;
    assert_eq!(status, 422);
    assert!(refused["message"].as_str().unwrap().contains("PAUSED"));

    // The admins' banner lists it (it was sent in the last 30 days); agents see no banner.
    let admin = app.browser();
    app.add_user("boss@example.com", Role::Admin, "correct horse")
        .await;
    app.sign_in(&admin, "boss@example.com", "correct horse")
        .await;
    let alerts = rpc(&app, &admin, "admin_alerts").await;
    assert_eq!(alerts["templates"][0]["name"], "spring_sale", "{alerts}");
    assert_eq!(alerts["token_problem"], Value::Null);
    let agent = app.browser();
    app.add_user("agent@example.com", Role::Agent, "correct horse")
        .await;
    app.sign_in(&agent, "agent@example.com", "correct horse")
        .await;
    let nothing = rpc(&app, &agent, "admin_alerts").await;
    assert_eq!(nothing["templates"], json!([]));

    // An expired token (190) fails the send for good and raises the admins' banner.
    sim.fail_next(1, 190, 401);
    let (_, queued) = post_json(&app, &api, &path, json!({"type": "text", "text": "token?"})).await;
    let message = queued["id"].as_i64().unwrap();
    let failed = eventually("the send to fail", || async {
        let m = api
            .messages(conversation)
            .await
            .into_iter()
            .find(|m| m["id"] == message)?;
        (m["status"] == "failed").then_some(m)
    })
    .await;
    assert_eq!(failed["error"]["code"], 190);
    let alerts = rpc(&app, &admin, "admin_alerts").await;
    assert!(alerts["token_problem"].as_str().is_some(), "{alerts}");
}

async fn rpc(app: &TestApp, client: &reqwest::Client, name: &str) -> Value {
    client
        .post(app.url(&format!("/rpc/{name}")))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn agents_read_approved_templates_only_and_cannot_manage_them() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let agent = app
        .add_user("agent@example.com", Role::Agent, "correct horse")
        .await;
    let minted = crate::support::mint_token(&app.store, agent.id).await;
    let store = app.store.clone();
    let record = |id: &str, name: &str, status: &str| parley_server::store::TemplateRecord {
        id: id.into(),
        waba_id: "w".into(),
        name: name.into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        status: status.to_owned().into(),
        quality: None,
        rejected_reason: None,
        components: json!([{ "type": "BODY", "text": "Hi" }]),
    };
    store
        .templates
        .sync(
            "w",
            &[
                record("1", "approved_one", "APPROVED"),
                record("2", "pending_one", "PENDING"),
            ],
            parley_server::store::Millis::now(),
        )
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(app.url(path)).bearer_auth(&minted).send();
    let list: Value = get("/api/v1/templates")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["approved_one"]);
    assert_eq!(
        get("/api/v1/templates/2").await.unwrap().status().as_u16(),
        404
    );
    let submit = http
        .post(app.url("/api/v1/templates"))
        .bearer_auth(&minted)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(submit.status().as_u16(), 403);
    let page = app.browser();
    app.sign_in(&page, "agent@example.com", "correct horse")
        .await;
    let admin_page = page.get(app.url("/admin/templates")).send().await.unwrap();
    assert_eq!(admin_page.status().as_u16(), 403);
}

crate::on_both_engines!(
    template_history_is_kept,
    byte_identical_redeliveries_apply_once
);

async fn template_history_is_kept(engine: Engine) {
    use parley_server::store::{Millis, TemplateRecord};
    let app = TestApp::spawn(engine).await;
    let store = app.store.clone();
    let mut template = TemplateRecord {
        id: "777".into(),
        waba_id: "waba-1".into(),
        name: "order_update".into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        status: "APPROVED".to_owned().into(),
        quality: Some("GREEN".into()),
        rejected_reason: None,
        components: json!([{ "type": "BODY", "text": "Hi {{1}}" }]),
    };
    assert_eq!(
        store
            .templates
            .sync("waba-1", &[template.clone()], Millis::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .templates
            .sync("waba-1", &[template.clone()], Millis::now())
            .await
            .unwrap(),
        0,
        "no change, no entry"
    );
    template.status = "PAUSED".to_owned().into();
    template.quality = Some("YELLOW".into());
    store
        .templates
        .sync("waba-1", &[template.clone()], Millis::now())
        .await
        .unwrap();

    let webhook = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "waba-1", "time": 1_700_000_000,
        "changes": [{ "field": "message_template_status_update", "value": { "event": "REJECTED",
            "message_template_id": 777, "message_template_name": "order_update",
            "message_template_language": "en_US", "reason": "INCORRECT_CATEGORY" } }] }] });
    app.deliver(&webhook).await;
    app.deliver(&webhook).await; // a byte-identical redelivery adds nothing to the history
    eventually("both webhooks processed", || async {
        (store.journal.backlog().await.unwrap() == 0).then_some(())
    })
    .await;
    let (found, timeline) = store.templates.get("777").await.unwrap().unwrap();
    assert_eq!(found.record.status.as_str(), "REJECTED");
    let story: Vec<(&str, &str, &str)> = timeline
        .iter()
        .map(|c| (c.kind.as_str(), c.value.as_str(), c.source.as_str()))
        .collect();
    assert_eq!(
        story,
        [
            ("status", "APPROVED", "sync"),
            ("status", "PAUSED", "sync"),
            ("quality", "YELLOW", "sync"),
            ("status", "REJECTED", "webhook"),
        ]
    );
    assert_eq!(timeline[3].reason.as_deref(), Some("INCORRECT_CATEGORY"));
    assert_eq!(
        found.record.rejected_reason.as_deref(),
        Some("INCORRECT_CATEGORY")
    );
    let found = store
        .templates
        .by_name(Some("waba-1"), "order_update", "en_US")
        .await
        .unwrap();
    assert_eq!(found.map(|t| t.record.id), Some("777".to_owned()));
    assert!(
        store
            .templates
            .by_name(Some("other"), "order_update", "en_US")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .templates
            .by_name(None, "order_update", "en_US")
            .await
            .unwrap()
            .is_some()
    );

    // A template Meta no longer lists was deleted there.
    store
        .templates
        .sync("waba-1", &[], Millis::now())
        .await
        .unwrap();
    let (found, timeline) = store.templates.get("777").await.unwrap().unwrap();
    assert_eq!(found.record.status.as_str(), "DELETED");
    assert_eq!(timeline.last().unwrap().kind, "deleted");
}

/// In one processing chunk and in a later one: the first event with a body is applied, later
/// copies are only marked processed (a template history would otherwise grow with each).
async fn byte_identical_redeliveries_apply_once(engine: Engine) {
    use parley_server::store::{Millis, ParsedWebhook};
    use parley_server::whatsapp::webhook::Notification;
    let app = TestApp::spawn(engine).await;
    let body = serde_json::to_vec(&json!({ "object": "whatsapp_business_account", "entry": [{
        "id": "waba-1", "time": 1_700_000_000, "changes": [{ "field": "message_template_status_update",
        "value": { "event": "APPROVED", "message_template_id": 888, "message_template_name": "welcome",
            "message_template_language": "en_US" } }] }] }))
    .unwrap();
    let event = |id: i64| ParsedWebhook::new(id, &body, Some(Notification::parse(&body).unwrap()));
    let history_length = || async {
        app.store
            .templates
            .get("888")
            .await
            .unwrap()
            .unwrap()
            .1
            .len()
    };

    let failures = app
        .store
        .intake
        .apply(&[event(-1), event(-2)], Millis::now())
        .await
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(history_length().await, 1, "a copy in the same chunk");
    app.store
        .intake
        .apply(&[event(-3)], Millis::now())
        .await
        .unwrap();
    assert_eq!(history_length().await, 1, "a copy in a later chunk");
}

#[tokio::test]
async fn a_template_is_sent_where_the_window_has_closed() {
    use parley_server::sandbox::PERSONAS;
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    template_named(&api, "order_update").await;
    let quiet = PERSONAS.iter().find(|p| !p.responsive).unwrap();
    let two_days_ago = parley_server::store::Millis::now().0 - 48 * 3600 * 1000;
    sim.customer_writes_at(
        quiet,
        json!({"type": "text", "text": {"body": "old"}}),
        std::time::Duration::ZERO,
        two_days_ago,
    );
    let id = eventually("the conversation", || async {
        let page = api.conversations("limit=50").await;
        page["conversations"]
            .as_array()?
            .iter()
            .find(|c| c["contact"]["name"] == quiet.name)?["id"]
            .as_i64()
    })
    .await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = post_json(&app, &api, &path, json!({"type": "text", "text": "hi"})).await;
    assert_eq!(status, 409, "free-form is refused");
    let template = json!({"type": "template", "template": {"name": "order_update", "language": "en_US",
        "parameters": [quiet.name, "#12"]}});
    let (status, queued) = post_json(&app, &api, &path, template).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(
        queued["text"],
        format!("Hi {}, your order #12 is on its way.", quiet.name)
    );
    let sent = eventually("the template at Meta", || async {
        sim.accepted().into_iter().find(|a| a["type"] == "template")
    })
    .await;
    assert_eq!(sent["template"]["name"], "order_update");
    assert_eq!(sent["template"]["language"]["code"], "en_US");
    assert_eq!(
        sent["template"]["components"][0]["parameters"][0]["text"],
        quiet.name
    );
}

#[tokio::test]
async fn a_template_with_an_image_header_is_submitted_with_a_sample_and_sent_with_an_image() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (conversation, _) = open_conversation(&sim, &api).await;
    let part = reqwest::multipart::Part::bytes(PNG)
        .file_name("sample.png")
        .mime_str("image/png")
        .unwrap();
    let sample: Value = api
        .http
        .post(app.url("/api/v1/templates/samples"))
        .bearer_auth(&api.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sample["format"], "IMAGE", "{sample}");
    let handle = sample["handle"].as_str().unwrap().to_owned();
    let draft = parley_app::templates::TemplateDraft {
        name: "parcel_photo".into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        header: String::new(),
        header_media: Some(serde_json::from_value(sample).unwrap()),
        body: "Hi {{1}}, here is your parcel.".into(),
        examples: vec!["Ana".into()],
        footer: String::new(),
        buttons: vec![],
    };
    assert_eq!(draft.check(), Ok(()));
    let body = draft.to_meta();
    assert_eq!(
        body["components"][0]["example"]["header_handle"][0],
        handle.as_str()
    );
    let (status, created) = post_json(&app, &api, "/api/v1/templates", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    eventually("the approval", || async {
        let detail = api.get(&format!("/api/v1/templates/{id}")).await;
        (detail["template"]["status"] == "APPROVED").then_some(())
    })
    .await;

    let path = format!("/api/v1/conversations/{conversation}/messages");
    let without = json!({"type": "template", "template": {"name": "parcel_photo", "language": "en_US",
        "parameters": ["Amira"]}});
    let (status, refused) = post_json(&app, &api, &path, without).await;
    assert_eq!(status, 422);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("image header"),
        "{refused}"
    );
    let (_, image) = upload(&app, &api, conversation, PNG, "parcel.png", "image/png").await;
    let with = json!({"type": "template", "template": {"name": "parcel_photo", "language": "en_US",
        "parameters": ["Amira"], "header_media_id": image["media_id"]}});
    let (status, queued) = post_json(&app, &api, &path, with).await;
    assert_eq!(status, 202, "{queued}");
    let sent = eventually("the template at Meta", || async {
        sim.accepted()
            .into_iter()
            .find(|a| a["template"]["name"] == "parcel_photo")
    })
    .await;
    let header = &sent["template"]["components"][0];
    assert_eq!(header["type"], "header");
    assert_eq!(header["parameters"][0]["image"]["id"], image["media_id"]);
    assert_eq!(
        sent["template"]["components"][1]["parameters"][0]["text"],
        "Amira"
    );
}
