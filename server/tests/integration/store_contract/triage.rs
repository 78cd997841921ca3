//! Triage on conversations: pending, snoozed until a time, priority and labels, with the list
//! filtering and ordering by them; snoozes that end wake the conversation.

use super::conversations::{ids, query};
use super::labels::add_label;
use super::{add_user, conversation_of, events, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::collaboration::{NotificationKind, Priority};
use parley_app::model::{ConversationStatus, Role};
use parley_server::domain::conversation::{ConversationChange, StatusChange};
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{ConversationOrder, ConversationQuery, KeysetCursor, StoreError};

on_both_engines!(
    priority_and_labels_change_with_their_events,
    the_list_filters_by_labels_and_priority_and_orders_by_priority,
    snoozes_end_on_time_and_tell_the_assignee,
    a_customer_message_wakes_a_snoozed_or_pending_conversation,
    labels_must_exist,
);

async fn priority_and_labels_change_with_their_events(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551401").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let vip = add_label(&store, "VIP", "#d97706").await;
    let refund = add_label(&store, "refund", "#2563eb").await;
    let before = store.events.latest_id().await.unwrap();
    let change = ConversationChange {
        priority: Some(Priority::Urgent),
        labels: Some(vec![vip.id, refund.id]),
        ..Default::default()
    };
    let changed = store
        .conversations
        .change(id, change, Some(ana), Millis(2))
        .await
        .unwrap();
    assert_eq!(changed.priority, Priority::Urgent);
    assert_eq!(changed.labels, ["refund", "VIP"]);
    let swap = ConversationChange {
        labels: Some(vec![vip.id]),
        ..Default::default()
    };
    store
        .conversations
        .change(id, swap.clone(), Some(ana), Millis(3))
        .await
        .unwrap();
    // The same labels again change nothing, and say nothing.
    store
        .conversations
        .change(id, swap, Some(ana), Millis(4))
        .await
        .unwrap();
    assert_eq!(
        events(&store, before).await,
        [
            DomainEvent::PriorityChanged {
                conversation_id: id,
                priority: Priority::Urgent,
                by: Some(ana)
            },
            DomainEvent::LabelsChanged {
                conversation_id: id,
                added: vec!["VIP".into(), "refund".into()],
                removed: vec![],
                by: Some(ana)
            },
            DomainEvent::LabelsChanged {
                conversation_id: id,
                added: vec![],
                removed: vec!["refund".into()],
                by: Some(ana)
            },
        ]
    );
    let read = store.conversations.by_ids(&[id]).await.unwrap();
    assert_eq!(
        (read[0].priority, read[0].labels.clone()),
        (Priority::Urgent, vec!["VIP".to_owned()])
    );
}

async fn the_list_filters_by_labels_and_priority_and_orders_by_priority(engine: Engine) {
    let store = fresh_store(engine).await;
    let vip = add_label(&store, "VIP", "#d97706").await;
    let refund = add_label(&store, "refund", "#2563eb").await;
    let mut made = Vec::new();
    for (n, (priority, labels)) in [
        (Priority::None, vec![vip.id]),
        (Priority::High, vec![vip.id, refund.id]),
        (Priority::Urgent, vec![refund.id]),
        (Priority::High, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let id = conversation_of(&store, n as i64 + 1, &format!("1555150{n}")).await;
        let change = ConversationChange {
            priority: Some(priority),
            labels: Some(labels),
            ..Default::default()
        };
        store
            .conversations
            .change(id, change, None, Millis(5))
            .await
            .unwrap();
        made.push(id);
    }
    let with = |labels: Vec<i64>| ConversationQuery { labels, ..query() };
    let mut vip_ones = ids(&store, with(vec![vip.id])).await;
    vip_ones.sort_unstable();
    assert_eq!(vip_ones, [made[0], made[1]]);
    assert_eq!(
        ids(&store, with(vec![vip.id, refund.id])).await,
        [made[1]],
        "all of them"
    );
    let high = ConversationQuery {
        priority: Some(Priority::High),
        ..query()
    };
    let mut high_ones = ids(&store, high).await;
    high_ones.sort_unstable();
    assert_eq!(high_ones, [made[1], made[3]]);
    // Most urgent first, then latest activity; paged by cursor.
    let ordered = ConversationQuery {
        order: ConversationOrder::HighestPriority,
        limit: 2,
        ..query()
    };
    let first = store.conversations.list(&ordered).await.unwrap();
    let cursor: KeysetCursor = first.next.expect("another page");
    let second = store
        .conversations
        .list(&ConversationQuery {
            cursor: Some(cursor),
            ..ordered.clone()
        })
        .await
        .unwrap();
    let all: Vec<i64> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|c| c.id)
        .collect();
    assert_eq!(all, [made[2], made[3], made[1], made[0]]);
    assert!(second.next.is_none());
    let parsed = KeysetCursor::parse(&cursor.encode()).unwrap();
    assert_eq!(parsed, cursor, "the cursor survives the wire");
}

async fn snoozes_end_on_time_and_tell_the_assignee(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551601").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let snooze = ConversationChange {
        assignee: Some(Some(ana)),
        status: Some(StatusChange::Snoozed {
            until: Millis(10_000),
        }),
        ..Default::default()
    };
    let snoozed = store
        .conversations
        .change(id, snooze, Some(ana), Millis(1_000))
        .await
        .unwrap();
    assert_eq!(
        (snoozed.status, snoozed.snoozed_until),
        (ConversationStatus::Snoozed, Some(Millis(10_000)))
    );
    let snoozed_list = ConversationQuery {
        status: Some(ConversationStatus::Snoozed),
        ..query()
    };
    assert_eq!(ids(&store, snoozed_list.clone()).await, [id]);
    assert_eq!(
        store
            .conversations
            .wake_snoozed(Millis(9_999))
            .await
            .unwrap(),
        0,
        "not yet"
    );
    let before = store.events.latest_id().await.unwrap();
    assert_eq!(
        store
            .conversations
            .wake_snoozed(Millis(10_000))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .conversations
            .wake_snoozed(Millis(10_001))
            .await
            .unwrap(),
        0,
        "once"
    );
    let woke = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(
        (woke.status, woke.snoozed_until),
        (ConversationStatus::Open, None)
    );
    let story = events(&store, before).await;
    assert_eq!(
        story[0],
        DomainEvent::StatusChanged {
            conversation_id: id,
            status: ConversationStatus::Open,
            by: None,
            snoozed_until: None
        }
    );
    assert!(matches!(story[1], DomainEvent::NotificationCreated { user_id, .. } if user_id == ana));
    let page = store.notifications.for_member(ana, 10).await.unwrap();
    assert_eq!(page.notifications[0].kind, NotificationKind::SnoozeEnded);
    // Any status but snoozed clears the time.
    let again = ConversationChange {
        status: Some(StatusChange::Snoozed {
            until: Millis(50_000),
        }),
        ..Default::default()
    };
    store
        .conversations
        .change(id, again, None, Millis(11_000))
        .await
        .unwrap();
    let pending = ConversationChange {
        status: Some(StatusChange::Pending),
        ..Default::default()
    };
    let changed = store
        .conversations
        .change(id, pending, None, Millis(12_000))
        .await
        .unwrap();
    assert_eq!(
        (changed.status, changed.snoozed_until),
        (ConversationStatus::Pending, None)
    );
}

