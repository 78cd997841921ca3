//! Automations over HTTP with the worker running: admins write, test, switch and order rules;
//! a keyword rule answers a customer as "Automation" and its run says why; agents get 403.
//! With the app's clock moved by hand: a member's label sets a rule off, a window about to
//! close notifies the admins, a quiet conversation is resolved and its customer's rating is
//! stored on it and counted in the reports. A team with its own hours holds what arrives
//! while it is closed until it opens, and its out-of-office reply goes once per closed period.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, eventually};
use crate::wa;
use parley_app::model::Role;
use parley_server::domain::{Clock, ManualClock, Millis};
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    rules_are_written_tested_and_answer_customers,
    the_clock_and_members_set_rules_off_and_a_rating_is_stored,
    a_team_keeps_its_own_hours_for_routing_and_out_of_office_replies,
);

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

    let mut unknown = keyword_rule();
    unknown["conditions"] =
        json!([{"field": "contact.attribute.plan", "op": "is", "value": "gold"}]);
    let (status, body) = admin
        .call("POST", "/api/v1/automations", Some(unknown))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no contact attribute"),
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

async fn the_clock_and_members_set_rules_off_and_a_rating_is_stored(engine: Engine) {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_on(engine, clock.clone(), |_| {}).await;
    let admin = app.api().await;
    let (agent, agent_id) = app.member("Ana", Role::Agent).await;
    let label = json!({"name": "vip", "colour": "#7c3aed"});
    assert_eq!(
        admin.call("POST", "/api/v1/labels", Some(label)).await.0,
        201
    );
    let rules = [
        json!({"name": "VIPs to Ana", "trigger": "label_added", "label": "VIP",
               "actions": [{"type": "assign_member", "member_id": agent_id},
                           {"type": "set_priority", "priority": "high"}]}),
        json!({"name": "Window reminder", "trigger": "window_closing", "minutes": 60,
               "actions": [{"type": "notify", "text": "The window closes within the hour"}]}),
        json!({"name": "Auto-resolve", "trigger": "conversation_idle", "minutes": 1400,
               "actions": [{"type": "resolve"}]}),
        json!({"name": "CSAT", "trigger": "conversation_resolved",
               "actions": [{"type": "ask_csat", "scale": "stars"}]}),
    ];
    for rule in rules {
        let (status, body) = admin.call("POST", "/api/v1/automations", Some(rule)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = admin
        .call(
            "POST",
            "/api/v1/automations",
            Some(json!({"name": "Bad", "trigger": "window_closing", "actions": [{"type": "resolve"}]})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("needs minutes"),
        "{body}"
    );

    let sent = clock.now().0 / 1000;
    let asks = wa::inbound_text(wa::NUMBER_A, "15551802", "Mia", "wamid.mia.1", sent, "hi");
    app.deliver(&asks).await;
    let conversation = eventually("Mia's conversation", || async {
        let page = admin.conversations("search=15551802").await;
        page["conversations"][0]["id"].as_i64()
    })
    .await;
    let path = format!("/api/v1/conversations/{conversation}");
    let waiting = admin.get(&path).await;
    assert!(waiting["awaiting_reply_since"].is_number(), "{waiting}");

    // A member's label sets the VIP rule off.
    let (status, _) = agent
        .call("PATCH", &path, Some(json!({"labels": ["vip"]})))
        .await;
    assert_eq!(status, 200);
    eventually("the VIP rule acted", || async {
        let now = admin.get(&path).await;
        (now["assignee_id"] == agent_id && now["priority"] == "high").then_some(())
    })
    .await;

    // 23 h 10 min later the window closes within the hour: the assignee is told.
    clock.advance(Duration::from_secs(23 * 3600 + 600));
    let told = eventually("the window reminder", || async {
        let list = agent.get("/api/v1/notifications").await;
        (list["notifications"].as_array().unwrap().iter())
            .find(|n| n["kind"] == "automation")
            .cloned()
    })
    .await;
    assert_eq!(told["conversation_id"], conversation);
    assert_eq!(told["excerpt"], "The window closes within the hour");

    // 23 h 20 min after the customer's message the conversation is resolved, and asked for a
    // rating while the window is still open.
    clock.advance(Duration::from_secs(900));
    let question = eventually("the rating question", || async {
        (admin.messages(conversation).await.into_iter())
            .find(|m| m["type"] == "interactive" && m["author_name"] == "Automation")
    })
    .await;
    assert_eq!(admin.get(&path).await["status"], "resolved");
    assert!(question["text"].as_str().unwrap().contains("How did we do"));
    let tap = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15551802"), None, "Mia")],
        vec![json!({"id": "wamid.mia.2", "from": "15551802",
            "timestamp": (clock.now().0 / 1000).to_string(), "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply":
                {"id": format!("csat:{conversation}:4"), "title": "★★★★☆"}}})],
        vec![],
    )]);
    app.deliver(&tap).await;
    let rated = eventually("the rating", || async {
        let now = admin.get(&path).await;
        now["csat"].is_object().then_some(now)
    })
    .await;
    assert_eq!(rated["csat"], json!({"rating": 4, "comment": null}));
    assert_eq!(rated["status"], "resolved");
    let summary = admin.get("/api/v1/reports/summary").await;
    assert_eq!(summary["csat"]["count"], 1, "{summary}");
    assert_eq!(summary["csat"]["average"], 4.0, "{summary}");
}

