//! Reports' reads: history marks and messages counted per kind, member, team and bucket.

use super::{Db, Engine};
use crate::domain::Millis;
use crate::domain::history::HistoryKind;
use crate::domain::report::{Counted, Measured};
use crate::store::StoreResult;
use crate::store::reports::{Buckets, HistoryEntry, MessageCount, ReportFilter, ReportStore};
use async_trait::async_trait;
use parley_app::model::UserId;
use sqlx::QueryBuilder;

/// Narrows history rows (`h`) to the filter: what was true when each step was taken.
fn push_history_filter(query: &mut QueryBuilder<'_, Db>, filter: &ReportFilter) {
    query.push(" h.at >= ").push_bind(filter.from.0);
    query.push(" AND h.at < ").push_bind(filter.to.0);
    if let Some(number) = &filter.phone_number_id {
        query
            .push(" AND h.phone_number_id = ")
            .push_bind(number.clone());
    }
    if let Some(team) = filter.team_id {
        query.push(" AND h.team_id = ").push_bind(team);
    }
    if let Some(agent) = filter.agent_id {
        query.push(" AND h.agent_id = ").push_bind(agent.0);
    }
    push_conversation_filter(query, filter, "h.conversation_id");
}

/// Narrows messages (`m`, their conversation `c`) to the filter.
fn push_message_filter(query: &mut QueryBuilder<'_, Db>, filter: &ReportFilter) {
    query.push(" m.sent_at >= ").push_bind(filter.from.0);
    query.push(" AND m.sent_at < ").push_bind(filter.to.0);
    if let Some(number) = &filter.phone_number_id {
        query
            .push(" AND c.phone_number_id = ")
            .push_bind(number.clone());
    }
    if let Some(team) = filter.team_id {
        query.push(" AND c.team_id = ").push_bind(team);
    }
    if let Some(agent) = filter.agent_id {
        query.push(" AND c.assignee_id = ").push_bind(agent.0);
    }
    push_conversation_filter(query, filter, "m.conversation_id");
}

/// Narrows to conversations with the label, and those a campaign's message went to.
fn push_conversation_filter(
    query: &mut QueryBuilder<'_, Db>,
    filter: &ReportFilter,
    conversation: &str,
) {
    if let Some(campaign) = filter.campaign_id {
        query.push(format!(
            " AND {conversation} IN (SELECT cm.conversation_id FROM messages cm
               WHERE cm.campaign_id = "
        ));
        query.push_bind(campaign).push(")");
    }
    if let Some(label) = &filter.label {
        query.push(format!(
            " AND EXISTS (SELECT 1 FROM conversation_labels cl
               JOIN labels l ON l.id = cl.label_id
               WHERE cl.conversation_id = {conversation} AND l.name_key = "
        ));
        query.push_bind(label.to_lowercase()).push(")");
    }
}

fn needs_conversation(filter: &ReportFilter) -> bool {
    filter.phone_number_id.is_some() || filter.team_id.is_some() || filter.agent_id.is_some()
}

fn kind_of(raw: &str) -> StoreResult<HistoryKind> {
    HistoryKind::parse(raw)
        .ok_or_else(|| crate::store::StoreError::Corrupt(format!("history kind {raw:?}")))
}

#[async_trait]
impl ReportStore for Engine {
    async fn count_marks(&self, filter: &ReportFilter) -> StoreResult<Vec<Counted>> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT h.kind, h.agent_id, h.team_id, COUNT(*) FROM conversation_history h WHERE",
        );
        push_history_filter(&mut query, filter);
        query.push(" GROUP BY h.kind, h.agent_id, h.team_id");
        let rows: Vec<(String, Option<i64>, Option<i64>, i64)> =
            query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(kind, agent, team, count)| {
                Ok(Counted {
                    kind: kind_of(&kind)?,
                    agent_id: agent.map(UserId),
                    team_id: team,
                    count,
                })
            })
            .collect()
    }

    async fn count_marks_by_bucket(
        &self,
        filter: &ReportFilter,
        kind: HistoryKind,
        buckets: Buckets,
    ) -> StoreResult<Vec<(Millis, i64)>> {
        let mut query = QueryBuilder::<Db>::new("SELECT (h.at + ");
        query
            .push_bind(buckets.offset)
            .push(") / ")
            .push_bind(buckets.width);
        query.push(" AS bucket, COUNT(*) FROM conversation_history h WHERE h.kind = ");
        query.push_bind(kind.as_str()).push(" AND");
        push_history_filter(&mut query, filter);
        query.push(" GROUP BY bucket");
        let rows: Vec<(i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(bucket, count)| (Millis(bucket * buckets.width - buckets.offset), count))
            .collect())
    }

    async fn mark_values(
        &self,
        filter: &ReportFilter,
        kinds: &[HistoryKind],
    ) -> StoreResult<Vec<Measured>> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT h.kind, h.agent_id, h.team_id, h.at, h.value FROM conversation_history h
             WHERE h.value IS NOT NULL AND h.kind IN (",
        );
        let mut kinds_list = query.separated(", ");
        for kind in kinds {
            kinds_list.push_bind(kind.as_str());
        }
        query.push(") AND");
        push_history_filter(&mut query, filter);
        let rows: Vec<(String, Option<i64>, Option<i64>, i64, i64)> =
            query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(kind, agent, team, at, value)| {
                Ok(Measured {
                    kind: kind_of(&kind)?,
                    agent_id: agent.map(UserId),
                    team_id: team,
                    at: Millis(at),
                    value,
                })
            })
            .collect()
    }

    async fn count_messages(
        &self,
        filter: &ReportFilter,
        buckets: Option<Buckets>,
    ) -> StoreResult<Vec<MessageCount>> {
        let mut query = QueryBuilder::<Db>::new("SELECT m.direction, ");
        match buckets {
            Some(buckets) => {
                query.push("(m.sent_at + ").push_bind(buckets.offset);
                query.push(") / ").push_bind(buckets.width);
            }
            None => {
                query.push("CAST(0 AS BIGINT)");
            }
        }
        query.push(" AS bucket, COUNT(*) FROM messages m");
        if needs_conversation(filter) {
            query.push(" JOIN conversations c ON c.id = m.conversation_id");
        }
        query.push(" WHERE");
        push_message_filter(&mut query, filter);
        query.push(" GROUP BY m.direction, bucket");
        let rows: Vec<(String, i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(direction, bucket, count)| MessageCount {
                inbound: direction == "inbound",
                bucket: buckets.map(|b| Millis(bucket * b.width - b.offset)),
                count,
            })
            .collect())
    }

    async fn mark_lapsed_windows(&self, now: Millis) -> StoreResult<u64> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let marked = super::history::mark_lapsed_windows(&mut tx, now).await?;
        tx.commit().await?;
        Ok(marked)
    }

    async fn history(&self, conversation_id: i64) -> StoreResult<Vec<HistoryEntry>> {
        type Row = (
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT kind, actor_id, agent_id, team_id, value, detail, at
             FROM conversation_history WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, actor, agent, team, value, detail, at)| {
                Ok(HistoryEntry {
                    kind: kind_of(&kind)?,
                    actor_id: actor.map(UserId),
                    agent_id: agent.map(UserId),
                    team_id: team,
                    value,
                    detail,
                    at: Millis(at),
                })
            })
            .collect()
    }
}
