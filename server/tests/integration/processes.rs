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
    /// Where the node listens.
    pub port: u16,
    child: Child,
    /// nginx in front of it, when the test reaches it through one.
    proxy: Option<Nginx>,
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
        Node {
            port,
            child,
            proxy: None,
        }
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

    /// The node's address as clients reach it: through its nginx, if it has one.
    pub fn url(&self, path: &str) -> String {
        let port = self.proxy.as_ref().map_or(self.port, |proxy| proxy.port);
        format!("http://127.0.0.1:{port}{path}")
    }

    /// Puts Debian's nginx in front of this node, configured as docs/deploy.md says.
    pub async fn behind_nginx(mut self) -> Node {
        self.proxy = Some(Nginx::start(self.port).await);
        self
    }

    /// Behind nginx when `PARLEY_TEST_THROUGH_NGINX` is set: the two-node suite can be run
    /// through the deployment guide's proxy configuration.
    pub async fn fronted_as_asked(self) -> Node {
        if std::env::var_os("PARLEY_TEST_THROUGH_NGINX").is_some() {
            self.behind_nginx().await
        } else {
            self
        }
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

/// Debian's nginx (`/usr/sbin/nginx`) proxying to one node with docs/deploy.md's `location`
/// blocks (`Host` passed with its port, as the guide says for a proxy not on 80 or 443);
/// stopped when dropped.
pub struct Nginx {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub const BINARY: &str = "/usr/sbin/nginx";

    pub async fn start(upstream_port: u16) -> Nginx {
        let dir = tempfile::tempdir().expect("nginx directory");
        let root = dir.path().display();
        let port = free_port();
        let proxied = "proxy_pass http://parley;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;";
        let config = format!(
            "worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    client_max_body_size 110m;
    upstream parley {{ server 127.0.0.1:{upstream_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location /api/v1/events {{
            {proxied}
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
        location / {{
            {proxied}
        }}
    }}
}}
"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, config).expect("nginx.conf");
        let child = Command::new(Nginx::BINARY)
            .args(["-e", &format!("{root}/error.log"), "-c"])
            .arg(&path)
            // One process, so killing it leaves no workers behind.
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .spawn()
            .expect("start nginx (apt-get install nginx-light)");
        let client = reqwest::Client::new();
        eventually("nginx to pass requests to parley", || {
            let client = client.clone();
            async move {
                let response = client
                    .get(format!("http://127.0.0.1:{port}/healthz"))
                    .send()
                    .await
                    .ok()?;
                response.status().is_success().then_some(())
            }
        })
        .await;
        Nginx {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
