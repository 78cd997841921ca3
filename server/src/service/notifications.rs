//! A member's notifications: only ever their own.

use super::{ServiceResult, Services};
use crate::store::NotificationPage;
use parley_app::model::Viewer;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

pub async fn list(svc: &Services, viewer: &Viewer, limit: i64) -> ServiceResult<NotificationPage> {
    Ok(svc
        .store
        .notifications
        .for_member(viewer.id, limit.clamp(1, MAX_LIMIT))
        .await?)
}

/// Marks the member's own notifications read: these, or all of them.
pub async fn mark_read(
    svc: &Services,
    viewer: &Viewer,
    ids: Option<Vec<i64>>,
) -> ServiceResult<u64> {
    Ok(svc
        .store
        .notifications
        .mark_read(viewer.id, ids.as_deref(), svc.now())
        .await?)
}
