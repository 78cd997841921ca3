//! Campaigns and consent through the API of a running Parley with its simulated Cloud API: the
//! audience divided before sending, a campaign sent to those who opted in, Meta's failures by
//! code, the recipients and their CSV, a STOP that opts a customer out and is confirmed, and
//! agents held to the same consent rule.

use crate::sending::app_with_simulator;
use crate::support::{ApiClient, eventually};
use parley_app::model::Role;
use parley_server::sandbox::PERSONAS;
use serde_json::{Value, json};
use std::time::Duration;

async fn add_contact(api: &ApiClient, phone: &str, consent: Option<&str>) -> i64 {
    let (status, contact) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"phone": phone, "labels": ["vip"]})),
        )
        .await;
    assert_eq!(status, 201, "{contact}");
    let id = contact["id"].as_i64().unwrap();
    if let Some(state) = consent {
        let body = json!({"state": state, "source": "import", "note": "signup form"});
        let (status, entry) = api
            .call(
                "POST",
                &format!("/api/v1/contacts/{id}/consent"),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{entry}");
    }
    id
}

fn spring(number: &str) -> Value {
    json!({
        "name": "Spring sale",
        "phone_number_id": number,
        "template": {"name": "spring_sale", "language": "en_US", "parameters": []},
        "audience": {"labels": ["vip"]},
    })
}

