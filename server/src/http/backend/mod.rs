//! The server side of the app crate's server functions: each a thin adapter over a use case
//! of `crate::service`, with one mapping from service errors to what the UI shows.

mod automations;
mod campaigns;
mod collaboration;
mod contacts;
mod costs;
mod members;
mod numbers;
mod reports;

use super::AppState;
use crate::domain::Millis;
use crate::service::conversations::{self, ChangeRequest, ListRequest, Scope};
use crate::service::{ServiceError, sending, team, templates};
use crate::store::{ConversationOrder, KeysetCursor};
use crate::views;
use parley_app::api::ssr::Backend;
use parley_app::api::{
    AdminNotices, AppError, AssignTarget, ConversationUpdate, InboxOrder, InboxQuery, InboxTab,
    Thread,
};
use parley_app::compose::SendRequest;
use parley_app::model::{
    ConversationPage, ConversationSummary, MemberRef, MessagePage, MessageView, TeamMember, Viewer,
};
use parley_app::templates::{TemplateDetail, TemplateDraft, TemplateView};

/// Service failures as the UI shows them; internal details go to the log, not the browser.
/// The response carries the status the REST API would answer (a refusal is not a 500).
fn app_error(error: ServiceError) -> AppError {
    let status = super::ApiError::from_service_status(&error);
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    match error {
        ServiceError::NotFound(_) => AppError::NotFound,
        ServiceError::Forbidden => AppError::Forbidden,
        ServiceError::Invalid(why) => AppError::Invalid(why),
        ServiceError::Conflict(why) => AppError::Conflict(why),
        ServiceError::WindowClosed { .. } => AppError::WindowClosed,
        ServiceError::RepliedMeanwhile { by } => AppError::RepliedMeanwhile(by),
        ServiceError::Upstream(error) => {
            tracing::warn!(%error, "Graph API call failed");
            AppError::Invalid(error.for_members())
        }
        e @ (ServiceError::NotConfigured(_)
        | ServiceError::Busy { .. }
        | ServiceError::StorageFull(_)) => AppError::Invalid(e.to_string()),
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "server function failed");
            AppError::Internal
        }
    }
}

