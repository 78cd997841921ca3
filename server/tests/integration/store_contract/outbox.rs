//! The outbox: queueing, claiming in order, and recording what became of each send.

use super::{add_user, apply, outbound, with_conversation};
use crate::on_both_engines;
use crate::support::Engine;
use crate::wa;
use parley_app::model::{DeliveryError, MessageStatus, Role};
use parley_server::domain::{DomainEvent, Millis};
use std::time::Duration;

on_both_engines!(
    a_queued_message_is_written_with_its_job,
    jobs_are_claimed_in_order_one_per_customer_at_a_time,
    sends_are_recorded_accepted_retried_deferred_or_failed,
    a_status_racing_its_send_record_is_applied,
);

const LEASE: Duration = Duration::from_secs(60);

async fn a_queued_message_is_written_with_its_job(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550501").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let now = Millis::now().plus(Duration::from_secs(5));
    let message_id = store
        .outbox
        .enqueue(&outbound(id, ana, "15550501", "On its way"), now)
        .await
        .unwrap();
    let conversation = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(conversation.preview.as_deref(), Some("On its way"));
    assert_eq!(conversation.last_message_at, now);
    let events = store.events.after(before, 10).await.unwrap().events;
    assert_eq!(
        events[0].event,
        DomainEvent::MessageQueued {
            conversation_id: id,
            message_id,
            author: Some(ana)
        }
    );
    // A reaction shows on its target at once.
    let mut reaction = outbound(id, ana, "15550501", "❤️");
    reaction.kind = "reaction".into();
    reaction.reacts_to = Some("wamid.15550501.1".into());
    store.outbox.enqueue(&reaction, now).await.unwrap();
    let page = store.messages.page(id, None, 10).await.unwrap();
    let target = page
        .messages
        .iter()
        .find(|m| m.wamid.as_deref() == Some("wamid.15550501.1"))
        .unwrap();
    assert_eq!(target.reactions[0].emoji, "❤️");
    let jobs = store.outbox.claim(now, now.plus(LEASE), 10).await.unwrap();
    assert_eq!(jobs[0].message_id, message_id);
    assert_eq!(jobs[0].phone_number_id, wa::NUMBER_A);
    assert_eq!(jobs[0].request["text"]["body"], "On its way");
    assert_eq!(jobs[0].attempts, 1);
}

async fn jobs_are_claimed_in_order_one_per_customer_at_a_time(engine: Engine) {
    let (store, first) = with_conversation(engine, "15550511").await;
    let second = super::conversation_of(&store, 2, "15550512").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let now = Millis::now();
    let a1 = store
        .outbox
        .enqueue(&outbound(first, ana, "15550511", "a1"), now)
        .await
        .unwrap();
    let a2 = store
        .outbox
        .enqueue(&outbound(first, ana, "15550511", "a2"), now)
        .await
        .unwrap();
    let b1 = store
        .outbox
        .enqueue(&outbound(second, ana, "15550512", "b1"), now)
        .await
        .unwrap();
    let claimed: Vec<i64> = store
        .outbox
        .claim(now, now.plus(LEASE), 2)
        .await
        .unwrap()
        .iter()
        .map(|j| j.message_id)
        .collect();
    assert_eq!(claimed, [a1, a2], "oldest first");
    // a1 is held back for later: a2 may not overtake it.
    store
        .outbox
        .retry_later(a1, "throttled", now.plus(Duration::from_secs(30)))
        .await
        .unwrap();
    store.outbox.defer(a2, now).await.unwrap();
    let claimed: Vec<i64> = store
        .outbox
        .claim(now, now.plus(LEASE), 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.message_id)
        .collect();
    assert_eq!(
        claimed,
        [b1],
        "the other customer's job; not a2, queued behind a1"
    );
    let later = now.plus(Duration::from_secs(30));
    let jobs = store
        .outbox
        .claim(later, later.plus(LEASE), 10)
        .await
        .unwrap();
    let claimed: Vec<(i64, i64)> = jobs.iter().map(|j| (j.message_id, j.attempts)).collect();
    assert_eq!(
        claimed,
        [(a1, 2), (a2, 1)],
        "a deferral does not count as an attempt"
    );
}

async fn sends_are_recorded_accepted_retried_deferred_or_failed(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550521").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let now = Millis::now();
    let sent = store
        .outbox
        .enqueue(&outbound(id, ana, "15550521", "sent"), now)
        .await
        .unwrap();
    let lost = store
        .outbox
        .enqueue(&outbound(id, ana, "15550521", "lost"), now)
        .await
        .unwrap();
    store.outbox.claim(now, now.plus(LEASE), 10).await.unwrap();
    let before = store.events.latest_id().await.unwrap();
    store
        .outbox
        .accepted(
            &[(sent, "wamid.sent".into()), (999_999, "wamid.gone".into())],
            now,
        )
        .await
        .unwrap();
    let accepted = store.messages.get(sent).await.unwrap().unwrap();
    assert_eq!(
        (accepted.status, accepted.wamid.as_deref()),
        (MessageStatus::Accepted, Some("wamid.sent"))
    );
    let error = DeliveryError {
        code: 131047,
        title: "Re-engagement message".into(),
        details: Some("24 hours".into()),
    };
    store.outbox.failed(lost, &error, now).await.unwrap();
    let failed = store.messages.get(lost).await.unwrap().unwrap();
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.error, Some(error));
    let events: Vec<DomainEvent> = store
        .events
        .after(before, 10)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            DomainEvent::StatusAdvanced {
                conversation_id: id,
                message_id: sent,
                status: MessageStatus::Accepted,
                pricing: None
            },
            DomainEvent::StatusAdvanced {
                conversation_id: id,
                message_id: lost,
                status: MessageStatus::Failed,
                pricing: None
            },
        ]
    );
    assert!(
        store
            .outbox
            .claim(now.plus(LEASE), now.plus(LEASE).plus(LEASE), 10)
            .await
            .unwrap()
            .is_empty(),
        "done and failed jobs are not claimed"
    );
}

/// Meta can report a send's status before Parley has committed the wamid it answered with
/// (accepted sends are recorded in groups). Whichever of the two transactions commits first,
/// the status must end up on the message.
async fn a_status_racing_its_send_record_is_applied(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550531").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    for round in 0..200 {
        let message_id = store
            .outbox
            .enqueue(
                &outbound(id, ana, "15550531", &format!("reply {round}")),
                Millis::now(),
            )
            .await
            .unwrap();
        let wamid = format!("wamid.race.{round}");
        let delivered = wa::statuses(
            wa::NUMBER_A,
            vec![wa::status(&wamid, "delivered", wa::now_secs(), "15550531")],
        );
        let accepted = [(message_id, wamid)];
        let (recorded, ()) = tokio::join!(
            store.outbox.accepted(&accepted, Millis::now()),
            apply(&store, 100 + round, &delivered),
        );
        recorded.unwrap();
        let message = store.messages.get(message_id).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Delivered, "round {round}");
    }
}
