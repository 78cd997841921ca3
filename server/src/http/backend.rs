//! The server side of the app crate's server functions: what pages may read and change, in
//! domain terms, mapped to the store.

use super::AppState;
use crate::graph::GraphClient;
use crate::store::{
    Assignment, ConversationOrder, ConversationQuery, KeysetCursor, Millis, StoreError,
};
use crate::templates::{self, TemplateError};
use parley_app::api::ssr::Backend;
use parley_app::api::{AdminNotices, AppError, InboxQuery, InboxTab, Thread};
use parley_app::compose::SendRequest;
use parley_app::model::{
    ConversationPage, ConversationStatus, MessagePage, MessageView, TeamMember, UserId, Viewer,
};
use parley_app::templates::{TemplateDetail, TemplateDraft, TemplateStatus, TemplateView};

/// Store failures as the UI should see them; details go to the log, not the browser.
fn app_error(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound(_) => AppError::NotFound,
        other => {
            tracing::error!(error = %other, "server function failed");
            AppError::Internal
        }
    }
}

/// As [`app_error`], but an operation that does not apply says why.
fn state_error(error: StoreError) -> AppError {
    match error {
        StoreError::WrongState(why) => AppError::Invalid(why.to_owned()),
        other => app_error(other),
    }
}

const PAGE: i64 = 50;
/// Messages a thread shows at first, and loads each time the agent scrolls to its top.
const THREAD_PAGE: i64 = 100;

#[async_trait::async_trait]
impl Backend for AppState {
    async fn team_members(&self) -> Result<Vec<TeamMember>, AppError> {
        AppState::team_members(self).await.map_err(app_error)
    }

    async fn conversations(
        &self,
        viewer: &Viewer,
        query: InboxQuery,
    ) -> Result<ConversationPage, AppError> {
        let query = ConversationQuery {
            assignment: match query.tab {
                InboxTab::Mine => Assignment::Mine(viewer.id),
                InboxTab::Unassigned => Assignment::Unassigned,
                InboxTab::All => Assignment::All,
            },
            status: Some(query.status),
            phone_number_id: None,
            search: Some(query.search).filter(|s| !s.trim().is_empty()),
            order: if query.window_order {
                ConversationOrder::WindowClosingSoonest
            } else {
                ConversationOrder::LatestActivity
            },
            cursor: query.cursor.as_deref().and_then(KeysetCursor::parse),
            limit: PAGE,
            now: Millis::now(),
        };
        self.store
            .list_conversations(&query)
            .await
            .map_err(app_error)
    }

    async fn thread(&self, _viewer: &Viewer, id: i64) -> Result<Thread, AppError> {
        let receipt = self
            .store
            .mark_conversation_read(id, Millis::now())
            .await
            .map_err(app_error)?;
        // The customer sees blue ticks once an agent has opened what they sent.
        if let (Some(receipt), Some(graph)) = (receipt.filter(|r| r.was_unread), &self.graph) {
            let graph = graph.clone();
            tokio::spawn(async move {
                if let Err(error) = graph.mark_read_receipt(&receipt, false).await {
                    tracing::warn!(%error, "cannot mark a message read at Meta");
                }
            });
        }
        let conversation = self
            .store
            .conversation(id)
            .await
            .map_err(app_error)?
            .ok_or(AppError::NotFound)?;
        let page = self
            .store
            .conversation_messages(id, None, THREAD_PAGE)
            .await
            .map_err(app_error)?;
        Ok(Thread {
            conversation,
            messages: page.messages,
            older_cursor: page.next_cursor,
        })
    }

    async fn older_messages(
        &self,
        _viewer: &Viewer,
        id: i64,
        before: String,
    ) -> Result<MessagePage, AppError> {
        let before = KeysetCursor::parse(&before)
            .ok_or_else(|| AppError::Invalid("not a valid cursor".into()))?;
        self.store
            .conversation_messages(id, Some(before), THREAD_PAGE)
            .await
            .map_err(app_error)
    }

    async fn assign(
        &self,
        _viewer: &Viewer,
        id: i64,
        assignee: Option<UserId>,
    ) -> Result<(), AppError> {
        if let Some(assignee) = assignee {
            let member = self.store.user_by_id(assignee).await.map_err(app_error)?;
            if member.is_none_or(|m| m.disabled) {
                return Err(AppError::NotFound);
            }
        }
        self.store
            .assign_conversation(id, assignee, Millis::now())
            .await
            .map_err(app_error)?;
        self.live.waker().notify_one();
        Ok(())
    }

