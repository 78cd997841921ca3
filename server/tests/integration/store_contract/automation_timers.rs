//! The clock's triggers on both engines, driven by the `now` the worker is given (no sleeps):
//! an unanswered customer is flagged once per wait, and again after a member answered and
//! they wrote again; a closing window is caught once; a quiet conversation is resolved, which
//! asks the customer for a rating; their tap rates the resolved conversation (without
//! reopening it) and their next message is kept as the comment; the customer's next
//! question starts a new piece of work, unrated.

use super::labels::add_label;
use super::{add_user, apply, conversation_with, outbound};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::automation::AutomationDraft;
use parley_app::business_hours::BusinessHours;
use parley_app::model::{ConversationStatus, Direction, Role};
use parley_server::domain::Millis;
use parley_server::domain::automation::Rule;
use parley_server::domain::business_hours::{Hours, Schedule};
use parley_server::store::SharedStore;
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    waits_and_closing_windows_set_rules_off_once_per_moment,
    a_quiet_conversation_is_resolved_and_its_customer_rates_it,
);

const CUSTOMER: &str = "15551801";
const MINUTE: Duration = Duration::from_secs(60);

fn minutes(n: u64) -> Duration {
    MINUTE * n as u32
}

async fn saved(store: &SharedStore, rules: Vec<Value>, at: Millis) -> Vec<(i64, Rule)> {
    let mut saved = Vec::new();
    for rule in rules {
        let draft: AutomationDraft = serde_json::from_value(rule).unwrap();
        let record = store
            .automations
            .create_automation(&draft, at)
            .await
            .unwrap();
        saved.push((record.id, Rule::check(record.draft).unwrap()));
    }
    saved
}

fn always_open() -> Hours {
    Hours::workspace_only(Schedule::from_settings(&BusinessHours::default()).unwrap())
}

/// The customer sends `message` (a webhook message object's `type` and content), at `at`.
async fn customer_sends(store: &SharedStore, event: i64, at: Millis, content: Value) -> i64 {
    let mut message = json!({ "id": format!("wamid.timer.{event}"), "from": CUSTOMER,
        "timestamp": (at.0 / 1000).to_string() });
    for (key, value) in content.as_object().unwrap() {
        message[key] = value.clone();
    }
    let payload = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some(CUSTOMER), None, "Customer")],
        vec![message],
        vec![],
    )]);
    apply(store, event, &payload).await;
    conversation_with(store, CUSTOMER).await
}

fn text(body: &str) -> Value {
    json!({ "type": "text", "text": { "body": body } })
}

async fn runs(store: &SharedStore, rule: i64) -> usize {
    store
        .automations
        .automation_runs(rule, 50)
        .await
        .unwrap()
        .len()
}

