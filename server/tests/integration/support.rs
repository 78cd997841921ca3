//! Starting Parley for a test, and databases to start it on.

use parley_app::model::{DisplayName, Email, Role};
use parley_server::Application;
use parley_server::auth::password::NewPassword;
use parley_server::config::{Config, DatabaseUrl, Secret, Sources};
use parley_server::store::{self, NewUser, SharedStore, User};
use std::net::SocketAddr;
use std::time::Duration;

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
    let mut config = Config::from_sources(&Sources::from_pairs([("PARLEY_BIND", "127.0.0.1:0")]))
        .expect("config");
    config.database_url = database_url;
    config
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: SharedStore,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, |_| {}).await
    }

    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = test_config(fresh_database(engine).await);
        adjust(&mut config);
        let store = store::connect(&config.database_url).await.expect("store");
        let app = Application::build_with_store(config, store.clone())
            .await
            .expect("build app");
        let addr = app.local_addr();
        tokio::spawn(app.serve());
        TestApp { addr, store }
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
        let hash = parley_server::password_hasher()
            .hash(NewPassword::parse(password).expect("valid password"))
            .await
            .expect("hash");
        self.store
            .create_user(NewUser {
                email: Email::parse(email).unwrap(),
                name: DisplayName::parse(email.split('@').next().unwrap()).unwrap(),
                role,
                password_hash: hash,
            })
            .await
            .expect("create user")
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
