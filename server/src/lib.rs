//! Parley's server: configuration, store, authentication and the HTTP application.

pub mod archive;
pub mod auth;
pub mod automation;
pub mod charts;
pub mod cli;
pub mod config;
pub mod domain;
pub mod graph;
pub mod group_commit;
pub mod http;
pub mod intake;
pub mod live;
pub mod media;
pub mod outbox;
pub mod routing;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod timers;
pub mod views;
pub mod whatsapp;

use auth::Authenticator;
use auth::password::PasswordHasher;
use axum::serve::ListenerExt;
use config::Config;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A bound, ready-to-serve Parley. Binding happens in [`Application::build`], so tests can
/// ask for port 0 and read the real port before serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Every browser's event stream reconnects at once when a node restarts or a load balancer
/// moves them: a thousand connections in the same moment. tokio's default accept queue (1,024)
/// overflowed then, and each dropped connection waited a second for its SYN to be resent
/// (measured: about 100 of 1,000 on PostgreSQL, where the token lookups make accepting
/// slower). The kernel caps the queue at `net.core.somaxconn`.
const ACCEPT_QUEUE: u32 = 8192;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted node can bind at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_QUEUE)
}

/// What a Parley is built with besides its configuration.
#[derive(Clone)]
pub struct Parts {
    pub store: store::SharedStore,
    /// Where "now" comes from: the system's clock, or a test's.
    pub clock: domain::SharedClock,
    /// The sandbox's simulator, when Parley runs against it: admins can make its customers
    /// write in (`/api/v1/sandbox/…`).
    pub sandbox: Option<sandbox::Simulator>,
}

impl Parts {
    /// The store, on the system's clock, without a sandbox.
    pub fn new(store: store::SharedStore) -> Parts {
        Parts {
            store,
            clock: Arc::new(domain::SystemClock),
            sandbox: None,
        }
    }
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let store = store::connect(&config.database_url).await?;
        Application::build_with(config, Parts::new(store)).await
    }

    pub async fn build_with_store(
        config: Config,
        store: store::SharedStore,
    ) -> Result<Self, StartError> {
        Application::build_with(config, Parts::new(store)).await
    }

    /// Binds, starts the workers (intake, sender, downloads, template sync, live hub, timers) and
    /// assembles the HTTP application.
    pub async fn build_with(config: Config, parts: Parts) -> Result<Self, StartError> {
        let Parts {
            store,
            clock,
            sandbox,
        } = parts;
        let listener = listen(config.bind).map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let leptos = LeptosOptions::builder()
            .output_name("parley")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();
        auth::session::spawn_expired_cleanup(&store);
        let auth = Authenticator::new(store.clone(), password_hasher(), clock.clone());
        store.release_orphaned_claims().await?;
        let live = live::LiveHub::spawn(store.clone()).await?;
        timers::spawn(store.clone(), clock.clone(), config.message_retention);
        automation::spawn(store.clone(), clock.clone());
        routing::spawn(
            store.clone(),
            clock.clone(),
            live.streams.clone(),
            config.offline_after,
        );
        let committed = Arc::new(tokio::sync::Notify::new());
        let journal = intake::Journal::spawn(store.clone(), committed.clone(), clock.clone());
        intake::spawn_processor(store.clone(), committed, journal.load(), clock.clone());
        store.link_nodes();
        let graph = graph::GraphClient::from_config(&config.whatsapp);
        let send_rates = Arc::new(outbox::SendRates::new(config.send_rate));
        if let Some(graph) = graph.clone() {
            outbox::spawn_sender(
                store.clone(),
                graph.clone(),
                send_rates.clone(),
                store.wakeups.outbox(),
                clock.clone(),
            );
            media::spawn_downloader(
                store.clone(),
                graph.clone(),
                config.media_storage(),
                clock.clone(),
            );
            if let Some(waba_id) = config.whatsapp.waba_id.clone() {
                templates::spawn_sync(store.clone(), graph, waba_id, clock.clone());
            }
        }
        let config = Arc::new(config);
        let services = service::Services {
            store,
            clock,
            config: config.clone(),
            graph,
            uploads: Arc::new(tokio::sync::Semaphore::new(
                service::media::MAX_CONCURRENT_UPLOADS,
            )),
            sandbox,
            passwords: auth.hasher().clone(),
            send_rates,
        };
        if services.graph.is_some() {
            service::campaign_runner::spawn_runner(services.clone());
            service::numbers::spawn_refresher(services.clone());
        }
        let state = http::AppState::new(http::App {
            config,
            services,
            auth,
            journal,
            live,
            leptos,
        });
        if state.config.metrics.enabled() {
            telemetry::recorder();
        }
        if let Some(addr) = state.config.metrics.bind {
            let metrics = TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })?;
            let router = http::metrics_router(state.clone());
            tokio::spawn(async move {
                if let Err(error) = axum::serve(metrics, router).await {
                    tracing::error!(%error, "the metrics address stopped serving");
                }
            });
        }
        Ok(Application {
            listener,
            router: http::router(state),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until the process receives Ctrl-C or SIGTERM.
    pub async fn serve(self) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "Parley is listening");
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Event streams write small frames moments apart (a message, then its conversation):
        // with Nagle's algorithm the second would wait for the browser's delayed ACK.
        let listener = self.listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

/// Argon2id at OWASP parameters uses about 19 MiB per hash: allow one per core.
pub fn password_hasher() -> PasswordHasher {
    PasswordHasher::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;
    use tokio::net::TcpStream;

    /// More connections than tokio's default accept queue holds, none of them accepted yet: each
    /// must wait in the queue. One dropped would hang in SYN retries (a second, then three).
    /// Needs `net.core.somaxconn` of 1,500 or more (Linux's default has been 4,096 since 5.4).
    #[tokio::test]
    async fn a_reconnect_storm_waits_in_the_accept_queue() {
        let listener = super::listen("127.0.0.1:0".parse().unwrap()).expect("listening");
        let addr = listener.local_addr().unwrap();
        let mut storm = Vec::new();
        for n in 0..1_500 {
            let connected = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
                .await
                .unwrap_or_else(|_| panic!("connection {n} was dropped from the accept queue"));
            storm.push(connected.expect("connected"));
        }
    }
}
