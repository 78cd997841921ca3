//! The store contract: every operation of every store domain, against SQLite and PostgreSQL
//! alike (each file runs its tests on both engines).

mod automation_timers;
mod automations;
mod campaigns;
mod canned;
mod contacts;
mod conversations;
mod costs;
mod database;
mod events;
mod intake;
mod journal;
mod labels;
mod media;
mod messages;
mod notes;
mod numbers;
mod outbox;
mod presence;
mod reports;
mod routing;
mod second_factor;
mod sessions;
mod team;
mod team_management;
mod templates;
mod triage;

use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::model::{DisplayName, Email, Role, UserId};
use parley_server::domain::Millis;
use parley_server::store::{NewOutbound, NewUser, ParsedWebhook, SharedStore};
use parley_server::whatsapp::webhook::Notification;

pub fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse(name).unwrap(),
        role,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    }
}

pub async fn add_user(store: &SharedStore, email: &str, role: Role) -> UserId {
    let name = email.split('@').next().unwrap();
    store
        .team
        .create_user(new_user(email, name, role), Millis::now())
        .await
        .unwrap()
        .id
}

/// The events written after `after`.
pub async fn events(store: &SharedStore, after: i64) -> Vec<parley_server::domain::DomainEvent> {
    let batch = store.events.after(after, 500).await.unwrap();
    batch.events.into_iter().map(|e| e.event).collect()
}

/// Applies one webhook payload as intake would, expecting it to apply.
pub async fn apply(store: &SharedStore, id: i64, payload: &serde_json::Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let notification = Notification::parse(&body).unwrap();
    let event = ParsedWebhook::new(id, &body, Some(notification));
    let failures = store.intake.apply(&[event], Millis::now()).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
}

/// A store with one customer's conversation (window open) on number A, and its id.
pub async fn with_conversation(engine: Engine, customer: &str) -> (SharedStore, i64) {
    let store = fresh_store(engine).await;
    let id = conversation_of(&store, 1, customer).await;
    (store, id)
}

/// The customer writes to number A (webhook `event`); answers their conversation's id.
pub async fn conversation_of(store: &SharedStore, event: i64, customer: &str) -> i64 {
    let wamid = format!("wamid.{customer}.{event}");
    let text = wa::inbound_text(
        wa::NUMBER_A,
        customer,
        "Customer",
        &wamid,
        wa::now_secs(),
        "hello",
    );
    apply(store, event, &text).await;
    conversation_with(store, customer).await
}

pub async fn conversation_with(store: &SharedStore, customer: &str) -> i64 {
    let page = store
        .conversations
        .list(&parley_server::store::ConversationQuery {
            search: Some(customer.to_owned()),
            ..parley_server::store::ConversationQuery::all(10, Millis::now())
        })
        .await
        .unwrap();
    page.items
        .iter()
        .find(|c| c.contact.wa_id.as_deref() == Some(customer))
        .expect("the customer's conversation")
        .id
}

/// An outbound text to queue in `conversation_id`.
pub fn outbound(conversation_id: i64, author: UserId, customer: &str, text: &str) -> NewOutbound {
    NewOutbound {
        conversation_id,
        author: Some(author),
        kind: "text".into(),
        text: Some(text.into()),
        phone_number_id: wa::NUMBER_A.into(),
        recipient: customer.into(),
        request: serde_json::json!({ "to": customer, "type": "text", "text": { "body": text } }),
        media: None,
        reply_to_wamid: None,
        reacts_to: None,
        template_id: None,
        template_category: None,
        campaign_id: None,
        automation_id: None,
    }
}
