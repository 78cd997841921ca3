//! Server functions: the browser's typed door into the server. Each one checks who is asking
//! before it touches data; the data itself comes from the [`ssr::Backend`] the server provides.

use crate::compose::SendRequest;
use crate::model::{
    ConversationPage, ConversationStatus, ConversationSummary, MemberRef, MessagePage, MessageView,
    TeamMember, UserId, Viewer,
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
    #[error("The 24-hour window is closed: only an approved template can be sent.")]
    WindowClosed,
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

/// What the conversation list asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxQuery {
    pub tab: InboxTab,
    pub status: ConversationStatus,
    pub search: String,
    /// Open windows closing soonest first, instead of latest activity.
    pub window_order: bool,
    pub cursor: Option<String>,
}

/// A conversation with its newest messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub conversation: ConversationSummary,
    pub messages: Vec<MessageView>,
    /// Where the older messages start, if there are any ([`older_messages`]).
    pub older_cursor: Option<String>,
}

/// A page of the conversation list.
#[server(prefix = "/rpc", endpoint = "inbox_conversations")]
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

/// Assigns a conversation (to oneself or any member) or unassigns it.
#[server(prefix = "/rpc", endpoint = "assign_conversation")]
pub async fn assign_conversation(id: i64, target: AssignTarget) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    let assignee = match target {
        AssignTarget::Me => Some(viewer.id),
        AssignTarget::Member(member) => Some(member),
        AssignTarget::Nobody => None,
    };
    ssr::backend()?.assign(&viewer, id, assignee).await
}

/// Resolves or reopens a conversation.
#[server(prefix = "/rpc", endpoint = "set_conversation_status")]
pub async fn set_conversation_status(id: i64, status: ConversationStatus) -> Result<(), AppError> {
    let viewer = ssr::require_viewer()?;
    ssr::backend()?.set_status(&viewer, id, status).await
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
    let viewer = ssr::require_admin()?;
    ssr::backend()?.template(&viewer, id).await
}

/// Re-reads the templates from Meta now; answers how many changed.
#[server(prefix = "/rpc", endpoint = "sync_templates")]
pub async fn sync_templates() -> Result<usize, AppError> {
    let viewer = ssr::require_admin()?;
    ssr::backend()?.sync_templates(&viewer).await
}

/// Submits a new template for Meta's review; answers its id.
#[server(prefix = "/rpc", endpoint = "submit_template", input = leptos::server_fn::codec::Json)]
pub async fn submit_template(draft: TemplateDraft) -> Result<String, AppError> {
    let viewer = ssr::require_admin()?;
    draft.check().map_err(AppError::Invalid)?;
    ssr::backend()?.submit_template(&viewer, draft).await
}

/// Deletes a template at Meta.
#[server(prefix = "/rpc", endpoint = "delete_template")]
pub async fn delete_template(id: String) -> Result<(), AppError> {
    let viewer = ssr::require_admin()?;
    ssr::backend()?.delete_template(&viewer, id).await
}

/// What admins must act on, shown as a banner on every page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminNotices {
    /// Meta refused the access token (error 190): its words.
    pub token_problem: Option<String>,
    /// Templates sent in the last 30 days that Meta has since paused, disabled or rejected.
    pub templates: Vec<TemplateView>,
}

/// The admins' alerts (empty for agents).
#[server(prefix = "/rpc", endpoint = "admin_alerts")]
pub async fn admin_alerts() -> Result<AdminNotices, AppError> {
    let viewer = ssr::require_viewer()?;
    if !viewer.is_admin() {
        return Ok(AdminNotices::default());
    }
    ssr::backend()?.admin_alerts().await
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
    ssr::require_viewer()?;
    let members = ssr::backend()?.team_members().await?;
    Ok(members
        .into_iter()
        .filter(|m| !m.disabled)
        .map(|m| MemberRef {
            id: m.id,
            name: m.name,
        })
        .collect())
}

/// The signed-in team member, or `None` for a visitor.
#[server(prefix = "/rpc", endpoint = "current_viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(ssr::viewer())
}

/// Everyone on the team, for the admin team page.
#[server(prefix = "/rpc/admin", endpoint = "team_members")]
pub async fn team_members() -> Result<Vec<TeamMember>, AppError> {
    ssr::require_admin()?;
    ssr::backend()?.team_members().await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What server functions need from the server, without depending on it: the server crate
    //! implements [`Backend`] and provides it (and the request's [`Viewer`]) as context.

    use super::{AppError, InboxQuery, Thread};
    use crate::compose::SendRequest;
    use crate::model::{
        ConversationPage, ConversationStatus, MessageView, TeamMember, UserId, Viewer,
    };
    use crate::templates::{TemplateDetail, TemplateDraft, TemplateView};
    use leptos::prelude::*;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait Backend: Send + Sync {
        async fn team_members(&self) -> Result<Vec<TeamMember>, AppError>;
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
        ) -> Result<crate::model::MessagePage, AppError>;
        async fn assign(
            &self,
            viewer: &Viewer,
            id: i64,
            assignee: Option<UserId>,
        ) -> Result<(), AppError>;
        async fn set_status(
            &self,
            viewer: &Viewer,
            id: i64,
            status: ConversationStatus,
        ) -> Result<(), AppError>;
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
        async fn admin_alerts(&self) -> Result<super::AdminNotices, AppError>;
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
