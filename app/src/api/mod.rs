//! Server functions: the browser's typed door into the server. Each one checks who is asking
//! before it touches data; the data itself comes from the [`ssr::Backend`] the server provides.
//! Those for working together (notes, labels, canned replies…) are in [`collaboration`], those
//! for running the team (members, set-password links, one's own settings, the audit log) in
//! [`team`].

mod automations;
mod campaigns;
mod collaboration;
mod contacts;
mod costs;
mod numbers;
mod reports;
mod team;

pub use automations::*;
pub use campaigns::*;
pub use collaboration::*;
pub use contacts::*;
pub use costs::*;
pub use numbers::*;
pub use reports::*;
pub use team::*;

use crate::collaboration::{NoteView, PresenceView, Priority};
use crate::compose::SendRequest;
use crate::model::{
    ConversationPage, ConversationStatus, ConversationSummary, MemberRef, MessagePage, MessageView,
    TeamMember, UnixTime, UserId, Viewer,
};
use crate::templates::{TemplateDetail, TemplateDraft, TemplateView};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a server function failed, in terms the UI can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    #[error("Only admins can do this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// The action does not fit how things stand; the message says why.
    #[error("{0}")]
    Conflict(String),
    #[error("The 24-hour window is closed: only an approved template can be sent.")]
    WindowClosed,
    /// Another member replied after the newest message this member had seen: their name.
    #[error("{0} replied in the meantime.")]
    RepliedMeanwhile(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// Which conversations the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InboxTab {
    Mine,
    Unassigned,
    All,
}

/// How the conversation list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InboxOrder {
    #[default]
    LatestActivity,
    /// Open windows closing soonest first.
    WindowClosingSoonest,
    /// Most urgent first, then latest activity.
    HighestPriority,
}

impl InboxOrder {
    /// The name the REST API and the inbox's address use (`order=`).
    pub fn as_str(self) -> &'static str {
        match self {
            InboxOrder::LatestActivity => "activity",
            InboxOrder::WindowClosingSoonest => "window",
            InboxOrder::HighestPriority => "priority",
        }
    }

    pub fn parse(raw: &str) -> Option<InboxOrder> {
        [
            InboxOrder::LatestActivity,
            InboxOrder::WindowClosingSoonest,
            InboxOrder::HighestPriority,
        ]
        .into_iter()
        .find(|order| order.as_str() == raw)
    }
}

impl InboxTab {
    pub fn parse(raw: &str) -> Option<InboxTab> {
        match raw {
            "mine" => Some(InboxTab::Mine),
            "unassigned" => Some(InboxTab::Unassigned),
            "all" => Some(InboxTab::All),
            _ => None,
        }
    }
}

/// What the conversation list asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxQuery {
    pub tab: InboxTab,
    pub status: ConversationStatus,
    pub priority: Option<Priority>,
    /// Label names: conversations carrying all of them.
    pub labels: Vec<String>,
    /// One team's queue, or those of the member's teams; every team when absent.
    #[serde(default)]
    pub team: Option<crate::team::TeamScope>,
    pub search: String,
    pub order: InboxOrder,
    pub cursor: Option<String>,
}

/// A conversation with its newest messages, its notes and who is in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub conversation: ConversationSummary,
    pub messages: Vec<MessageView>,
    /// Where the older messages start, if there are any ([`older_messages`]).
    pub older_cursor: Option<String>,
    pub notes: Vec<NoteView>,
    pub presence: Vec<PresenceView>,
}

/// A page of the conversation list.
#[server(prefix = "/rpc", endpoint = "inbox_conversations", input = leptos::server_fn::codec::Json)]
pub async fn inbox_conversations(query: InboxQuery) -> Result<ConversationPage, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.conversations(&viewer, query).await
}

/// One conversation and its messages; opening it marks it read.
#[server(prefix = "/rpc", endpoint = "conversation_thread")]
pub async fn conversation_thread(id: i64) -> Result<Thread, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.thread(&viewer, id).await
}

/// The messages before `before` (a thread's `older_cursor` or a page's `next_cursor`).
#[server(prefix = "/rpc", endpoint = "older_messages")]
pub async fn older_messages(id: i64, before: String) -> Result<MessagePage, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.older_messages(&viewer, id, before).await
}

/// Who a conversation is being assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignTarget {
    Me,
    Member(UserId),
    Nobody,
}

/// A change to a conversation, as the thread's header asks for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationUpdate {
    pub assign: Option<AssignTarget>,
    pub status: Option<ConversationStatus>,
    /// Snoozes until then.
    pub snoozed_until: Option<UnixTime>,
    pub priority: Option<Priority>,
    /// Exactly these labels (names) from now on.
    pub labels: Option<Vec<String>>,
    /// `Some(None)` takes it out of its team.
    #[serde(default)]
    pub team: Option<Option<i64>>,
}

impl ConversationUpdate {
    pub fn assign(target: AssignTarget) -> Self {
        ConversationUpdate {
            assign: Some(target),
            ..ConversationUpdate::default()
        }
    }

