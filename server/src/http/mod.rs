//! Parley's HTTP surface: pages (Leptos SSR), server functions, sign-in, the REST API and
//! health checks, assembled into one axum router.

mod api;
mod backend;
mod conversations;
mod csrf;
mod error;
mod identity;
mod openapi;
mod sign_in;
mod templates;
mod uploads;
mod webhook;

pub use error::ApiError;
pub use identity::{Credential, RequireAdmin, RequireViewer};

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
    /// Meta's Graph API (or the simulator); `None` when no access token is configured.
    pub graph: Option<crate::graph::GraphClient>,
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

/// The caller's address for throttling: the socket peer, or the first `X-Forwarded-For` hop
/// when Parley is configured to sit behind a trusted proxy.
pub fn client_address(request: &Request, trust_proxy: bool) -> String {
    if trust_proxy {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        if let Some(first) = forwarded
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return first.to_owned();
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
