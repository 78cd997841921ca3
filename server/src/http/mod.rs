//! Parley's HTTP surface: pages (Leptos SSR), server functions, sign-in, the REST API and
//! health checks, assembled into one axum router. Handlers and server functions are thin
//! adapters over `crate::service`; the OpenAPI document is collected from the very routes
//! that serve the API (utoipa-axum), so the two cannot drift.

mod api;
mod audit;
mod automations;
mod backend;
mod body;
mod campaigns;
mod canned;
mod consent;
mod contacts;
mod conversations;
mod costs;
mod csrf;
mod error;
mod events;
mod identity;
mod labels;
mod notes;
mod numbers;
mod openapi;
mod reports;
mod sandbox;
mod segments;
mod sign_in;
mod teams;
mod templates;
mod two_factor;
mod uploads;
mod webhook;

pub use body::JsonBody;
pub use error::ApiError;
pub use identity::{ClientOrigin, Credential, RequireAdmin, RequireViewer};
pub use sign_in::local_target;

use crate::auth::{self, Authenticator};
use crate::config::Config;
use crate::service::Services;
use axum::extract::{ConnectInfo, FromRef, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Router, middleware};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use parley_app::{App, shell};
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler can reach: one pointer, cloned into every request (and held by every
/// open event stream).
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

pub struct App {
    pub config: Arc<Config>,
    pub services: Services,
    pub auth: Authenticator,
    pub journal: crate::intake::Journal,
    pub live: crate::live::LiveHub,
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// The API's routes, with their OpenAPI description.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(api::router())
        .merge(conversations::router())
        .merge(notes::router())
        .merge(labels::router())
        .merge(contacts::router())
        .merge(consent::router())
        .merge(campaigns::router())
        .merge(numbers::router())
        .merge(canned::router())
        .merge(costs::router())
        .merge(reports::router())
        .merge(automations::router())
        .merge(uploads::router())
        .merge(templates::router())
        .merge(teams::router())
        .merge(two_factor::router())
        .merge(sandbox::router())
        .routes(routes!(sign_in::sign_in))
        .routes(routes!(sign_in::sign_out))
        .routes(routes!(sign_in::set_password))
        .routes(routes!(sign_in::sign_in_code))
        .merge(audit::router())
}

/// The OpenAPI document of every route Parley serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, authenticated) = api_routes().split_for_parts();
    let (_, public) = public_routes().split_for_parts();
    let mut document = authenticated;
    document.merge(public);
    document
}

/// Routes that need no sign-in: Meta's webhook and the health checks.
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(webhook::router())
        .routes(routes!(alive))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

/// Prometheus metrics, for the bearer token `PARLEY_METRICS_TOKEN` (404 when it is not set).
#[utoipa::path(get, path = "/metrics", tag = "health",
    security(("bearer" = [])),
    responses((status = 200, description = "metrics in Prometheus' text format", content_type = "text/plain"),
        (status = 401, description = "wrong or missing token"),
        (status = 404, description = "metrics are off, or served on PARLEY_METRICS_BIND")))]
async fn metrics(
    state: State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    crate::telemetry::metrics_with_token(state, headers).await
}

/// The metrics' own address (`PARLEY_METRICS_BIND`): `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(crate::telemetry::metrics_open),
        )
        .with_state(state)
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

    let document = Arc::new(
        openapi_document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises"),
    );
    let (api, _) = api_routes().split_for_parts();
    let authenticated = Router::new()
        .merge(pages)
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        (*document).clone(),
                    )
                }
            }),
        )
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::attach_viewer,
        ))
        .layer(auth::session::layer(
            &state.services.store,
            &state.config.session,
        ));

    let (public, _) = public_routes().split_for_parts();
    let site_pkg = state.config.site_root.join("pkg");
    let router = Router::new()
        .merge(authenticated)
        .merge(public)
        .nest_service("/pkg", tower_http::services::ServeDir::new(site_pkg))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let router = if state.config.metrics.enabled() {
        router.layer(middleware::from_fn(crate::telemetry::time_requests))
    } else {
        router
    };
    router.with_state(state)
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
    // A load balancer's check gives up after a few seconds: answer before it does.
    let ping =
        tokio::time::timeout(std::time::Duration::from_secs(2), app.services.store.ping()).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
        Err(_) => {
            tracing::warn!("database did not answer within 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The caller's address for throttling: the socket peer, or, behind `trusted_proxies`
/// proxies, the address the outermost of them appended to `X-Forwarded-For`.
pub fn client_address(request: &Request, trusted_proxies: usize) -> String {
    client_address_of(request.extensions(), request.headers(), trusted_proxies)
}

/// [`client_address`] from a request's parts.
pub fn client_address_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    trusted_proxies: usize,
) -> String {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let forwarded: Vec<&str> = headers
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
