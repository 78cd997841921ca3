//! The webhook journal, and the marks intake leaves on it.

use super::{Db, Engine, SKIP_LOCKED, Tx};
use crate::domain::Millis;
use crate::store::sql_support::push_id_list;
use crate::store::{JournalStore, ParsedWebhook, PendingWebhook, StoreResult};
use async_trait::async_trait;

/// Each statement is a round trip to the database: a batch that fits in one commits on its
/// own, without the round trips of BEGIN and COMMIT.
const ROWS_PER_INSERT: usize = 512;

fn insert<'a>(bodies: &'a [&'a [u8]], received_at: Millis) -> sqlx::QueryBuilder<'a, Db> {
    let mut insert = sqlx::QueryBuilder::new("INSERT INTO webhook_events (body, received_at) ");
    insert.push_values(bodies, |mut row, body| {
        row.push_bind(*body).push_bind(received_at.0);
    });
    insert
}

#[async_trait]
impl JournalStore for Engine {
    async fn append(&self, bodies: &[&[u8]], received_at: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        if bodies.len() <= ROWS_PER_INSERT {
            insert(bodies, received_at)
                .build()
                .execute(&self.pool)
                .await?;
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for rows in bodies.chunks(ROWS_PER_INSERT) {
            insert(rows, received_at).build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<PendingWebhook>> {
        let _turn = self.write_turn().await;
        let sql = format!(
            "UPDATE webhook_events SET lease_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM webhook_events
                          WHERE processed_at IS NULL AND (lease_until IS NULL OR lease_until <= $2)
                          ORDER BY id LIMIT $3 {SKIP_LOCKED})
             RETURNING id, body, attempts, received_at"
        );
        // One statement, committed on its own: a claim is a derived write.
        let mut rows: Vec<(i64, Vec<u8>, i64, i64)> = sqlx::query_as(&sql)
            .bind(lease_until.0)
            .bind(now.0)
            .bind(limit)
            .fetch_all(&self.derived)
            .await?;
        rows.sort_by_key(|row| row.0);
        Ok(rows
            .into_iter()
            .map(|(id, body, attempts, received_at)| PendingWebhook {
                id,
                body,
                attempts,
                received_at: Millis(received_at),
            })
            .collect())
    }

    async fn release(&self, lease_until: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE webhook_events SET lease_until = NULL
             WHERE processed_at IS NULL AND lease_until = $1",
        )
        .bind(lease_until.0)
        .execute(&self.derived)
        .await?;
        Ok(())
    }

    async fn fail(&self, id: i64, error: &str, retry_at: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE webhook_events SET lease_until = $1, last_error = $2 WHERE id = $3")
            .bind(retry_at.0)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn backlog(&self) -> StoreResult<i64> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE processed_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    async fn oldest_unprocessed(&self) -> StoreResult<Option<Millis>> {
        let oldest: Option<i64> = sqlx::query_scalar(
            "SELECT received_at FROM webhook_events WHERE processed_at IS NULL ORDER BY id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(oldest.map(Millis))
    }
}

/// The ids of the events in `events` that are not byte-identical redeliveries of an earlier
/// event. The first event with a body owns its digest; a later one (in this chunk or since) is
/// a redelivery. One statement: the upsert's no-op update makes it return the owner of every
/// digest, old or new.
pub(super) async fn first_deliveries(
    tx: &mut Tx<'_>,
    events: &[ParsedWebhook],
) -> StoreResult<Vec<i64>> {
    // Events come in id order; the same digest twice in one upsert is an error.
    let mut distinct: Vec<&ParsedWebhook> = Vec::with_capacity(events.len());
    for event in events {
        if !distinct
            .iter()
            .any(|seen| seen.body_digest == event.body_digest)
        {
            distinct.push(event);
        }
    }
    if distinct.is_empty() {
        return Ok(Vec::new());
    }
    let mut upsert =
        sqlx::QueryBuilder::<Db>::new("INSERT INTO webhook_digests (digest, event_id) ");
    upsert.push_values(&distinct, |mut row, event| {
        row.push_bind(&event.body_digest[..]).push_bind(event.id);
    });
    upsert.push(
        " ON CONFLICT (digest) DO UPDATE SET event_id = webhook_digests.event_id RETURNING event_id",
    );
    Ok(upsert.build_query_scalar().fetch_all(&mut **tx).await?)
}

pub(super) async fn mark_processed(tx: &mut Tx<'_>, ids: &[i64], now: Millis) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut update = sqlx::QueryBuilder::<Db>::new("UPDATE webhook_events SET processed_at = ");
    update
        .push_bind(now.0)
        .push(", lease_until = NULL, last_error = NULL WHERE id IN ");
    push_id_list(&mut update, ids);
    update.build().execute(&mut **tx).await?;
    Ok(())
}
