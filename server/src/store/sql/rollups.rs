//! Reports' running totals (migration 0022): history marks and messages counted per UTC day,
//! number, team and member. The roll-up follows the history and the domain-event log by id
//! (ids grow in commit order on both engines) and moves its cursor in the same transaction as
//! the totals, so every row counts exactly once; one roll-up runs at a time (the cursor row is
//! locked), whichever node calls it.

use super::{BEGIN_READ_THEN_WRITE, Db, Engine, FOR_UPDATE, SINGLE_NODE, Tx};
use crate::domain::Millis;
use crate::domain::history::bucket_start;
use crate::store::StoreResult;
use parley_app::reports::TimeBucket;
use std::collections::BTreeMap;

/// Rows the roll-up reads from each log per transaction.
const BATCH: i64 = 5_000;
/// Totals written per statement.
const UPSERT_CHUNK: usize = 500;

/// Where a total counts: its day (start, ms), kind or direction, number, team and member
/// (0: none).
type Key = (i64, String, String, i64, i64);

fn day_of(at: i64) -> i64 {
    bucket_start(TimeBucket::Day, Millis(at), 0).0
}

impl Engine {
    /// Brings the totals up to the logs, a batch per transaction; the number of rows counted.
    pub(super) async fn roll_up_all(&self) -> StoreResult<u64> {
        let mut counted = 0;
        while self.behind().await? {
            let (rows, more) = {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
                let done = roll_up_batch(&mut tx).await?;
                tx.commit().await?;
                done
            };
            counted += rows;
            if !more {
                break;
            }
        }
        Ok(counted)
    }

