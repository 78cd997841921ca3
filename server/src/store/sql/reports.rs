//! Reports' reads: history marks and messages counted per kind, member, team and bucket. Whole
//! days come from the daily totals (`rollups.rs`) where they answer for the filter; the part
//! days at a period's edges, and filters the totals do not know, from the rows themselves.

use super::{Db, Engine, VALUE_LIST};
use crate::domain::Millis;
use crate::domain::history::{HistoryKind, whole_days};
use crate::domain::report::{Counted, Measured, Tally};
use crate::store::StoreResult;
use crate::store::reports::{Buckets, HistoryEntry, MessageCount, ReportFilter, ReportStore};
use async_trait::async_trait;
use parley_app::model::UserId;
use sqlx::QueryBuilder;
use std::collections::HashMap;

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

/// The whole days of the filter's period that the daily totals answer for, and the edges left
/// to count from the rows; `None` when the totals cannot answer (a label or campaign filter,
/// or no whole day in the period).
fn split(filter: &ReportFilter) -> Option<((Millis, Millis), Vec<ReportFilter>)> {
    if filter.label.is_some() || filter.campaign_id.is_some() {
        return None;
    }
    let (first, end) = whole_days(filter.from, filter.to)?;
    let edges = [(filter.from, first), (end, filter.to)]
        .into_iter()
        .filter(|(from, to)| from < to)
        .map(|(from, to)| ReportFilter {
            from,
            to,
            ..filter.clone()
        })
        .collect();
    Some(((first, end), edges))
}

/// Narrows daily totals to the whole days `[first, end)` and the filter's number, team and
/// member (0 in a total: none).
fn push_totals_filter(
    query: &mut QueryBuilder<'_, Db>,
    filter: &ReportFilter,
    days: (Millis, Millis),
) {
    query.push(" day >= ").push_bind(days.0.0);
    query.push(" AND day < ").push_bind(days.1.0);
    if let Some(number) = &filter.phone_number_id {
        query
            .push(" AND phone_number_id = ")
            .push_bind(number.clone());
    }
    if let Some(team) = filter.team_id {
        query.push(" AND team_id = ").push_bind(team);
    }
    if let Some(agent) = filter.agent_id {
        query.push(" AND agent_id = ").push_bind(agent.0);
    }
}

/// A total's member or team: 0 is none.
fn some_id(id: i64) -> Option<i64> {
    (id != 0).then_some(id)
}

/// Adds up counts of the same kind, member and team (from the totals and the edges).
fn merged(counts: impl IntoIterator<Item = Counted>) -> Vec<Counted> {
    let mut sums: HashMap<(HistoryKind, Option<UserId>, Option<i64>), i64> = HashMap::new();
    for counted in counts {
        *sums
            .entry((counted.kind, counted.agent_id, counted.team_id))
            .or_default() += counted.count;
    }
    sums.into_iter()
        .map(|((kind, agent_id, team_id), count)| Counted {
            kind,
            agent_id,
            team_id,
            count,
        })
        .collect()
}

impl Engine {
    async fn count_marks_in_totals(
        &self,
        filter: &ReportFilter,
        days: (Millis, Millis),
    ) -> StoreResult<Vec<Counted>> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT kind, agent_id, team_id, CAST(SUM(marks) AS BIGINT) FROM report_daily_marks
             WHERE",
        );
        push_totals_filter(&mut query, filter, days);
        query.push(" GROUP BY kind, agent_id, team_id");
        let rows: Vec<(String, i64, i64, i64)> =
            query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(kind, agent, team, count)| {
                Ok(Counted {
                    kind: kind_of(&kind)?,
                    agent_id: some_id(agent).map(UserId),
                    team_id: some_id(team),
                    count,
                })
            })
            .collect()
    }

    async fn count_marks_in_rows(&self, filter: &ReportFilter) -> StoreResult<Vec<Counted>> {
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

    async fn count_messages_in_totals(
        &self,
        filter: &ReportFilter,
        days: (Millis, Millis),
    ) -> StoreResult<Vec<MessageCount>> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT direction, CAST(SUM(messages) AS BIGINT) FROM report_daily_messages WHERE",
        );
        push_totals_filter(&mut query, filter, days);
        query.push(" GROUP BY direction");
        let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(direction, count)| MessageCount {
                inbound: direction == "inbound",
                bucket: None,
                count,
            })
            .collect())
    }

    async fn count_messages_in_rows(
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
}

#[async_trait]
impl ReportStore for Engine {
    async fn count_marks(&self, filter: &ReportFilter) -> StoreResult<Vec<Counted>> {
        let Some((days, edges)) = split(filter) else {
            return self.count_marks_in_rows(filter).await;
        };
        let mut counts = self.count_marks_in_totals(filter, days).await?;
        for edge in &edges {
            counts.extend(self.count_marks_in_rows(edge).await?);
        }
        Ok(merged(counts))
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

    async fn tally_values(
        &self,
        filter: &ReportFilter,
        kinds: &[HistoryKind],
    ) -> StoreResult<Vec<Tally>> {
        // Each member and team's values come as one list: a row per value costs the driver
        // far more than the database's reading of it.
        let mut query = QueryBuilder::<Db>::new(format!(
            "SELECT h.kind, h.agent_id, h.team_id, {VALUE_LIST} FROM conversation_history h
             WHERE h.value IS NOT NULL AND h.kind IN ("
        ));
        let mut kinds_list = query.separated(", ");
        for kind in kinds {
            kinds_list.push_bind(kind.as_str());
        }
        query.push(") AND");
        push_history_filter(&mut query, filter);
        query.push(" GROUP BY h.kind, h.agent_id, h.team_id");
        let rows: Vec<(String, Option<i64>, Option<i64>, String)> =
            query.build_query_as().fetch_all(&self.pool).await?;
        let mut tallies = Vec::new();
        for (kind, agent, team, list) in rows {
            let kind = kind_of(&kind)?;
            let mut values = list
                .split(',')
                .map(|value| value.parse::<i64>())
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|_| crate::store::StoreError::Corrupt(format!("values {list:?}")))?;
            values.sort_unstable();
            for same in values.chunk_by(|a, b| a == b) {
                tallies.push(Tally {
                    kind,
                    agent_id: agent.map(UserId),
                    team_id: team,
                    value: same[0],
                    count: same.len() as i64,
                });
            }
        }
        Ok(tallies)
    }

    async fn count_messages(
        &self,
        filter: &ReportFilter,
        buckets: Option<Buckets>,
    ) -> StoreResult<Vec<MessageCount>> {
        let split = split(filter).filter(|_| buckets.is_none());
        let Some((days, edges)) = split else {
            return self.count_messages_in_rows(filter, buckets).await;
        };
        let mut counts = self.count_messages_in_totals(filter, days).await?;
        for edge in &edges {
            counts.extend(self.count_messages_in_rows(edge, None).await?);
        }
        Ok(counts)
    }

    async fn roll_up(&self) -> StoreResult<u64> {
        self.roll_up_all().await
    }

    async fn recount_totals(&self) -> StoreResult<()> {
        self.recount_all().await
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
