//! Reading conversations, messages and media, and the live event stream.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::store::{Assignment, ConversationCursor, ConversationOrder, ConversationQuery, Millis};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::Stream;
use parley_app::compose::SendRequest;
use parley_app::model::{ConversationPage, ConversationStatus, ConversationSummary, MessageView};
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", get(one))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(messages).post(send),
        )
        .route("/api/v1/conversations/{id}/read", axum::routing::post(read))
        .route("/api/v1/messages/{id}/retry", axum::routing::post(retry))
        .route("/api/v1/messages/{id}/cancel", axum::routing::post(cancel))
        .route("/api/v1/media/{media_id}", get(media))
        .route("/api/v1/events", get(events))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// `all` (default), `mine` or `unassigned`.
    filter: Option<String>,
    /// `open` or `resolved`; both when absent.
    status: Option<String>,
    /// Only conversations on this business number.
    phone_number_id: Option<String>,
    /// Search in the customer's name, username, phone and message text.
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `activity` (latest first, default) or `window` (open windows closing soonest first).
    order: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<i64>,
}

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

/// Conversations, keyset-paged: a page costs the same however deep it is.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListParams),
    responses((status = 200, body = ConversationPage), (status = 401, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ListParams>,
) -> Result<Json<ConversationPage>, ApiError> {
    let assignment = match params.filter.as_deref() {
        None | Some("all") => Assignment::All,
        Some("mine") => Assignment::Mine(viewer.id),
        Some("unassigned") => Assignment::Unassigned,
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "filter must be all, mine or unassigned, not {other:?}"
            )));
        }
    };
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some("open") => Some(ConversationStatus::Open),
        Some("resolved") => Some(ConversationStatus::Resolved),
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "status must be open or resolved, not {other:?}"
            )));
        }
    };
    let order = match params.order.as_deref() {
        None | Some("activity") => ConversationOrder::LatestActivity,
        Some("window") => ConversationOrder::WindowClosingSoonest,
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "order must be activity or window, not {other:?}"
            )));
        }
    };
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            ConversationCursor::parse(raw)
                .ok_or_else(|| ApiError::Invalid("cursor is not valid".into()))?,
        ),
    };
    let query = ConversationQuery {
        assignment,
        status,
        phone_number_id: params.phone_number_id.filter(|p| !p.is_empty()),
        search: params.q,
        order,
        cursor,
        limit: params.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE),
        now: Millis::now(),
    };
    Ok(Json(app.store.list_conversations(&query).await?))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    responses((status = 200, body = ConversationSummary), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn one(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<ConversationSummary>, ApiError> {
    app.store
        .conversation(id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("conversation"))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct MessageList {
    messages: Vec<MessageView>,
}

/// A conversation's messages in Meta's time order.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    responses((status = 200, body = MessageList), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn messages(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<MessageList>, ApiError> {
    if app.store.conversation(id).await?.is_none() {
        return Err(ApiError::NotFound("conversation"));
    }
    Ok(Json(MessageList {
        messages: app.store.conversation_messages(id).await?,
    }))
}

/// Media types a browser may show inline. Everything else (SVG, HTML, XML, PDF…) downloads,
/// because customer-sent files are attacker-controlled.
const INLINE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "video/mp4",
    "video/3gpp",
    "audio/aac",
    "audio/mp4",
    "audio/mpeg",
    "audio/amr",
    "audio/ogg",
];

/// A downloaded media file. Active types (SVG, HTML…) are sent as attachments.
#[utoipa::path(get, path = "/api/v1/media/{media_id}", tag = "conversations",
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn media(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(media_id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = app
        .store
        .media_file(&media_id)
        .await?
        .ok_or(ApiError::NotFound("media"))?;
    let bytes = tokio::fs::read(&stored.path)
        .await
        .map_err(|e| ApiError::Internal(format!("reading media {media_id}: {e}")))?;
    let essence = stored
        .mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let inline = INLINE_TYPES.contains(&essence.as_str());
    let content_type = if inline {
        stored.mime_type.as_str()
    } else {
        "application/octet-stream"
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(if inline { "inline" } else { "attachment" }),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
pub(super) struct EventParams {
    last_event_id: Option<i64>,
}

/// The server-sent-event stream (`text/event-stream`). Each event's `event:` is
/// `message.created`, `message.updated`, `conversation.updated` or `template.updated`, its
/// `data:` a `LiveEvent`. It opens with a `ready` event carrying the id it starts from;
/// a client reconnecting with `Last-Event-ID` first receives everything after that id.
#[utoipa::path(get, path = "/api/v1/events", tag = "live",
    params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this event id")),
    responses((status = 200, description = "server-sent events", body = parley_app::model::LiveEvent, content_type = "text/event-stream")))]
pub(super) async fn events(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    headers: HeaderMap,
    Query(params): Query<EventParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resume_from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(params.last_event_id);
    // Subscribe before reading the log, so nothing falls between the replay and the live feed.
    let live = app.live.subscribe();
    // A new stream starts from what the hub has broadcast, without touching the database; a
    // resumed one first replays the log from where it left off.
    let (start, replay) = match resume_from {
        Some(id) => (id, true),
        None => (app.live.broadcast_up_to(), false),
    };
    let admin = viewer.is_admin();
    let feed = Feed {
        hub: app.live.clone(),
        live,
        sent: start,
        ready: true,
        replay,
        backlog: std::collections::VecDeque::new(),
        admin,
    };
    // One stream per connection, pulled by the response itself: no task, no channel, so an idle
    // connection costs little more than its socket.
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// What one browser tab has been sent, and what it is owed.
struct Feed {
    hub: crate::live::LiveHub,
    live: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::live::OutgoingEvent>>,
    /// The id of the latest event passed (sent, or not visible to this viewer).
    sent: i64,
    /// The `ready` event is still to be sent.
    ready: bool,
    /// Reading the log is needed: at the start (a reconnect resumes there) or after falling
    /// behind the broadcast.
    replay: bool,
    backlog: std::collections::VecDeque<crate::live::OutgoingEvent>,
    admin: bool,
}

impl Feed {
    const REPLAY_PAGE: i64 = 500;

    /// The next event for this viewer; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.ready) {
            let start = self.sent;
            return Some(
                Event::default()
                    .event("ready")
                    .id(start.to_string())
                    .data(format!("{{\"last_event_id\":{start}}}")),
            );
        }
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if let Some(sse) = self.pass(&event) {
                    return Some(sse);
                }
                continue;
            }
            if self.replay {
                // Boxed: only a replaying stream carries the query's state.
                let page = Box::pin(self.hub.events_after(self.sent, Self::REPLAY_PAGE))
                    .await
                    .ok()?;
                self.replay = page.len() as i64 == Self::REPLAY_PAGE;
                self.backlog.extend(page);
                continue;
            }
            match self.live.recv().await {
                Ok(event) => {
                    if let Some(sse) = self.pass(&event) {
                        return Some(sse);
                    }
                }
                Err(RecvError::Lagged(_)) => self.replay = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Moves past `event`, returning it for the wire unless it was already sent or is not
    /// this viewer's: every member works every conversation (one team inbox); template
    /// changes are the admins' business.
    fn pass(&mut self, event: &crate::live::OutgoingEvent) -> Option<Event> {
        if event.id <= self.sent {
            return None;
        }
        self.sent = event.id;
        (self.admin || event.name != "template.updated").then(|| to_sse(event))
    }
}

fn to_sse(event: &crate::live::OutgoingEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.name)
        .data(&event.data)
}

/// Queues a reply: 202 with the stored message (`queued`); 409 `window_closed` outside the
/// service window (nothing is queued); 422 when Meta's limits are broken.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    request_body = SendRequest,
    responses((status = 202, body = MessageView), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn send(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<(axum::http::StatusCode, Json<MessageView>), ApiError> {
    let request: SendRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(format!("not a message Parley can send: {e}")))?;
    let message = crate::outbox::queue(&app.store, viewer.id, id, request).await?;
    app.outbox_wake.notify_one();
    app.live.waker().notify_one();
    Ok((axum::http::StatusCode::ACCEPTED, Json(message)))
}

/// Sends a failed message again (a new attempt); 409 unless it failed.
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "conversations",
    responses((status = 202, body = MessageView), (status = 409, body = super::error::ErrorBody)))]
