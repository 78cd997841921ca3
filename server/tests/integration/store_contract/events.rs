//! The domain-event log: ordered, typed, readable in stretches.

use super::{add_user, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::Role;
use parley_server::domain::{DomainEvent, Millis};

on_both_engines!(
    the_log_is_read_in_order_in_stretches,
    an_empty_log_starts_at_zero,
);

async fn the_log_is_read_in_order_in_stretches(engine: Engine) {
    let (store, conversation) = with_conversation(engine, "15550201").await;
    let user = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    for n in 0..3 {
        store
            .team
            .credentials_changed(user, Millis(n))
            .await
            .unwrap();
    }
    let first = store.events.after(before, 2).await.unwrap();
    assert!(first.more);
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.events[0].at, Millis(0));
    assert_eq!(first.read_up_to, first.events[1].id);
    let second = store.events.after(first.read_up_to, 2).await.unwrap();
    assert!(!second.more);
    assert_eq!(second.events.len(), 1);
    assert_eq!(
        second.events[0].event,
        DomainEvent::CredentialsChanged { user_id: user }
    );
    assert_eq!(store.events.latest_id().await.unwrap(), second.read_up_to);
    // The conversation's own story came before.
    let story = store.events.after(0, 100).await.unwrap().events;
    assert!(story.iter().any(|e| e.event
        == DomainEvent::ConversationOpened {
            conversation_id: conversation
        }));
    assert!(story.windows(2).all(|pair| pair[0].id < pair[1].id));
}

async fn an_empty_log_starts_at_zero(engine: Engine) {
    let store = fresh_store(engine).await;
    assert_eq!(store.events.latest_id().await.unwrap(), 0);
    let batch = store.events.after(0, 10).await.unwrap();
    assert!(batch.events.is_empty());
    assert_eq!(batch.read_up_to, 0);
    assert!(!batch.more);
}
