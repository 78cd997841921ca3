//! The conversations API: the list, a conversation and its messages, what members do to
//! conversations and messages, and media files.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::domain::Millis;
use crate::service::conversations::{self, ChangeRequest, ListRequest, Scope};
use crate::service::{media, sending};
use crate::store::{ConversationOrder, KeysetCursor};
use crate::views;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use parley_app::collaboration::Priority;
use parley_app::compose::SendRequest;
use parley_app::model::{
    ConversationPage, ConversationStatus, ConversationSummary, MessagePage, MessageView, UnixTime,
    UserId,
};
use parley_app::team::TeamScope;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one, update))
        .routes(routes!(messages, send))
        .routes(routes!(read))
        .routes(routes!(retry))
        .routes(routes!(cancel))
        .routes(routes!(media_file))
        .merge(super::events::router())
}

fn parse<T>(raw: Option<&str>, default: T, what: &str, choices: &[(&str, T)]) -> Result<T, ApiError>
where
    T: Copy,
{
    match raw.filter(|r| !r.is_empty()) {
        None => Ok(default),
        Some(raw) => choices
            .iter()
            .find(|(name, _)| *name == raw)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                ApiError::Invalid(format!(
                    "{what} must be {}, not {raw:?}",
                    names.join(" or ")
                ))
            }),
    }
}

fn cursor(raw: Option<&str>, what: &str) -> Result<Option<KeysetCursor>, ApiError> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(raw) => KeysetCursor::parse(raw)
            .map(Some)
            .ok_or_else(|| ApiError::Invalid(format!("{what} is not a valid cursor"))),
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `all` (default), `mine` or `unassigned`.
    filter: Option<String>,
    /// Only conversations assigned to this member (instead of `filter`).
    assignee_id: Option<i64>,
    /// `open`, `pending`, `snoozed` or `resolved`; all when absent.
    status: Option<String>,
    /// `none`, `low`, `medium`, `high` or `urgent`; all when absent.
    priority: Option<String>,
    /// Label names, comma separated: conversations carrying all of them.
    label: Option<String>,
    /// Only conversations on this business number.
    phone_number_id: Option<String>,
    /// A team's id: only that team's conversations; `mine`: those of every team the caller
    /// belongs to.
    team_id: Option<String>,
    /// Search in the customer's name, username, phone and message text.
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `activity` (latest first, default), `window` (open windows closing soonest first) or
    /// `priority` (most urgent first, then latest).
    order: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<i64>,
}

