//! The ceiling for durable ingest: the same HTTP stack as Parley (tokio, hyper, axum) that
//! verifies the signature and parses the webhook exactly as Parley does, then answers without
//! storing anything.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use parley_server::whatsapp::signature::verify;
use parley_server::whatsapp::webhook::Notification;
use std::net::SocketAddr;
use std::sync::Arc;

pub async fn serve(bind: SocketAddr, secret: String) {
    let secret = Arc::new(secret);
    let app = axum::Router::new()
        .route(
            "/webhooks/whatsapp",
            post(move |headers: HeaderMap, body: Bytes| {
                let secret = secret.clone();
                async move {
                    let signature = headers
                        .get("x-hub-signature-256")
                        .and_then(|v| v.to_str().ok());
                    if verify(secret.as_bytes(), &body, signature).is_err() {
                        return StatusCode::FORBIDDEN;
                    }
                    match Notification::parse(&body) {
                        Ok(_) => StatusCode::OK,
                        Err(_) => StatusCode::BAD_REQUEST,
                    }
                }
            }),
        )
        .layer(DefaultBodyLimit::max(4 * 1024 * 1024));
    let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
    println!("ceiling listening on {bind}");
    axum::serve(listener, app).await.expect("serve");
}
