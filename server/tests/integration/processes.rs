//! The real `parley` binary as a separate process: for crashes, and for several nodes on one
//! database.

use crate::support::{APP_SECRET, eventually};
use std::process::{Child, Command, Stdio};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `parley serve` process; killed when dropped, so a failed test leaves none behind.
pub struct Node {
    pub port: u16,
    child: Child,
}

impl Node {
    /// Starts `parley serve` on `database_url` with the Graph API at `graph_url`. Credentials
    /// (even unused ones) keep it out of sandbox mode and its demo traffic.
    pub async fn start(
        database_url: &str,
        port: u16,
        graph_url: &str,
        token: &str,
        env: &[(&str, &str)],
    ) -> Node {
        let child = Command::new(env!("CARGO_BIN_EXE_parley"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
            .env("WA_APP_SECRET", APP_SECRET)
            .env("WA_ACCESS_TOKEN", token)
            .env("WA_GRAPH_URL", graph_url)
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
        Node { port, child }
    }

    /// A node with unused Graph credentials.
    pub async fn offline(database_url: &str, port: u16) -> Node {
        Node::start(
            database_url,
            port,
            "http://127.0.0.1:9",
            "unused-token",
            &[],
        )
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGKILL: no graceful shutdown, as if the machine lost power to the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
