//! Several nodes on one PostgreSQL: two real `parley serve` processes share a database, and
//! whatever one of them takes in or changes is seen, sent and enforced as if there were one.

use crate::processes::{Node, free_port};
use crate::support::{
    ApiClient, Engine, create_member, eventually, fresh_database, mint_token, post_webhook,
};
use crate::wa::{self, NUMBER_A};
use parley_app::model::Role;
use parley_server::config::DatabaseUrl;
use parley_server::sandbox::{DEMO_WABA_ID, PERSONAS, Simulator, SimulatorConfig};
use parley_server::store::{self, SharedStore};
use serde_json::json;
use std::time::{Duration, Instant};

const TOKEN: &str = "two-nodes-token";

/// Two nodes on a fresh PostgreSQL database, and the database as the test reads it.
struct TwoNodes {
    a: Node,
    b: Node,
    store: SharedStore,
    sim: Option<Simulator>,
}

impl TwoNodes {
    /// Without a Graph API (nothing is sent).
    async fn offline() -> TwoNodes {
        let (url, store) = database().await;
        let a = Node::offline(&url, free_port()).await;
        let b = Node::offline(&url, free_port()).await;
        TwoNodes::fronted_as_asked(a, b, store, None).await
    }

    /// Each node behind nginx when the run asks for it (`PARLEY_TEST_THROUGH_NGINX`).
    async fn fronted_as_asked(
        a: Node,
        b: Node,
        store: SharedStore,
        sim: Option<Simulator>,
    ) -> Self {
        let a = a.fronted_as_asked().await;
        let b = b.fronted_as_asked().await;
        if let Some(sim) = &sim {
            sim.set_webhook_url(a.url("/webhooks/whatsapp"));
        }
        TwoNodes { a, b, store, sim }
    }

    /// Both nodes sending through one simulator, whose webhooks go to node A.
    async fn with_simulator() -> TwoNodes {
        TwoNodes::with_simulator_and(&[]).await
    }

    async fn with_simulator_and(env: &[(&str, &str)]) -> TwoNodes {
        let (url, store) = database().await;
        let mut config = SimulatorConfig::new(crate::support::APP_SECRET, TOKEN);
        config.speed = 50.0;
        let sim = Simulator::new(config);
        sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let port_a = free_port();
        sim.set_webhook_url(format!("http://127.0.0.1:{port_a}/webhooks/whatsapp"));
        let mut env = env.to_vec();
        env.push(("WA_WABA_ID", DEMO_WABA_ID));
        let a = Node::start(&url, port_a, &sim.base_url(), TOKEN, &env).await;
        let b = Node::start(&url, free_port(), &sim.base_url(), TOKEN, &env).await;
        TwoNodes::fronted_as_asked(a, b, store, Some(sim)).await
    }

    /// A member, with an API client for each node.
    async fn member(&self, email: &str, role: Role) -> (ApiClient, ApiClient) {
        let user = create_member(&self.store, email, role, "a long password").await;
        let token = mint_token(&self.store, user.id).await;
        let client = |node: &Node| ApiClient {
            base: node.url(""),
            token: token.clone(),
            http: reqwest::Client::new(),
        };
        (client(&self.a), client(&self.b))
    }
}

async fn database() -> (String, SharedStore) {
    let url = fresh_database(Engine::Postgres).await;
    let store = store::connect(&url).await.expect("migrate");
    let DatabaseUrl::Postgres(secret) = &url else {
        unreachable!("a PostgreSQL database")
    };
    (secret.expose().to_owned(), store)
}

/// `count` of the simulator's customers write in; their conversations, as node A lists them.
async fn customers_write(nodes: &TwoNodes, on_a: &ApiClient, count: usize) -> Vec<i64> {
    let sim = nodes.sim.as_ref().expect("a simulator");
    let customers: Vec<_> = PERSONAS
        .iter()
        .filter(|p| p.responsive)
        .take(count)
        .collect();
    for persona in &customers {
        sim.customer_writes(
            persona,
            json!({"type": "text", "text": {"body": "Hi"}}),
            Duration::ZERO,
        );
    }
    eventually("the customers' conversations", || async {
        let ids = crate::support::conversation_ids(&on_a.conversations("limit=50").await)?;
        (ids.len() == count).then_some(ids)
    })
    .await
}

