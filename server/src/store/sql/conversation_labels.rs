//! The labels on conversations: putting them on, reading them with a page of conversations,
//! and which label should lead a filtered list.

use super::{Db, Tx};
use crate::domain::conversation::Conversation;
use crate::domain::{DomainEvent, Millis};
use crate::store::conversations::ConversationRow;
use crate::store::sql_support::push_id_list;
use crate::store::{StoreError, StoreResult};
use parley_app::model::UserId;
use std::collections::{BTreeSet, HashMap};

/// Conversations a label may be on and still be "rare": read in full and sorted, that many
/// cost less than walking the list's order to find a page of them.
const RARE_LABEL: i64 = 5_000;

/// Of the labels a list filters by, the one on fewest conversations, if that is at most
/// [`RARE_LABEL`]. Each is counted only up to that, so common labels cost no more to ask about.
pub(super) async fn rare_label(pool: &sqlx::Pool<Db>, labels: &[i64]) -> StoreResult<Option<i64>> {
    if labels.is_empty() {
        return Ok(None);
    }
    let mut sql = sqlx::QueryBuilder::<Db>::new("");
    for (n, label) in labels.iter().enumerate() {
        if n > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT ")
            .push_bind(*label)
            .push(" AS label_id, (SELECT COUNT(*) FROM (SELECT 1 FROM conversation_labels WHERE label_id = ")
            .push_bind(*label)
            .push(" LIMIT ")
            .push_bind(RARE_LABEL + 1)
            .push(") AS capped) AS uses");
    }
    let counted: Vec<(i64, i64)> = sql.build_query_as().fetch_all(pool).await?;
    Ok(counted
        .into_iter()
        .filter(|(_, uses)| *uses <= RARE_LABEL)
        .min_by_key(|(_, uses)| *uses)
        .map(|(label, _)| label))
}

/// Puts exactly `labels` on the conversation, with an event naming what was added and
/// removed (none when nothing changed).
pub(super) async fn set_labels(
    tx: &mut Tx<'_>,
    id: i64,
    labels: &[i64],
    by: Option<UserId>,
    now: Millis,
) -> StoreResult<()> {
    let before: Vec<(i64, String)> = sqlx::query_as(
        "SELECT l.id, l.name FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
         WHERE cl.conversation_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let wanted: BTreeSet<i64> = labels.iter().copied().collect();
    let had: BTreeSet<i64> = before.iter().map(|(id, _)| *id).collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|(label, _)| !wanted.contains(label))
        .map(|(_, name)| name.clone())
        .collect();
    for label in had.difference(&wanted) {
        sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1 AND label_id = $2")
            .bind(id)
            .bind(label)
            .execute(&mut **tx)
            .await?;
    }
    let mut added = Vec::new();
    for label in wanted.difference(&had) {
        let name: String = sqlx::query_scalar("SELECT name FROM labels WHERE id = $1")
            .bind(label)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("label"))?;
        sqlx::query("INSERT INTO conversation_labels (conversation_id, label_id) VALUES ($1, $2)")
            .bind(id)
            .bind(label)
            .execute(&mut **tx)
            .await?;
        added.push(name);
    }
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let changed = DomainEvent::LabelsChanged {
        conversation_id: id,
        added,
        removed,
        by,
    };
    super::events::push(tx, &changed, now).await
}

/// These rows as conversations, with their label names read in one query.
pub(super) async fn labelled(
    connection: &mut <Db as sqlx::Database>::Connection,
    rows: Vec<ConversationRow>,
) -> StoreResult<Vec<Conversation>> {
    let mut labels: HashMap<i64, Vec<String>> = HashMap::new();
    if !rows.is_empty() {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let mut sql = sqlx::QueryBuilder::<Db>::new(
            "SELECT cl.conversation_id, l.name FROM conversation_labels cl
             JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id IN ",
        );
        push_id_list(&mut sql, &ids);
        sql.push(" ORDER BY l.name_key");
        let found: Vec<(i64, String)> = sql.build_query_as().fetch_all(&mut *connection).await?;
        for (conversation, name) in found {
            labels.entry(conversation).or_default().push(name);
        }
    }
    rows.into_iter()
        .map(|row| {
            let names = labels.remove(&row.id).unwrap_or_default();
            row.into_conversation(names)
        })
        .collect()
}
