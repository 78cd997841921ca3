//! Delivery statuses: every status Meta sends is recorded, and each message moves to the
//! furthest recorded for it (forward only), a chunk of webhooks at a time.

use super::{Db, LOCK_STATUSES, LOCK_STATUSES_OF, Tx};
use crate::domain::inbound::{StatusUpdate, WaMessageId};
use crate::domain::message::furthest;
use crate::domain::{DomainEvent, Millis};
use crate::store::StoreResult;
use parley_app::model::MessageStatus;
use std::collections::HashMap;

/// Statuses recorded or applied per statement: nine bound values a status stays well inside
/// both engines' limits.
const STATUS_GROUP: usize = 200;

/// Records a chunk's delivery statuses (also for messages not stored yet) and applies each
/// message's furthest: a handful of statements for the whole chunk, not several per status,
/// so processing keeps up with the three statuses a campaign's every send brings back.
pub(super) async fn apply_statuses(
    tx: &mut Tx<'_>,
    statuses: &[&StatusUpdate],
    now: Millis,
) -> StoreResult<()> {
    if statuses.is_empty() {
        return Ok(());
    }
    for group in statuses.chunks(STATUS_GROUP) {
        let mut insert = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO message_statuses (wamid, status, occurred_at, error_code, error_title,
               error_details, conversation, pricing, received_at) ",
        );
        insert.push_values(group, |mut row, status| {
            let error = status.errors.first();
            row.push_bind(status.wamid.0.clone())
                .push_bind(status.status.as_str())
                .push_bind(status.timestamp_ms)
                .push_bind(error.map(|e| e.code))
                .push_bind(error.map(|e| e.title.clone()))
                .push_bind(error.and_then(|e| e.details.clone().or_else(|| e.message.clone())))
                .push_bind(status.conversation.as_ref().map(|v| v.to_string()))
                .push_bind(status.pricing.as_ref().map(|v| v.to_string()))
                .push_bind(now.0);
        });
        insert.push(" ON CONFLICT (wamid, status) DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    let mut wamids: Vec<&str> = statuses.iter().map(|s| s.wamid.0.as_str()).collect();
    wamids.sort_unstable();
    wamids.dedup();
    for group in wamids.chunks(STATUS_GROUP) {
        apply_recorded_statuses_of(tx, group, now).await?;
    }
    Ok(())
}

/// [`apply_recorded_statuses`] for many wamids at once (sorted: concurrent chunks take the
/// wamids' locks in one order, so they cannot deadlock on them).
async fn apply_recorded_statuses_of(
    tx: &mut Tx<'_>,
    wamids: &[&str],
    now: Millis,
) -> StoreResult<()> {
    if !LOCK_STATUSES_OF.is_empty() {
        let mut lock = sqlx::QueryBuilder::<Db>::new(LOCK_STATUSES_OF);
        lock.push_values(wamids, |mut row, wamid| {
            row.push_bind(*wamid);
        });
        lock.push(") AS v(w)");
        lock.build().execute(&mut **tx).await?;
    }
    type Recorded = (
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut select = sqlx::QueryBuilder::<Db>::new(
        "SELECT wamid, status, error_code, error_title, error_details, pricing
         FROM message_statuses WHERE wamid IN (",
    );
    let mut listed = select.separated(", ");
    for wamid in wamids {
        listed.push_bind(*wamid);
    }
    listed.push_unseparated(")");
    let recorded: Vec<Recorded> = select.build_query_as().fetch_all(&mut **tx).await?;
    let mut by_wamid: HashMap<&str, Vec<(MessageStatus, StatusDetail)>> = HashMap::new();
    for (wamid, status, code, title, details, pricing) in &recorded {
        if let Ok(status) = status.parse::<MessageStatus>() {
            let detail = (*code, title.clone(), details.clone(), pricing.clone());
            by_wamid
                .entry(wamid.as_str())
                .or_default()
                .push((status, detail));
        }
    }
    let best: Vec<(&str, MessageStatus, StatusDetail)> = wamids
        .iter()
        .filter_map(|wamid| {
            let (status, detail) = furthest(by_wamid.remove(wamid)?)?;
            Some((*wamid, status, detail))
        })
        .collect();
    if best.is_empty() {
        return Ok(());
    }
    // A derived table of plain SELECTs, which both engines read alike (SQLite names no
    // columns of a VALUES list).
    let mut update = sqlx::QueryBuilder::<Db>::new(
        "UPDATE messages SET status = v.new_status, status_rank = v.new_rank,
           error_code = v.new_code, error_title = v.new_title, error_details = v.new_details
         FROM (",
    );
    for (i, (wamid, status, (code, title, details, _))) in best.iter().enumerate() {
        if i > 0 {
            update.push(" UNION ALL ");
        }
        update
            .push("SELECT ")
            .push_bind(*wamid)
            .push(" AS new_wamid, ")
            .push_bind(status.as_str())
            .push(" AS new_status, ")
            .push_bind(status.rank())
            .push(" AS new_rank, ")
            .push_bind(*code)
            .push(" AS new_code, ")
            .push_bind(title.clone())
            .push(" AS new_title, ")
            .push_bind(details.clone())
            .push(" AS new_details");
    }
    update.push(
        ") AS v WHERE messages.wamid = v.new_wamid AND messages.status_rank < v.new_rank
         RETURNING id, conversation_id, wamid",
    );
    let mut advanced: Vec<(i64, i64, String)> =
        update.build_query_as().fetch_all(&mut **tx).await?;
    advanced.sort_by_key(|(id, _, _)| *id);
    let mut events = Vec::with_capacity(advanced.len());
    for (message_id, conversation_id, wamid) in advanced {
        let Some((_, status, (code, _, _, pricing))) =
            best.iter().find(|(best_wamid, _, _)| *best_wamid == wamid)
        else {
            continue;
        };
        if *status == MessageStatus::Failed
            && let Some(code) = code
        {
            super::consent::on_send_failure(tx, message_id, *code, now).await?;
        }
        events.push(DomainEvent::StatusAdvanced {
            conversation_id,
            message_id,
            status: *status,
            pricing: pricing
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
        });
    }
    super::events::push_all(tx, &events, now).await
}

/// A recorded status's error code, title, details and pricing.
type StatusDetail = (Option<i64>, Option<String>, Option<String>, Option<String>);

/// Moves a stored message to the furthest status recorded for it (forward only).
///
/// A status can race the transaction that gives its message the wamid (a send's record, an
/// echo). Under PostgreSQL's read committed each could miss the other's uncommitted row and the
/// status would be lost. Both call this after their write (the status recorded, the wamid set)
/// and it takes the wamid's lock before reading, so whichever takes it second sees the other's
/// commit.
pub(super) async fn apply_recorded_statuses(
    tx: &mut Tx<'_>,
    wamid: &WaMessageId,
    now: Millis,
) -> StoreResult<()> {
    if !LOCK_STATUSES.is_empty() {
        sqlx::query(LOCK_STATUSES)
            .bind(&wamid.0)
            .execute(&mut **tx)
            .await?;
    }
    type Recorded = (
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let recorded: Vec<Recorded> = sqlx::query_as(
        "SELECT status, error_code, error_title, error_details, pricing FROM message_statuses
         WHERE wamid = $1",
    )
    .bind(&wamid.0)
    .fetch_all(&mut **tx)
    .await?;
    let best = furthest(recorded.into_iter().filter_map(
        |(status, code, title, details, pricing)| {
            let status = status.parse::<MessageStatus>().ok()?;
            Some((status, (code, title, details, pricing)))
        },
    ));
    let Some((status, (code, title, details, pricing))) = best else {
        return Ok(());
    };
    let updated: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE messages SET status = $1, status_rank = $2, error_code = $3, error_title = $4,
           error_details = $5
         WHERE wamid = $6 AND status_rank < $2 RETURNING id, conversation_id",
    )
    .bind(status.as_str())
    .bind(status.rank())
    .bind(code)
    .bind(title)
    .bind(details)
    .bind(&wamid.0)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((message_id, conversation_id)) = updated {
        if status == MessageStatus::Failed
            && let Some(code) = code
        {
            super::consent::on_send_failure(tx, message_id, code, now).await?;
        }
        let advanced = DomainEvent::StatusAdvanced {
            conversation_id,
            message_id,
            status,
            pricing: pricing.and_then(|p| serde_json::from_str(&p).ok()),
        };
        super::events::push(tx, &advanced, now).await?;
    }
    Ok(())
}
