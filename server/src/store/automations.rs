//! Automation rules (kept as admins wrote them, in the order they are judged), what each did
//! with each event, and the worker's turn through the domain-event log.

use super::StoreResult;
use crate::domain::Millis;
use crate::domain::automation::Rule;
use crate::domain::business_hours::Hours;
use async_trait::async_trait;
use parley_app::automation::{AutomationAction, AutomationDraft};

#[derive(Clone, Debug, PartialEq)]
pub struct AutomationRecord {
    pub id: i64,
    pub position: i64,
    /// The rule as saved (its `enabled` is the rule's state now).
    pub draft: AutomationDraft,
    /// Why Parley turned the rule off (a label or team it names is gone).
    pub disabled_reason: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What one action did when a rule acted.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActionOutcome {
    pub action: AutomationAction,
    /// `done`, or why not.
    pub result: String,
}

/// An event a rule matched, and what it did.
#[derive(Clone, Debug, PartialEq)]
pub struct AutomationRun {
    pub id: i64,
    pub automation_id: i64,
    /// The event that set it off, or (for the clock's triggers) the moment it was about.
    pub event_id: Option<i64>,
    pub occasion_at: Option<Millis>,
    pub conversation_id: Option<i64>,
    pub matched: bool,
    /// Whether it acted (held back: within its cooldown, or a message too old to answer).
    pub acted: bool,
    pub reasons: Vec<String>,
    pub actions: Vec<ActionOutcome>,
    pub at: Millis,
}

#[async_trait]
pub trait AutomationStore: Send + Sync {
    /// Every rule, in the order they are judged.
    async fn automations(&self) -> StoreResult<Vec<AutomationRecord>>;
    async fn automation(&self, id: i64) -> StoreResult<AutomationRecord>;
    /// A new rule, judged after the others.
    async fn create_automation(
        &self,
        draft: &AutomationDraft,
        now: Millis,
    ) -> StoreResult<AutomationRecord>;
    /// Replaces a rule (clearing why it was turned off) and, with `position`, moves it there
    /// (0 first), the others keeping their order.
    async fn update_automation(
        &self,
        id: i64,
        draft: &AutomationDraft,
        position: Option<i64>,
        now: Millis,
    ) -> StoreResult<AutomationRecord>;
    async fn delete_automation(&self, id: i64) -> StoreResult<()>;
    /// The latest events a rule matched, newest first.
    async fn automation_runs(&self, id: i64, limit: i64) -> StoreResult<Vec<AutomationRun>>;
    /// Judges the events logged since the last turn with `rules` (enabled, in order; `hours`
    /// says whether the business is open), acting on what matches, a batch per transaction:
    /// actions, runs and the cursor commit together, so each event is judged once whichever
    /// node takes the turn. Then the clock's triggers: conversations whose moment came (after
    /// the rule was saved), each judged once per rule and moment. The number of events and
    /// moments judged. Without rules, the cursor moves to the log's end: a rule enabled later
    /// judges what comes after.
    /// Moves the worker past everything logged so far: the demo's seeded past is not judged.
    async fn skip_logged(&self) -> StoreResult<()>;
    /// Records that the conversation's customer was asked for a rating at `at` (the demo's
    /// history, whose questions went out long ago; live questions come from `ask_csat`).
    async fn asked_for_rating(
        &self,
        conversation_id: i64,
        ask_comment: bool,
        at: Millis,
    ) -> StoreResult<()>;
    async fn run_automations(
        &self,
        rules: &[(i64, Rule)],
        hours: &Hours,
        now: Millis,
    ) -> StoreResult<u64>;
}