async fn a_team_keeps_its_own_hours_for_routing_and_out_of_office_replies(engine: Engine) {
    // Monday 7 December 2026, 10:00 UTC.
    let monday_morning = Millis(1_796_637_600_000);
    let clock = ManualClock::new(monday_morning);
    let app = TestApp::spawn_on(engine, clock.clone(), |_| {}).await;
    let admin = app.api().await;
    let (agent, agent_id) = app.member("Nell", Role::Agent).await;
    let night = json!({"name": "Night", "members": [agent_id], "assignment": "round_robin"});
    let (status, team) = admin.call("POST", "/api/v1/teams", Some(night)).await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_i64().unwrap();
    let online = json!({"availability": "online"});
    assert_eq!(
        agent
            .call("PUT", "/api/v1/me/availability", Some(online))
            .await
            .0,
        204
    );
    let path = format!("/api/v1/teams/{team_id}/business-hours");
    let follows = admin.get(&path).await;
    assert_eq!(follows["own"], false, "{follows}");

    // Evenings only, in UTC. Agents may read but not set; a bad zone is refused.
    let evenings: serde_json::Map<String, Value> =
        ["monday", "tuesday", "wednesday", "thursday", "friday"]
            .into_iter()
            .map(|day| {
                (
                    day.to_owned(),
                    json!([{"opens": "20:00", "closes": "24:00"}]),
                )
            })
            .collect();
    let hours = json!({"time_zone": "UTC", "hours": evenings});
    assert_eq!(agent.call("PUT", &path, Some(hours.clone())).await.0, 403);
    let mut bad = hours.clone();
    bad["time_zone"] = json!("Mars/Olympus");
    assert_eq!(admin.call("PUT", &path, Some(bad)).await.0, 422);
    let (status, own) = admin.call("PUT", &path, Some(hours)).await;
    assert_eq!((status, &own["own"]), (200, &json!(true)), "{own}");
    // The number is known once a webhook names it; then the team is its default.
    let first = wa::inbound_text(
        wa::NUMBER_A,
        "15551899",
        "Pat",
        "wamid.pat.1",
        clock.now().0 / 1000,
        "x",
    );
    app.deliver(&first).await;
    eventually("Pat's conversation", || async {
        admin.conversations("q=15551899").await["conversations"][0]["id"].as_i64()
    })
    .await;
    let number = json!({"default_team_id": team_id});
    let numbers = format!("/api/v1/numbers/{}", wa::NUMBER_A);
    assert_eq!(admin.call("PATCH", &numbers, Some(number)).await.0, 204);
    let away = json!({"name": "Away", "trigger": "message_received",
        "conditions": [{"field": "business_hours", "op": "is", "value": "closed"}],
        "actions": [{"type": "send_text", "text": "We're closed: back at 20:00 UTC."}],
        "cooldown_minutes": 1, "once_per_closed_period": true});
    let (status, away) = admin.call("POST", "/api/v1/automations", Some(away)).await;
    assert_eq!(status, 201, "{away}");
    let runs = format!("/api/v1/automations/{}/runs", away["id"]);

    let writes = |n: u32| {
        let sent = clock.now().0 / 1000;
        wa::inbound_text(
            wa::NUMBER_A,
            "15551803",
            "Ola",
            &format!("wamid.ola.{n}"),
            sent,
            "hi?",
        )
    };
    app.deliver(&writes(1)).await;
    let conversation = eventually("Ola's conversation", || async {
        admin.conversations("q=15551803").await["conversations"][0]["id"].as_i64()
    })
    .await;
    let replies = || async {
        (admin.messages(conversation).await.into_iter())
            .filter(|m| m["author_name"] == "Automation")
            .count()
    };
    eventually("the out-of-office reply", || async {
        (replies().await == 1).then_some(())
    })
    .await;
    // Ten minutes later (past the cooldown), still closed: judged, held back.
    clock.advance(Duration::from_secs(600));
    app.deliver(&writes(2)).await;
    let held = eventually("the second message judged", || async {
        let runs = admin.get(&runs).await;
        (runs.as_array().unwrap().len() == 2).then_some(runs)
    })
    .await;
    assert_eq!(held[0]["acted"], false, "{held}");
    assert!(
        held[0]["reasons"]
            .to_string()
            .contains("has not opened since"),
        "{held}"
    );
    let conversation_path = format!("/api/v1/conversations/{conversation}");
    let waiting = admin.get(&conversation_path).await;
    assert_eq!(
        (&waiting["team_id"], &waiting["assignee_id"]),
        (&json!(team_id), &Value::Null)
    );

    // At 20:30 the team is open: its queue is routed (a change to the team routes it now;
    // otherwise the sweep does within half a minute).
    clock.set(Millis(monday_morning.0 + 10 * 3600 * 1000 + 30 * 60 * 1000));
    let (status, _) = admin
        .call(
            "PATCH",
            &format!("/api/v1/teams/{team_id}"),
            Some(json!({"capacity": 10})),
        )
        .await;
    assert_eq!(status, 200);
    eventually("routed once the team opened", || async {
        (admin.get(&conversation_path).await["assignee_id"] == agent_id).then_some(())
    })
    .await;

    // Tuesday 10:00, closed again: a new closed period, a new reply.
    clock.set(Millis(monday_morning.0 + 24 * 3600 * 1000));
    app.deliver(&writes(3)).await;
    eventually("a reply in the new closed period", || async {
        (replies().await == 2).then_some(())
    })
    .await;

    let (status, follows) = admin.call("DELETE", &path, None).await;
    assert_eq!((status, &follows["own"]), (200, &json!(false)), "{follows}");
}

