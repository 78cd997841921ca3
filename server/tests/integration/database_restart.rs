//! PostgreSQL stops as a power cut would, in the middle of webhook intake and sending, and
//! comes back: while it is down webhooks are refused (Meta retries them), never acknowledged
//! and lost; `/readyz` says 503; Parley keeps running and recovers by itself; afterwards every
//! acknowledged webhook is stored and every queued message is sent, repeated at most within
//! the outbox's in-flight bound. A private cluster, so the rest of the suite is not disturbed.

use crate::processes::{Node, free_port};
use crate::support::{APP_SECRET, ApiClient, create_member, eventually, mint_token, post_webhook};
use crate::wa::{self, NUMBER_A};
use parley_app::model::Role;
use parley_server::config::{DatabaseUrl, Secret};
use parley_server::sandbox::{PERSONAS, Simulator, SimulatorConfig};
use parley_server::store;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "restart-token";

/// A PostgreSQL cluster of this test's own, with durable commits (the suite's shared one
/// trades them for speed, which a power cut would expose).
struct PrivateCluster {
    port: u16,
    dir: PathBuf,
}

impl PrivateCluster {
    fn start() -> PrivateCluster {
        let cluster = PrivateCluster {
            port: 25500 + (std::process::id() % 400) as u16,
            dir: std::env::temp_dir().join(format!("parley-restart-pg-{}", std::process::id())),
        };
        cluster.run("start");
        cluster
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, command: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres");
        let status = Command::new(script)
            .arg(command)
            .env("PARLEY_TEST_PG_PORT", self.port.to_string())
            .env("PARLEY_TEST_PG_DIR", &self.dir)
            .env("PARLEY_PG_DURABLE", "1")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run scripts/postgres");
        assert!(status.success(), "scripts/postgres {command}");
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.run("stop");
    }
}

/// What a load generator sent, and what it was answered.
#[derive(Default)]
struct Outcomes(Mutex<Vec<(usize, u16)>>);

impl Outcomes {
    fn record(&self, i: usize, status: u16) {
        self.0.lock().unwrap().push((i, status));
    }

    fn with(&self, status: u16) -> Vec<usize> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(_, s)| *s == status)
            .map(|(i, _)| *i)
            .collect()
    }

    fn refused(&self) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| *s >= 500)
            .count()
    }
}

