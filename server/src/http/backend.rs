//! The server side of the app crate's server functions: what pages may read and change, in
//! domain terms, mapped to the store.

use super::AppState;
use crate::store::{
    Assignment, ConversationCursor, ConversationOrder, ConversationQuery, Millis, StoreError,
};
use parley_app::api::ssr::Backend;
use parley_app::api::{AppError, InboxQuery, InboxTab, Thread};
use parley_app::model::{
    ConversationPage, ConversationStatus, MessageView, TeamMember, UserId, Viewer,
};

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
            cursor: query.cursor.as_deref().and_then(ConversationCursor::parse),
            limit: PAGE,
            now: Millis::now(),
        };
        self.store
            .list_conversations(&query)
            .await
            .map_err(app_error)
    }

    async fn thread(&self, _viewer: &Viewer, id: i64) -> Result<Thread, AppError> {
        self.store
            .mark_conversation_read(id, Millis::now())
            .await
            .map_err(app_error)?;
        let conversation = self
            .store
            .conversation(id)
            .await
            .map_err(app_error)?
            .ok_or(AppError::NotFound)?;
        let messages = self
            .store
            .conversation_messages(id)
            .await
            .map_err(app_error)?;
        Ok(Thread {
            conversation,
            messages,
        })
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

    async fn send_text(
        &self,
        viewer: &Viewer,
        conversation_id: i64,
        text: String,
    ) -> Result<MessageView, AppError> {
        use crate::outbox::{SendError, queue_text};
        let message = queue_text(&self.store, viewer.id, conversation_id, &text)
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
}
