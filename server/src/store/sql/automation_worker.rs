//! The automation worker's turns, each in the caller's transaction with the runs and what the
//! rules decide done. Events after the cursor are judged by the rules they set off (the cursor
//! row is locked for the turn, so nodes take turns and no event is judged twice); then the
//! clock's triggers find the conversations whose moment has come — since when a customer
//! waited, when a window closes, when they last wrote — each judged once per rule and moment
//! (a unique run), however many nodes look and however often the process restarts.

use super::automation_actions::apply;
use super::{FOR_UPDATE, Tx};
use crate::domain::automation::{Facts, Rule};
use crate::domain::business_hours::{Hours, Schedule};
use crate::domain::{DomainEvent, Millis};
use crate::store::StoreResult;
use crate::store::automations::ActionOutcome;
use parley_app::automation::AutomationTrigger;
use parley_app::model::ConversationStatus;
use std::time::Duration;

/// Events read, and conversations looked at per timed rule, per turn.
const BATCH: i64 = 200;
/// A customer's message older than this when judged (a backlog after an outage, history
/// loaded late) is not answered automatically: an instant reply to an old question misleads.
const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

/// A logged event as the worker reads it: id, conversation, kind, message, payload, when.
type EventRow = (i64, Option<i64>, String, Option<i64>, Option<String>, i64);

/// What set a rule off: a logged event, or the clock at a conversation's moment.
#[derive(Clone, Copy)]
enum Occasion {
    Event(i64),
    Moment(i64),
}

/// Judges one batch of events; how many were read, and whether more wait.
pub(super) async fn take_turn(
    tx: &mut Tx<'_>,
    rules: &[(i64, Rule)],
    hours: &Hours,
    now: Millis,
) -> StoreResult<(u64, bool)> {
    let cursor: i64 = sqlx::query_scalar(&format!(
        "SELECT event_id FROM automation_cursor WHERE id = 1 {FOR_UPDATE}"
    ))
    .fetch_one(&mut **tx)
    .await?;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT id, conversation_id, kind, message_id, payload, created_at FROM domain_events
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(cursor)
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await?;
    for (event_id, conversation_id, kind, message_id, payload, at) in &events {
        let Some(conversation_id) = *conversation_id else {
            continue;
        };
        let Some((trigger, added)) = trigger_of(kind, payload.as_deref()) else {
            continue;
        };
        let set_off: Vec<&(i64, Rule)> = (rules.iter())
            .filter(|(_, rule)| rule.trigger() == trigger)
            .filter(|(_, rule)| {
                added.iter().any(|label| rule.wants_label(label)) || added.is_empty()
            })
            .collect();
        if set_off.is_empty() {
            continue;
        }
        let (facts, written_at, resolved) =
            facts_of(tx, conversation_id, *message_id, hours, Millis(*at)).await?;
        if resolved && trigger == AutomationTrigger::MessageReceived {
            continue; // a rating or its comment, kept in the resolved conversation it answers
        }
        // Only a customer's own message can be too old to answer.
        let stale = trigger == AutomationTrigger::MessageReceived
            && written_at.is_some_and(|written| written < now.minus(FRESH_FOR));
        for (rule_id, rule) in set_off {
            let turn = Turn {
                occasion: Occasion::Event(*event_id),
                stale,
                schedule: hours.of_team(facts.team_id),
                now,
            };
            judge_and_act(tx, *rule_id, rule, conversation_id, &facts, &turn).await?;
        }
    }
    let read_up_to = events.last().map_or(cursor, |event| event.0);
    sqlx::query("UPDATE automation_cursor SET event_id = $1 WHERE id = 1")
        .bind(read_up_to)
        .execute(&mut **tx)
        .await?;
    Ok((events.len() as u64, events.len() as i64 == BATCH))
}

/// The trigger a logged event is, with the labels it added (for `label_added`). Members' label
/// changes only: a rule's own labels set nothing off.
fn trigger_of(kind: &str, payload: Option<&str>) -> Option<(AutomationTrigger, Vec<String>)> {
    let event = || payload.and_then(|p| serde_json::from_str::<DomainEvent>(p).ok());
    match kind {
        "message_received" => Some((AutomationTrigger::MessageReceived, Vec::new())),
        "conversation_opened" | "conversation_reopened" => {
            Some((AutomationTrigger::ConversationOpened, Vec::new()))
        }
        "labels_changed" => match event()? {
            DomainEvent::LabelsChanged {
                added, by: Some(_), ..
            } if !added.is_empty() => Some((AutomationTrigger::LabelAdded, added)),
            _ => None,
        },
        "status_changed" => match event()? {
            DomainEvent::StatusChanged {
                status: ConversationStatus::Resolved,
                ..
            } => Some((AutomationTrigger::ConversationResolved, Vec::new())),
            _ => None,
        },
        _ => None,
    }
}