#[tokio::test]
async fn a_campaign_reaches_those_who_opted_in_and_stop_opts_out() {
    let (app, sim) = app_with_simulator().await;
    let admin = app.api().await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    eventually("templates and numbers synced at start-up", || async {
        let list = admin.get("/api/v1/templates").await;
        (list["templates"].as_array()?.len() >= 4).then_some(())
    })
    .await;
    let number = parley_server::sandbox::DEMO_NUMBERS[0].id;
    let (status, _) = admin
        .call(
            "POST",
            "/api/v1/labels",
            Some(json!({"name": "vip", "colour": "#d97706"})),
        )
        .await;
    assert_eq!(status, 201);
    let amira = add_contact(&admin, "+15550100001", Some("opted_in")).await;
    add_contact(&admin, "+15550100002", Some("opted_out")).await;
    add_contact(&admin, "+15550100003", None).await;
    let stranger = add_contact(&admin, "+15559990000", Some("opted_in")).await;

    // Members may not claim what Parley records itself.
    let forged = json!({"state": "opted_in", "source": "keyword"});
    let path = format!("/api/v1/contacts/{amira}/consent");
    assert_eq!(admin.call("POST", &path, Some(forged)).await.0, 422);
    let (_, ledger) = agent.call("GET", &path, None).await;
    assert_eq!(ledger["state"], "opted_in");
    assert_eq!(ledger["entries"][0]["source"], "import");

    // The audience, divided before anything is sent.
    let (status, preview) = admin
        .call("POST", "/api/v1/campaigns/preview", Some(spring(number)))
        .await;
    assert_eq!(status, 200, "{preview}");
    let counts = &preview["counts"];
    assert_eq!(
        (
            &counts["total"],
            &counts["eligible"],
            &counts["skipped_no_consent"],
            &counts["skipped_opted_out"]
        ),
        (&json!(4), &json!(2), &json!(1), &json!(1)),
        "{preview}"
    );
    assert!(
        preview["sample_text"]
            .as_str()
            .unwrap()
            .contains("spring sale")
    );
    // What it would cost: no rate card yet, then the two eligible US numbers at its rate.
    let estimate = &preview["estimated_cost"];
    assert_eq!(
        (&estimate["messages"], &estimate["unpriced"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(estimate["currency"], json!(null));
    let card = json!({"currency": "USD", "rates": [
        {"country": "US", "category": "marketing", "rate": "0.025", "effective_from": "2025-07-01"}]});
    assert_eq!(
        admin.call("PUT", "/api/v1/rate_card", Some(card)).await.0,
        200
    );
    let (_, priced) = admin
        .call("POST", "/api/v1/campaigns/preview", Some(spring(number)))
        .await;
    let estimate = &priced["estimated_cost"];
    assert_eq!(
        (&estimate["category"], &estimate["cost_micros"]),
        (&json!("marketing"), &json!(50_000))
    );
    assert_eq!(
        (&estimate["unpriced"], &estimate["currency"]),
        (&json!(0), &json!("USD"))
    );

    // Only admins write campaigns, and only with what fits the template.
    assert_eq!(
        agent
            .call("POST", "/api/v1/campaigns", Some(spring(number)))
            .await
            .0,
        403
    );
    let mut wrong = spring(number);
    wrong["template"]["parameters"] = json!(["{{contact.name}}"]);
    let (status, body) = admin.call("POST", "/api/v1/campaigns", Some(wrong)).await;
    assert_eq!(status, 422, "{body}");
    let mut unknown = spring(number);
    unknown["template"]["name"] = json!("no_such_template");
    assert_eq!(
        admin
            .call("POST", "/api/v1/campaigns", Some(unknown))
            .await
            .0,
        422
    );
    let (status, created) = admin
        .call("POST", "/api/v1/campaigns", Some(spring(number)))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "draft");
    assert_eq!(created["template_category"], "MARKETING");
    let id = created["id"].as_i64().unwrap();
    let (status, renamed) = admin
        .call(
            "PATCH",
            &format!("/api/v1/campaigns/{id}"),
            Some(json!({"name": "Spring"})),
        )
        .await;
    assert_eq!((status, &renamed["name"]), (200, &json!("Spring")));

    let (status, started) = admin
        .call("POST", &format!("/api/v1/campaigns/{id}/start"), None)
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        admin
            .call("POST", &format!("/api/v1/campaigns/{id}/start"), None)
            .await
            .0,
        409
    );
    let finished = eventually("the campaign completes", || async {
        let campaign = admin.get(&format!("/api/v1/campaigns/{id}")).await;
        let counts = &campaign["counts"];
        (campaign["state"] == "completed" && counts["delivered"] == 1 && counts["failed"] == 1)
            .then_some(campaign)
    })
    .await;
    assert_eq!(finished["counts"]["queued"], 2);
    assert_eq!(finished["failures"][0]["code"], 131026);
    assert!(
        finished["failures"][0]["meaning"]
            .as_str()
            .unwrap()
            .contains("Not on WhatsApp")
    );
    let sent = sim.accepted();
    let templates: Vec<&Value> = sent.iter().filter(|r| r["type"] == "template").collect();
    assert_eq!(templates.len(), 2, "only those who opted in");
    assert!(
        templates
            .iter()
            .all(|r| r["template"]["name"] == "spring_sale")
    );

    let (status, failed) = admin
        .call(
            "GET",
            &format!("/api/v1/campaigns/{id}/recipients?state=failed"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(failed["recipients"][0]["contact_id"], stranger);
    assert_eq!(failed["recipients"][0]["error"]["code"], 131026);
    let (status, _) = admin
        .call(
            "GET",
            &format!("/api/v1/campaigns/{id}/recipients?state=bogus"),
            None,
        )
        .await;
    assert_eq!(status, 422);
    let (status, csv) = admin
        .call_text(
            "GET",
            &format!("/api/v1/campaigns/{id}/recipients.csv"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.contains("skipped_opted_out"));

    // The stranger is not on WhatsApp: the next campaign leaves them out up front.
    let (_, again) = admin
        .call("POST", "/api/v1/campaigns/preview", Some(spring(number)))
        .await;
    assert_eq!(again["counts"]["skipped_no_whatsapp"], 1, "{again}");

    // Amira's thread shows the campaign's message, sent by the campaign.
    let amira_persona = &PERSONAS[0];
    let conversation = eventually("Amira's conversation", || async {
        let contact = admin.get(&format!("/api/v1/contacts/{amira}")).await;
        contact["conversations"][0]["id"].as_i64()
    })
    .await;
    let thread = admin.messages(conversation).await;
    assert!(
        thread
            .iter()
            .any(|m| m["author_name"] == "Campaign: Spring" && m["type"] == "template"),
        "{thread:?}"
    );

    // STOP opts her out, is confirmed, and holds agents to it.
    sim.customer_writes(
        amira_persona,
        json!({"type": "text", "text": {"body": "STOP"}}),
        Duration::ZERO,
    );
    eventually("the opt-out", || async {
        let ledger = admin.get(&path).await;
        (ledger["state"] == "opted_out" && ledger["entries"][0]["source"] == "keyword")
            .then_some(())
    })
    .await;
    eventually("the confirmation is sent", || async {
        sim.accepted()
            .iter()
            .any(|r| {
                r["to"] == amira_persona.address()
                    && r["text"]["body"]
                        .as_str()
                        .is_some_and(|b| b.starts_with("You will no longer"))
            })
            .then_some(())
    })
    .await;
    let by_hand = json!({"type": "template",
        "template": {"name": "spring_sale", "language": "en_US", "parameters": []}});
    let (status, refused) = agent
        .call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(by_hand),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("opted out"),
        "{refused}"
    );

    // A finished campaign cannot be deleted; a draft can.
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/campaigns/{id}"), None)
            .await
            .0,
        409
    );
    let (_, draft) = admin
        .call("POST", "/api/v1/campaigns", Some(spring(number)))
        .await;
    let draft_id = draft["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/campaigns/{draft_id}"), None)
            .await
            .0,
        204
    );
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=campaign", None)
        .await;
    assert!(audit.to_string().contains("campaign.started"), "{audit}");
}

