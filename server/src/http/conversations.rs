//! Reading conversations, messages and media, and the live event stream.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::store::{Assignment, ConversationOrder, ConversationQuery, KeysetCursor, Millis};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::Stream;
use parley_app::compose::SendRequest;
use parley_app::model::{
    ConversationPage, ConversationStatus, ConversationSummary, MessagePage, MessageView,
};
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
            KeysetCursor::parse(raw)
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

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MessageParams {
    /// `next_cursor` of the previous page: messages older than that.
    before: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<i64>,
}

/// A conversation's messages, a page at a time: the newest first page, each in Meta's time
/// order, with `next_cursor` for the older ones.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(MessageParams),
    responses((status = 200, body = MessagePage), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn messages(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(id): Path<i64>,
    Query(params): Query<MessageParams>,
) -> Result<Json<MessagePage>, ApiError> {
    let before = match params.before.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            KeysetCursor::parse(raw)
                .ok_or_else(|| ApiError::Invalid("before is not a valid cursor".into()))?,
        ),
    };
    if app.store.conversation(id).await?.is_none() {
        return Err(ApiError::NotFound("conversation"));
    }
    let limit = params
        .limit
        .unwrap_or(DEFAULT_MESSAGE_PAGE)
        .clamp(1, MAX_MESSAGE_PAGE);
    Ok(Json(
        app.store.conversation_messages(id, before, limit).await?,
    ))
}

const DEFAULT_MESSAGE_PAGE: i64 = 100;
const MAX_MESSAGE_PAGE: i64 = 500;

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