    /// Whether either log holds rows the totals have not counted: a cheap look without locks.
    async fn behind(&self) -> StoreResult<bool> {
        let (history, events): (i64, i64) = sqlx::query_as(
            "SELECT
               CAST(COALESCE((SELECT MAX(id) FROM conversation_history), 0) - r.history_id
                 AS BIGINT),
               CAST(COALESCE((SELECT MAX(id) FROM domain_events), 0) - r.event_id AS BIGINT)
             FROM report_rollup r WHERE r.id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(history > 0 || events > 0)
    }

    /// Counts every total again from the history and the messages (after a restore or a bulk
    /// load that bypassed Parley). Writers wait meanwhile, so nothing is counted twice.
    pub(super) async fn recount_all(&self) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        lock_cursor(&mut tx).await?;
        if !SINGLE_NODE {
            sqlx::query("LOCK TABLE conversation_history, messages, domain_events IN SHARE MODE")
                .execute(&mut *tx)
                .await?;
        }
        for statement in [
            "DELETE FROM report_daily_marks",
            "DELETE FROM report_daily_messages",
            "INSERT INTO report_daily_marks (day, kind, phone_number_id, team_id, agent_id, marks)
             SELECT at / 86400000 * 86400000, kind, phone_number_id, COALESCE(team_id, 0),
                    COALESCE(agent_id, 0), COUNT(*)
             FROM conversation_history GROUP BY 1, 2, 3, 4, 5",
            "INSERT INTO report_daily_messages
               (day, direction, phone_number_id, team_id, agent_id, messages)
             SELECT m.sent_at / 86400000 * 86400000, m.direction, c.phone_number_id,
                    COALESCE(c.team_id, 0), COALESCE(c.assignee_id, 0), COUNT(*)
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             GROUP BY 1, 2, 3, 4, 5",
            "UPDATE report_rollup SET
               history_id = (SELECT COALESCE(MAX(id), 0) FROM conversation_history),
               event_id = (SELECT COALESCE(MAX(id), 0) FROM domain_events)",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn lock_cursor(tx: &mut Tx<'_>) -> StoreResult<(i64, i64)> {
    Ok(sqlx::query_as(&format!(
        "SELECT history_id, event_id FROM report_rollup WHERE id = 1 {FOR_UPDATE}"
    ))
    .fetch_one(&mut **tx)
    .await?)
}

/// Counts one batch of each log past the cursor; the rows counted, and whether more remain.
async fn roll_up_batch(tx: &mut Tx<'_>) -> StoreResult<(u64, bool)> {
    let (history_id, event_id) = lock_cursor(tx).await?;
    let marks: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, at, kind, phone_number_id, COALESCE(team_id, 0), COALESCE(agent_id, 0)
         FROM conversation_history WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(history_id)
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await?;
    let events_up_to: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(id) FROM (SELECT id FROM domain_events WHERE id > $1 ORDER BY id LIMIT $2) b",
    )
    .bind(event_id)
    .bind(BATCH)
    .fetch_one(&mut **tx)
    .await?;
    // A message counts once, by the event that brought it in or sent it; statuses and edits
    // of it do not.
    let messages: Vec<(i64, String, String, i64, i64)> = match events_up_to {
        None => Vec::new(),
        Some(up_to) => {
            sqlx::query_as(
                "SELECT m.sent_at, m.direction, c.phone_number_id, COALESCE(c.team_id, 0),
                   COALESCE(c.assignee_id, 0)
                 FROM domain_events e
                 JOIN messages m ON m.id = e.message_id
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE e.id > $1 AND e.id <= $2
                   AND e.kind IN ('message_received', 'message_echoed', 'message_queued')",
            )
            .bind(event_id)
            .bind(up_to)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    let mut mark_totals: BTreeMap<Key, i64> = BTreeMap::new();
    for (_, at, kind, number, team, agent) in &marks {
        *mark_totals
            .entry((day_of(*at), kind.clone(), number.clone(), *team, *agent))
            .or_default() += 1;
    }
    let mut message_totals: BTreeMap<Key, i64> = BTreeMap::new();
    for (sent_at, direction, number, team, agent) in messages {
        *message_totals
            .entry((day_of(sent_at), direction, number, team, agent))
            .or_default() += 1;
    }
    add_totals(tx, "report_daily_marks", "kind", "marks", &mark_totals).await?;
    add_totals(
        tx,
        "report_daily_messages",
        "direction",
        "messages",
        &message_totals,
    )
    .await?;
    let history_up_to = marks.last().map_or(history_id, |row| row.0);
    sqlx::query("UPDATE report_rollup SET history_id = $1, event_id = $2 WHERE id = 1")
        .bind(history_up_to)
        .bind(events_up_to.unwrap_or(event_id))
        .execute(&mut **tx)
        .await?;
    let read_events = events_up_to.map_or(0, |up_to| up_to - event_id);
    let more = marks.len() as i64 == BATCH || read_events >= BATCH;
    Ok((marks.len() as u64 + read_events as u64, more))
}

/// Adds `totals` to `table`'s rows (`what` their kind or direction column, `count` their
/// count column), creating those not there yet.
async fn add_totals(
    tx: &mut Tx<'_>,
    table: &str,
    what: &str,
    count: &str,
    totals: &BTreeMap<Key, i64>,
) -> StoreResult<()> {
    let rows: Vec<(&Key, &i64)> = totals.iter().collect();
    for chunk in rows.chunks(UPSERT_CHUNK) {
        let mut upsert = sqlx::QueryBuilder::<Db>::new(format!(
            "INSERT INTO {table} (day, {what}, phone_number_id, team_id, agent_id, {count}) "
        ));
        upsert.push_values(
            chunk,
            |mut row, ((day, what, number, team, agent), total)| {
                row.push_bind(*day)
                    .push_bind(what.clone())
                    .push_bind(number.clone())
                    .push_bind(*team)
                    .push_bind(*agent)
                    .push_bind(**total);
            },
        );
        upsert.push(format!(
            " ON CONFLICT (day, {what}, phone_number_id, team_id, agent_id)
              DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
        ));
        upsert.build().execute(&mut **tx).await?;
    }
    Ok(())
}
