//! Canned replies: the team's (admins keep them) and each member's own. A member sees the
//! team's and their own, never a colleague's personal ones.

use super::media::{self, UploadFor, Uploaded};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::store::{CannedReply, CannedReplyUpdate, NewCannedReply};
use parley_app::collaboration::{CannedReplyDraft, MAX_NOTE_CHARS, check_shortcut};
use parley_app::model::Viewer;

const MAX_TITLE: usize = 80;

pub async fn list(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<CannedReply>> {
    Ok(svc.store.canned_replies.visible_to(viewer.id).await?)
}

/// A reply the viewer may see; a colleague's personal one does not exist for them.
async fn visible(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<CannedReply> {
    svc.store
        .canned_replies
        .get(id)
        .await?
        .filter(|reply| reply.owner.is_none_or(|owner| owner == viewer.id))
        .ok_or(ServiceError::NotFound("canned reply"))
}

/// A reply the viewer may change: their own, or (admins) the team's.
async fn editable(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<CannedReply> {
    let reply = visible(svc, viewer, id).await?;
    if reply.owner.is_none() {
        require_admin(viewer)?;
    }
    Ok(reply)
}

fn title(raw: &str) -> ServiceResult<String> {
    let title = raw.trim();
    match title.chars().count() {
        0 => Err(ServiceError::Invalid("a canned reply needs a title".into())),
        n if n > MAX_TITLE => Err(ServiceError::Invalid(format!(
            "a title may be at most {MAX_TITLE} characters"
        ))),
        _ => Ok(title.to_owned()),
    }
}

fn body(raw: &str) -> ServiceResult<String> {
    let body = raw.trim();
    match body.chars().count() {
        0 => Err(ServiceError::Invalid(
            "a canned reply needs some text".into(),
        )),
        n if n > MAX_NOTE_CHARS => Err(ServiceError::Invalid(format!(
            "a canned reply may be at most {MAX_NOTE_CHARS} characters"
        ))),
        _ => Ok(body.to_owned()),
    }
}

/// An attachment must be a file a member uploaded through Parley.
async fn attachment(svc: &Services, media_id: &str) -> ServiceResult<Option<String>> {
    let media_id = media_id.trim();
    if media_id.is_empty() {
        return Ok(None);
    }
    svc.store.media.uploaded(media_id).await?.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "{media_id} is not a file uploaded with POST /api/v1/media"
        ))
    })?;
    Ok(Some(media_id.to_owned()))
}

pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    draft: CannedReplyDraft,
) -> ServiceResult<CannedReply> {
    if draft.shared {
        require_admin(viewer)?;
    }
    let shortcut = check_shortcut(draft.shortcut.as_deref().unwrap_or_default())
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let reply = NewCannedReply {
        owner: (!draft.shared).then_some(viewer.id),
        shortcut,
        title: title(draft.title.as_deref().unwrap_or_default())?,
        body: body(draft.body.as_deref().unwrap_or_default())?,
        attachment_media_id: match draft.attachment_media_id.as_deref() {
            Some(media_id) => attachment(svc, media_id).await?,
            None => None,
        },
    };
    Ok(svc.store.canned_replies.create(&reply, svc.now()).await?)
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    draft: CannedReplyDraft,
) -> ServiceResult<CannedReply> {
    editable(svc, viewer, id).await?;
    let update = CannedReplyUpdate {
        shortcut: draft
            .shortcut
            .as_deref()
            .map(check_shortcut)
            .transpose()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?,
        title: draft.title.as_deref().map(title).transpose()?,
        body: draft.body.as_deref().map(body).transpose()?,
        attachment_media_id: match draft.attachment_media_id.as_deref() {
            Some(media_id) => Some(attachment(svc, media_id).await?),
            None => None,
        },
    };
    Ok(svc
        .store
        .canned_replies
        .update(id, &update, svc.now())
        .await?)
}

pub async fn delete(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<()> {
    editable(svc, viewer, id).await?;
    Ok(svc.store.canned_replies.delete(id).await?)
}

/// The reply's attachment, ready to send in this conversation (uploaded again for its number
/// when needed).
pub async fn attachment_for(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    conversation_id: i64,
) -> ServiceResult<Uploaded> {
    let reply = visible(svc, viewer, id).await?;
    let file = reply
        .attachment
        .ok_or(ServiceError::NotFound("attachment"))?;
    media::reuse(
        svc,
        viewer,
        &file.media_id,
        UploadFor::Conversation(conversation_id),
    )
    .await
}
