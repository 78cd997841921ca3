//! What reports read: conversations' history (written beside the domain events) and messages,
//! counted in the database so a report reads few rows however long the history.

use super::StoreResult;
use crate::domain::Millis;
use crate::domain::history::HistoryKind;
use crate::domain::report::{Counted, Measured, Tally};
use async_trait::async_trait;
use parley_app::model::UserId;

/// The period `[from, to)` and the filters a report applies. History is filtered by what was
/// true at each step (the number, team and member then); messages by their conversation now.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportFilter {
    pub from: Millis,
    pub to: Millis,
    pub phone_number_id: Option<String>,
    pub team_id: Option<i64>,
    pub agent_id: Option<UserId>,
    /// A conversation label's name (any case).
    pub label: Option<String>,
    /// Conversations a campaign's message went to.
    pub campaign_id: Option<i64>,
}

/// Messages one way in one bucket (`bucket` `None`: the whole period).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageCount {
    pub inbound: bool,
    pub bucket: Option<Millis>,
    pub count: i64,
}

/// A step in one conversation's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub kind: HistoryKind,
    pub actor_id: Option<UserId>,
    pub agent_id: Option<UserId>,
    pub team_id: Option<i64>,
    pub value: Option<i64>,
    pub detail: Option<String>,
    pub at: Millis,
}

/// How a count is cut over time: buckets `width` ms wide, days starting `offset` ms from UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buckets {
    pub width: i64,
    pub offset: i64,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The marks in the filter, counted per kind, member and team. Whole days are read from
    /// the daily totals: `roll_up` first to count what has committed since.
    async fn count_marks(&self, filter: &ReportFilter) -> StoreResult<Vec<Counted>>;
    /// The marks of `kind` in the filter, counted per bucket (each bucket's start).
    async fn count_marks_by_bucket(
        &self,
        filter: &ReportFilter,
        kind: HistoryKind,
        buckets: Buckets,
    ) -> StoreResult<Vec<(Millis, i64)>>;
    /// The values of the marks of `kinds` in the filter.
    async fn mark_values(
        &self,
        filter: &ReportFilter,
        kinds: &[HistoryKind],
    ) -> StoreResult<Vec<Measured>>;
    /// The values of the marks of `kinds` in the filter, tallied per kind, member and team.
    async fn tally_values(
        &self,
        filter: &ReportFilter,
        kinds: &[HistoryKind],
    ) -> StoreResult<Vec<Tally>>;
    /// Messages sent in the filter, each way, per bucket or (`None`, from the daily totals for
    /// whole days) over the whole period.
    async fn count_messages(
        &self,
        filter: &ReportFilter,
        buckets: Option<Buckets>,
    ) -> StoreResult<Vec<MessageCount>>;
    /// Brings the daily totals reports sum up to every committed history row and message
    /// (one node at a time does it); how many rows it counted.
    async fn roll_up(&self) -> StoreResult<u64>;
    /// Counts the daily totals again from scratch (after a restore or a bulk load).
    async fn recount_totals(&self) -> StoreResult<()>;
    /// Marks the windows that lapsed by `now` with the customer waiting (once each, whichever
    /// node looks); how many were new.
    async fn mark_lapsed_windows(&self, now: Millis) -> StoreResult<u64>;
    /// One conversation's history, oldest first.
    async fn history(&self, conversation_id: i64) -> StoreResult<Vec<HistoryEntry>>;
}
