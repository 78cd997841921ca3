//! The domain-event log. Every write that changes something pushes its events in its own
//! transaction; readers follow the log by id.
//!
//! Ids must become visible in id order, or a reader could pass an id that commits late and
//! never see it. SQLite has one writer at a time, which already orders commits; PostgreSQL
//! gives events their ids as each transaction commits, one transaction at a time (migration
//! 0018), so a writer never waits for the log while holding rows others wait for.
//!
//! Conversations' history for reports is written here too, from the same events.

use super::{Db, Engine, Tx};
use crate::domain::events::RecordedEvent;
use crate::domain::{DomainEvent, Millis};
use crate::store::{EventBatch, EventStore, StoreResult};
use async_trait::async_trait;

/// Writes `event` into the log, inside the caller's transaction.
pub(super) async fn push(tx: &mut Tx<'_>, event: &DomainEvent, now: Millis) -> StoreResult<()> {
    let payload = serde_json::to_string(event).expect("domain events serialise");
    sqlx::query(
        "INSERT INTO domain_events (kind, conversation_id, message_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.kind())
    .bind(event.conversation_id())
    .bind(event.message_id())
    .bind(payload)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    super::history::record(tx, std::slice::from_ref(event), now).await
}

/// Writes `events` into the log in this order, a statement per few hundred.
pub(super) async fn push_all(
    tx: &mut Tx<'_>,
    events: &[DomainEvent],
    now: Millis,
) -> StoreResult<()> {
    for group in events.chunks(200) {
        let mut insert = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO domain_events (kind, conversation_id, message_id, payload, created_at) ",
        );
        insert.push_values(group, |mut row, event| {
            row.push_bind(event.kind())
                .push_bind(event.conversation_id())
                .push_bind(event.message_id())
                .push_bind(serde_json::to_string(event).expect("domain events serialise"))
                .push_bind(now.0);
        });
        insert.build().execute(&mut **tx).await?;
    }
    super::history::record(tx, events, now).await
}

#[async_trait]
impl EventStore for Engine {
    async fn after(&self, after: i64, limit: i64) -> StoreResult<EventBatch> {
        let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT id, payload, created_at FROM domain_events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 == limit;
        let read_up_to = rows.last().map_or(after, |row| row.0);
        let events = rows
            .into_iter()
            .filter_map(|(id, payload, at)| {
                let event = serde_json::from_str(payload.as_deref()?).ok()?;
                Some(RecordedEvent {
                    id,
                    at: Millis(at),
                    event,
                })
            })
            .collect();
        Ok(EventBatch {
            events,
            read_up_to,
            more,
        })
    }

    async fn latest_id(&self) -> StoreResult<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM domain_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }
}