crate::on_both_engines!(
    an_import_records_consent_with_its_file_and_line,
    keywords_are_kept_by_admins,
);

async fn an_import_records_consent_with_its_file_and_line(engine: crate::support::Engine) {
    let app = crate::support::TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let csv = "phone,name,Accepts Marketing\n+14155550100,Ana,yes\n+14155550101,Bo,no\n+14155550102,Cy,\n+14155550103,Di,perhaps\n";
    let (status, body) =
        crate::contacts::import(&admin, csv, &[("label", "spring-list")], false).await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["labels_created"], json!(["spring-list"]));
    let (_, listed) = admin
        .call("GET", "/api/v1/contacts?label=spring-list", None)
        .await;
    assert_eq!(
        listed["contacts"].as_array().unwrap().len(),
        3,
        "the file's contacts, labelled"
    );
    assert_eq!(report["rejected"][0]["line"], 5);
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("perhaps")
    );
    let (_, found) = admin.call("GET", "/api/v1/contacts?q=Ana", None).await;
    let ana = found["contacts"][0]["id"].as_i64().unwrap();
    let ledger = admin.get(&format!("/api/v1/contacts/{ana}/consent")).await;
    assert_eq!(ledger["state"], "opted_in", "{ledger}");
    let entry = &ledger["entries"][0];
    assert_eq!(entry["source"], "import");
    assert_eq!(
        entry["evidence"],
        json!({"file": "contacts.csv", "line": 2})
    );
    assert!(entry["recorded_by_name"].is_string(), "{entry}");
    // The same file again changes nothing; a new answer is a new line.
    crate::contacts::import(&admin, csv, &[], false).await;
    let again = admin.get(&format!("/api/v1/contacts/{ana}/consent")).await;
    assert_eq!(again["entries"].as_array().unwrap().len(), 1);
    let changed = "phone,consent\n+14155550100,no\n";
    crate::contacts::import(&admin, changed, &[], false).await;
    let now = admin.get(&format!("/api/v1/contacts/{ana}/consent")).await;
    assert_eq!(now["state"], "opted_out");
    assert_eq!(now["entries"].as_array().unwrap().len(), 2);
    let (_, found) = admin.call("GET", "/api/v1/contacts?q=Cy", None).await;
    let cy = found["contacts"][0]["id"].as_i64().unwrap();
    let nothing = admin.get(&format!("/api/v1/contacts/{cy}/consent")).await;
    assert_eq!(
        nothing["state"],
        Value::Null,
        "an empty cell records nothing"
    );
}