#[tokio::test]
async fn parley_rides_out_a_postgresql_crash_without_losing_or_doubling_anything() {
    let cluster = PrivateCluster::start();
    let store = store::connect(&DatabaseUrl::Postgres(Secret::new(cluster.url())))
        .await
        .expect("migrate");
    let mut config = SimulatorConfig::new(APP_SECRET, TOKEN);
    config.speed = 50.0;
    let sim = Simulator::new(config);
    sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = free_port();
    sim.set_webhook_url(format!("http://127.0.0.1:{port}/webhooks/whatsapp"));
    let node = Node::start(&cluster.url(), port, &sim.base_url(), TOKEN, &[]).await;
    let member = create_member(&store, "steady@example.com", Role::Agent, "a long password").await;
    let api = Arc::new(ApiClient {
        base: node.url(""),
        token: mint_token(&store, member.id).await,
        http: reqwest::Client::new(),
    });
    let customer = PERSONAS.iter().find(|p| p.responsive).unwrap();
    sim.customer_writes(
        customer,
        json!({"type": "text", "text": {"body": "Hi"}}),
        Duration::ZERO,
    );
    let conversation: i64 = eventually("the customer's conversation", || async {
        crate::support::conversation_ids(&api.conversations("limit=5").await)?
            .first()
            .copied()
    })
    .await;

    // Load: a webhook every 20 ms and a reply every 50 ms, until told to stop.
    let running = Arc::new(AtomicBool::new(true));
    let (webhooks, replies) = (Arc::new(Outcomes::default()), Arc::new(Outcomes::default()));
    let webhook_load = tokio::spawn({
        let (running, webhooks, url) = (
            running.clone(),
            webhooks.clone(),
            node.url("/webhooks/whatsapp"),
        );
        async move {
            let mut i = 0;
            while running.load(Ordering::Relaxed) {
                let body = parley_server::whatsapp::signature::meta_json(&wa::inbound_text(
                    NUMBER_A,
                    "15557770001",
                    "Steady",
                    &format!("wamid.restart.{i}"),
                    wa::now_secs(),
                    &format!("steady {i}"),
                ));
                let status = post_webhook(&url, body.as_bytes()).await.status().as_u16();
                webhooks.record(i, status);
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let reply_load = tokio::spawn({
        let (running, replies, api) = (running.clone(), replies.clone(), api.clone());
        async move {
            let mut i = 0;
            while running.load(Ordering::Relaxed) {
                let (status, _) = api
                    .call(
                        "POST",
                        &format!("/api/v1/conversations/{conversation}/messages"),
                        Some(json!({"type": "text", "text": format!("Reply {i}")})),
                    )
                    .await;
                replies.record(i, status);
                i += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    eventually("load under way", || async {
        (webhooks.with(200).len() >= 20 && replies.with(202).len() >= 5).then_some(())
    })
    .await;

    cluster.run("crash");
    let readiness = |api: Arc<ApiClient>| async move {
        api.http
            .get(api.base.clone() + "/readyz")
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    };
    eventually("/readyz to say the database is down", || {
        let api = api.clone();
        async move { (readiness(api).await? == 503).then_some(()) }
    })
    .await;
    eventually("webhooks to be refused while it is down", || async {
        (webhooks.refused() >= 1).then_some(())
    })
    .await;
    cluster.run("recover");
    eventually("Parley to be ready again by itself", || {
        let api = api.clone();
        async move { (readiness(api).await? == 200).then_some(()) }
    })
    .await;
    let acknowledged_before = webhooks.with(200).len();
    eventually("webhooks to be acknowledged again", || async {
        (webhooks.with(200).len() >= acknowledged_before + 10).then_some(())
    })
    .await;
    running.store(false, Ordering::Relaxed);
    webhook_load.await.unwrap();
    reply_load.await.unwrap();

    // Every acknowledged webhook is stored, once.
    let acknowledged = webhooks.with(200);
    eprintln!(
        "webhooks: {} acknowledged, {} refused while the database was down",
        acknowledged.len(),
        webhooks.refused()
    );
    eventually("every acknowledged webhook stored", || async {
        let stored: Vec<String> = api
            .messages(conversation_named(&api, "Steady").await?)
            .await
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .collect();
        acknowledged
            .iter()
            .all(|i| {
                stored
                    .iter()
                    .filter(|t| **t == format!("steady {i}"))
                    .count()
                    == 1
            })
            .then_some(())
    })
    .await;
    // Every reply accepted (202) is sent, and nothing beyond the in-flight bound twice.
    let accepted = replies.with(202);
    let sent = || -> Vec<String> {
        sim.accepted()
            .iter()
            .filter_map(|a| a["text"]["body"].as_str().map(str::to_owned))
            .filter(|body| body.starts_with("Reply "))
            .collect()
    };
    eventually("every accepted reply sent", || async {
        let sent = sent();
        accepted
            .iter()
            .all(|i| sent.contains(&format!("Reply {i}")))
            .then_some(())
    })
    .await;
    let mut distinct = sent();
    distinct.sort();
    distinct.dedup();
    let duplicates = sent().len() - distinct.len();
    eprintln!(
        "replies: {} accepted, {} refused, {duplicates} sent twice",
        accepted.len(),
        replies.0.lock().unwrap().len() - accepted.len()
    );
    assert!(duplicates <= parley_server::outbox::MAX_IN_FLIGHT);
    let alive = reqwest::get(node.url("/healthz")).await.unwrap();
    assert_eq!(alive.status(), 200, "the same process throughout");
}

async fn conversation_named(api: &ApiClient, name: &str) -> Option<i64> {
    api.conversations("limit=50").await["conversations"]
        .as_array()?
        .iter()
        .find(|c| c["contact"]["name"] == name)
        .and_then(|c| c["id"].as_i64())
}