/// Finds, for each enabled rule on the clock, the conversations whose moment has come since
/// the rule was saved, and judges each once; how many were judged.
pub(super) async fn take_timed_turn(
    tx: &mut Tx<'_>,
    rules: &[(i64, Rule)],
    hours: &Hours,
    now: Millis,
) -> StoreResult<u64> {
    sqlx::query_scalar::<_, i64>(&format!(
        "SELECT event_id FROM automation_cursor WHERE id = 1 {FOR_UPDATE}"
    ))
    .fetch_one(&mut **tx)
    .await?;
    let mut judged = 0;
    for (rule_id, rule) in rules.iter().filter(|(_, rule)| rule.trigger().is_timed()) {
        let Some(after) = rule.minutes() else {
            continue;
        };
        let saved_at: i64 = sqlx::query_scalar("SELECT updated_at FROM automations WHERE id = $1")
            .bind(rule_id)
            .fetch_one(&mut **tx)
            .await?;
        let after = after.as_millis() as i64;
        // Each query: the moment, and the range of moments due now that came due after the
        // rule was saved (a new rule does not act on a year of old conversations).
        let (moment, due_from, due_to, status) = match rule.trigger() {
            AutomationTrigger::ConversationUnanswered => (
                "customer_waiting_since",
                saved_at - after,
                now.0 - after,
                "status IN ('open', 'pending')",
            ),
            AutomationTrigger::WindowClosing => (
                "window_expires_at",
                (saved_at + after).max(now.0 + 1),
                now.0 + after,
                "status <> 'resolved' AND customer_waiting_since IS NOT NULL",
            ),
            _ => (
                "customer_wrote_at",
                saved_at - after,
                now.0 - after,
                "status IN ('open', 'pending')",
            ),
        };
        let due: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT c.id, c.{moment} FROM conversations c
             WHERE c.{moment} >= $1 AND c.{moment} <= $2 AND c.{status}
               AND NOT EXISTS (SELECT 1 FROM automation_runs r
                 WHERE r.automation_id = $3 AND r.conversation_id = c.id
                   AND r.occasion_at = c.{moment})
             ORDER BY c.{moment} LIMIT $4"
        ))
        .bind(due_from)
        .bind(due_to)
        .bind(rule_id)
        .bind(BATCH)
        .fetch_all(&mut **tx)
        .await?;
        for (conversation_id, moment) in due {
            let (facts, _, _) = facts_of(tx, conversation_id, None, hours, now).await?;
            let turn = Turn {
                occasion: Occasion::Moment(moment),
                stale: false,
                schedule: hours.of_team(facts.team_id),
                now,
            };
            judge_and_act(tx, *rule_id, rule, conversation_id, &facts, &turn).await?;
            judged += 1;
        }
    }
    Ok(judged)
}

/// What a rule is judged at: the occasion, whether the message is too old to answer, the
/// conversation's hours, and now.
struct Turn<'a> {
    occasion: Occasion,
    stale: bool,
    schedule: &'a Schedule,
    now: Millis,
}

