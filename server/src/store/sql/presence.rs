//! Presence.

use super::Engine;
use crate::domain::{DomainEvent, Millis};
use crate::store::notes::member;
use crate::store::{Presence, PresenceStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::collaboration::Activity;
use parley_app::model::UserId;

#[async_trait]
impl PresenceStore for Engine {
    async fn set(
        &self,
        conversation_id: i64,
        user: UserId,
        activity: Option<(Activity, Millis)>,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        match activity {
            Some((activity, until)) => {
                sqlx::query(
                    "INSERT INTO presence (conversation_id, user_id, activity, expires_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (conversation_id, user_id)
                     DO UPDATE SET activity = excluded.activity, expires_at = excluded.expires_at",
                )
                .bind(conversation_id)
                .bind(user.0)
                .bind(activity.as_str())
                .bind(until.0)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM presence WHERE conversation_id = $1 AND user_id = $2")
                    .bind(conversation_id)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let changed = DomainEvent::PresenceChanged {
            conversation_id,
            user_id: user,
            activity: activity.map(|(activity, _)| activity),
            expires_at: activity.map(|(_, until)| until),
        };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn in_conversation(
        &self,
        conversation_id: i64,
        now: Millis,
    ) -> StoreResult<Vec<Presence>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT p.user_id, u.name, p.activity, p.expires_at
             FROM presence p JOIN users u ON u.id = p.user_id
             WHERE p.conversation_id = $1 AND p.expires_at > $2 ORDER BY p.user_id",
        )
        .bind(conversation_id)
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(user, name, activity, expires_at)| {
                Ok(Presence {
                    conversation_id,
                    member: member(user, &name)?,
                    activity: activity
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("activity {activity:?}")))?,
                    expires_at: Millis(expires_at),
                })
            })
            .collect()
    }

    async fn sweep(&self, now: Millis, events_before: Millis) -> StoreResult<u64> {
        let _turn = self.write_turn().await;
        let gone = sqlx::query("DELETE FROM presence WHERE expires_at <= $1")
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "DELETE FROM domain_events WHERE kind = 'presence_changed' AND created_at < $1",
        )
        .bind(events_before.0)
        .execute(&self.pool)
        .await?;
        Ok(gone.rows_affected())
    }
}