#[tokio::test]
async fn a_webhook_taken_by_one_node_reaches_streams_on_the_other() {
    let nodes = TwoNodes::offline().await;
    let (_, on_b) = nodes.member("watcher@example.com", Role::Agent).await;
    let mut stream = on_b.events().await;
    let body = parley_server::whatsapp::signature::meta_json(&wa::inbound_text(
        NUMBER_A,
        "15551230001",
        "Nadia",
        "wamid.two-nodes.1",
        wa::now_secs(),
        "Hello from node A",
    ));
    let posted = Instant::now();
    let response = post_webhook(&nodes.a.url("/webhooks/whatsapp"), body.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let message = stream.next_named("message.created").await;
    eprintln!(
        "node A's webhook on node B's stream after {:?}",
        posted.elapsed()
    );
    assert_eq!(message["message"]["text"], "Hello from node A", "{message}");
}

/// The deployment guide's nginx configuration in front of each node: a webhook through one
/// proxy reaches an event stream held open through the other, as it is written.
#[tokio::test]
async fn through_nginx_a_webhook_on_one_node_reaches_a_stream_on_the_other() {
    let (url, store) = database().await;
    let a = Node::offline(&url, free_port()).await.behind_nginx().await;
    let b = Node::offline(&url, free_port()).await.behind_nginx().await;
    assert_ne!(b.url(""), format!("http://127.0.0.1:{}", b.port));
    let nodes = TwoNodes {
        a,
        b,
        store,
        sim: None,
    };
    let (_, on_b) = nodes.member("proxied@example.com", Role::Agent).await;
    let mut stream = on_b.events().await;
    for i in 1..=3 {
        let body = parley_server::whatsapp::signature::meta_json(&wa::inbound_text(
            NUMBER_A,
            "15551230002",
            "Omar",
            &format!("wamid.through-nginx.{i}"),
            wa::now_secs(),
            &format!("Through the proxy {i}"),
        ));
        let response = post_webhook(&nodes.a.url("/webhooks/whatsapp"), body.as_bytes()).await;
        assert_eq!(response.status(), 200);
        // Each event arrives before the next webhook is sent: nothing waits in a buffer.
        let message = stream.next_named("message.created").await;
        assert_eq!(message["message"]["text"], format!("Through the proxy {i}"));
    }
}

#[tokio::test]
async fn sends_queued_on_either_node_go_out_exactly_once_while_both_send() {
    let nodes = TwoNodes::with_simulator().await;
    let sim = nodes.sim.as_ref().unwrap();
    let (on_a, on_b) = nodes.member("sender@example.com", Role::Agent).await;
    let conversations = customers_write(&nodes, &on_a, 3).await;
    let total = 30;
    for i in 0..total {
        let api = if i % 2 == 0 { &on_a } else { &on_b };
        let id = conversations[i % conversations.len()];
        let (status, queued) = api
            .call(
                "POST",
                &format!("/api/v1/conversations/{id}/messages"),
                Some(json!({"type": "text", "text": format!("Two nodes {i}")})),
            )
            .await;
        assert_eq!(status, 202, "{queued}");
    }
    let bodies = || -> Vec<String> {
        sim.accepted()
            .iter()
            .filter_map(|sent| sent["text"]["body"].as_str().map(str::to_owned))
            .filter(|body| body.starts_with("Two nodes "))
            .collect()
    };
    // Once every message has its wamid recorded, no sender holds any of them any more.
    eventually("every message sent and recorded", || async {
        let recorded = on_a
            .all_messages()
            .await
            .iter()
            .filter(|m| {
                m["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Two nodes "))
            })
            .filter(|m| m["wamid"].is_string())
            .count();
        (recorded == total).then_some(())
    })
    .await;
    let mut sent = bodies();
    sent.sort();
    let mut expected: Vec<String> = (0..total).map(|i| format!("Two nodes {i}")).collect();
    expected.sort();
    assert_eq!(sent, expected, "each message exactly once");
}

#[tokio::test]
async fn nodes_sending_on_one_number_share_its_pace() {
    const SCRAPE: &str = "two-nodes-scrape-token";
    let nodes = TwoNodes::with_simulator_and(&[
        ("PARLEY_METRICS_TOKEN", SCRAPE),
        ("PARLEY_SEND_RATE", "10"),
    ])
    .await;
    let (on_a, on_b) = nodes.member("pacer@example.com", Role::Agent).await;
    let conversations = customers_write(&nodes, &on_a, 6).await;
    let listed = on_a.conversations("limit=50").await;
    let number = listed["conversations"][0]["phone_number_id"]
        .as_str()
        .expect("a business number")
        .to_owned();
    // Enough replies, queued on both nodes, that both keep claiming sends on the number.
    for i in 0..60 {
        let api = if i % 2 == 0 { &on_a } else { &on_b };
        let id = conversations[i % conversations.len()];
        let (status, _) = api
            .call(
                "POST",
                &format!("/api/v1/conversations/{id}/messages"),
                Some(json!({"type": "text", "text": format!("Shared pace {i}")})),
            )
            .await;
        assert_eq!(status, 202);
    }
    let pace = format!("parley_send_pace{{phone_number_id=\"{number}\"}} 5");
    for node in [&nodes.a, &nodes.b] {
        eventually("each node to pace the number at half its rate", || async {
            let scraped = reqwest::Client::new()
                .get(node.url("/metrics"))
                .bearer_auth(SCRAPE)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            scraped.contains(&pace).then_some(())
        })
        .await;
    }
}