async fn keywords_are_kept_by_admins(engine: crate::support::Engine) {
    let app = crate::support::TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    let defaults = agent.get("/api/v1/consent/keywords").await;
    let languages: Vec<&str> = defaults
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["language"].as_str().unwrap())
        .collect();
    assert!(
        languages.contains(&"zh") && languages.contains(&"ar"),
        "{defaults}"
    );
    let zh = defaults
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["language"] == "zh")
        .unwrap();
    assert!(zh["keywords"].as_array().unwrap().contains(&json!("退订")));
    let mine = json!([{"language": "en", "keywords": ["STOP", " Halt! "], "confirmation": "Bye."}]);
    assert_eq!(
        agent
            .call("PUT", "/api/v1/consent/keywords", Some(mine.clone()))
            .await
            .0,
        403
    );
    let (status, saved) = admin
        .call("PUT", "/api/v1/consent/keywords", Some(mine))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved[0]["keywords"], json!(["halt", "stop"]));
    let empty = json!([{"language": "en", "keywords": [], "confirmation": "Bye."}]);
    assert_eq!(
        admin
            .call("PUT", "/api/v1/consent/keywords", Some(empty))
            .await
            .0,
        422
    );
    let clash = json!([
        {"language": "en", "keywords": ["stop"], "confirmation": "Bye."},
        {"language": "fr", "keywords": ["stop"], "confirmation": "Au revoir."}
    ]);
    assert_eq!(
        admin
            .call("PUT", "/api/v1/consent/keywords", Some(clash))
            .await
            .0,
        409
    );
    // A customer's "HALT" now opts them out.
    let customer = "15550009999";
    let body = crate::wa::inbound_text(
        crate::wa::NUMBER_A,
        customer,
        "Eve",
        "wamid.halt",
        crate::wa::now_secs(),
        "HALT",
    );
    app.deliver(&body).await;
    let id = eventually("the contact", || async {
        let (_, found) = admin.call("GET", "/api/v1/contacts?q=Eve", None).await;
        found["contacts"][0]["id"].as_i64()
    })
    .await;
    eventually("the opt-out", || async {
        let ledger = admin.get(&format!("/api/v1/contacts/{id}/consent")).await;
        (ledger["state"] == "opted_out").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_campaign_pauses_at_the_numbers_messaging_limit() {
    let (app, _sim) = app_with_simulator().await;
    let admin = app.api().await;
    // The simulator's second number has a new number's limit: 250 customers a day.
    let number = parley_server::sandbox::DEMO_NUMBERS[1].id;
    let mut csv = String::from("phone,labels\n");
    for i in 0..300 {
        csv.push_str(&format!("+1555710{i:04},crowd\n"));
    }
    let (status, report) = crate::contacts::import(&admin, &csv, &[], false).await;
    assert_eq!(status, 200, "{report}");
    eventually("templates synced", || async {
        let list = admin.get("/api/v1/templates").await;
        (list["templates"].as_array()?.len() >= 4).then_some(())
    })
    .await;
    let campaign = json!({
        "name": "Everyone", "phone_number_id": number,
        "template": {"name": "hello_world", "language": "en_US", "parameters": []},
        "audience": {"labels": ["crowd"]},
    });
    let (status, created) = admin
        .call("POST", "/api/v1/campaigns", Some(campaign))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    admin
        .call("POST", &format!("/api/v1/campaigns/{id}/start"), None)
        .await;
    let paused = eventually("the pause at the limit", || async {
        let found = admin.get(&format!("/api/v1/campaigns/{id}")).await;
        (found["state"] == "paused").then_some(found)
    })
    .await;
    assert_eq!(paused["pause_reason"], "messaging_limit", "{paused}");
    let counts = &paused["counts"];
    let (queued, failed) = (
        counts["queued"].as_i64().unwrap(),
        counts["failed"].as_i64().unwrap(),
    );
    assert!(queued >= 250, "{counts}");
    assert!(
        queued - failed <= 250,
        "failed sends free their place: {counts}"
    );
    assert!(counts["pending"].as_i64().unwrap() > 0, "{counts}");
}
