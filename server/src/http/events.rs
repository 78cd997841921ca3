//! `GET /api/v1/events`: the live event stream, one per browser tab (or API client), fed by
//! the node's live hub and ended when its credential ends.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::domain::Millis;
use crate::live::{Audience, OutgoingEvent};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use parley_app::model::LiveEvent;
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

#[derive(Deserialize, Default)]
struct EventParams {
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
async fn events(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    credential: Option<axum::Extension<super::Credential>>,
    headers: HeaderMap,
    Query(params): Query<EventParams>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
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
        replayed_to: start,
        ready: true,
        reset,
        replay,
        backlog: std::collections::VecDeque::new(),
        admin: viewer.is_admin(),
        _open: app.live.streams.open(viewer.id),
        guard: CredentialGuard {
            store: app.services.store.clone(),
            clock: app.services.clock.clone(),
            session: app.config.session.clone(),
            user: viewer.id,
            check_at: credential.valid_until(),
            credential,
            recheck: false,
        },
    };
    // One stream per connection, pulled by the response itself: no task, no channel, so an idle
    // connection costs little more than its socket.
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<_, Infallible>(event), feed))
    });
    // A reverse proxy that honours it (nginx) passes the stream on unbuffered.
    Ok((
        [("x-accel-buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::default()),
    ))
}

/// What keeps a stream's credential honest: it is checked again when it runs out and when
/// the member's credentials change (on any node), and the stream ends once it no longer holds.
struct CredentialGuard {
    store: crate::store::SharedStore,
    clock: crate::domain::SharedClock,
    session: crate::config::SessionConfig,
    user: parley_app::model::UserId,
    credential: super::Credential,
    /// When to check again even without a change (an expiry).
    check_at: Option<Millis>,
    recheck: bool,
}

impl CredentialGuard {
    /// Whether the credential still holds (and until when, from now on).
    async fn holds(&mut self) -> bool {
        let now = self.clock.now();
        let standing = match &self.credential {
            super::Credential::SessionCookie { id, .. } => {
                crate::auth::session::standing(&self.store, id, self.user, &self.session, now)
                    .await
                    .map(|until| until.map(Some))
            }
            super::Credential::BearerToken { digest, .. } => self
                .store
                .team
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

    /// Resolves when the credential is due for another check, by Parley's clock (looked at
    /// again at least every half minute, so that a clock that jumps is noticed too; idle
    /// streams are many, so not much more often).
    async fn due(&self) {
        const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_secs(30);
        let Some(at) = self.check_at else {
            return std::future::pending().await;
        };
        loop {
            let wait = self.clock.now().until(at);
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait.min(LOOK_AGAIN)).await;
        }
    }
}

/// What one browser tab has been sent, and what it is owed.
struct Feed {
    hub: crate::live::LiveHub,
    live: tokio::sync::broadcast::Receiver<std::sync::Arc<OutgoingEvent>>,
    /// The id of the latest event passed (sent, or not visible to this viewer).
    sent: i64,
    /// How far the replay has read the log (rows that mean nothing to browsers included).
    replayed_to: i64,
    /// The `ready` event is still to be sent.
    ready: bool,
    /// A `reset` event is owed first: the resume point was too far back to replay.
    reset: bool,
    /// Reading the log is needed: at the start (a reconnect resumes there) or after falling
    /// behind the broadcast.
    replay: bool,
    backlog: std::collections::VecDeque<OutgoingEvent>,
    admin: bool,
    /// Counts this stream among its member's open ones while it lives.
    _open: crate::live::StreamOpen,
    guard: CredentialGuard,
}

impl Feed {
    const REPLAY_PAGE: i64 = 500;

    /// The next event for this viewer; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.reset) {
            return Some(
                Event::default()
                    .event(LiveEvent::RESET)
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
            // Boxed: the check's database reads would otherwise be carried by every idle stream.
            if std::mem::take(&mut self.guard.recheck) && !Box::pin(self.guard.holds()).await {
                return None;
            }
            if let Some(event) = self.backlog.pop_front() {
                if let Some(sse) = self.pass(&event) {
                    return Some(sse);
                }
                continue;
            }
            self.sent = self.sent.max(self.replayed_to);
            if self.replay {
                // Boxed: only a replaying stream carries the query's state.
                let batch = Box::pin(self.hub.events_after(self.sent, Self::REPLAY_PAGE))
                    .await
                    .ok()?;
                self.replay = batch.more;
                self.replayed_to = batch.read_up_to;
                self.backlog.extend(batch.events);
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
    fn pass(&mut self, event: &OutgoingEvent) -> Option<Event> {
        if event.id <= self.sent {
            return None;
        }
        self.sent = event.id;
        match event.audience {
            Audience::Members => Some(to_sse(event)),
            Audience::Admins => self.admin.then(|| to_sse(event)),
            Audience::Member(user) => (user == self.guard.user).then(|| to_sse(event)),
            Audience::CredentialCheck(user) => {
                self.guard.recheck |= user == self.guard.user;
                None
            }
        }
    }
}

fn to_sse(event: &OutgoingEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.name)
        .data(&event.data)
}