    pub fn status(status: ConversationStatus) -> Self {
        ConversationUpdate {
            status: Some(status),
            ..ConversationUpdate::default()
        }
    }

    pub fn snooze(until: UnixTime) -> Self {
        ConversationUpdate {
            status: Some(ConversationStatus::Snoozed),
            snoozed_until: Some(until),
            ..ConversationUpdate::default()
        }
    }

    pub fn priority(priority: Priority) -> Self {
        ConversationUpdate {
            priority: Some(priority),
            ..ConversationUpdate::default()
        }
    }

    pub fn labels(labels: Vec<String>) -> Self {
        ConversationUpdate {
            labels: Some(labels),
            ..ConversationUpdate::default()
        }
    }
}

/// Assigns or unassigns, changes the status (snoozing until a time), the priority and the
/// labels (the same use case as `PATCH /api/v1/conversations/{id}`); answers the
/// conversation as it now stands.
#[server(prefix = "/rpc", endpoint = "update_conversation", input = leptos::server_fn::codec::Json)]
pub async fn update_conversation(
    id: i64,
    update: ConversationUpdate,
) -> Result<ConversationSummary, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.update(&viewer, id, update).await
}

/// The member has read the conversation (its unread count clears; the customer sees blue
/// ticks). Opening a thread does not do it by itself: the page asks when it shows it.
#[server(prefix = "/rpc", endpoint = "mark_read")]
pub async fn mark_read(conversation_id: i64) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.mark_read(&viewer, conversation_id).await
}

/// Queues a message (the same path as `POST /api/v1/conversations/{id}/messages`); it shows
/// as queued at once and its ticks follow.
#[server(prefix = "/rpc", endpoint = "send_message", input = leptos::server_fn::codec::Json)]
pub async fn send_message(
    conversation_id: i64,
    request: SendRequest,
) -> Result<MessageView, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?
        .send(&viewer, conversation_id, request)
        .await
}

/// Templates: the approved ones for agents (to send), all of them for admins.
#[server(prefix = "/rpc", endpoint = "templates")]
pub async fn templates() -> Result<Vec<TemplateView>, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.templates(&viewer).await
}

/// A template with its approval timeline (admins).
#[server(prefix = "/rpc", endpoint = "template_with_timeline")]
pub async fn template_with_timeline(id: String) -> Result<TemplateDetail, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.template(&viewer, id).await
}

/// Re-reads the templates from Meta now; answers how many changed.
#[server(prefix = "/rpc", endpoint = "sync_templates")]
pub async fn sync_templates() -> Result<usize, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.sync_templates(&viewer).await
}

/// Submits a new template for Meta's review; answers its id.
#[server(prefix = "/rpc", endpoint = "submit_template", input = leptos::server_fn::codec::Json)]
pub async fn submit_template(draft: TemplateDraft) -> Result<String, AppError> {
    let viewer = ssr::require_viewer()?;
    draft.check().map_err(AppError::Invalid)?;
    ssr::backend()?.submit_template(&viewer, draft).await
}

/// Deletes a template at Meta.
#[server(prefix = "/rpc", endpoint = "delete_template")]
pub async fn delete_template(id: String) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.delete_template(&viewer, id).await
}

/// What admins must act on, shown as a banner on every page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminNotices {
    /// Meta refused the access token (error 190): its words.
    pub token_problem: Option<String>,
    /// Templates sent in the last 30 days that Meta has since paused, disabled or rejected.
    pub templates: Vec<TemplateView>,
    /// Business numbers in trouble, the account's standing, webhooks that stopped arriving.
    #[serde(default)]
    pub numbers: Vec<crate::numbers::HealthAlert>,
}

/// The admins' alerts (empty for agents).
#[server(prefix = "/rpc", endpoint = "admin_alerts")]
pub async fn admin_alerts() -> Result<AdminNotices, AppError> {
    let viewer = ssr::require_viewer()?;
    if !viewer.is_admin() {
        return Ok(AdminNotices::default());
    }
    ssr::backend()?.admin_alerts(&viewer).await
}

/// Tells the customer an agent is typing (and marks their latest message read); a no-op when
/// the typing indicator is turned off.
#[server(prefix = "/rpc", endpoint = "agent_typing")]
pub async fn agent_typing(conversation_id: i64) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.typing(&viewer, conversation_id).await
}

/// Sends a failed message again (a new attempt).
#[server(prefix = "/rpc", endpoint = "retry_message")]
pub async fn retry_message(message_id: i64) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.retry(&viewer, message_id).await
}

/// Withdraws a message still waiting in the queue.
#[server(prefix = "/rpc", endpoint = "cancel_message")]
pub async fn cancel_message(message_id: i64) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.cancel(&viewer, message_id).await
}

