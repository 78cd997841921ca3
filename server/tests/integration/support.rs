//! Starting Parley for a test, and databases to start it on.

use parley_app::model::{DisplayName, Email, Role};
use parley_server::auth::password::NewPassword;
use parley_server::config::{Config, DatabaseUrl, Secret, Sources};
use parley_server::domain::{SharedClock, SystemClock};
use parley_server::store::{self, NewUser, SharedStore, User};
use parley_server::{Application, Parts};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A fresh, empty database URL on `engine`. SQLite files live in a temp dir kept for the
/// lifetime of the test process.
pub async fn fresh_database(engine: Engine) -> DatabaseUrl {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir").keep();
            DatabaseUrl::Sqlite(format!("sqlite:{}", dir.join("parley.db").display()))
        }
        Engine::Postgres => {
            let admin_url = std::env::var("PARLEY_TEST_POSTGRES_URL").expect(
                "PARLEY_TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL on loopback",
            );
            let name = format!("parley_test_{}", random_suffix());
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(base, _)| base)
                .unwrap_or(&admin_url);
            DatabaseUrl::Postgres(Secret::new(format!("{base}/{name}")))
        }
    }
}

fn random_suffix() -> String {
    use rand::Rng as _;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| rng.gen_range(b'a'..=b'z') as char)
        .collect()
}

pub async fn fresh_store(engine: Engine) -> SharedStore {
    store::connect(&fresh_database(engine).await)
        .await
        .expect("connect and migrate")
}

pub fn test_config(database_url: DatabaseUrl) -> Config {
    let mut config = Config::from_sources(&Sources::from_pairs([
        ("PARLEY_BIND", "127.0.0.1:0"),
        ("WA_APP_SECRET", APP_SECRET),
        ("WA_VERIFY_TOKEN", VERIFY_TOKEN),
    ]))
    .expect("config");
    config.database_url = database_url;
    // Media files go to a temporary directory, never into the source tree.
    config.data_dir = tempfile::tempdir().expect("temp dir").keep();
    config
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: SharedStore,
    /// Where the app's database is (another process, say the CLI, can open it too).
    pub database_url: DatabaseUrl,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, |_| {}).await
    }

    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_on(engine, Arc::new(SystemClock), adjust).await
    }

    /// An app whose "now" is `clock`: tests move a [`parley_server::domain::ManualClock`]
    /// forward instead of sleeping.
    pub async fn spawn_on(
        engine: Engine,
        clock: SharedClock,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = test_config(fresh_database(engine).await);
        adjust(&mut config);
        let database_url = config.database_url.clone();
        let store = store::connect(&database_url).await.expect("store");
        let parts = Parts {
            clock,
            ..Parts::new(store.clone())
        };
        let app = Application::build_with(config, parts)
            .await
            .expect("build app");
        let addr = app.local_addr();
        tokio::spawn(app.serve());
        TestApp {
            addr,
            store,
            database_url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    pub async fn add_user(&self, email: &str, role: Role, password: &str) -> User {
        create_member(&self.store, email, role, password).await
    }

    /// Posts the sign-in form as a browser on Parley's own page would.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/login"))
            .header("origin", self.origin())
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("POST /login")
    }
}

impl TestApp {
    /// POSTs `body` to the webhook, signed as Meta signs it.
    pub async fn post_webhook(&self, body: &[u8]) -> reqwest::Response {
        post_webhook(&self.url("/webhooks/whatsapp"), body).await
    }

