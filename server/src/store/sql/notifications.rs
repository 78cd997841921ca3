//! Notifications.

use super::{Db, Engine, Tx};
use crate::domain::{DomainEvent, Millis};
use crate::store::notifications::{NOTIFICATION_SELECT, NotificationRow, kind_str};
use crate::store::sql_support::push_id_list;
use crate::store::{Notification, NotificationPage, NotificationStore, StoreResult};
use async_trait::async_trait;
use parley_app::collaboration::NotificationKind;
use parley_app::model::UserId;

/// A notification to write.
pub(super) struct NewNotification {
    pub(super) user: UserId,
    pub(super) kind: NotificationKind,
    pub(super) conversation_id: i64,
    pub(super) note_id: Option<i64>,
    pub(super) actor: Option<UserId>,
    /// What an automation says.
    pub(super) detail: Option<String>,
}

/// Writes a notification and its event inside the caller's transaction, unless the member
/// turned this kind off (`None` then).
pub(super) async fn notify(
    tx: &mut Tx<'_>,
    notification: &NewNotification,
    now: Millis,
) -> StoreResult<Option<i64>> {
    let wanted = match notification.kind {
        NotificationKind::Mention => "notify_mention",
        NotificationKind::SnoozeEnded => "notify_snooze_ended",
        NotificationKind::Automation => "disabled_at IS NULL",
    };
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "INSERT INTO notifications (user_id, kind, conversation_id, note_id, actor_id, created_at,
           detail)
         SELECT $1, $2, $3, $4, $5, $6, $7 FROM users WHERE id = $1 AND {wanted}
         RETURNING id"
    ))
    .bind(notification.user.0)
    .bind(kind_str(notification.kind))
    .bind(notification.conversation_id)
    .bind(notification.note_id)
    .bind(notification.actor.map(|a| a.0))
    .bind(now.0)
    .bind(&notification.detail)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let created = DomainEvent::NotificationCreated {
        conversation_id: notification.conversation_id,
        notification_id: id,
        user_id: notification.user,
    };
    super::events::push(tx, &created, now).await?;
    Ok(Some(id))
}

#[async_trait]
impl NotificationStore for Engine {
    async fn for_member(&self, user: UserId, limit: i64) -> StoreResult<NotificationPage> {
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "{NOTIFICATION_SELECT} WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(user.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(NotificationPage {
            notifications: rows
                .into_iter()
                .map(NotificationRow::into_notification)
                .collect::<StoreResult<_>>()?,
            unread,
        })
    }

    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Notification>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = sqlx::QueryBuilder::<Db>::new(NOTIFICATION_SELECT);
        sql.push(" WHERE n.id IN ");
        push_id_list(&mut sql, ids);
        let rows: Vec<NotificationRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(NotificationRow::into_notification)
            .collect()
    }

    async fn mark_read(&self, user: UserId, ids: Option<&[i64]>, now: Millis) -> StoreResult<u64> {
        if ids.is_some_and(|ids| ids.is_empty()) {
            return Ok(0);
        }
        let _turn = self.write_turn().await;
        let mut sql = sqlx::QueryBuilder::<Db>::new("UPDATE notifications SET read_at = ");
        sql.push_bind(now.0)
            .push(" WHERE read_at IS NULL AND user_id = ")
            .push_bind(user.0);
        if let Some(ids) = ids {
            sql.push(" AND id IN ");
            push_id_list(&mut sql, ids);
        }
        let mut tx = self.pool.begin().await?;
        let updated = sql.build().execute(&mut *tx).await?.rows_affected();
        if updated > 0 {
            let read = DomainEvent::NotificationsRead { user_id: user };
            super::events::push(&mut tx, &read, now).await?;
        }
        tx.commit().await?;
        if updated > 0 {
            self.announce();
        }
        Ok(updated)
    }
}