/// A downloaded media file, streamed from disk with `Range` support (audio and video seek).
/// Active types (SVG, HTML…) are sent as attachments.
#[utoipa::path(get, path = "/api/v1/media/{media_id}", tag = "conversations",
    params(("Range" = Option<String>, Header, description = "bytes=start-end: a part of the file")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 206, description = "the requested range"),
        (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn media(
    State(app): State<AppState>,
    RequireViewer(_): RequireViewer,
    Path(media_id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let stored = app
        .store
        .media_file(&media_id)
        .await?
        .ok_or(ApiError::NotFound("media"))?;
    let essence = stored
        .mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let inline = INLINE_TYPES.contains(&essence.as_str());
    let content_type = if inline {
        HeaderValue::from_str(&stored.mime_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    // ServeFile streams the file and answers `Range` (206) and conditional requests.
    let served =
        tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(&stored.path), request)
            .await
            .map_err(|e| ApiError::Internal(format!("reading media {media_id}: {e}")))?;
    if served.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(ApiError::Internal(format!(
            "media {media_id} is recorded but its file is missing"
        )));
    }
    let mut response = served.map(axum::body::Body::new);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
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

/// How far back a reconnecting stream may ask to be replayed; further back (or an id this
/// node has never seen) gets a `reset` event instead: reload, then follow live.
const MAX_REPLAY: i64 = 5_000;

/// The server-sent-event stream (`text/event-stream`). Each event's `event:` is
/// `message.created`, `message.updated`, `conversation.updated` or `template.updated`, its
/// `data:` a `LiveEvent`. It opens with a `ready` event carrying the id it starts from; a
/// client reconnecting with `Last-Event-ID` first receives everything after that id, or, when
/// that is more than 5,000 events ago, a `reset` event (reload what you show). The stream ends
/// within seconds of its credential ending: signing out, the session expiring, the member
/// being disabled or the token being revoked.
#[utoipa::path(get, path = "/api/v1/events", tag = "live",
    params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this event id")),
    responses((status = 200, description = "server-sent events", body = parley_app::model::LiveEvent, content_type = "text/event-stream")))]
pub(super) async fn events(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    credential: Option<axum::Extension<super::Credential>>,
    headers: HeaderMap,
    Query(params): Query<EventParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let axum::Extension(credential) = credential.ok_or(ApiError::Unauthorized)?;
    let resume_from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(params.last_event_id);
    // Subscribe before reading the log, so nothing falls between the replay and the live feed.
    let live = app.live.subscribe();
    // A new stream starts from what the hub has broadcast, without touching the database; a
    // resumed one first replays the log from where it left off, if that is not too far.
    let up_to = app.live.broadcast_up_to();
    let (start, replay, reset) = match resume_from {
        Some(id) if (up_to - id).abs() <= MAX_REPLAY => (id, true, false),
        Some(_) => (up_to, false, true),
        None => (up_to, false, false),
    };
    let feed = Feed {
        hub: app.live.clone(),
        live,
        sent: start,
        ready: true,
        reset,
        replay,
        backlog: std::collections::VecDeque::new(),
        admin: viewer.is_admin(),
        guard: CredentialGuard {
            store: app.store.clone(),
            user: viewer.id,
            check_at: credential.valid_until(),
            credential,
            absolute_timeout: app.config.session.absolute_timeout,
            recheck: false,
        },
    };
    // One stream per connection, pulled by the response itself: no task, no channel, so an idle
    // connection costs little more than its socket.
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// What keeps a stream's credential honest: it is checked again when it runs out and when
/// the member's credentials change (on any node), and the stream ends once it no longer holds.
struct CredentialGuard {
    store: crate::store::SharedStore,
    user: parley_app::model::UserId,
    credential: super::Credential,
    absolute_timeout: std::time::Duration,
    /// When to check again even without a change (an expiry).
    check_at: Option<Millis>,
    recheck: bool,
}

impl CredentialGuard {
    /// Whether the credential still holds (and until when, from now on).
    async fn holds(&mut self) -> bool {
        let now = Millis::now();
        let standing = match &self.credential {
            super::Credential::SessionCookie { id, .. } => crate::auth::session::standing(
                &self.store,
                id,
                self.user,
                self.absolute_timeout,
                now,
            )
            .await
            .map(|until| until.map(Some)),
            super::Credential::BearerToken { digest, .. } => self
                .store
                .user_by_api_token(digest, now)
                .await
                .map(|owner| {
                    owner
                        .filter(|owner| owner.user.id == self.user)
                        .map(|owner| owner.expires_at)
                }),
        };
        match standing {
            Ok(Some(until)) => {
                self.check_at = until;
                true
            }
            Ok(None) => false,
            Err(error) => {
                // The database is unreachable: not a reason to end the stream, nor to trust it
                // for long.
                tracing::warn!(%error, "cannot check an event stream's credential");
                self.check_at = Some(now.plus(std::time::Duration::from_secs(5)));
                true
            }
        }
    }

    /// Resolves when the credential is due for another check.
    async fn due(&self) {
        match self.check_at {
            Some(at) => {
                let wait = (at.0 - Millis::now().0).max(0) as u64;
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await
            }
            None => std::future::pending().await,
        }
    }
}

/// What one browser tab has been sent, and what it is owed.
struct Feed {
    hub: crate::live::LiveHub,
    live: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::live::OutgoingEvent>>,
    /// The id of the latest event passed (sent, or not visible to this viewer).
    sent: i64,
    /// The `ready` event is still to be sent.
    ready: bool,
    /// A `reset` event is owed first: the resume point was too far back to replay.
    reset: bool,
    /// Reading the log is needed: at the start (a reconnect resumes there) or after falling
    /// behind the broadcast.
    replay: bool,
    backlog: std::collections::VecDeque<crate::live::OutgoingEvent>,
    admin: bool,
    guard: CredentialGuard,
}

impl Feed {
    const REPLAY_PAGE: i64 = 500;

    /// The next event for this viewer; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.reset) {
            return Some(
                Event::default()
                    .event("reset")
                    .data(format!("{{\"last_event_id\":{}}}", self.sent)),
            );
        }
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
            if std::mem::take(&mut self.guard.recheck) && !self.guard.holds().await {
                return None;
            }
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
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(event) => {
                        if let Some(sse) = self.pass(&event) {
                            return Some(sse);
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.replay = true,
                    Err(RecvError::Closed) => return None,
                },
                () = self.guard.due() => self.guard.recheck = true,
            }
        }
    }

    /// Moves past `event`, returning it for the wire unless it was already sent or is not
    /// this viewer's: every member works every conversation (one team inbox); template
    /// changes are the admins' business; credential changes are nobody's.
    fn pass(&mut self, event: &crate::live::OutgoingEvent) -> Option<Event> {
        if event.id <= self.sent {
            return None;
        }
        self.sent = event.id;
        if event.name == crate::store::CREDENTIALS_CHANGED {
            self.guard.recheck |= event.credentials_of == Some(self.guard.user);
            return None;
        }
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
            .mark_read_receipt(&receipt, request.typing)
            .await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}