    /// Serialises `payload` the way Meta does (escaped unicode) and posts it, expecting 200.
    pub async fn deliver(&self, payload: &serde_json::Value) {
        let body = parley_server::whatsapp::signature::meta_json(payload);
        let response = self.post_webhook(body.as_bytes()).await;
        assert_eq!(
            response.status(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// A member with their own API token: a client acting as them, and their id.
    pub async fn member(&self, name: &str, role: Role) -> (ApiClient, i64) {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        self.client_for(&email, role).await
    }

    /// A member with this email (password "a long password") and a client with their token.
    pub async fn client_for(&self, email: &str, role: Role) -> (ApiClient, i64) {
        let user = self.add_user(email, role, "a long password").await;
        let client = ApiClient {
            base: self.url(""),
            token: mint_token(&self.store, user.id).await,
            http: reqwest::Client::new(),
        };
        (client, user.id.0)
    }

    /// A client authenticated with a fresh admin's API token.
    pub async fn api(&self) -> ApiClient {
        let user = self
            .add_user(
                &format!("api-{}@example.com", random_suffix()),
                Role::Admin,
                "api password",
            )
            .await;
        ApiClient {
            base: self.url(""),
            token: mint_token(&self.store, user.id).await,
            http: reqwest::Client::new(),
        }
    }
}

/// A member with a password, named after their email.
pub async fn create_member(store: &SharedStore, email: &str, role: Role, password: &str) -> User {
    let hash = parley_server::password_hasher()
        .hash(NewPassword::parse(password).expect("valid password"))
        .await
        .expect("hash");
    store
        .team
        .create_user(
            NewUser {
                email: Email::parse(email).unwrap(),
                name: DisplayName::parse(email.split('@').next().unwrap()).unwrap(),
                role,
                password_hash: Some(hash),
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .expect("create user")
}

/// POSTs `body` to the webhook at `url`, signed as Meta signs it.
pub async fn post_webhook(url: &str, body: &[u8]) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            parley_server::whatsapp::signature::sign(APP_SECRET.as_bytes(), body),
        )
        .body(body.to_vec())
        .send()
        .await
        .expect("POST webhook")
}

/// A personal API token for `user` that never expires.
pub async fn mint_token(store: &SharedStore, user: parley_app::model::UserId) -> String {
    let (token, _) = parley_server::auth::token::issue(
        store,
        user,
        "test".into(),
        None,
        parley_server::store::Millis::now(),
    )
    .await
    .expect("token");
    token
}

/// Calls the REST API with a bearer token.
pub struct ApiClient {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl ApiClient {
    /// This member's event stream (`GET /api/v1/events`), open.
    pub async fn events(&self) -> EventStream {
        let response = self
            .http
            .get(format!("{}/api/v1/events", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET /api/v1/events");
        assert_eq!(response.status(), 200);
        EventStream::new(response)
    }

    pub async fn get(&self, path: &str) -> serde_json::Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Any request; the status and the JSON answer (`null` when the body is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.call_text(method, path, body).await;
        (status, serde_json::from_str(&text).unwrap_or_default())
    }

    /// Any request; the status and the body as text.
    pub async fn call_text(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn conversations(&self, query: &str) -> serde_json::Value {
        self.get(&format!("/api/v1/conversations?{query}")).await
    }

    pub async fn messages(&self, conversation_id: i64) -> Vec<serde_json::Value> {
        let body = self
            .get(&format!("/api/v1/conversations/{conversation_id}/messages"))
            .await;
        body["messages"].as_array().unwrap().clone()
    }

    /// Every message in every conversation.
    pub async fn all_messages(&self) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        for conversation in self.conversations("limit=200").await["conversations"]
            .as_array()
            .unwrap()
        {
            all.extend(self.messages(conversation["id"].as_i64().unwrap()).await);
        }
        all
    }
}

/// The ids of a conversation page's conversations.
pub fn conversation_ids(page: &serde_json::Value) -> Option<Vec<i64>> {
    Some(
        page["conversations"]
            .as_array()?
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect(),
    )
}

/// Polls `check` until it returns `Some`, for up to 15 seconds (processing is asynchronous).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("parley_session="))
        .map(str::to_owned)
}

/// Runs one async test body on each engine.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::Engine::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::Engine::Postgres).await
                }
            )*
        }
    };
}

/// Reads a server-sent-event stream one event at a time.
pub struct EventStream {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

/// One server-sent event: its id, name and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: String,
    pub name: String,
    pub data: String,
}

impl EventStream {
    pub fn new(response: reqwest::Response) -> Self {
        EventStream {
            stream: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event named `name` (others are passed over); panics if none comes in 10 s.
    pub async fn next_named(&mut self, name: &str) -> serde_json::Value {
        loop {
            let event = self
                .next(Duration::from_secs(10))
                .await
                .expect("the stream stays open");
            if event.name == name {
                return serde_json::from_str(&event.data).unwrap();
            }
        }
    }

    /// The next event, or `None` once the server ends the stream. Panics after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        use futures_util::StreamExt as _;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().all(|l| l.starts_with(':') || l.is_empty()) {
                    continue; // keep-alive comment
                }
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim_start().to_owned())
                        .unwrap_or_default()
                };
                return Some(SseEvent {
                    id: field("id"),
                    name: field("event"),
                    data: field("data"),
                });
            }
            let chunk = tokio::time::timeout(wait, self.stream.next())
                .await
                .expect("the stream to move in time");
            match chunk {
                Some(Ok(bytes)) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// The tables of the database at `url` with a foreign key to `table`, by name.
pub async fn tables_referencing(url: &DatabaseUrl, table: &str) -> Vec<String> {
    use sqlx::Connection as _;
    let mut names: Vec<String> = match url {
        DatabaseUrl::Sqlite(url) => {
            let mut db = sqlx::SqliteConnection::connect(url).await.expect("open");
            sqlx::query_scalar(
                "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
                 WHERE m.type = 'table' AND f.\"table\" = $1",
            )
            .bind(table)
            .fetch_all(&mut db)
            .await
            .expect("foreign keys")
        }
        DatabaseUrl::Postgres(url) => {
            let mut db = sqlx::PgConnection::connect(url.expose())
                .await
                .expect("open");
            sqlx::query_scalar(
                "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
                 WHERE c.contype = 'f' AND c.confrelid = $1::regclass",
            )
            .bind(table)
            .fetch_all(&mut db)
            .await
            .expect("foreign keys")
        }
    };
    names.sort();
    names
}

/// Every raw webhook body in the intake journal of the database at `url`.
pub async fn journal_bodies(url: &DatabaseUrl) -> Vec<Vec<u8>> {
    use sqlx::Connection as _;
    let sql = "SELECT body FROM webhook_events ORDER BY id";
    match url {
        DatabaseUrl::Sqlite(url) => {
            let mut db = sqlx::SqliteConnection::connect(url).await.expect("open");
            sqlx::query_scalar(sql)
                .fetch_all(&mut db)
                .await
                .expect("bodies")
        }
        DatabaseUrl::Postgres(url) => {
            let mut db = sqlx::PgConnection::connect(url.expose())
                .await
                .expect("open");
            sqlx::query_scalar(sql)
                .fetch_all(&mut db)
                .await
                .expect("bodies")
        }
    }
}