    async fn send(
        &self,
        viewer: &Viewer,
        conversation_id: i64,
        request: SendRequest,
    ) -> Result<MessageView, AppError> {
        use crate::outbox::{SendError, queue};
        let message = queue(&self.store, viewer.id, conversation_id, request)
            .await
            .map_err(|error| match error {
                SendError::WindowClosed { .. } => AppError::WindowClosed,
                SendError::Invalid(problem) => AppError::Invalid(problem),
                SendError::NotFound => AppError::NotFound,
                SendError::Store(e) => app_error(e),
            })?;
        self.outbox_wake.notify_one();
        self.live.waker().notify_one();
        Ok(message)
    }

    async fn retry(&self, _viewer: &Viewer, message_id: i64) -> Result<(), AppError> {
        self.store
            .retry_message(message_id, Millis::now())
            .await
            .map_err(state_error)?;
        self.outbox_wake.notify_one();
        self.live.waker().notify_one();
        Ok(())
    }

    async fn cancel(&self, _viewer: &Viewer, message_id: i64) -> Result<(), AppError> {
        self.store
            .cancel_message(message_id, Millis::now())
            .await
            .map_err(state_error)?;
        self.live.waker().notify_one();
        Ok(())
    }

    async fn set_status(
        &self,
        _viewer: &Viewer,
        id: i64,
        status: ConversationStatus,
    ) -> Result<(), AppError> {
        self.store
            .set_conversation_status(id, status, Millis::now())
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => AppError::Internal,
                other => app_error(other),
            })?;
        self.live.waker().notify_one();
        Ok(())
    }

    async fn typing(&self, _viewer: &Viewer, conversation_id: i64) -> Result<(), AppError> {
        let Some(graph) = self.graph.as_ref().filter(|_| self.config.typing_indicator) else {
            return Ok(());
        };
        let receipt = self
            .store
            .mark_conversation_read(conversation_id, Millis::now())
            .await
            .map_err(app_error)?;
        if let Some(receipt) = receipt {
            // Best effort: a missing indicator is no reason to bother the agent.
            if let Err(error) = graph.mark_read_receipt(&receipt, true).await {
                tracing::warn!(%error, "cannot show the typing indicator");
            }
        }
        Ok(())
    }

    async fn templates(&self, viewer: &Viewer) -> Result<Vec<TemplateView>, AppError> {
        let all = self.store.templates().await.map_err(app_error)?;
        Ok(all
            .into_iter()
            .filter(|t| viewer.is_admin() || t.status == TemplateStatus::Approved)
            .collect())
    }

    async fn template(&self, _viewer: &Viewer, id: String) -> Result<TemplateDetail, AppError> {
        self.store
            .template(&id)
            .await
            .map_err(app_error)?
            .ok_or(AppError::NotFound)
    }

    async fn sync_templates(&self, _viewer: &Viewer) -> Result<usize, AppError> {
        let waba_id = super::templates::account(self).map_err(template_error)?;
        let graph = self.graph.as_ref().ok_or(AppError::Internal)?;
        let changed = templates::sync(&self.store, graph, &waba_id)
            .await
            .map_err(template_error)?;
        self.live.waker().notify_one();
        Ok(changed)
    }

    async fn submit_template(
        &self,
        _viewer: &Viewer,
        draft: TemplateDraft,
    ) -> Result<String, AppError> {
        let waba_id = super::templates::account(self).map_err(template_error)?;
        let graph = self.graph.as_ref().ok_or(AppError::Internal)?;
        let id = templates::submit(&self.store, graph, &waba_id, &draft.to_meta())
            .await
            .map_err(template_error)?;
        self.live.waker().notify_one();
        Ok(id)
    }

    async fn delete_template(&self, _viewer: &Viewer, id: String) -> Result<(), AppError> {
        let graph = self.graph.as_ref().ok_or(AppError::Internal)?;
        templates::delete(&self.store, graph, &id)
            .await
            .map_err(template_error)?;
        self.live.waker().notify_one();
        Ok(())
    }

    async fn admin_alerts(&self) -> Result<AdminNotices, AppError> {
        let month_ago = Millis(Millis::now().0 - 30 * 24 * 3600 * 1000);
        Ok(AdminNotices {
            token_problem: self.graph.as_ref().and_then(GraphClient::token_problem),
            templates: self
                .store
                .troubled_templates(month_ago)
                .await
                .map_err(app_error)?,
        })
    }
}

/// Template failures for the UI: Meta's objections in Meta's words.
fn template_error(error: TemplateError) -> AppError {
    match error {
        TemplateError::Store(e) => app_error(e),
        TemplateError::Graph(error) => {
            tracing::warn!(%error, "Graph API call failed");
            AppError::Invalid(error.for_members())
        }
        other => AppError::Invalid(other.to_string()),
    }
}
