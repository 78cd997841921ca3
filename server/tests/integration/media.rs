//! Inbound media: fetched from the Graph API in the background, checked, stored and served
//! only to signed-in members; business numbers learned from the account.

use crate::support::{Engine, TestApp, eventually};
use crate::wa::{self, NUMBER_A};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const TOKEN: &str = "graph-test-token";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0 pretend this is a JPEG";
const SVG: &[u8] = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";

#[derive(Clone)]
struct FakeGraph {
    base: String,
    expired_downloads: Arc<AtomicUsize>,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn content(media_id: &str) -> (&'static [u8], &'static str) {
    match media_id {
        "svg1" => (SVG, "image/svg+xml"),
        _ => (JPEG, "image/jpeg"),
    }
}

/// Just enough of the Graph API for media and phone numbers (the full simulator is the sandbox).
async fn start_fake_graph() -> FakeGraph {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let graph = FakeGraph {
        base: format!("http://{}", listener.local_addr().unwrap()),
        expired_downloads: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/v23.0/{id}", get(media_info))
        .route("/v23.0/{id}/phone_numbers", get(phone_numbers))
        .route("/download/{id}", get(download))
        .with_state(graph.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    graph
}

async fn media_info(
    State(graph): State<FakeGraph>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": {"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190, "fbtrace_id": "x"}}))).into_response();
    }
    let (bytes, mime) = content(&id);
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    axum::Json(
        json!({ "url": format!("{}/download/{id}", graph.base), "mime_type": mime, "sha256": sha256,
        "file_size": bytes.len(), "id": id, "messaging_product": "whatsapp" }),
    )
    .into_response()
}

async fn download(
    State(graph): State<FakeGraph>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // The first URL handed out for this one has already expired.
    if id == "expiring1" && graph.expired_downloads.fetch_add(1, Ordering::SeqCst) == 0 {
        return StatusCode::NOT_FOUND.into_response();
    }
    content(&id).0.into_response()
}

async fn phone_numbers(
    State(graph): State<FakeGraph>,
    headers: HeaderMap,
    Path(_waba): Path<String>,
    query: axum::extract::RawQuery,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let page = if query.0.as_deref().unwrap_or("").contains("after=2") {
        json!({ "data": [{ "id": NUMBER_A_ID2, "display_phone_number": "+1 555-0102", "verified_name": "Parley Demo Support" }] })
    } else {
        json!({ "data": [{ "id": NUMBER_A, "display_phone_number": "+1 555-0101", "verified_name": "Parley Demo Sales" }],
                "paging": { "next": format!("{}/v23.0/900000000001/phone_numbers?after=2", graph.base) } })
    };
    axum::Json(page).into_response()
}

const NUMBER_A_ID2: &str = "1100000000009";

fn image_message(
    wamid: &str,
    media_id: &str,
    mime: &str,
    sha256: Option<String>,
) -> serde_json::Value {
    let mut payload = wa::inbound_text(NUMBER_A, "15550050", "Media", wamid, wa::now_secs(), "");
    let mut media = json!({ "id": media_id, "mime_type": mime });
    if let Some(sha) = sha256 {
        media["sha256"] = json!(sha);
    }
    let kind = if mime.starts_with("image/svg") {
        "document"
    } else {
        "image"
    };
    let message = &mut payload["entry"][0]["changes"][0]["value"]["messages"][0];
    message["type"] = json!(kind);
    message.as_object_mut().unwrap().remove("text");
    message[kind] = media;
    payload
}

#[tokio::test]
async fn media_is_downloaded_checked_and_served_safely() {
    let graph = start_fake_graph().await;
    let data_dir = tempfile::tempdir().unwrap().keep();
    let graph_url = graph.base.clone();
    let app = TestApp::spawn_with(Engine::Sqlite, move |config| {
        config.whatsapp.access_token = Some(parley_server::config::Secret::new(TOKEN));
        config.whatsapp.graph_url = graph_url;
        config.whatsapp.waba_id = Some("900000000001".parse().unwrap());
        config.data_dir = data_dir;
    })
    .await;
    use base64::Engine as _;
    let jpeg_b64 = base64::engine::general_purpose::STANDARD
        .encode(<sha2::Sha256 as sha2::Digest>::digest(JPEG));
    app.deliver(&image_message(
        "wamid.media.1",
        "jpeg1",
        "image/jpeg",
        Some(jpeg_b64),
    ))
    .await;
    app.deliver(&image_message(
        "wamid.media.2",
        "svg1",
        "image/svg+xml",
        None,
    ))
    .await;
    app.deliver(&image_message(
        "wamid.media.3",
        "expiring1",
        "image/jpeg",
        None,
    ))
    .await;
    let api = app.api().await;
    let messages = eventually("all media downloaded", || async {
        let messages = api.all_messages().await;
        (messages.len() == 3 && messages.iter().all(|m| m["media_url"].is_string()))
            .then_some(messages)
    })
    .await;
    assert!(
        graph.expired_downloads.load(Ordering::SeqCst) >= 2,
        "an expired URL was retried with a fresh one"
    );

    let url = |wamid: &str| {
        let m = messages.iter().find(|m| m["wamid"] == wamid).unwrap();
        app.url(m["media_url"].as_str().unwrap())
    };
    let first = messages
        .iter()
        .find(|m| m["wamid"] == "wamid.media.1")
        .unwrap();
    assert_eq!(first["media_size"], JPEG.len());
    let jpeg = api
        .http
        .get(url("wamid.media.1"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(jpeg.status(), 200);
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    assert_eq!(jpeg.headers()["x-content-type-options"], "nosniff");
    assert_eq!(jpeg.headers()["content-disposition"], "inline");
    assert_eq!(jpeg.bytes().await.unwrap().as_ref(), JPEG);

    let svg = api
        .http
        .get(url("wamid.media.2"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        svg.headers()["content-type"],
        "application/octet-stream",
        "active content is never served as itself"
    );
    assert_eq!(svg.headers()["content-disposition"], "attachment");
    assert!(
        svg.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );

    let anonymous = reqwest::Client::new()
        .get(url("wamid.media.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let numbers = app.store.numbers.list().await.unwrap();
    let names: Vec<_> = numbers
        .iter()
        .filter_map(|n| n.verified_name.clone())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "both pages of phone numbers were learned: {numbers:?}"
    );
}
