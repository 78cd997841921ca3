//! Working together, through the REST API of a running Parley with the simulator as Meta:
//! notes (never sent to Meta) and mentions, labels, canned replies, status, snooze and
//! priority, presence, and the reply-collision check; each live on the event stream.

use crate::support::{APP_SECRET, ApiClient, Engine, EventStream, TestApp, eventually};
use parley_app::model::Role;
use parley_server::config::Secret;
use parley_server::domain::{Clock, ManualClock, SharedClock, SystemClock};
use parley_server::sandbox::{PERSONAS, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "collaboration-test-token";

async fn app_with_simulator(clock: SharedClock) -> (TestApp, Simulator) {
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let graph_url = sim.base_url();
    let app = TestApp::spawn_on(Engine::Sqlite, clock, move |c| {
        c.whatsapp.access_token = Some(Secret::new(TOKEN));
        c.whatsapp.graph_url = graph_url;
    })
    .await;
    sim.set_webhook_url(app.url("/webhooks/whatsapp"));
    (app, sim)
}

/// A customer writes in; answers their conversation's id.
async fn customer_conversation(sim: &Simulator, api: &ApiClient, persona: usize) -> i64 {
    let persona = &PERSONAS[persona];
    sim.customer_writes(
        persona,
        json!({"type": "text", "text": {"body": "Hello?"}}),
        Duration::ZERO,
    );
    let name = persona.name;
    eventually("the conversation", || async {
        api.conversations("limit=50").await["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["contact"]["name"] == name)
            .map(|c| c["id"].as_i64().unwrap())
    })
    .await
}

async fn stream(_app: &TestApp, api: &ApiClient) -> EventStream {
    api.events().await
}

/// The next event named `name` on the stream (others are passed over).
async fn next_named(events: &mut EventStream, name: &str) -> Value {
    events.next_named(name).await
}

#[tokio::test]
async fn notes_stay_internal_and_mentions_notify_live() {
    let (app, sim) = app_with_simulator(Arc::new(SystemClock)).await;
    let (ana, _) = app.member("Ana Lima", Role::Agent).await;
    let (ben, ben_id) = app.member("Ben", Role::Agent).await;
    let id = customer_conversation(&sim, &ana, 0).await;
    let mut bens_stream = stream(&app, &ben).await;
    let mut anas_stream = stream(&app, &ana).await;
    let calls_before = sim.calls().len();

    let (status, note) = ana
        .call(
            "POST",
            &format!("/api/v1/conversations/{id}/notes"),
            Some(json!({"body": "@ben can you check <b>this</b>?"})),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["body"], "@ben can you check <b>this</b>?");
    assert_eq!(note["author"]["name"], "ana.lima");
    assert_eq!(note["mentions"][0]["id"], ben_id);

    // Everyone in the conversation sees it; only Ben is notified.
    let added = next_named(&mut bens_stream, "note.added").await;
    assert_eq!(added["note"]["id"], note["id"]);
    let notified = next_named(&mut bens_stream, "notification").await;
    assert_eq!(notified["notification"]["kind"], "mention");
    assert_eq!(notified["notification"]["note_id"], note["id"]);
    next_named(&mut anas_stream, "note.added").await;

    let (_, listed) = ben.call("GET", "/api/v1/notifications", None).await;
    assert_eq!(listed["unread"], 1);
    assert_eq!(listed["notifications"][0]["unread"], true);
    let (_, anas) = ana.call("GET", "/api/v1/notifications", None).await;
    assert_eq!(anas["unread"], 0, "the author is not notified");
    let (status, _) = ben.call("POST", "/api/v1/notifications/read", None).await;
    assert_eq!(status, 204);
    let (_, listed) = ben.call("GET", "/api/v1/notifications", None).await;
    assert_eq!(listed["unread"], 0);

    let (_, notes) = ben
        .call("GET", &format!("/api/v1/conversations/{id}/notes"), None)
        .await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    let (status, refused) = ana
        .call(
            "POST",
            &format!("/api/v1/conversations/{id}/notes"),
            Some(json!({"body": "  "})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, _) = ana
        .call(
            "POST",
            "/api/v1/conversations/99999/notes",
            Some(json!({"body": "lost"})),
        )
        .await;
    assert_eq!(status, 404);
    // Nothing of this reached Meta: not a send, not a read receipt.
    assert_eq!(
        sim.calls().len(),
        calls_before,
        "{:?}",
        &sim.calls()[calls_before..]
    );
    assert!(
        api_messages_mention(&ana, id, "check").await.is_empty(),
        "a note is not a message"
    );
}

async fn api_messages_mention(api: &ApiClient, id: i64, text: &str) -> Vec<Value> {
    api.messages(id)
        .await
        .into_iter()
        .filter(|m| m["text"].as_str().is_some_and(|t| t.contains(text)))
        .collect()
}

#[tokio::test]
async fn admins_define_labels_and_agents_put_them_on_conversations() {
    let (app, sim) = app_with_simulator(Arc::new(SystemClock)).await;
    let (admin, _) = app.member("Admin", Role::Admin).await;
    let (agent, _) = app.member("Agent", Role::Agent).await;
    let id = customer_conversation(&sim, &agent, 0).await;
    let other = customer_conversation(&sim, &agent, 2).await;

    let (status, _) = agent
        .call("POST", "/api/v1/labels", Some(json!({"name": "vip"})))
        .await;
    assert_eq!(status, 403, "agents do not define labels");
    let (status, vip) = admin
        .call(
            "POST",
            "/api/v1/labels",
            Some(json!({"name": "VIP", "colour": "#d97706", "description": "Our best"})),
        )
        .await;
    assert_eq!(status, 201, "{vip}");
    let (status, _) = admin
        .call("POST", "/api/v1/labels", Some(json!({"name": "vip"})))
        .await;
    assert_eq!(status, 409, "names are unique whatever their case");
    let (status, bad) = admin
        .call(
            "POST",
            "/api/v1/labels",
            Some(json!({"name": "x", "colour": "red; background: url(x)"})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    admin
        .call("POST", "/api/v1/labels", Some(json!({"name": "refund"})))
        .await;

    let mut events = stream(&app, &agent).await;
    let (status, patched) = agent
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"labels": ["vip", "refund"], "priority": "high"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["labels"], json!(["refund", "VIP"]));
    assert_eq!(patched["priority"], "high");
    let updated = next_named(&mut events, "conversation.updated").await;
    assert_eq!(updated["conversation"]["id"], id);
    let (status, unknown) = agent
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"labels": ["nope"]})),
        )
        .await;
    assert_eq!(status, 422, "{unknown}");

    let filtered = agent.conversations("label=vip").await;
    let ids: Vec<i64> = filtered["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    assert!(!ids.contains(&other));
    let both = agent.conversations("label=VIP,refund&priority=high").await;
    assert_eq!(both["conversations"].as_array().unwrap().len(), 1);
    let (status, _) = agent
        .call("GET", "/api/v1/conversations?label=nope", None)
        .await;
    assert_eq!(status, 422);

    // Renamed: every conversation shows the new name. Deleted: it comes off.
    let vip_id = vip["id"].as_i64().unwrap();
    let (status, renamed) = admin
        .call(
            "PATCH",
            &format!("/api/v1/labels/{vip_id}"),
            Some(json!({"name": "Gold"})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let catalogue = next_named(&mut events, "labels.changed").await;
    assert!(
        catalogue["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "Gold")
    );
    let (_, one) = agent
        .call("GET", &format!("/api/v1/conversations/{id}"), None)
        .await;
    assert_eq!(one["labels"], json!(["Gold", "refund"]));
    let (status, _) = admin
        .call("DELETE", &format!("/api/v1/labels/{vip_id}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, one) = agent
        .call("GET", &format!("/api/v1/conversations/{id}"), None)
        .await;
    assert_eq!(one["labels"], json!(["refund"]));
}

#[tokio::test]
async fn canned_replies_are_shared_or_personal_and_sent_as_replies() {
    let (app, sim) = app_with_simulator(Arc::new(SystemClock)).await;
    let (admin, _) = app.member("Admin", Role::Admin).await;
    let (ana, _) = app.member("Ana", Role::Agent).await;
    let (ben, _) = app.member("Ben", Role::Agent).await;
    let (status, shared) = admin
        .call(
            "POST",
            "/api/v1/canned_replies",
            Some(json!({"shortcut": "/Hours", "title": "Opening hours",
            "body": "Hi {{contact.name}}, we open at 9.", "shared": true})),
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    assert_eq!(shared["shortcut"], "hours");
    let (status, _) = ana
        .call(
            "POST",
            "/api/v1/canned_replies",
            Some(json!({"shortcut": "x", "title": "x", "body": "x", "shared": true})),
        )
        .await;
    assert_eq!(status, 403, "agents keep only their own");
    let (status, mine) = ana.call("POST",
        "/api/v1/canned_replies",
        Some(json!({"shortcut": "thanks", "title": "Thanks", "body": "Thank you, {{agent.name}}"})),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(mine["shared"], false);
    let (status, bad) = ana
        .call(
            "POST",
            "/api/v1/canned_replies",
            Some(json!({"shortcut": "two words", "title": "x", "body": "x"})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");

    let (_, for_ana) = ana.call("GET", "/api/v1/canned_replies", None).await;
    assert_eq!(for_ana.as_array().unwrap().len(), 2);
    let (_, for_ben) = ben.call("GET", "/api/v1/canned_replies", None).await;
    assert_eq!(for_ben.as_array().unwrap().len(), 1, "not Ana's own");
    let mine_id = mine["id"].as_i64().unwrap();
    let shared_id = shared["id"].as_i64().unwrap();
    let (status, _) = ben
        .call(
            "PATCH",
            &format!("/api/v1/canned_replies/{mine_id}"),
            Some(json!({"title": "Mine now"})),
        )
        .await;
    assert_eq!(status, 404, "another member's reply does not exist for him");
    let (status, _) = ana
        .call(
            "PATCH",
            &format!("/api/v1/canned_replies/{shared_id}"),
            Some(json!({"title": "Changed"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, changed) = ana
        .call(
            "PATCH",
            &format!("/api/v1/canned_replies/{mine_id}"),
            Some(json!({"title": "Thank you"})),
        )
        .await;
    assert_eq!(
        (status, changed["title"].as_str()),
        (200, Some("Thank you"))
    );

    // A canned reply goes out as an ordinary reply.
    let id = customer_conversation(&sim, &ana, 0).await;
    let filled = "Hi Amira, we open at 9.";
    let (status, sent) = ana
        .call(
            "POST",
            &format!("/api/v1/conversations/{id}/messages"),
            Some(json!({"type": "text", "text": filled})),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    eventually("the reply at Meta", || async {
        sim.accepted()
            .iter()
            .any(|m| m["text"]["body"] == filled)
            .then_some(())
    })
    .await;
    let (status, _) = ana
        .call("DELETE", &format!("/api/v1/canned_replies/{mine_id}"), None)
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn pending_snoozed_and_priority_with_a_snooze_that_ends_on_the_clock() {
    let clock = ManualClock::starting_now();
    let (app, sim) = app_with_simulator(clock.clone()).await;
    let (ana, ana_id) = app.member("Ana", Role::Agent).await;
    let id = customer_conversation(&sim, &ana, 0).await;
    let path = format!("/api/v1/conversations/{id}");
    let now = clock.now().0 / 1000;

    let (status, pending) = ana
        .call("PATCH", &path, Some(json!({"status": "pending"})))
        .await;
    assert_eq!((status, pending["status"].as_str()), (200, Some("pending")));
    let (status, past) = ana
        .call("PATCH", &path, Some(json!({"snoozed_until": now - 60})))
        .await;
    assert_eq!(status, 422, "{past}");
    let (status, lone) = ana
        .call("PATCH", &path, Some(json!({"status": "snoozed"})))
        .await;
    assert_eq!(status, 422, "{lone}");
    let (status, snoozed) = ana
        .call(
            "PATCH",
            &path,
            Some(
                json!({"status": "snoozed", "snoozed_until": now + 3600, "assignee_id": ana_id,
            "priority": "urgent"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{snoozed}");
    assert_eq!(
        (
            &snoozed["status"],
            &snoozed["snoozed_until"],
            &snoozed["priority"]
        ),
        (&json!("snoozed"), &json!(now + 3600), &json!("urgent"))
    );
    let listed = ana.conversations("status=snoozed").await;
    assert_eq!(listed["conversations"][0]["id"], id);
    let by_priority = ana.conversations("order=priority&status=snoozed").await;
    assert_eq!(by_priority["conversations"][0]["id"], id);

    let mut events = stream(&app, &ana).await;
    clock.advance(Duration::from_secs(3601));
    let woke = next_named(&mut events, "conversation.updated").await;
    assert_eq!(woke["conversation"]["status"], "open");
    assert_eq!(woke["conversation"]["snoozed_until"], Value::Null);
    let told = next_named(&mut events, "notification").await;
    assert_eq!(told["notification"]["kind"], "snooze_ended");
    assert_eq!(told["notification"]["conversation_id"], id);
}

#[tokio::test]
async fn presence_shows_who_is_here_and_leaves_with_them() {
    let (app, sim) = app_with_simulator(Arc::new(SystemClock)).await;
    let (ana, ana_id) = app.member("Ana", Role::Agent).await;
    let (ben, _) = app.member("Ben", Role::Agent).await;
    let id = customer_conversation(&sim, &ana, 0).await;
    let path = format!("/api/v1/conversations/{id}/presence");
    let mut bens = stream(&app, &ben).await;
    let (status, _) = ana
        .call("POST", &path, Some(json!({"activity": "replying"})))
        .await;
    assert_eq!(status, 204);
    let seen = next_named(&mut bens, "presence.changed").await;
    assert_eq!(seen["presence"]["member"]["id"], ana_id);
    assert_eq!(seen["presence"]["activity"], "replying");
    let (_, here) = ben.call("GET", &path, None).await;
    assert_eq!(here[0]["activity"], "replying");
    let (status, _) = ana
        .call("POST", &path, Some(json!({"activity": null})))
        .await;
    assert_eq!(status, 204);
    let left = next_named(&mut bens, "presence.changed").await;
    assert_eq!(left["presence"]["activity"], Value::Null);
    let (_, here) = ben.call("GET", &path, None).await;
    assert!(here.as_array().unwrap().is_empty());
    let (status, _) = ana
        .call("POST", &path, Some(json!({"activity": "dancing"})))
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_reply_after_a_teammates_asks_first() {
    let (app, sim) = app_with_simulator(Arc::new(SystemClock)).await;
    let (ana, _) = app.member("Ana", Role::Agent).await;
    let (ben, _) = app.member("Ben", Role::Agent).await;
    let id = customer_conversation(&sim, &ana, 0).await;
    let seen = ana.messages(id).await.last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = ben
        .call(
            "POST",
            &path,
            Some(json!({"type": "text", "text": "Ben here", "seen_up_to": seen})),
        )
        .await;
    assert_eq!(status, 202, "nobody else replied since Ben looked");
    let (status, refused) = ana
        .call(
            "POST",
            &path,
            Some(json!({"type": "text", "text": "Ana here", "seen_up_to": seen})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "replied_meanwhile");
    assert_eq!(refused["by"], "ben");
    assert!(
        api_messages_mention(&ana, id, "Ana here").await.is_empty(),
        "nothing queued"
    );
    let (status, _) = ana
        .call(
            "POST",
            &path,
            Some(json!({"type": "text", "text": "Ana here"})),
        )
        .await;
    assert_eq!(status, 202, "sent anyway once she has seen it");
}
