//! Server functions for working together: notes, notifications, labels, canned replies and
//! presence. The same use cases as the REST API's (`/api/v1/...`), through
//! [`ssr::CollaborationBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::collaboration::{
    Activity, CannedReplyDraft, CannedReplyView, LabelDraft, LabelView, NoteDraft, NoteView,
    NotificationList,
};
use crate::compose::Upload;
use leptos::prelude::*;

/// Writes an internal note in the conversation (never sent to the customer).
#[server(prefix = "/rpc", endpoint = "add_note", input = leptos::server_fn::codec::Json)]
pub async fn add_note(conversation_id: i64, draft: NoteDraft) -> Result<NoteView, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .add_note(&viewer, conversation_id, draft)
        .await
}

/// The member's newest notifications and how many are unread.
#[server(prefix = "/rpc", endpoint = "my_notifications")]
pub async fn my_notifications() -> Result<NotificationList, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.notifications(&viewer).await
}

/// Marks the member's notifications read: these, or all of them.
#[server(prefix = "/rpc", endpoint = "read_notifications", input = leptos::server_fn::codec::Json)]
pub async fn read_notifications(ids: Option<Vec<i64>>) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.read_notifications(&viewer, ids).await
}

/// Every label.
#[server(prefix = "/rpc", endpoint = "labels")]
pub async fn labels() -> Result<Vec<LabelView>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.labels(&viewer).await
}

/// Creates a label (no `id`) or changes one (admins).
#[server(prefix = "/rpc", endpoint = "save_label", input = leptos::server_fn::codec::Json)]
pub async fn save_label(id: Option<i64>, draft: LabelDraft) -> Result<LabelView, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.save_label(&viewer, id, draft).await
}

/// Deletes a label everywhere (admins).
#[server(prefix = "/rpc", endpoint = "delete_label")]
pub async fn delete_label(id: i64) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.delete_label(&viewer, id).await
}

/// The team's canned replies and the member's own.
#[server(prefix = "/rpc", endpoint = "canned_replies")]
pub async fn canned_replies() -> Result<Vec<CannedReplyView>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.canned_replies(&viewer).await
}

/// Creates a canned reply (no `id`) or changes one.
#[server(prefix = "/rpc", endpoint = "save_canned_reply", input = leptos::server_fn::codec::Json)]
pub async fn save_canned_reply(
    id: Option<i64>,
    draft: CannedReplyDraft,
) -> Result<CannedReplyView, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.save_canned_reply(&viewer, id, draft).await
}

#[server(prefix = "/rpc", endpoint = "delete_canned_reply")]
pub async fn delete_canned_reply(id: i64) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.delete_canned_reply(&viewer, id).await
}

/// A canned reply's file, ready to send in this conversation.
#[server(prefix = "/rpc", endpoint = "canned_attachment")]
pub async fn canned_attachment(id: i64, conversation_id: i64) -> Result<Upload, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .canned_attachment(&viewer, id, conversation_id)
        .await
}

/// Tells the others what the member is doing in the conversation (`None`: they left).
#[server(prefix = "/rpc", endpoint = "set_presence", input = leptos::server_fn::codec::Json)]
pub async fn set_presence(
    conversation_id: i64,
    activity: Option<Activity>,
) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .set_presence(&viewer, conversation_id, activity)
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::api::AppError;
    use crate::collaboration::{
        Activity, CannedReplyDraft, CannedReplyView, LabelDraft, LabelView, NoteDraft, NoteView,
        NotificationList,
    };
    use crate::compose::Upload;
    use crate::model::Viewer;

    /// The collaboration use cases, as server functions reach them.
    #[async_trait::async_trait]
    pub trait CollaborationBackend: Send + Sync {
        async fn add_note(
            &self,
            viewer: &Viewer,
            conversation_id: i64,
            draft: NoteDraft,
        ) -> Result<NoteView, AppError>;
        async fn notifications(&self, viewer: &Viewer) -> Result<NotificationList, AppError>;
        async fn read_notifications(
            &self,
            viewer: &Viewer,
            ids: Option<Vec<i64>>,
        ) -> Result<(), AppError>;
        async fn labels(&self, viewer: &Viewer) -> Result<Vec<LabelView>, AppError>;
        async fn save_label(
            &self,
            viewer: &Viewer,
            id: Option<i64>,
            draft: LabelDraft,
        ) -> Result<LabelView, AppError>;
        async fn delete_label(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn canned_replies(&self, viewer: &Viewer) -> Result<Vec<CannedReplyView>, AppError>;
        async fn save_canned_reply(
            &self,
            viewer: &Viewer,
            id: Option<i64>,
            draft: CannedReplyDraft,
        ) -> Result<CannedReplyView, AppError>;
        async fn delete_canned_reply(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn canned_attachment(
            &self,
            viewer: &Viewer,
            id: i64,
            conversation_id: i64,
        ) -> Result<Upload, AppError>;
        async fn set_presence(
            &self,
            viewer: &Viewer,
            conversation_id: i64,
            activity: Option<Activity>,
        ) -> Result<(), AppError>;
    }
}
