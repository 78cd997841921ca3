//! Parley's HTTP surface: pages (Leptos SSR), server functions, sign-in, the REST API and
//! health checks, assembled into one axum router.

mod api;
mod backend;
mod conversations;
mod csrf;
mod error;
mod identity;
mod openapi;
mod sandbox;
mod sign_in;
mod templates;
mod uploads;
mod webhook;

pub use error::ApiError;
pub use identity::{Credential, RequireAdmin, RequireViewer};
pub use sign_in::local_target;
pub use uploads::MAX_CONCURRENT_UPLOADS;

use crate::auth::{self, Authenticator};
use crate::config::Config;
use crate::store::{SharedStore, StoreResult};
use axum::extract::{ConnectInfo, FromRef, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Router, middleware};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use parley_app::model::TeamMember;
use parley_app::{App, shell};
use std::net::SocketAddr;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: SharedStore,
    pub auth: Authenticator,
    pub journal: crate::intake::Journal,
    pub live: crate::live::LiveHub,
    /// Poked when a send is queued, so the sender does not wait for its next poll.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Slots for uploads streaming in (see `uploads::MAX_CONCURRENT_UPLOADS`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Meta's Graph API (or the simulator); `None` when no access token is configured.
    pub graph: Option<crate::graph::GraphClient>,
    /// The built-in simulator, in sandbox mode.
    pub sandbox: Option<crate::sandbox::Simulator>,
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    /// The Graph API client, or why there is none.
    pub fn graph(&self) -> Result<&crate::graph::GraphClient, ApiError> {
        self.graph.as_ref().ok_or_else(|| {
            ApiError::Upstream(
                "not configured: set WA_ACCESS_TOKEN (or run without it to use the sandbox)".into(),
            )
        })
    }

    pub async fn team_members(&self) -> StoreResult<Vec<TeamMember>> {
        let users = self.store.list_users().await?;
        Ok(users
            .into_iter()
            .map(|u| TeamMember {
                id: u.id,
                email: u.email,
                name: u.name,
                role: u.role,
                disabled: u.disabled,
                created_at: u.created_at.to_rfc3339(),
            })
            .collect())
    }
}

pub fn router(state: AppState) -> Router {
    let backend: parley_app::api::ssr::SharedBackend = Arc::new(state.clone());
    let leptos_options = state.leptos.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            move || provide_context(backend.clone()),
            move || shell(leptos_options.clone()),
        )
        .route_layer(middleware::from_fn(identity::page_access));

    let authenticated = Router::new()
        .merge(pages)
        .merge(api::router())
        .merge(conversations::router())
        .merge(uploads::router())
        .merge(templates::router())
        .merge(sandbox::router())
        .route("/login", post(sign_in::sign_in))
        .route("/logout", post(sign_in::sign_out))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::attach_viewer,
        ))
        .layer(auth::session::layer(&state.store, &state.config.session));

    let site_pkg = state.config.site_root.join("pkg");
    Router::new()
        .merge(authenticated)
        .merge(webhook::router())
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
        .nest_service("/pkg", tower_http::services::ServeDir::new(site_pkg))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
async fn alive() -> &'static str {
    "ok"
}

/// Ready when the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
async fn ready(State(app): State<AppState>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The caller's address for throttling: the socket peer, or, behind `trusted_proxies`
/// proxies, the address the outermost of them appended to `X-Forwarded-For`.
pub fn client_address(request: &Request, trusted_proxies: usize) -> String {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded_client(&forwarded, trusted_proxies)
        .map(str::to_owned)
        .unwrap_or(peer)
}

/// The Nth entry from the right of `X-Forwarded-For` with N trusted proxies: each appends the
/// address it received from, so the client controls only what stands left of that.
fn forwarded_client<'a>(entries: &[&'a str], trusted_proxies: usize) -> Option<&'a str> {
    if trusted_proxies == 0 || entries.len() < trusted_proxies {
        return None;
    }
    Some(entries[entries.len() - trusted_proxies]).filter(|entry| !entry.is_empty())
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_cannot_choose_its_forwarded_address() {
        // One proxy: the client sent "1.1.1.1"; the proxy appended the real address.
        assert_eq!(
            forwarded_client(&["1.1.1.1", "203.0.113.7"], 1),
            Some("203.0.113.7")
        );
        // Two proxies: the outer one appended the client, the inner one the outer proxy.
        assert_eq!(
            forwarded_client(&["1.1.1.1", "203.0.113.7", "10.0.0.2"], 2),
            Some("203.0.113.7")
        );
        // Fewer entries than proxies, or none trusted: the socket peer decides.
        assert_eq!(forwarded_client(&["203.0.113.7"], 2), None);
        assert_eq!(forwarded_client(&["203.0.113.7"], 0), None);
    }
}
