//! Durability across a crash: the real `parley` binary is killed with SIGKILL right after
//! acknowledging a burst of webhooks, then restarted; every acknowledged message must be there.

use crate::processes::{Node, free_port};
use crate::support::{APP_SECRET, conversation_ids, eventually};
use crate::wa::{self, NUMBER_A};
use parley_server::config::DatabaseUrl;
use parley_server::store;
use std::time::Duration;

async fn start(database_url: &str, port: u16) -> Node {
    Node::offline(database_url, port).await
}

async fn start_with_graph(database_url: &str, port: u16, graph_url: &str, token: &str) -> Node {
    Node::start(database_url, port, graph_url, token, &[]).await
}

#[tokio::test]
async fn a_kill_between_ack_and_processing_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", dir.path().join("parley.db").display());
    let port = free_port();
    let mut server = start(&database_url, port).await;

    let client = reqwest::Client::new();
    let now = wa::now_secs();
    let sends = (0..400).map(|i| {
        let client = client.clone();
        let body = parley_server::whatsapp::signature::meta_json(&wa::inbound_text(
            NUMBER_A,
            &format!("1555100{:04}", i % 50),
            "Burst",
            &format!("wamid.crash.{i}"),
            now - 1000 + i,
            &format!("burst {i}"),
        ));
        async move {
            let signature =
                parley_server::whatsapp::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
            let response = client
                .post(format!("http://127.0.0.1:{port}/webhooks/whatsapp"))
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            (i, response.status().as_u16())
        }
    });
    let results = futures_util::future::join_all(sends).await;
    server.kill();
    let acknowledged: Vec<i64> = results
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(
        acknowledged.len(),
        400,
        "every webhook was acknowledged before the kill"
    );

    let store = store::connect(&DatabaseUrl::Sqlite(database_url.clone()))
        .await
        .unwrap();
    let backlog_at_kill = store.journal.backlog().await.unwrap();
    eprintln!("webhooks unprocessed when the process died: {backlog_at_kill}");

    let mut restarted = start(&database_url, port).await;
    eventually("the backlog to drain after restart", || async {
        (store.journal.backlog().await.unwrap() == 0).then_some(())
    })
    .await;
    let page = store
        .conversations
        .list(&store::ConversationQuery::all(200, store::Millis::now()))
        .await
        .unwrap();
    let mut stored = Vec::new();
    for conversation in &page.items {
        let page = store
            .messages
            .page(conversation.id, None, 500)
            .await
            .unwrap();
        stored.extend(page.messages);
    }
    assert_eq!(page.items.len(), 50);
    let mut wamids: Vec<String> = stored.iter().filter_map(|m| m.wamid.clone()).collect();
    wamids.sort();
    wamids.dedup();
    assert_eq!(stored.len(), 400, "each acknowledged message exactly once");
    assert_eq!(wamids.len(), 400);
    restarted.kill();
}

