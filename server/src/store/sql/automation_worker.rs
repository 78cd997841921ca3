//! The automation worker's turn: events after its cursor judged by the rules, and what the
//! rules decide done, all in the caller's transaction with the runs and the cursor's move.
//! The cursor row is locked for the turn, so nodes take turns and no event is judged twice.

use super::{FOR_UPDATE, Tx};
use crate::domain::Millis;
use crate::domain::automation::{Facts, Rule};
use crate::domain::business_hours::Schedule;
use crate::domain::conversation::{ConversationChange, StatusChange};
use crate::store::StoreResult;
use crate::store::automations::ActionOutcome;
use parley_app::automation::{AutomationAction, AutomationTrigger};
use parley_app::model::UserId;
use std::time::Duration;

/// Events read per turn.
const BATCH: i64 = 200;
/// At most this many automated messages per conversation in an hour: rules never flood a
/// customer, whatever they say.
const AUTOMATED_PER_HOUR: i64 = 3;
const HOUR: Duration = Duration::from_secs(3600);
/// A customer's message older than this when judged (a backlog after an outage, history
/// loaded late) is not answered automatically: an instant reply to an old question misleads.
const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

/// A logged event as the worker reads it: id, conversation, kind, message, when.
type EventRow = (i64, Option<i64>, String, Option<i64>, i64);

