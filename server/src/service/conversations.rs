//! Conversations: what the inbox lists and shows, and what members do to conversations.
//! Every member works every conversation (one team inbox).

use super::{ServiceError, ServiceResult, Services, labels, notes};
use crate::domain::Millis;
use crate::domain::conversation::{Conversation, ConversationChange, StatusChange};
use crate::store::{
    Assignment, ConversationOrder, ConversationQuery, KeysetCursor, MessagePage, Note, Page,
    Presence, TeamFilter,
};
use parley_app::collaboration::Priority;
use parley_app::model::{ConversationStatus, UserId, Viewer};
use parley_app::team::TeamScope;

/// Which conversations a member asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Mine,
    /// Those assigned to this member.
    AssignedTo(UserId),
    Unassigned,
}

/// A page of the conversation list, as a member asks for it.
#[derive(Clone, Debug)]
pub struct ListRequest {
    pub scope: Scope,
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    /// Label names: conversations carrying all of them.
    pub labels: Vec<String>,
    /// One team's queue, or those of the member's teams.
    pub team: Option<TeamScope>,
    pub phone_number_id: Option<String>,
    pub search: Option<String>,
    pub order: ConversationOrder,
    pub cursor: Option<KeysetCursor>,
    pub limit: i64,
}

/// The conversation list's page sizes.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;
/// Messages a thread shows at first, and loads each time the member scrolls to its top.
pub const THREAD_PAGE: i64 = 100;
pub const MAX_MESSAGE_PAGE: i64 = 500;

pub async fn list(
    svc: &Services,
    viewer: &Viewer,
    request: ListRequest,
) -> ServiceResult<Page<Conversation>> {
    let query = ConversationQuery {
        assignment: match request.scope {
            Scope::All => Assignment::All,
            Scope::Mine => Assignment::To(viewer.id),
            Scope::AssignedTo(member) => Assignment::To(member),
            Scope::Unassigned => Assignment::Unassigned,
        },
        team: match request.team {
            None => TeamFilter::Any,
            Some(TeamScope::MyTeams) => TeamFilter::MemberOf(viewer.id),
            Some(TeamScope::Team(team)) => TeamFilter::Is(team),
        },
        status: request.status,
        priority: request.priority,
        labels: labels::resolve(svc, &request.labels).await?,
        phone_number_id: request.phone_number_id.filter(|p| !p.is_empty()),
        search: request.search.filter(|s| !s.trim().is_empty()),
        order: request.order,
        cursor: request.cursor,
        limit: request.limit.clamp(1, MAX_PAGE),
        now: svc.now(),
    };
    Ok(svc.store.conversations.list(&query).await?)
}

pub async fn get(svc: &Services, _viewer: &Viewer, id: i64) -> ServiceResult<Conversation> {
    svc.store
        .conversations
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("conversation"))
}

/// What a thread shows when opened.
pub struct OpenThread {
    pub conversation: Conversation,
    pub messages: MessagePage,
    pub notes: Vec<Note>,
    /// Who else is in it now.
    pub presence: Vec<Presence>,
}

/// A conversation with its newest messages, its notes and who is in it. Opening it does not
/// mark it read: that is the member's explicit [`mark_read`].
pub async fn thread(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<OpenThread> {
    let conversation = get(svc, viewer, id).await?;
    let (messages, notes, presence) = tokio::try_join!(
        svc.store.messages.page(id, None, THREAD_PAGE),
        svc.store.notes.for_conversation(id, notes::THREAD_NOTES),
        svc.store.presence.in_conversation(id, svc.now()),
    )?;
    Ok(OpenThread {
        conversation,
        messages,
        notes,
        presence,
    })
}

/// A page of a conversation's messages: the newest `limit` before `before`.
pub async fn messages(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    before: Option<KeysetCursor>,
    limit: i64,
) -> ServiceResult<MessagePage> {
    get(svc, viewer, id).await?;
    let limit = limit.clamp(1, MAX_MESSAGE_PAGE);
    Ok(svc.store.messages.page(id, before, limit).await?)
}

/// What a member asks to change about a conversation, before it is checked; any
/// combination (`PATCH /api/v1/conversations/{id}`).
#[derive(Clone, Debug, Default)]
pub struct ChangeRequest {
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub status: Option<ConversationStatus>,
    pub snoozed_until: Option<Millis>,
    pub priority: Option<Priority>,
    /// Label names: exactly these from now on.
    pub labels: Option<Vec<String>>,
    /// `Some(None)` takes it out of its team.
    pub team: Option<Option<i64>>,
}

/// Assigns (to an active member, or nobody), moves the status on (snoozing until a time),
/// sets the priority and the labels, in one change.
pub async fn change(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    request: ChangeRequest,
) -> ServiceResult<Conversation> {
    let status = StatusChange::from_request(request.status, request.snoozed_until, svc.now())
        .map_err(|why| ServiceError::Invalid(why.into()))?;
    let labels = match &request.labels {
        Some(names) => Some(labels::resolve(svc, names).await?),
        None => None,
    };
    let change = ConversationChange {
        assignee: request.assignee,
        status,
        priority: request.priority,
        labels,
        team: request.team,
    };
    if change.is_empty() {
        return get(svc, viewer, id).await;
    }
    if let Some(Some(team)) = change.team
        && !svc
            .store
            .routing
            .teams()
            .await?
            .iter()
            .any(|t| t.id == team)
    {
        return Err(ServiceError::Invalid(format!("there is no team {team}")));
    }
    if let Some(Some(assignee)) = change.assignee {
        let member = svc.store.team.user_by_id(assignee).await?;
        if member.is_none_or(|m| m.disabled) {
            return Err(ServiceError::Invalid(format!(
                "{assignee} is not an active member of the team"
            )));
        }
    }
    svc.store
        .conversations
        .change(id, change, Some(viewer.id), svc.now())
        .await
        .map_err(|error| match error {
            crate::store::StoreError::Conflict(_) => ServiceError::Conflict(
                "the customer already has another unresolved conversation on this number: \
                 reopen that one instead"
                    .into(),
            ),
            crate::store::StoreError::NotFound("label") => {
                ServiceError::Invalid("a label was deleted meanwhile: try again".into())
            }
            other => other.into(),
        })
}

/// The member has read the conversation: its unread count goes to zero, and the customer sees
/// blue ticks on their latest message (and, with `typing`, the typing indicator).
pub async fn mark_read(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    typing: bool,
) -> ServiceResult<()> {
    get(svc, viewer, id).await?;
    let receipt = svc
        .store
        .conversations
        .mark_read(id, Some(viewer.id), svc.now())
        .await?;
    if let Some(receipt) = receipt.filter(|r| r.was_unread || typing) {
        svc.graph()?.mark_read_receipt(&receipt, typing).await?;
    }
    Ok(())
}

/// Shows the customer that a member is typing a reply (and marks their latest message read);
/// nothing when `PARLEY_TYPING_INDICATOR` is off. Best effort: a missing indicator is no
/// reason to bother the member.
pub async fn typing(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<()> {
    if !svc.config.typing_indicator || svc.graph.is_none() {
        return Ok(());
    }
    if let Err(error) = mark_read(svc, viewer, id, true).await {
        match error {
            ServiceError::Upstream(error) => {
                tracing::warn!(%error, "cannot show the typing indicator");
            }
            other => return Err(other),
        }
    }
    Ok(())
}
