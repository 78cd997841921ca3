//! Presence: who has a conversation open, and who is typing there.

use super::{ServiceResult, Services, conversations};
use crate::store::Presence;
use parley_app::collaboration::Activity;
use parley_app::model::Viewer;
use std::time::Duration;

/// The member is `activity` in the conversation (renewed by their browser while it lasts), or
/// has left it (`None`).
pub async fn set(
    svc: &Services,
    viewer: &Viewer,
    conversation_id: i64,
    activity: Option<Activity>,
) -> ServiceResult<()> {
    conversations::get(svc, viewer, conversation_id).await?;
    let now = svc.now();
    let until = activity.map(|activity| {
        let lasts = Duration::from_secs(activity.lasts_seconds().unsigned_abs());
        (activity, now.plus(lasts))
    });
    Ok(svc
        .store
        .presence
        .set(conversation_id, viewer.id, until, now)
        .await?)
}

pub async fn in_conversation(
    svc: &Services,
    viewer: &Viewer,
    conversation_id: i64,
) -> ServiceResult<Vec<Presence>> {
    conversations::get(svc, viewer, conversation_id).await?;
    Ok(svc
        .store
        .presence
        .in_conversation(conversation_id, svc.now())
        .await?)
}
