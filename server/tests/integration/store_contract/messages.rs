//! Messages: timelines by page, reads by id, retry and cancel.

use super::{add_user, apply, outbound, with_conversation};
use crate::on_both_engines;
use crate::support::Engine;
use crate::wa;
use parley_app::model::{DeliveryError, MessageStatus, Role};
use parley_server::domain::events::MessageChange;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::StoreError;
use std::time::Duration;

on_both_engines!(
    a_timeline_is_read_newest_page_first,
    many_messages_read_at_once_keep_their_own_reactions,
    a_wamid_belongs_to_its_conversation,
    failed_messages_are_retried_and_queued_ones_cancelled,
);

async fn a_timeline_is_read_newest_page_first(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550401").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    for n in 0..4 {
        let message = outbound(id, ana, "15550401", &format!("reply {n}"));
        store
            .outbox
            .enqueue(&message, Millis::now().plus(Duration::from_secs(n)))
            .await
            .unwrap();
    }
    let newest = store.messages.page(id, None, 3).await.unwrap();
    let texts: Vec<_> = newest
        .messages
        .iter()
        .map(|m| m.text.clone().unwrap())
        .collect();
    assert_eq!(texts, ["reply 1", "reply 2", "reply 3"], "in time order");
    let older = store.messages.page(id, newest.older, 3).await.unwrap();
    let texts: Vec<_> = older
        .messages
        .iter()
        .map(|m| m.text.clone().unwrap())
        .collect();
    assert_eq!(texts, ["hello", "reply 0"]);
    assert!(older.older.is_none());
    let queued = &newest.messages[2];
    assert_eq!(queued.status, MessageStatus::Queued);
    assert_eq!(queued.author_name.as_deref(), Some("ana"));
}

async fn many_messages_read_at_once_keep_their_own_reactions(engine: Engine) {
    let (store, _) = with_conversation(engine, "15550411").await;
    let now = wa::now_secs();
    apply(
        &store,
        2,
        &wa::inbound_text(wa::NUMBER_A, "15550411", "C", "wamid.many.a2", now, "two"),
    )
    .await;
    apply(
        &store,
        3,
        &wa::inbound_text(wa::NUMBER_A, "15550412", "D", "wamid.many.b1", now, "three"),
    )
    .await;
    let reaction = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15550411"), None, "Customer")],
        vec![
            serde_json::json!({ "from": "15550411", "id": "wamid.many.r", "timestamp": now.to_string(),
            "type": "reaction", "reaction": { "message_id": "wamid.15550411.1", "emoji": "👍" } }),
        ],
        vec![],
    )]);
    apply(&store, 10, &reaction).await;
    let received: Vec<i64> = store
        .events
        .after(0, 100)
        .await
        .unwrap()
        .events
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::MessageReceived { message_id, .. } => Some(message_id),
            _ => None,
        })
        .chain([999_999])
        .collect();
    let messages = store.messages.by_ids(&received).await.unwrap();
    assert_eq!(messages.len(), 3, "missing ids are skipped");
    for message in &messages {
        let emojis: Vec<&str> = message.reactions.iter().map(|r| r.emoji.as_str()).collect();
        let expected: &[&str] = if message.wamid.as_deref() == Some("wamid.15550411.1") {
            &["👍"]
        } else {
            &[]
        };
        assert_eq!(emojis, expected, "{:?}", message.wamid);
    }
    assert!(store.messages.by_ids(&[]).await.unwrap().is_empty());
    assert!(store.messages.get(999_999).await.unwrap().is_none());
}

async fn a_wamid_belongs_to_its_conversation(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550421").await;
    let other = super::conversation_of(&store, 2, "15550422").await;
    assert!(
        store
            .messages
            .in_conversation(id, "wamid.15550421.1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .messages
            .in_conversation(other, "wamid.15550421.1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .messages
            .in_conversation(id, "wamid.nowhere")
            .await
            .unwrap()
    );
}

async fn failed_messages_are_retried_and_queued_ones_cancelled(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550431").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let now = Millis::now();
    let failing = store
        .outbox
        .enqueue(&outbound(id, ana, "15550431", "one"), now)
        .await
        .unwrap();
    let queued = store
        .outbox
        .enqueue(&outbound(id, ana, "15550431", "two"), now)
        .await
        .unwrap();
    // Only a failed message can be retried; only a queued one cancelled.
    let early = store.messages.retry(failing, now).await;
    assert!(matches!(early, Err(StoreError::WrongState(_))), "{early:?}");
    let error = DeliveryError {
        code: 131026,
        title: "Undeliverable".into(),
        details: None,
    };
    store.outbox.failed(failing, &error, now).await.unwrap();
    let before = store.events.latest_id().await.unwrap();
    store.messages.retry(failing, now).await.unwrap();
    let retried = store.messages.get(failing).await.unwrap().unwrap();
    assert_eq!(retried.status, MessageStatus::Queued);
    assert!(retried.error.is_none());
    store.messages.cancel(queued, now).await.unwrap();
    let cancelled = store.messages.get(queued).await.unwrap().unwrap();
    assert_eq!(cancelled.status, MessageStatus::Failed);
    assert_eq!(cancelled.error.unwrap().title, "Cancelled");
    let again = store.messages.cancel(queued, now).await;
    assert!(matches!(again, Err(StoreError::WrongState(_))), "{again:?}");
    let changes: Vec<DomainEvent> = store
        .events
        .after(before, 10)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        changes,
        [
            DomainEvent::MessageChanged {
                conversation_id: id,
                message_id: failing,
                change: MessageChange::Retried
            },
            DomainEvent::MessageChanged {
                conversation_id: id,
                message_id: queued,
                change: MessageChange::Cancelled
            },
        ]
    );
}