/// Judges one batch of events; how many were read, and whether more wait.
pub(super) async fn take_turn(
    tx: &mut Tx<'_>,
    rules: &[(i64, Rule)],
    hours: &Schedule,
    now: Millis,
) -> StoreResult<(u64, bool)> {
    let cursor: i64 = sqlx::query_scalar(&format!(
        "SELECT event_id FROM automation_cursor WHERE id = 1 {FOR_UPDATE}"
    ))
    .fetch_one(&mut **tx)
    .await?;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT id, conversation_id, kind, message_id, created_at FROM domain_events
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(cursor)
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await?;
    for (event_id, conversation_id, kind, message_id, at) in &events {
        let trigger = match kind.as_str() {
            "message_received" => AutomationTrigger::MessageReceived,
            "conversation_opened" | "conversation_reopened" => {
                AutomationTrigger::ConversationOpened
            }
            _ => continue,
        };
        let Some(conversation_id) = *conversation_id else {
            continue;
        };
        let set_off: Vec<&(i64, Rule)> = (rules.iter())
            .filter(|(_, rule)| rule.trigger() == trigger)
            .collect();
        if set_off.is_empty() {
            continue;
        }
        let (facts, written_at) =
            facts_of(tx, conversation_id, *message_id, hours, Millis(*at)).await?;
        let stale = written_at.is_some_and(|written| written < now.minus(FRESH_FOR));
        for (rule_id, rule) in set_off {
            let verdict = rule.judge(&facts);
            // Only matches are recorded: with many rules, a row per rule and event would
            // outweigh the work (the test endpoint says why a sample does not match).
            if !verdict.matched {
                continue;
            }
            let mut reasons = verdict.reasons;
            let mut outcomes = Vec::new();
            let held_back = if stale {
                Some(format!(
                    "the message was written over {} minutes ago: too late to answer",
                    FRESH_FOR.as_secs() / 60
                ))
            } else if acted_within(tx, *rule_id, conversation_id, rule, now).await? {
                Some("it acted in this conversation within its cooldown".into())
            } else {
                None
            };
            let acted = held_back.is_none();
            reasons.extend(held_back);
            if acted {
                for action in &rule.draft.actions {
                    let result = apply(tx, *rule_id, conversation_id, action, now).await?;
                    outcomes.push(ActionOutcome {
                        action: action.clone(),
                        result,
                    });
                }
            }
            sqlx::query(
                "INSERT INTO automation_runs (automation_id, event_id, conversation_id, matched,
                   acted, reasons, actions, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(rule_id)
            .bind(event_id)
            .bind(conversation_id)
            .bind(true)
            .bind(acted)
            .bind(serde_json::to_string(&reasons).expect("reasons serialise"))
            .bind(serde_json::to_string(&outcomes).expect("outcomes serialise"))
            .bind(now.0)
            .execute(&mut **tx)
            .await?;
        }
    }
    let read_up_to = events.last().map_or(cursor, |event| event.0);
    sqlx::query("UPDATE automation_cursor SET event_id = $1 WHERE id = 1")
        .bind(read_up_to)
        .execute(&mut **tx)
        .await?;
    Ok((events.len() as u64, events.len() as i64 == BATCH))
}

/// What a rule may ask about the conversation at the event: the message (or, for an opened
/// conversation, the customer's latest), the contact's labels, the number, the team, whether
/// the business was open, and whether this is the customer's first message in it; with when
/// that message was written.
async fn facts_of(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    message_id: Option<i64>,
    hours: &Schedule,
    at: Millis,
) -> StoreResult<(Facts, Option<Millis>)> {
    let (phone_number_id, team_id, contact_id): (String, Option<i64>, i64) = sqlx::query_as(
        "SELECT phone_number_id, team_id, contact_id FROM conversations WHERE id = $1",
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
    let facts = Facts {
        text,
        contact_labels,
        phone_number_id,
        team_id,
        open: hours.is_open(at),
        first_message: inbound == 1,
        ..Facts::default()
    };
    Ok((facts, written_at))
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

/// Does one action; `done`, or why not. A label, team or member that is gone turns the rule
/// off with the reason, for an admin to see.
async fn apply(
    tx: &mut Tx<'_>,
    rule_id: i64,
    conversation_id: i64,
    action: &AutomationAction,
    now: Millis,
) -> StoreResult<String> {
    let done = "done".to_owned();
    match action {
        AutomationAction::SendText { text } => {
            let sent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM messages WHERE conversation_id = $1
                   AND automation_id IS NOT NULL AND created_at > $2",
            )
            .bind(conversation_id)
            .bind(now.minus(HOUR).0)
            .fetch_one(&mut **tx)
            .await?;
            if sent >= AUTOMATED_PER_HOUR {
                return Ok(format!(
                    "not sent: {AUTOMATED_PER_HOUR} automated messages in this conversation within the hour"
                ));
            }
            let queued =
                super::outbox::send_text_in(tx, conversation_id, text, Some(rule_id), now).await?;
            Ok(if queued.is_some() {
                done
            } else {
                "not sent: no one to send to".into()
            })
        }
        AutomationAction::AddLabel { label } | AutomationAction::RemoveLabel { label } => {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM labels WHERE name_key = $1")
                    .bind(label.trim().to_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some(label_id) = found else {
                let why = format!("the label “{}” no longer exists", label.trim());
                return turn_off(tx, rule_id, why, now).await;
            };
            let mut labels: Vec<i64> = sqlx::query_scalar(
                "SELECT label_id FROM conversation_labels WHERE conversation_id = $1",
            )
            .bind(conversation_id)
            .fetch_all(&mut **tx)
            .await?;
            labels.retain(|id| *id != label_id);
            if matches!(action, AutomationAction::AddLabel { .. }) {
                labels.push(label_id);
            }
            super::conversation_labels::set_labels(tx, conversation_id, &labels, None, now).await?;
            Ok(done)
        }
        AutomationAction::AssignTeam { team_id } => {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                .bind(team_id)
                .fetch_optional(&mut **tx)
                .await?;
            if found.is_none() {
                return turn_off(tx, rule_id, format!("team {team_id} no longer exists"), now)
                    .await;
            }
            let team = ConversationChange {
                team: Some(Some(*team_id)),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &team, None, now).await?;
            Ok(done)
        }
        AutomationAction::AssignMember { member_id } => {
            let active: Option<bool> =
                sqlx::query_scalar("SELECT disabled_at IS NULL FROM users WHERE id = $1")
                    .bind(member_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            if active != Some(true) {
                let why = format!("member {member_id} is gone or disabled");
                return turn_off(tx, rule_id, why, now).await;
            }
            let assign = ConversationChange {
                assignee: Some(Some(UserId(*member_id))),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &assign, None, now).await?;
            Ok(done)
        }
        AutomationAction::SetPriority { priority } => {
            let set = ConversationChange {
                priority: Some(*priority),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &set, None, now).await?;
            Ok(done)
        }
        AutomationAction::Resolve => {
            let resolve = ConversationChange {
                status: Some(StatusChange::Resolved),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &resolve, None, now).await?;
            Ok(done)
        }
    }
}

/// Turns the rule off with `why` (shown to admins), and says so as the action's result.
async fn turn_off(tx: &mut Tx<'_>, rule_id: i64, why: String, now: Millis) -> StoreResult<String> {
    sqlx::query(
        "UPDATE automations SET enabled = $1, disabled_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(false)
    .bind(&why)
    .bind(now.0)
    .bind(rule_id)
    .execute(&mut **tx)
    .await?;
    Ok(format!("not done: {why}; the rule is turned off"))
}