pub(super) async fn retry(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<MessageView>), ApiError> {
    app.store.retry_message(id, Millis::now()).await?;
    app.outbox_wake.notify_one();
    app.live.waker().notify_one();
    let message = app
        .store
        .message(id)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(message)))
}

/// Withdraws a message still waiting in the queue; 409 once it is on its way.
#[utoipa::path(post, path = "/api/v1/messages/{id}/cancel", tag = "conversations",
    responses((status = 200, body = MessageView), (status = 409, body = super::error::ErrorBody)))]
pub(super) async fn cancel(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<MessageView>, ApiError> {
    app.store.cancel_message(id, Millis::now()).await?;
    app.live.waker().notify_one();
    Ok(Json(
        app.store
            .message(id)
            .await?
            .ok_or(ApiError::NotFound("message"))?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(super) struct ReadRequest {
    /// Also show the customer the typing indicator (until the reply, or 25 seconds).
    #[serde(default)]
    typing: bool,
}

/// Marks the conversation's latest inbound message read at Meta (blue ticks for the customer)
/// and clears its unread count; with `typing`, shows the typing indicator too.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    request_body(content = Option<ReadRequest>),
    responses((status = 204, description = "marked read"), (status = 404, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
pub(super) async fn read(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<axum::http::StatusCode, ApiError> {
    let request: ReadRequest = if body.is_empty() {
        ReadRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Invalid(e.to_string()))?
    };
    if app.store.conversation(id).await?.is_none() {
        return Err(ApiError::NotFound("conversation"));
    }
    let receipt = app.store.mark_conversation_read(id, Millis::now()).await?;
    app.live.waker().notify_one();
    if let Some(receipt) = receipt {
        app.graph()?
            .mark_read(&receipt.phone_number_id, &receipt.wamid, request.typing)
            .await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}
