//! Attaching the caller's identity to each request, and the gates built on it.

use super::{ApiError, AppState};
use crate::auth::{self, session, token};
use crate::domain::Millis;
use crate::service::audit::Origin;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parley_app::model::Viewer;
use tower_sessions::Session;

/// How the caller proved who they are, and until when that proof holds (an event stream ends
/// then unless the credential still holds). Bearer callers carry no ambient credential, so
/// the CSRF check does not apply to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    SessionCookie {
        id: tower_sessions::session::Id,
        valid_until: Millis,
    },
    BearerToken {
        digest: String,
        valid_until: Option<Millis>,
    },
}

impl Credential {
    pub fn is_bearer_token(&self) -> bool {
        matches!(self, Credential::BearerToken { .. })
    }

    /// When this credential must next be checked again (it may have been extended).
    pub fn valid_until(&self) -> Option<Millis> {
        match self {
            Credential::SessionCookie { valid_until, .. } => Some(*valid_until),
            Credential::BearerToken { valid_until, .. } => *valid_until,
        }
    }
}

/// Where the request came from, for the audit log: the client's address (see
/// [`super::client_address`]).
pub struct ClientOrigin(pub Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let address = super::client_address_of(
            &parts.extensions,
            &parts.headers,
            app.config.trusted_proxies,
        );
        Ok(ClientOrigin(Origin(address)))
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Resolves the session cookie or bearer token into a [`Viewer`] request extension. A bearer
/// token that does not match answers 401 at once rather than falling back to the cookie.
pub async fn attach_viewer(
    State(app): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let resolved = match bearer_token(&parts) {
        Some(presented) => {
            let owner = if token::looks_like_token(presented) {
                app.services
                    .store
                    .team
                    .user_by_api_token(&token::digest(presented), app.services.now())
                    .await
            } else {
                Ok(None)
            };
            match owner {
                Ok(Some(owner)) => Some((
                    owner.user,
                    Credential::BearerToken {
                        digest: token::digest(presented),
                        valid_until: owner.expires_at,
                    },
                )),
                Ok(None) => return ApiError::Unauthorized.into_response(),
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        None => match session::signed_in_user(
            &session,
            &app.services.store,
            &app.config.session,
            app.services.now(),
        )
        .await
        {
            Ok(signed_in) => signed_in.map(|signed_in| {
                (
                    signed_in.user,
                    Credential::SessionCookie {
                        id: signed_in.session_id,
                        valid_until: signed_in.valid_until,
                    },
                )
            }),
            Err(e) => return ApiError::from(e).into_response(),
        },
    };
    if let Some((user, credential)) = resolved {
        let cookie = matches!(credential, Credential::SessionCookie { .. });
        if cookie && session::enrolment_required(&session).await {
            // Until the member sets up a second factor, this session may do only that.
            let path = parts.uri.path();
            if !ENROLMENT_PATHS.contains(&path) && !path.starts_with("/pkg/") {
                return if path.starts_with("/api/") || path.starts_with("/rpc/") {
                    ApiError::EnrolmentRequired.into_response()
                } else {
                    Redirect::to(ENROL_PAGE).into_response()
                };
            }
        }
        parts.extensions.insert(auth::viewer_of(&user));
        parts.extensions.insert(credential);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Where a member the workspace requires to use a second factor sets one up.
pub const ENROL_PAGE: &str = "/settings?two_factor=required";

/// What a session that owes the set-up of a second factor may still reach.
const ENROLMENT_PATHS: [&str; 13] = [
    "/settings",
    "/logout",
    "/api/v1/me",
    "/api/v1/me/two-factor",
    "/api/v1/me/two-factor/confirm",
    "/rpc/my_profile",
    "/rpc/current_viewer",
    "/rpc/my_two_factor",
    "/rpc/begin_two_factor",
    "/rpc/confirm_two_factor",
    "/rpc/my_notifications",
    "/rpc/my_availability",
    "/rpc/admin_alerts",
];

/// Extractor for handlers that need a signed-in member (401 otherwise).
pub struct RequireViewer(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for RequireViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .map(RequireViewer)
            .ok_or(ApiError::Unauthorized)
    }
}

/// Extractor for admin-only handlers (401 without sign-in, 403 for agents).
pub struct RequireAdmin(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RequireViewer(viewer) = RequireViewer::from_request_parts(parts, state).await?;
        if viewer.is_admin() {
            Ok(RequireAdmin(viewer))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Who may open which page, decided before anything renders: visitors are sent to sign in,
/// agents get 403 on admin pages, and server functions under `/rpc/admin` are admin-only.
pub async fn page_access(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let viewer = request.extensions().get::<Viewer>();
    // What WhatsApp costs is the admins' to see (reports of one's own work will not be).
    let is_admin_area = path == "/admin" || path.starts_with("/admin/") || path == "/reports/costs";
    if path.starts_with("/rpc/admin/") {
        return match viewer {
            None => ApiError::Unauthorized.into_response(),
            Some(v) if !v.is_admin() => ApiError::Forbidden.into_response(),
            Some(_) => next.run(request).await,
        };
    }
    if path.starts_with("/rpc/") {
        return next.run(request).await;
    }
    // Whoever holds a one-time link may set a password, signed in or not.
    if path == "/set-password" || path == "/login/code" {
        return next.run(request).await;
    }
    if path == "/login" {
        return match viewer {
            Some(_) => Redirect::to("/inbox").into_response(),
            None => next.run(request).await,
        };
    }
    match viewer {
        None => {
            let target = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/inbox");
            Redirect::to(&format!("/login?next={}", encode_query_value(target))).into_response()
        }
        Some(v) if is_admin_area && !v.is_admin() => forbidden_page(),
        Some(_) => next.run(request).await,
    }
}

fn forbidden_page() -> Response {
    let body = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Forbidden · Parley</title><link rel="stylesheet" href="/pkg/parley.css"></head><body><main class="centered-card"><h1>Forbidden</h1><p>This page is for admins only.</p><p><a href="/inbox">Back to the inbox</a></p></main></body></html>"#;
    (StatusCode::FORBIDDEN, Html(body)).into_response()
}

/// Percent-encodes a value for a query string (RFC 3986 unreserved characters pass).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