/// The active members a conversation can be assigned to: who they are, nothing more (an
/// agent has no business with colleagues' emails or roles).
#[server(prefix = "/rpc", endpoint = "assignable_members")]
pub async fn assignable_members() -> Result<Vec<MemberRef>, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.assignable_members(&viewer).await
}

/// The signed-in team member, or `None` for a visitor.
#[server(prefix = "/rpc", endpoint = "current_viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(ssr::viewer())
}

/// Everyone on the team, for the admin team page.
#[server(prefix = "/rpc/admin", endpoint = "team_members")]
pub async fn team_members() -> Result<Vec<TeamMember>, AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.team_members(&viewer).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What server functions need from the server, without depending on it: the server crate
    //! implements [`Backend`] and provides it (and the request's [`Viewer`]) as context.

    use super::{AppError, ConversationUpdate, InboxQuery, Thread};
    use crate::compose::SendRequest;
    use crate::model::{
        ConversationPage, ConversationSummary, MemberRef, MessagePage, MessageView, TeamMember,
        Viewer,
    };
    use crate::templates::{TemplateDetail, TemplateDraft, TemplateView};
    use leptos::prelude::*;
    use std::sync::Arc;

    pub use super::automations::ssr::AutomationsBackend;
    pub use super::campaigns::ssr::CampaignsBackend;
    pub use super::collaboration::ssr::CollaborationBackend;
    pub use super::contacts::ssr::ContactsBackend;
    pub use super::costs::ssr::CostsBackend;
    pub use super::numbers::ssr::NumbersBackend;
    pub use super::reports::ssr::ReportsBackend;
    pub use super::team::ssr::TeamBackend;

    /// The server's use cases, as server functions reach them. The server decides who may do
    /// what; server functions only say who is asking.
    #[async_trait::async_trait]
    pub trait Backend:
        AutomationsBackend
        + CampaignsBackend
        + CollaborationBackend
        + ContactsBackend
        + CostsBackend
        + NumbersBackend
        + ReportsBackend
        + TeamBackend
        + Send
        + Sync
    {
        async fn team_members(&self, viewer: &Viewer) -> Result<Vec<TeamMember>, AppError>;
        async fn assignable_members(&self, viewer: &Viewer) -> Result<Vec<MemberRef>, AppError>;
        async fn conversations(
            &self,
            viewer: &Viewer,
            query: InboxQuery,
        ) -> Result<ConversationPage, AppError>;
        async fn thread(&self, viewer: &Viewer, id: i64) -> Result<Thread, AppError>;
        async fn older_messages(
            &self,
            viewer: &Viewer,
            id: i64,
            before: String,
        ) -> Result<MessagePage, AppError>;
        async fn update(
            &self,
            viewer: &Viewer,
            id: i64,
            update: ConversationUpdate,
        ) -> Result<ConversationSummary, AppError>;
        async fn mark_read(&self, viewer: &Viewer, conversation_id: i64) -> Result<(), AppError>;
        async fn send(
            &self,
            viewer: &Viewer,
            conversation_id: i64,
            request: SendRequest,
        ) -> Result<MessageView, AppError>;
        async fn templates(&self, viewer: &Viewer) -> Result<Vec<TemplateView>, AppError>;
        async fn template(&self, viewer: &Viewer, id: String) -> Result<TemplateDetail, AppError>;
        async fn sync_templates(&self, viewer: &Viewer) -> Result<usize, AppError>;
        async fn submit_template(
            &self,
            viewer: &Viewer,
            draft: TemplateDraft,
        ) -> Result<String, AppError>;
        async fn delete_template(&self, viewer: &Viewer, id: String) -> Result<(), AppError>;
        async fn admin_alerts(&self, viewer: &Viewer) -> Result<super::AdminNotices, AppError>;
        async fn typing(&self, viewer: &Viewer, conversation_id: i64) -> Result<(), AppError>;
        async fn retry(&self, viewer: &Viewer, message_id: i64) -> Result<(), AppError>;
        async fn cancel(&self, viewer: &Viewer, message_id: i64) -> Result<(), AppError>;
    }

    /// The backend as it travels through Leptos context.
    pub type SharedBackend = Arc<dyn Backend>;

    /// The authenticated team member the server attached to this request, if any.
    pub fn viewer() -> Option<Viewer> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<Viewer>()
            .cloned()
    }

    fn fail_with(status: http::StatusCode, error: AppError) -> AppError {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
        error
    }

    pub fn require_viewer() -> Result<Viewer, AppError> {
        viewer().ok_or_else(|| fail_with(http::StatusCode::UNAUTHORIZED, AppError::Unauthorized))
    }

    pub fn require_admin() -> Result<Viewer, AppError> {
        let viewer = require_viewer()?;
        if viewer.is_admin() {
            Ok(viewer)
        } else {
            Err(fail_with(http::StatusCode::FORBIDDEN, AppError::Forbidden))
        }
    }

    pub fn backend() -> Result<SharedBackend, AppError> {
        use_context::<SharedBackend>().ok_or(AppError::Internal)
    }
}
