//! The collaboration server functions' side: thin adapters over the notes, notifications,
//! labels, canned-reply and presence use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::{canned, labels, notes, notifications, presence};
use crate::views;
use parley_app::api::AppError;
use parley_app::api::ssr::CollaborationBackend;
use parley_app::collaboration::{
    Activity, CannedReplyDraft, CannedReplyView, LabelDraft, LabelView, NoteDraft, NoteView,
    NotificationList,
};
use parley_app::compose::Upload;
use parley_app::model::Viewer;

#[async_trait::async_trait]
impl CollaborationBackend for AppState {
    async fn add_note(
        &self,
        viewer: &Viewer,
        conversation_id: i64,
        draft: NoteDraft,
    ) -> Result<NoteView, AppError> {
        let note = notes::add(&self.services, viewer, conversation_id, draft)
            .await
            .map_err(app_error)?;
        Ok(views::note(&note))
    }

    async fn notifications(&self, viewer: &Viewer) -> Result<NotificationList, AppError> {
        let page = notifications::list(&self.services, viewer, notifications::DEFAULT_LIMIT)
            .await
            .map_err(app_error)?;
        Ok(views::notification_list(&page))
    }

    async fn read_notifications(
        &self,
        viewer: &Viewer,
        ids: Option<Vec<i64>>,
    ) -> Result<(), AppError> {
        notifications::mark_read(&self.services, viewer, ids)
            .await
            .map(drop)
            .map_err(app_error)
    }

    async fn labels(&self, viewer: &Viewer) -> Result<Vec<LabelView>, AppError> {
        let found = labels::list(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(found.iter().map(views::label).collect())
    }

    async fn save_label(
        &self,
        viewer: &Viewer,
        id: Option<i64>,
        draft: LabelDraft,
    ) -> Result<LabelView, AppError> {
        let label = match id {
            Some(id) => labels::update(&self.services, viewer, &self.origin(), id, draft).await,
            None => labels::create(&self.services, viewer, &self.origin(), draft).await,
        }
        .map_err(app_error)?;
        Ok(views::label(&label))
    }

    async fn delete_label(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        labels::delete(&self.services, viewer, &self.origin(), id)
            .await
            .map_err(app_error)
    }

    async fn canned_replies(&self, viewer: &Viewer) -> Result<Vec<CannedReplyView>, AppError> {
        let replies = canned::list(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(replies.iter().map(views::canned_reply).collect())
    }

    async fn save_canned_reply(
        &self,
        viewer: &Viewer,
        id: Option<i64>,
        draft: CannedReplyDraft,
    ) -> Result<CannedReplyView, AppError> {
        let reply = match id {
            Some(id) => canned::update(&self.services, viewer, id, draft).await,
            None => canned::create(&self.services, viewer, draft).await,
        }
        .map_err(app_error)?;
        Ok(views::canned_reply(&reply))
    }

    async fn delete_canned_reply(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        canned::delete(&self.services, viewer, id)
            .await
            .map_err(app_error)
    }

    async fn canned_attachment(
        &self,
        viewer: &Viewer,
        id: i64,
        conversation_id: i64,
    ) -> Result<Upload, AppError> {
        let uploaded = canned::attachment_for(&self.services, viewer, id, conversation_id)
            .await
            .map_err(app_error)?;
        Ok(views::upload(uploaded))
    }

    async fn set_presence(
        &self,
        viewer: &Viewer,
        conversation_id: i64,
        activity: Option<Activity>,
    ) -> Result<(), AppError> {
        presence::set(&self.services, viewer, conversation_id, activity)
            .await
            .map_err(app_error)
    }
}
