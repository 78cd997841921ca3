//! Cross-site request forgery defence for requests a browser authenticates by cookie.
//!
//! We verify the request's origin instead of issuing synchronizer tokens. Every browser Parley
//! supports sends `Origin` on state-changing requests and `Sec-Fetch-Site` on all requests, so
//! checking them protects plain HTML forms (sign-in works before the WASM loads), server
//! functions and REST alike, needs no per-session token state shared between nodes, and cannot
//! be forgotten by a new form. The `SameSite=Lax` session cookie is a second, independent layer.
//! Requests authenticated by a bearer token have no ambient credential and are exempt (a
//! request that merely carries some `Authorization` header is not); so is the webhook, which
//! authenticates by signature.

use super::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn protect(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let exempt = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request
        .extensions()
        .get::<super::Credential>()
        .is_some_and(super::Credential::is_bearer_token)
        || request.uri().path().starts_with("/webhooks/");
    if exempt || same_origin(request.headers(), app.config.public_origin.as_deref()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site state-changing request");
        ApiError::CrossSite.into_response()
    }
}

/// Whether the request provably comes from one of Parley's own pages.
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::HeaderName::from_static("sec-fetch-site"))
        .is_some_and(|site| site != "same-origin")
    {
        return false;
    }
    let Some(origin) = text(header::ORIGIN).or_else(|| text(header::REFERER)) else {
        // A browser always sends one of them on a state-changing request: no proof, no entry.
        return false;
    };
    match public_origin {
        Some(expected) => origin == expected || origin.starts_with(&format!("{expected}/")),
        None => {
            let Some(host) = text(header::HOST) else {
                return false;
            };
            let authority = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            let authority = authority.split('/').next().unwrap_or("");
            authority.eq_ignore_ascii_case(host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_host_passes() {
        assert!(same_origin(
            &headers(&[
                ("host", "inbox.test:3000"),
                ("origin", "http://inbox.test:3000")
            ]),
            None
        ));
        assert!(same_origin(
            &headers(&[
                ("host", "x"),
                ("referer", "https://inbox.example/login"),
                ("sec-fetch-site", "same-origin")
            ]),
            Some("https://inbox.example")
        ));
    }

    #[test]
    fn foreign_or_missing_origin_fails() {
        assert!(!same_origin(
            &headers(&[("host", "inbox.test"), ("origin", "https://evil.test")]),
            None
        ));
        assert!(!same_origin(&headers(&[("host", "inbox.test")]), None));
        assert!(!same_origin(
            &headers(&[
                ("host", "inbox.test"),
                ("origin", "http://inbox.test"),
                ("sec-fetch-site", "cross-site")
            ]),
            None
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://inbox.example.evil")]),
            Some("https://inbox.example")
        ));
    }
}