#[tokio::test]
async fn a_session_opened_on_one_node_works_on_the_other_and_signing_out_ends_it_on_both() {
    let nodes = TwoNodes::offline().await;
    create_member(
        &nodes.store,
        "roamer@example.com",
        Role::Agent,
        "roaming password",
    )
    .await;
    // One cookie jar for both, as behind a load balancer (cookies ignore the port).
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = browser
        .post(nodes.a.url("/login"))
        .header("origin", nodes.a.url(""))
        .form(&[
            ("email", "roamer@example.com"),
            ("password", "roaming password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        signed_in.status().is_redirection(),
        "{}",
        signed_in.status()
    );
    let me_on = |node: &Node| browser.get(node.url("/api/v1/me")).send();
    assert_eq!(me_on(&nodes.b).await.unwrap().status(), 200);
    assert_eq!(me_on(&nodes.a).await.unwrap().status(), 200);
    let signed_out = browser
        .post(nodes.b.url("/logout"))
        .header("origin", nodes.b.url(""))
        .send()
        .await
        .unwrap();
    assert!(
        signed_out.status().is_success() || signed_out.status().is_redirection(),
        "{}",
        signed_out.status()
    );
    assert_eq!(me_on(&nodes.a).await.unwrap().status(), 401);
}

#[tokio::test]
async fn sign_in_throttling_counts_attempts_on_every_node() {
    let nodes = TwoNodes::offline().await;
    create_member(
        &nodes.store,
        "target@example.com",
        Role::Agent,
        "the right password",
    )
    .await;
    let attempt = |node: &Node, password: &'static str| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(node.url("/login"))
            .header("origin", node.url(""))
            .form(&[("email", "target@example.com"), ("password", password)])
            .send()
    };
    let limit = parley_server::auth::throttle::ACCOUNT_POLICY.max_failures;
    for i in 0..limit {
        let node = if i % 2 == 0 { &nodes.a } else { &nodes.b };
        let refused = attempt(node, "a wrong password").await.unwrap();
        assert_ne!(refused.status(), 429, "attempt {i} is within the limit");
    }
    for node in [&nodes.a, &nodes.b] {
        let blocked = attempt(node, "the right password").await.unwrap();
        assert_eq!(blocked.status(), 429, "blocked on every node");
    }
}

#[tokio::test]
async fn a_template_submitted_on_one_node_and_reviewed_shows_on_the_other() {
    let nodes = TwoNodes::with_simulator().await;
    let (on_a, on_b) = nodes.member("owner@example.com", Role::Admin).await;
    let mut stream = on_b.events().await;
    let body = json!({ "name": "two_node_notice", "language": "en_US", "category": "UTILITY",
        "components": [{ "type": "BODY", "text": "Your order {{1}} has shipped.",
                         "example": { "body_text": [["A-17"]] } }] });
    let (status, created) = on_a.call("POST", "/api/v1/templates", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // Meta's verdict comes to node A as a webhook; node B's members see it live.
    loop {
        let update = stream.next_named("template.updated").await;
        if update["template"]["id"] == id.as_str() && update["template"]["status"] == "APPROVED" {
            break;
        }
    }
    let detail = on_b.get(&format!("/api/v1/templates/{id}")).await;
    assert_eq!(detail["template"]["status"], "APPROVED", "{detail}");
}

#[tokio::test]
async fn automations_act_once_per_event_while_both_nodes_run_them() {
    let nodes = TwoNodes::with_simulator().await;
    let sim = nodes.sim.as_ref().unwrap();
    let (on_a, on_b) = nodes.member("rules@example.com", Role::Admin).await;
    let rule = json!({"name": "Prices", "trigger": "message_received",
        "conditions": [{"field": "message.text", "op": "contains", "value": "price"}],
        "actions": [{"type": "send_text", "text": "Our prices: example.com/prices"}]});
    let (status, body) = on_b.call("POST", "/api/v1/automations", Some(rule)).await;
    assert_eq!(status, 201, "{body}");
    let customers: Vec<_> = PERSONAS.iter().filter(|p| p.responsive).take(5).collect();
    for persona in &customers {
        sim.customer_writes(
            persona,
            json!({"type": "text", "text": {"body": "What's the price?"}}),
            Duration::ZERO,
        );
    }
    // Both nodes' workers follow the same log; each message is judged by one of them once.
    let runs = format!("/api/v1/automations/{}/runs", body["id"]);
    eventually("a run per message", || async {
        let runs = on_a.get(&runs).await;
        (runs.as_array()?.len() == customers.len()).then_some(())
    })
    .await;
    let answers = on_b
        .all_messages()
        .await
        .into_iter()
        .filter(|m| m["author_name"] == "Automation")
        .count();
    assert_eq!(answers, customers.len(), "one automated answer per message");
    eventually("every answer at Meta", || async {
        let sent = sim
            .accepted()
            .iter()
            .filter(|s| s["text"]["body"] == "Our prices: example.com/prices")
            .count();
        (sent == customers.len()).then_some(())
    })
    .await;
}