async fn a_customer_message_wakes_a_snoozed_or_pending_conversation(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551701").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let far = Millis::now().plus(std::time::Duration::from_secs(86_400));
    let snooze = ConversationChange {
        assignee: Some(Some(ana)),
        status: Some(StatusChange::Snoozed { until: far }),
        ..Default::default()
    };
    store
        .conversations
        .change(id, snooze, None, Millis::now())
        .await
        .unwrap();
    assert_eq!(
        conversation_of(&store, 2, "15551701").await,
        id,
        "the same conversation"
    );
    let woke = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(
        (woke.status, woke.snoozed_until),
        (ConversationStatus::Open, None)
    );
    let page = store.notifications.for_member(ana, 10).await.unwrap();
    assert_eq!(page.notifications.len(), 1, "the assignee hears of it");
    let pending = ConversationChange {
        status: Some(StatusChange::Pending),
        ..Default::default()
    };
    store
        .conversations
        .change(id, pending, None, Millis::now())
        .await
        .unwrap();
    assert_eq!(conversation_of(&store, 3, "15551701").await, id);
    let answered = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(
        answered.status,
        ConversationStatus::Open,
        "the customer answered"
    );
    assert_eq!(
        store
            .notifications
            .for_member(ana, 10)
            .await
            .unwrap()
            .notifications
            .len(),
        1
    );
}

async fn labels_must_exist(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551801").await;
    let change = ConversationChange {
        labels: Some(vec![999]),
        ..Default::default()
    };
    assert!(matches!(
        store
            .conversations
            .change(id, change, None, Millis(1))
            .await,
        Err(StoreError::NotFound("label"))
    ));
    assert!(
        store
            .conversations
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .labels
            .is_empty()
    );
}