/// Conversations, keyset-paged: a page costs the same however deep it is.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListParams),
    responses((status = 200, body = ConversationPage), (status = 401, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(params): Query<ListParams>,
) -> Result<Json<ConversationPage>, ApiError> {
    let scopes = [
        ("all", Scope::All),
        ("mine", Scope::Mine),
        ("unassigned", Scope::Unassigned),
    ];
    let statuses = ConversationStatus::ALL.map(|status| (status.as_str(), Some(status)));
    let priorities = Priority::ALL.map(|priority| (priority.as_str(), Some(priority)));
    let orders = [
        ("activity", ConversationOrder::LatestActivity),
        ("window", ConversationOrder::WindowClosingSoonest),
        ("priority", ConversationOrder::HighestPriority),
    ];
    let labels = params
        .label
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let scope = match (params.assignee_id, params.filter.as_deref()) {
        (Some(member), None | Some("all")) => Scope::AssignedTo(UserId(member)),
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid(
                "give either filter or assignee_id".into(),
            ));
        }
        (None, filter) => parse(filter, Scope::All, "filter", &scopes)?,
    };
    let team = match params.team_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("mine") => Some(TeamScope::MyTeams),
        Some(id) => Some(TeamScope::Team(id.parse().map_err(|_| {
            ApiError::Invalid("team_id is a team's id or `mine`".into())
        })?)),
    };
    let request = ListRequest {
        scope,
        team,
        status: parse(params.status.as_deref(), None, "status", &statuses)?,
        priority: parse(params.priority.as_deref(), None, "priority", &priorities)?,
        labels,
        phone_number_id: params.phone_number_id,
        search: params.q,
        order: parse(
            params.order.as_deref(),
            ConversationOrder::LatestActivity,
            "order",
            &orders,
        )?,
        cursor: cursor(params.cursor.as_deref(), "cursor")?,
        limit: params.limit.unwrap_or(conversations::DEFAULT_PAGE),
    };
    let page = conversations::list(&app.services, &viewer, request).await?;
    Ok(Json(views::conversation_page(&page)))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    responses((status = 200, body = ConversationSummary), (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<ConversationSummary>, ApiError> {
    let conversation = conversations::get(&app.services, &viewer, id).await?;
    Ok(Json(views::conversation(&conversation)))
}

/// What to change about a conversation, in any combination; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
struct ConversationPatch {
    /// A member's id to assign the conversation to, or `null` to unassign it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<UserId>>,
    /// `open`, `pending` (waiting for the customer), `snoozed` (with `snoozed_until`) or
    /// `resolved`.
    #[serde(default)]
    status: Option<ConversationStatus>,
    /// Unix seconds: snoozes the conversation until then (it reopens then, or when the
    /// customer writes). Implies `status: snoozed`.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    snoozed_until: Option<UnixTime>,
    #[serde(default)]
    priority: Option<Priority>,
    /// Label names: the conversation carries exactly these afterwards (an unknown name is 422).
    #[serde(default)]
    labels: Option<Vec<String>>,
    /// A team's id to put the conversation in that team's queue, or `null` to take it out of
    /// any (422 for an unknown team). An unassigned conversation in a team with
    /// auto-assignment is then routed to one of its members.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    team_id: Option<Option<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Assigns or unassigns, changes the status (snoozing until a time), the priority and the
/// labels, in any combination. 409 when reopening would give the customer two unresolved
/// conversations on one number; 422 for an unknown label or member, or a snooze in the past.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    request_body = ConversationPatch,
    responses((status = 200, body = ConversationSummary), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ConversationSummary>, ApiError> {
    let patch: ConversationPatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(format!("not a conversation change: {e}")))?;
    let request = ChangeRequest {
        assignee: patch.assignee_id,
        status: patch.status,
        snoozed_until: patch.snoozed_until.map(|at| Millis(at.millis())),
        priority: patch.priority,
        labels: patch.labels,
        team: patch.team_id,
    };
    let conversation = conversations::change(&app.services, &viewer, id, request).await?;
    Ok(Json(views::conversation(&conversation)))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MessageParams {
    /// `next_cursor` of the previous page: messages older than that.
    before: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<i64>,
}

/// A conversation's messages, a page at a time: the newest page first, each in Meta's time
/// order, with `next_cursor` for the older ones.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(MessageParams),
    responses((status = 200, body = MessagePage), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn messages(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    Query(params): Query<MessageParams>,
) -> Result<Json<MessagePage>, ApiError> {
    let before = cursor(params.before.as_deref(), "before")?;
    let limit = params.limit.unwrap_or(conversations::THREAD_PAGE);
    let page = conversations::messages(&app.services, &viewer, id, before, limit).await?;
    Ok(Json(MessagePage {
        messages: views::messages(&page.messages),
        next_cursor: page.older.map(KeysetCursor::encode),
    }))
}

/// Queues a reply: 202 with the stored message (`queued`); 409 `window_closed` outside the
/// service window (nothing is queued); 422 when Meta's limits are broken.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    request_body = SendRequest,
    responses((status = 202, body = MessageView), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn send(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let request: SendRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(format!("not a message Parley can send: {e}")))?;
    let message = sending::send(&app.services, &viewer, id, request).await?;
    Ok((StatusCode::ACCEPTED, Json(views::message(&message))))
}

/// Sends a failed message again (a new attempt); 409 unless it failed.
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "conversations",
    responses((status = 202, body = MessageView), (status = 409, body = super::error::ErrorBody)))]
async fn retry(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let message = sending::retry(&app.services, &viewer, id).await?;
    Ok((StatusCode::ACCEPTED, Json(views::message(&message))))
}

/// Withdraws a message still waiting in the queue; 409 once it is on its way.
#[utoipa::path(post, path = "/api/v1/messages/{id}/cancel", tag = "conversations",
    responses((status = 200, body = MessageView), (status = 409, body = super::error::ErrorBody)))]
async fn cancel(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<MessageView>, ApiError> {
    let message = sending::cancel(&app.services, &viewer, id).await?;
    Ok(Json(views::message(&message)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ReadRequest {
    /// Also show the customer the typing indicator (until the reply, or 25 seconds).
    #[serde(default)]
    typing: bool,
}

/// Marks the conversation read: its unread count goes to zero and the customer's latest
/// message is marked read at Meta (blue ticks); with `typing`, the typing indicator too.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    request_body(content = Option<ReadRequest>),
    responses((status = 204, description = "marked read"), (status = 404, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn read(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let request: ReadRequest = if body.is_empty() {
        ReadRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Invalid(e.to_string()))?
    };
    conversations::mark_read(&app.services, &viewer, id, request.typing).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// A downloaded media file, streamed from disk with `Range` support (audio and video seek).
/// Active types (SVG, HTML…) are sent as attachments.
#[utoipa::path(get, path = "/api/v1/media/{media_id}", tag = "conversations",
    params(("Range" = Option<String>, Header, description = "bytes=start-end: a part of the file")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 206, description = "the requested range"),
        (status = 404, body = super::error::ErrorBody)))]
async fn media_file(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(media_id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let stored = media::file(&app.services, &viewer, &media_id).await?;
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
    if served.status() == StatusCode::NOT_FOUND {
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