async fn waits_and_closing_windows_set_rules_off_once_per_moment(engine: Engine) {
    let store = fresh_store(engine).await;
    add_label(&store, "Waiting", "#dc2626").await;
    let t0 = Millis::now();
    let rules = saved(
        &store,
        vec![
            json!({"name": "Unanswered", "trigger": "conversation_unanswered", "minutes": 30,
                   "actions": [{"type": "add_label", "label": "waiting"}], "cooldown_minutes": 1}),
            json!({"name": "Window", "trigger": "window_closing", "minutes": 60,
                   "actions": [{"type": "set_priority", "priority": "urgent"}]}),
        ],
        t0,
    )
    .await;
    let (unanswered, window) = (rules[0].0, rules[1].0);
    let hours = always_open();
    let run = |at: Millis| {
        let (store, rules, hours) = (store.clone(), rules.clone(), hours.clone());
        async move {
            store
                .automations
                .run_automations(&rules, &hours, at)
                .await
                .unwrap()
        }
    };
    let conversation = customer_sends(&store, 1, t0.plus(MINUTE), text("hello?")).await;
    run(t0.plus(minutes(10))).await;
    assert_eq!(runs(&store, unanswered).await, 0, "not yet due");
    run(t0.plus(minutes(32))).await;
    let get = || async {
        store
            .conversations
            .get(conversation)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(get().await.labels, ["Waiting"]);
    // Looked at again (another node, a restart): the same wait sets nothing off again.
    run(t0.plus(minutes(40))).await;
    run(t0.plus(minutes(40))).await;
    assert_eq!(runs(&store, unanswered).await, 1);
    let first = &store
        .automations
        .automation_runs(unanswered, 1)
        .await
        .unwrap()[0];
    assert!(first.acted && first.event_id.is_none());
    assert_eq!(
        first.occasion_at,
        Some(Millis(t0.plus(MINUTE).0 / 1000 * 1000))
    );

    // A member answers: the wait is over. The customer writes again: a new wait.
    let agent = add_user(&store, "agent@example.com", Role::Agent).await;
    let answer = outbound(conversation, agent, CUSTOMER, "On it!");
    store
        .outbox
        .enqueue(&answer, t0.plus(minutes(41)))
        .await
        .unwrap();
    assert_eq!(get().await.customer_waiting_since, None);
    run(t0.plus(minutes(80))).await;
    assert_eq!(runs(&store, unanswered).await, 1);
    customer_sends(&store, 2, t0.plus(minutes(90)), text("and?")).await;
    run(t0.plus(minutes(121))).await;
    assert_eq!(runs(&store, unanswered).await, 2, "once per wait");

    // The window (opened by the last message) closes within the hour: once.
    assert_eq!(runs(&store, window).await, 0);
    let closes = t0.plus(minutes(90)).plus(Duration::from_secs(24 * 3600));
    run(closes.minus(minutes(59))).await;
    run(closes.minus(minutes(30))).await;
    assert_eq!(runs(&store, window).await, 1);
    assert_eq!(get().await.priority.as_str(), "urgent");
}

async fn a_quiet_conversation_is_resolved_and_its_customer_rates_it(engine: Engine) {
    let store = fresh_store(engine).await;
    let t0 = Millis::now();
    let rules = saved(
        &store,
        vec![
            json!({"name": "Auto-resolve", "trigger": "conversation_idle", "minutes": 60,
                   "actions": [{"type": "send_text", "text": "Closing this chat — write any time!"},
                               {"type": "resolve"}]}),
            json!({"name": "CSAT", "trigger": "conversation_resolved",
                   "actions": [{"type": "ask_csat", "scale": "thumbs", "ask_comment": true}]}),
        ],
        t0,
    )
    .await;
    let hours = always_open();
    let conversation = customer_sends(&store, 1, t0.plus(MINUTE), text("thanks, bye")).await;
    let automations = &store.automations;
    automations
        .run_automations(&rules, &hours, t0.plus(minutes(30)))
        .await
        .unwrap();
    let get = || async {
        store
            .conversations
            .get(conversation)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(get().await.status, ConversationStatus::Open);
    let resolved_at = t0.plus(minutes(62));
    automations
        .run_automations(&rules, &hours, resolved_at)
        .await
        .unwrap();
    assert_eq!(get().await.status, ConversationStatus::Resolved);
    // The resolution is an event: the next turn asks for a rating.
    automations
        .run_automations(&rules, &hours, resolved_at)
        .await
        .unwrap();
    let thread = store
        .messages
        .page(conversation, None, 50)
        .await
        .unwrap()
        .messages;
    let sent: Vec<(&str, Option<&str>)> = (thread.iter())
        .filter(|m| m.direction == Direction::Outbound)
        .map(|m| (m.kind.as_str(), m.text.as_deref()))
        .collect();
    assert_eq!(
        sent,
        [
            ("text", Some("Closing this chat — write any time!")),
            (
                "interactive",
                Some(parley_server::domain::csat::DEFAULT_QUESTION)
            ),
        ]
    );

    // 👍: the conversation is rated 5, stays resolved, and a comment is invited.
    let tap = json!({ "type": "interactive", "interactive": { "type": "button_reply",
        "button_reply": { "id": format!("csat:{conversation}:5"), "title": "👍 Good" } } });
    customer_sends(&store, 2, t0.plus(minutes(63)), tap).await;
    let rated = get().await;
    assert_eq!(
        (rated.status, rated.csat.clone()),
        (ConversationStatus::Resolved, Some((5, None)))
    );
    customer_sends(
        &store,
        3,
        t0.plus(minutes(64)),
        text("Quick and kind, thank you"),
    )
    .await;
    let commented = get().await;
    assert_eq!(commented.status, ConversationStatus::Resolved);
    assert_eq!(
        commented.csat,
        Some((5, Some("Quick and kind, thank you".into())))
    );
    let thread = store
        .messages
        .page(conversation, None, 50)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        thread
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .count(),
        3
    );
    // Neither answer set rules off (no reply to them), nor reopened anything.
    automations
        .run_automations(&rules, &hours, t0.plus(minutes(65)))
        .await
        .unwrap();
    assert_eq!(get().await.status, ConversationStatus::Resolved);
    let csat_runs = store
        .automations
        .automation_runs(rules[1].0, 10)
        .await
        .unwrap();
    assert_eq!(csat_runs.len(), 1);
    // Later, the customer's message opens the conversation again as usual.
    customer_sends(&store, 4, t0.plus(minutes(70)), text("one more question")).await;
    let reopened = get().await;
    assert_eq!(reopened.status, ConversationStatus::Open);
    assert_eq!(
        reopened.csat, None,
        "the last piece of work's rating is in its history"
    );
}