/// Judges the facts; acts unless held back (a stale message, the cooldown, once per closed
/// period); records the run. An event's non-match is not recorded (with many rules, a row per
/// rule and event would outweigh the work); a moment's is, so it is judged once.
async fn judge_and_act(
    tx: &mut Tx<'_>,
    rule_id: i64,
    rule: &Rule,
    conversation_id: i64,
    facts: &Facts,
    turn: &Turn<'_>,
) -> StoreResult<()> {
    let Turn {
        occasion,
        stale,
        schedule,
        now,
    } = *turn;
    let verdict = rule.judge(facts);
    if !verdict.matched && matches!(occasion, Occasion::Event(_)) {
        return Ok(());
    }
    let mut reasons = verdict.reasons;
    let mut outcomes = Vec::new();
    let held_back = if !verdict.matched {
        None
    } else if stale {
        Some(format!(
            "the message was written over {} minutes ago: too late to answer",
            FRESH_FOR.as_secs() / 60
        ))
    } else if acted_within(tx, rule_id, conversation_id, rule, now).await? {
        Some("it acted in this conversation within its cooldown".into())
    } else if rule.draft.once_per_closed_period
        && closed_since_it_acted(tx, rule_id, conversation_id, schedule, now).await?
    {
        Some("it acted in this conversation and the business has not opened since".into())
    } else {
        None
    };
    let acted = verdict.matched && held_back.is_none();
    reasons.extend(held_back);
    if acted {
        for action in &rule.draft.actions {
            let result = apply(tx, rule_id, conversation_id, action, now).await?;
            outcomes.push(ActionOutcome {
                action: action.clone(),
                result,
            });
        }
    }
    let (event_id, occasion_at) = match occasion {
        Occasion::Event(id) => (Some(id), None),
        Occasion::Moment(at) => (None, Some(at)),
    };
    sqlx::query(
        "INSERT INTO automation_runs (automation_id, event_id, occasion_at, conversation_id,
           matched, acted, reasons, actions, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(rule_id)
    .bind(event_id)
    .bind(occasion_at)
    .bind(conversation_id)
    .bind(verdict.matched)
    .bind(acted)
    .bind(serde_json::to_string(&reasons).expect("reasons serialise"))
    .bind(serde_json::to_string(&outcomes).expect("outcomes serialise"))
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a rule may ask about the conversation at the event: the message (or, for an opened
/// conversation, the customer's latest), the contact's labels, the number, the team, whether
/// the business was open, and whether this is the customer's first message in it; with when
/// that message was written, and whether the conversation is resolved.
async fn facts_of(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    message_id: Option<i64>,
    hours: &Hours,
    at: Millis,
) -> StoreResult<(Facts, Option<Millis>, bool)> {
    let (phone_number_id, team_id, contact_id, status): (String, Option<i64>, i64, String) =
        sqlx::query_as(
            "SELECT phone_number_id, team_id, contact_id, status FROM conversations WHERE id = $1",
        )
        .bind(conversation_id)
        .fetch_one(&mut **tx)
        .await?;
    let message: Option<(Option<String>, i64)> = match message_id {
        Some(id) => {
            sqlx::query_as("SELECT body, sent_at FROM messages WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => {
            sqlx::query_as(
                "SELECT body, sent_at FROM messages
                 WHERE conversation_id = $1 AND direction = 'inbound'
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(conversation_id)
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    let (text, written_at) = match message {
        Some((text, sent_at)) => (text, Some(Millis(sent_at))),
        None => (None, None),
    };
    let inbound: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
    )
    .bind(conversation_id)
    .fetch_one(&mut **tx)
    .await?;
    let contact_labels: Vec<String> = sqlx::query_scalar(
        "SELECT l.name FROM contact_labels cl JOIN labels l ON l.id = cl.label_id
         WHERE cl.contact_id = $1",
    )
    .bind(contact_id)
    .fetch_all(&mut **tx)
    .await?;
    let contact_attributes: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM contact_attribute_values WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_all(&mut **tx)
            .await?;
    let facts = Facts {
        text,
        contact_labels,
        contact_attributes,
        phone_number_id,
        team_id,
        open: hours.of_team(team_id).is_open(at),
        first_message: inbound == 1,
        ..Facts::default()
    };
    Ok((facts, written_at, status == "resolved"))
}

/// Whether the rule acted in the conversation and the business has been closed ever since.
async fn closed_since_it_acted(
    tx: &mut Tx<'_>,
    rule_id: i64,
    conversation_id: i64,
    schedule: &Schedule,
    now: Millis,
) -> StoreResult<bool> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(at) FROM automation_runs
         WHERE conversation_id = $1 AND automation_id = $2 AND acted",
    )
    .bind(conversation_id)
    .bind(rule_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(last.is_some_and(|at| schedule.open_seconds(Millis(at), now) == 0))
}

/// Whether the rule acted in the conversation within its cooldown.
async fn acted_within(
    tx: &mut Tx<'_>,
    rule_id: i64,
    conversation_id: i64,
    rule: &Rule,
    now: Millis,
) -> StoreResult<bool> {
    let since = now.minus(Duration::from_secs(u64::from(rule.cooldown_minutes()) * 60));
    let acted: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM automation_runs
         WHERE conversation_id = $1 AND automation_id = $2
           AND acted AND at > $3 LIMIT 1",
    )
    .bind(conversation_id)
    .bind(rule_id)
    .bind(since.0)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(acted.is_some())
}
