//! The automation worker's turn on both engines: a keyword rule answers once per message and
//! labels the conversation, in the same transaction as its run and the cursor; two workers at
//! once judge each event once; the cooldown and the hourly cap hold; a rule whose label is gone
//! turns itself off with the reason.

use super::labels::add_label;
use super::{apply, conversation_with};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::automation::AutomationDraft;
use parley_app::business_hours::BusinessHours;
use parley_app::model::Direction;
use parley_server::domain::Millis;
use parley_server::domain::automation::Rule;
use parley_server::domain::business_hours::{Hours, Schedule};
use parley_server::store::SharedStore;
use serde_json::json;
use std::time::Duration;

on_both_engines!(
    a_keyword_rule_answers_and_labels_once_per_message,
    the_cooldown_and_the_hourly_cap_hold_and_a_broken_rule_turns_itself_off,
);

const CUSTOMER: &str = "15551701";

fn pricing_rule(cooldown: u32) -> AutomationDraft {
    serde_json::from_value(json!({
        "name": "Prices",
        "trigger": "message_received",
        "conditions": [{"field": "message.text", "op": "contains_any", "value": ["price", "价格"]}],
        "actions": [
            {"type": "send_text", "text": "Our price list: example.com/prices"},
            {"type": "add_label", "label": "pricing"},
        ],
        "cooldown_minutes": cooldown,
    }))
    .unwrap()
}

async fn saved(store: &SharedStore, draft: AutomationDraft) -> Vec<(i64, Rule)> {
    let record = store
        .automations
        .create_automation(&draft, Millis::now())
        .await
        .unwrap();
    vec![(record.id, Rule::check(record.draft).unwrap())]
}

fn always_open() -> Hours {
    Hours::workspace_only(Schedule::from_settings(&BusinessHours::default()).unwrap())
}

async fn writes(store: &SharedStore, event: i64, text: &str) -> i64 {
    writes_at(store, event, text, Millis::now()).await
}

/// The customer writes `text`, sent (Meta's timestamp) at `at`.
async fn writes_at(store: &SharedStore, event: i64, text: &str, at: Millis) -> i64 {
    let wamid = format!("wamid.auto.{event}");
    let sent = at.0 / 1000;
    let message = wa::inbound_text(wa::NUMBER_A, CUSTOMER, "Customer", &wamid, sent, text);
    apply(store, event, &message).await;
    conversation_with(store, CUSTOMER).await
}

/// The conversation's automated replies' texts.
async fn automated(store: &SharedStore, conversation: i64) -> Vec<String> {
    let page = store.messages.page(conversation, None, 50).await.unwrap();
    page.messages
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .inspect(|m| assert_eq!(m.author_name.as_deref(), Some("Automation")))
        .filter_map(|m| m.text)
        .collect()
}

async fn a_keyword_rule_answers_and_labels_once_per_message(engine: Engine) {
    let store = fresh_store(engine).await;
    add_label(&store, "Pricing", "#2563eb").await;
    let rules = saved(&store, pricing_rule(60)).await;
    let hours = always_open();
    let conversation = writes(&store, 1, "hello").await;
    writes(&store, 2, "这个价格是多少?").await;
    // Two workers at once (as two nodes): the cursor lets one judge each event.
    let now = Millis::now();
    let automations = &store.automations;
    let (first, second) = tokio::join!(
        automations.run_automations(&rules, &hours, now),
        automations.run_automations(&rules, &hours, now)
    );
    assert!(first.unwrap() + second.unwrap() > 0);
    assert_eq!(
        automated(&store, conversation).await,
        ["Our price list: example.com/prices"]
    );
    let labels = store
        .conversations
        .get(conversation)
        .await
        .unwrap()
        .unwrap()
        .labels;
    assert_eq!(labels, ["Pricing"]);
    let runs = store
        .automations
        .automation_runs(rules[0].0, 10)
        .await
        .unwrap();
    assert_eq!(
        runs.len(),
        1,
        "a run for the message that matched: {runs:?}"
    );
    let answered = &runs[0];
    assert!(answered.matched && answered.acted);
    assert_eq!(answered.reasons, ["message.text contains “价格”"]);
    assert!(
        answered
            .actions
            .iter()
            .all(|outcome| outcome.result == "done")
    );
    // A message read long after it was written is not answered: too late.
    let old = Millis::now().minus(Duration::from_secs(3600));
    writes_at(&store, 3, "price?", old).await;
    automations
        .run_automations(&rules, &hours, Millis::now())
        .await
        .unwrap();
    let late = &store
        .automations
        .automation_runs(rules[0].0, 1)
        .await
        .unwrap()[0];
    assert!(
        late.matched && !late.acted && late.reasons.last().unwrap().contains("too late"),
        "{late:?}"
    );
    assert_eq!(automated(&store, conversation).await.len(), 1);
    // Its own reply and label change set nothing off, and a second look judges nothing again.
    automations
        .run_automations(&rules, &hours, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .automations
            .automation_runs(rules[0].0, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn the_cooldown_and_the_hourly_cap_hold_and_a_broken_rule_turns_itself_off(engine: Engine) {
    let store = fresh_store(engine).await;
    let pricing = add_label(&store, "pricing", "#2563eb").await;
    let rules = saved(&store, pricing_rule(60)).await;
    let hours = always_open();
    let conversation = writes(&store, 1, "price?").await;
    let start = Millis::now();
    store
        .automations
        .run_automations(&rules, &hours, start)
        .await
        .unwrap();
    writes(&store, 2, "PRICE please").await;
    let later = start.plus(Duration::from_secs(120));
    store
        .automations
        .run_automations(&rules, &hours, later)
        .await
        .unwrap();
    assert_eq!(
        automated(&store, conversation).await.len(),
        1,
        "within the cooldown"
    );
    let runs = store
        .automations
        .automation_runs(rules[0].0, 10)
        .await
        .unwrap();
    assert!(runs[0].matched && !runs[0].acted);
    assert!(runs[0].reasons.last().unwrap().contains("cooldown"));

    // A one-minute cooldown: still no more than three automated messages in an hour.
    let eager = saved(&store, pricing_rule(1)).await;
    for event in 3..=6 {
        let at = later.plus(Duration::from_secs(120 * event as u64));
        writes_at(&store, event, "price", at).await;
        store
            .automations
            .run_automations(&eager, &hours, at)
            .await
            .unwrap();
    }
    assert_eq!(
        automated(&store, conversation).await.len(),
        3,
        "the hourly cap"
    );
    let capped = store
        .automations
        .automation_runs(eager[0].0, 1)
        .await
        .unwrap();
    assert!(
        capped[0].actions[0].result.starts_with("not sent"),
        "{capped:?}"
    );

    // The label is deleted: the rule turns itself off and says why.
    store
        .labels
        .delete(pricing.id, Millis::now())
        .await
        .unwrap();
    let much_later = later.plus(Duration::from_secs(7200));
    writes_at(&store, 7, "price", much_later).await;
    store
        .automations
        .run_automations(&eager, &hours, much_later)
        .await
        .unwrap();
    let record = store.automations.automation(eager[0].0).await.unwrap();
    assert!(!record.draft.enabled);
    assert_eq!(
        record.disabled_reason.as_deref(),
        Some("the label “pricing” no longer exists")
    );
}