#[tokio::test]
async fn an_automation_sends_a_template_with_the_contacts_values() {
    use parley_server::sandbox::PERSONAS;
    let (app, sim) = crate::sending::app_with_simulator().await;
    let api = app.api().await;
    crate::templates::template_named(&api, "order_update").await;
    let rule = |parameters: Value| {
        json!({"name": "Order updates", "trigger": "message_received",
            "conditions": [{"field": "message.text", "op": "contains", "value": "my order"}],
            "actions": [{"type": "send_template", "name": "order_update", "language": "en_US",
                "parameters": parameters}]})
    };
    // Checked on saving: an unknown template, the wrong number of parameters.
    let mut unknown = rule(json!(["{{contact.name}}", "#77"]));
    unknown["actions"][0]["name"] = json!("no_such_template");
    let (status, body) = api.call("POST", "/api/v1/automations", Some(unknown)).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/automations",
            Some(rule(json!(["only one"]))),
        )
        .await;
    assert!(
        status == 422 && body["message"].as_str().unwrap().contains("takes 2"),
        "{body}"
    );
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/automations",
            Some(rule(json!(["{{contact.name}}", "#77"]))),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let quiet = PERSONAS.iter().find(|p| !p.responsive).unwrap();
    sim.customer_writes(
        quiet,
        json!({"type": "text", "text": {"body": "Where is my order?"}}),
        std::time::Duration::ZERO,
    );
    let sent = eventually("the template at Meta", || async {
        sim.accepted().into_iter().find(|a| a["type"] == "template")
    })
    .await;
    assert_eq!(sent["template"]["name"], "order_update");
    let parameters = &sent["template"]["components"][0]["parameters"];
    assert_eq!(
        (&parameters[0]["text"], &parameters[1]["text"]),
        (&json!(quiet.name), &json!("#77"))
    );
    let messages = api.all_messages().await;
    let automated = messages
        .iter()
        .find(|m| m["type"] == "template")
        .expect("the template in the thread");
    assert_eq!(automated["author_name"], "Automation");
    assert_eq!(
        automated["text"],
        format!("Hi {}, your order #77 is on its way.", quiet.name)
    );
}