#[async_trait::async_trait]
impl Backend for AppState {
    async fn team_members(&self, viewer: &Viewer) -> Result<Vec<TeamMember>, AppError> {
        let users = team::members(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(users.iter().map(views::team_member).collect())
    }

    async fn assignable_members(&self, viewer: &Viewer) -> Result<Vec<MemberRef>, AppError> {
        let users = team::assignable(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(users.iter().map(views::member_ref).collect())
    }

    async fn conversations(
        &self,
        viewer: &Viewer,
        query: InboxQuery,
    ) -> Result<ConversationPage, AppError> {
        let request = ListRequest {
            scope: match query.tab {
                InboxTab::Mine => Scope::Mine,
                InboxTab::Unassigned => Scope::Unassigned,
                InboxTab::All => Scope::All,
            },
            status: Some(query.status),
            priority: query.priority,
            labels: query.labels,
            team: query.team,
            phone_number_id: None,
            search: Some(query.search),
            order: match query.order {
                InboxOrder::LatestActivity => ConversationOrder::LatestActivity,
                InboxOrder::WindowClosingSoonest => ConversationOrder::WindowClosingSoonest,
                InboxOrder::HighestPriority => ConversationOrder::HighestPriority,
            },
            cursor: query.cursor.as_deref().and_then(KeysetCursor::parse),
            limit: conversations::DEFAULT_PAGE,
        };
        let page = conversations::list(&self.services, viewer, request)
            .await
            .map_err(app_error)?;
        Ok(views::conversation_page(&page))
    }

    async fn thread(&self, viewer: &Viewer, id: i64) -> Result<Thread, AppError> {
        let thread = conversations::thread(&self.services, viewer, id)
            .await
            .map_err(app_error)?;
        Ok(Thread {
            conversation: views::conversation(&thread.conversation),
            messages: views::messages(&thread.messages.messages),
            older_cursor: thread.messages.older.map(KeysetCursor::encode),
            notes: thread.notes.iter().map(views::note).collect(),
            presence: thread.presence.iter().map(views::presence).collect(),
        })
    }

    async fn older_messages(
        &self,
        viewer: &Viewer,
        id: i64,
        before: String,
    ) -> Result<MessagePage, AppError> {
        let before = KeysetCursor::parse(&before)
            .ok_or_else(|| AppError::Invalid("not a valid cursor".into()))?;
        let page = conversations::messages(
            &self.services,
            viewer,
            id,
            Some(before),
            conversations::THREAD_PAGE,
        )
        .await
        .map_err(app_error)?;
        Ok(MessagePage {
            messages: views::messages(&page.messages),
            next_cursor: page.older.map(KeysetCursor::encode),
        })
    }

    async fn update(
        &self,
        viewer: &Viewer,
        id: i64,
        update: ConversationUpdate,
    ) -> Result<ConversationSummary, AppError> {
        let change = ChangeRequest {
            assignee: update.assign.map(|target| match target {
                AssignTarget::Me => Some(viewer.id),
                AssignTarget::Member(member) => Some(member),
                AssignTarget::Nobody => None,
            }),
            status: update.status,
            snoozed_until: update.snoozed_until.map(|at| Millis(at.millis())),
            priority: update.priority,
            labels: update.labels,
            team: update.team,
        };
        let conversation = conversations::change(&self.services, viewer, id, change)
            .await
            .map_err(app_error)?;
        Ok(views::conversation(&conversation))
    }

    async fn mark_read(&self, viewer: &Viewer, conversation_id: i64) -> Result<(), AppError> {
        match conversations::mark_read(&self.services, viewer, conversation_id, false).await {
            // The unread count is cleared; only the customer's blue ticks are missing.
            Err(ServiceError::Upstream(error)) => {
                tracing::warn!(%error, "cannot mark a message read at Meta");
                Ok(())
            }
            other => other.map_err(app_error),
        }
    }

    async fn send(
        &self,
        viewer: &Viewer,
        conversation_id: i64,
        request: SendRequest,
    ) -> Result<MessageView, AppError> {
        let message = sending::send(&self.services, viewer, conversation_id, request)
            .await
            .map_err(app_error)?;
        Ok(views::message(&message))
    }

    async fn retry(&self, viewer: &Viewer, message_id: i64) -> Result<(), AppError> {
        sending::retry(&self.services, viewer, message_id)
            .await
            .map(drop)
            .map_err(app_error)
    }

    async fn cancel(&self, viewer: &Viewer, message_id: i64) -> Result<(), AppError> {
        sending::cancel(&self.services, viewer, message_id)
            .await
            .map(drop)
            .map_err(app_error)
    }

    async fn typing(&self, viewer: &Viewer, conversation_id: i64) -> Result<(), AppError> {
        conversations::typing(&self.services, viewer, conversation_id)
            .await
            .map_err(app_error)
    }

    async fn templates(&self, viewer: &Viewer) -> Result<Vec<TemplateView>, AppError> {
        let found = templates::list(&self.services, viewer, &Default::default())
            .await
            .map_err(app_error)?;
        Ok(found.iter().map(views::template).collect())
    }

    async fn template(&self, viewer: &Viewer, id: String) -> Result<TemplateDetail, AppError> {
        let (template, timeline) = templates::get(&self.services, viewer, &id)
            .await
            .map_err(app_error)?;
        Ok(views::template_detail(&template, &timeline))
    }

    async fn sync_templates(&self, viewer: &Viewer) -> Result<usize, AppError> {
        templates::sync(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn submit_template(
        &self,
        viewer: &Viewer,
        draft: TemplateDraft,
    ) -> Result<String, AppError> {
        templates::submit(&self.services, viewer, &self.origin(), &draft.to_meta())
            .await
            .map_err(app_error)
    }

    async fn delete_template(&self, viewer: &Viewer, id: String) -> Result<(), AppError> {
        templates::delete(&self.services, viewer, &self.origin(), &id)
            .await
            .map_err(app_error)
    }

    async fn admin_alerts(&self, viewer: &Viewer) -> Result<AdminNotices, AppError> {
        let troubled = templates::troubled(&self.services, viewer)
            .await
            .map_err(app_error)?;
        let numbers = crate::service::numbers::alerts(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(AdminNotices {
            token_problem: self
                .services
                .graph
                .as_ref()
                .and_then(crate::graph::GraphClient::token_problem),
            templates: troubled.iter().map(views::template).collect(),
            numbers,
        })
    }
}