#[tokio::test]
async fn a_kill_with_sends_in_flight_delivers_every_message_with_bounded_duplicates() {
    use parley_server::sandbox::{PERSONAS, Simulator, SimulatorConfig};
    const TOKEN: &str = "crash-send-token";
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", dir.path().join("parley.db").display());
    let port = free_port();
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    sim.set_webhook_url(format!("http://127.0.0.1:{port}/webhooks/whatsapp"));
    let mut server = start_with_graph(&database_url, port, &sim.base_url(), TOKEN).await;

    let customers: Vec<_> = PERSONAS.iter().filter(|p| p.responsive).take(4).collect();
    for persona in &customers {
        sim.customer_writes(
            persona,
            serde_json::json!({"type": "text", "text": {"body": "Hi"}}),
            Duration::ZERO,
        );
    }
    let store = store::connect(&DatabaseUrl::Sqlite(database_url.clone()))
        .await
        .unwrap();
    let hash = parley_server::password_hasher()
        .hash(parley_server::auth::password::NewPassword::parse("crash password").unwrap())
        .await
        .unwrap();
    let user = store
        .team
        .create_user(
            store::NewUser {
                email: parley_app::model::Email::parse("crash@example.com").unwrap(),
                name: parley_app::model::DisplayName::parse("Crash").unwrap(),
                role: parley_app::model::Role::Agent,
                password_hash: Some(hash),
            },
            store::Millis::now(),
        )
        .await
        .unwrap();
    let minted = crate::support::mint_token(&store, user.id).await;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let conversations: Vec<i64> = eventually("the conversations", || async {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/conversations"))
            .bearer_auth(&minted)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let ids = conversation_ids(&page)?;
        (ids.len() == customers.len()).then_some(ids)
    })
    .await;

    // Meta accepts each send 300 ms before it answers: a kill in between leaves messages sent
    // but not recorded, which the restart sends again.
    sim.set_answer_delay(Duration::from_millis(300));
    let total = 40;
    for i in 0..total {
        let id = conversations[i % conversations.len()];
        let response = client
            .post(format!("{base}/api/v1/conversations/{id}/messages"))
            .bearer_auth(&minted)
            .json(&serde_json::json!({"type": "text", "text": format!("Crash message {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
    }
    eventually("some sends to be under way", || async {
        (sim.accepted_count() >= 6).then_some(())
    })
    .await;
    server.kill();
    let sent_before_kill = sim.accepted_count();

    sim.set_answer_delay(Duration::ZERO);
    let mut restarted = start_with_graph(&database_url, port, &sim.base_url(), TOKEN).await;
    let bodies = || -> Vec<String> {
        sim.accepted()
            .iter()
            .filter_map(|a| a["text"]["body"].as_str().map(str::to_owned))
            .collect()
    };
    eventually("every message sent after the restart", || async {
        let sent = bodies();
        (0..total)
            .all(|i| sent.contains(&format!("Crash message {i}")))
            .then_some(())
    })
    .await;
    let duplicates = bodies().len() - total;
    eprintln!("sent before the kill: {sent_before_kill}; duplicates after restart: {duplicates}");
    // The documented bound: at most the sends in flight at the kill, one per customer.
    assert!(duplicates <= customers.len(), "{duplicates} duplicates");
    restarted.kill();
}

#[tokio::test]
async fn a_kill_mid_campaign_loses_no_recipient_and_repeats_only_sends_in_flight() {
    use parley_server::sandbox::{DEMO_NUMBERS, DEMO_WABA_ID, Simulator, SimulatorConfig};
    const TOKEN: &str = "crash-campaign-token";
    const RECIPIENTS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", dir.path().join("parley.db").display());
    let port = free_port();
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    sim.set_webhook_url(format!("http://127.0.0.1:{port}/webhooks/whatsapp"));
    let env = [("WA_WABA_ID", DEMO_WABA_ID)];
    let mut server = Node::start(&database_url, port, &sim.base_url(), TOKEN, &env).await;
    let store = store::connect(&DatabaseUrl::Sqlite(database_url.clone()))
        .await
        .unwrap();
    let admin = store
        .team
        .create_user(
            store::NewUser {
                email: parley_app::model::Email::parse("boss@example.com").unwrap(),
                name: parley_app::model::DisplayName::parse("Boss").unwrap(),
                role: parley_app::model::Role::Admin,
                password_hash: None,
            },
            store::Millis::now(),
        )
        .await
        .unwrap();
    let api = crate::support::ApiClient {
        base: format!("http://127.0.0.1:{port}"),
        token: crate::support::mint_token(&store, admin.id).await,
        http: reqwest::Client::new(),
    };
    // The crowd: numbers of the simulator's audience, all labelled.
    let mut csv = String::from("phone,labels\n");
    let phones: Vec<String> = (0..RECIPIENTS).map(|i| format!("1555700{i:04}")).collect();
    for phone in &phones {
        csv.push_str(&format!("+{phone},crowd\n"));
    }
    let (status, report) = crate::contacts::import(&api, &csv, &[], false).await;
    assert_eq!(status, 200, "{report}");
    eventually("templates and numbers synced", || async {
        let list = api.get("/api/v1/templates").await;
        (list["templates"].as_array()?.len() >= 4).then_some(())
    })
    .await;
    let campaign = serde_json::json!({
        "name": "Crowd", "phone_number_id": DEMO_NUMBERS[0].id,
        "template": {"name": "hello_world", "language": "en_US", "parameters": []},
        "audience": {"labels": ["crowd"]},
    });
    let (status, created) = api.call("POST", "/api/v1/campaigns", Some(campaign)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    // Meta accepts each send 300 ms before it answers: a kill in between leaves sends made
    // but not recorded, which the restart makes again.
    sim.set_answer_delay(Duration::from_millis(300));
    let (status, _) = api
        .call("POST", &format!("/api/v1/campaigns/{id}/start"), None)
        .await;
    assert_eq!(status, 200);
    eventually("the campaign to be under way", || async {
        (sim.accepted_count() >= 60).then_some(())
    })
    .await;
    server.kill();
    let sent_before_kill = sim.accepted_count();

    sim.set_answer_delay(Duration::ZERO);
    let mut restarted = Node::start(&database_url, port, &sim.base_url(), TOKEN, &env).await;
    let finished = eventually("the campaign completes after the restart", || async {
        let found = api.get(&format!("/api/v1/campaigns/{id}")).await;
        (found["state"] == "completed").then_some(found)
    })
    .await;
    let sent: Vec<String> = sim
        .accepted()
        .iter()
        .filter(|a| a["template"]["name"] == "hello_world")
        .filter_map(|a| a["to"].as_str().map(str::to_owned))
        .collect();
    for phone in &phones {
        assert!(sent.contains(phone), "{phone} was never sent the campaign");
    }
    let duplicates = sent.len() - RECIPIENTS;
    eprintln!("sent before the kill: {sent_before_kill}; duplicates after restart: {duplicates}");
    assert!(
        duplicates <= parley_server::outbox::MAX_IN_FLIGHT,
        "{duplicates} duplicates"
    );
    let counts = &finished["counts"];
    assert_eq!(counts["total"], RECIPIENTS);
    assert_eq!(counts["queued"], RECIPIENTS, "{counts}");
    assert_eq!(counts["pending"], 0);
    restarted.kill();
}
