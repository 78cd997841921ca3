//! Durability across a crash: the real `parley` binary is killed with SIGKILL right after
//! acknowledging a burst of webhooks, then restarted; every acknowledged message must be there.

use crate::support::{APP_SECRET, eventually};
use crate::wa::{self, NUMBER_A};
use parley_server::config::DatabaseUrl;
use parley_server::store;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(database_url: &str, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("WA_APP_SECRET", APP_SECRET)
        // Credentials (never used here) keep `serve` out of sandbox mode and its demo traffic.
        .env("WA_ACCESS_TOKEN", "unused-token")
        .env("WA_GRAPH_URL", "http://127.0.0.1:9")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start parley");
    let client = reqwest::Client::new();
    eventually("parley to listen", || {
        let client = client.clone();
        async move {
            client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
                .ok()
                .map(|_| ())
        }
    })
    .await;
    child
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
    server.kill().expect("SIGKILL"); // no graceful shutdown: as if the machine lost power to the process
    server.wait().unwrap();
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
    let backlog_at_kill = store.webhook_backlog().await.unwrap();
    eprintln!("webhooks unprocessed when the process died: {backlog_at_kill}");

    let mut restarted = start(&database_url, port).await;
    eventually("the backlog to drain after restart", || async {
        (store.webhook_backlog().await.unwrap() == 0).then_some(())
    })
    .await;
    let page = store
        .list_conversations(&store::ConversationQuery {
            assignment: store::Assignment::All,
            status: None,
            phone_number_id: None,
            search: None,
            order: store::ConversationOrder::LatestActivity,
            cursor: None,
            limit: 200,
            now: store::Millis::now(),
        })
        .await
        .unwrap();
    let mut stored = Vec::new();
    for conversation in &page.conversations {
        stored.extend(store.conversation_messages(conversation.id).await.unwrap());
    }
    assert_eq!(page.conversations.len(), 50);
    let mut wamids: Vec<String> = stored.iter().filter_map(|m| m.wamid.clone()).collect();
    wamids.sort();
    wamids.dedup();
    assert_eq!(stored.len(), 400, "each acknowledged message exactly once");
    assert_eq!(wamids.len(), 400);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
}
