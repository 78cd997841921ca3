//! Presence: who is in a conversation until when, and the sweep.

use super::{add_user, events, with_conversation};
use crate::on_both_engines;
use crate::support::Engine;
use parley_app::collaboration::Activity;
use parley_app::model::Role;
use parley_server::domain::{DomainEvent, Millis};

on_both_engines!(presence_is_set_renewed_left_and_swept);

async fn presence_is_set_renewed_left_and_swept(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551301").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    store
        .presence
        .set(
            id,
            ana,
            Some((Activity::Viewing, Millis(1_045))),
            Millis(1_000),
        )
        .await
        .unwrap();
    store
        .presence
        .set(
            id,
            ben,
            Some((Activity::Viewing, Millis(1_045))),
            Millis(1_000),
        )
        .await
        .unwrap();
    store
        .presence
        .set(
            id,
            ana,
            Some((Activity::Replying, Millis(1_008))),
            Millis(1_001),
        )
        .await
        .unwrap();
    let here = store
        .presence
        .in_conversation(id, Millis(1_002))
        .await
        .unwrap();
    let seen: Vec<_> = here.iter().map(|p| (p.member.id, p.activity)).collect();
    assert_eq!(seen, [(ana, Activity::Replying), (ben, Activity::Viewing)]);
    // Ana's typing ran out; Ben left.
    store
        .presence
        .set(id, ben, None, Millis(1_003))
        .await
        .unwrap();
    assert!(
        store
            .presence
            .in_conversation(id, Millis(1_010))
            .await
            .unwrap()
            .is_empty()
    );
    let story = events(&store, before).await;
    assert_eq!(story.len(), 4, "each change tells the others");
    assert_eq!(
        story[3],
        DomainEvent::PresenceChanged {
            conversation_id: id,
            user_id: ben,
            activity: None,
            expires_at: None
        }
    );
    assert_eq!(
        store
            .presence
            .sweep(Millis(1_010), Millis(0))
            .await
            .unwrap(),
        1
    );
    // Presence events older than the cut are dropped from the log; the rest stays.
    store
        .presence
        .sweep(Millis(1_010), Millis(i64::MAX))
        .await
        .unwrap();
    assert!(events(&store, before).await.is_empty());
}
