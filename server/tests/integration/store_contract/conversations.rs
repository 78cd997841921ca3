//! Conversations: the list, routes, and member actions.

use super::{add_user, apply, conversation_of, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::model::{ConversationStatus, Role};
use parley_server::domain::conversation::ConversationChange;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{
    Assignment, ConversationOrder, ConversationQuery, SharedStore, StoreError,
};

on_both_engines!(
    the_list_filters_searches_and_pages,
    the_list_orders_by_window,
    conversations_are_read_by_id,
    a_route_says_where_replies_go,
    members_assign_resolve_and_reopen,
    reading_clears_the_unread_count,
);

/// A query for every conversation, newest activity first.
pub(super) fn query() -> ConversationQuery {
    ConversationQuery::all(50, Millis::now())
}

/// The ids of the page the query finds.
pub(super) async fn ids(store: &SharedStore, query: ConversationQuery) -> Vec<i64> {
    let page = store.conversations.list(&query).await.unwrap();
    page.items.iter().map(|c| c.id).collect()
}

async fn the_list_filters_searches_and_pages(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    let mut all = Vec::new();
    for (n, (customer, text)) in [
        ("15550301", "price of 50% off?"),
        ("15550302", "hello"),
        ("15550303", "hi"),
    ]
    .iter()
    .enumerate()
    {
        let wamid = format!("wamid.list.{n}");
        let message = wa::inbound_text(
            wa::NUMBER_A,
            customer,
            &format!("Name{n}"),
            &wamid,
            now + n as i64,
            text,
        );
        apply(&store, n as i64 + 1, &message).await;
        all.insert(0, super::conversation_with(&store, customer).await);
    }
    assert_eq!(ids(&store, query()).await, all, "latest activity first");
    // Pages of two, by cursor.
    let first = store
        .conversations
        .list(&ConversationQuery {
            limit: 2,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let second = ids(
        &store,
        ConversationQuery {
            limit: 2,
            cursor: first.next,
            ..query()
        },
    )
    .await;
    assert_eq!(second, all[2..]);
    // Search: name, phone, message text, with LIKE's wildcards taken literally.
    let search = |text: &str| ConversationQuery {
        search: Some(text.into()),
        ..query()
    };
    assert_eq!(ids(&store, search("name1")).await, [all[1]]);
    assert_eq!(ids(&store, search("15550303")).await, [all[0]]);
    assert_eq!(ids(&store, search("50%")).await, [all[2]]);
    assert!(ids(&store, search("5_%")).await.is_empty());
    // Assignment and status.
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let assign = ConversationChange {
        assignee: Some(Some(ana)),
        status: None,
        ..Default::default()
    };
    store
        .conversations
        .change(all[0], assign, None, Millis::now())
        .await
        .unwrap();
    let resolve = ConversationChange {
        assignee: None,
        status: Some(parley_server::domain::conversation::StatusChange::Resolved),
        ..Default::default()
    };
    store
        .conversations
        .change(all[1], resolve, None, Millis::now())
        .await
        .unwrap();
    assert_eq!(
        ids(
            &store,
            ConversationQuery {
                assignment: Assignment::To(ana),
                ..query()
            }
        )
        .await,
        [all[0]]
    );
    assert_eq!(
        ids(
            &store,
            ConversationQuery {
                assignment: Assignment::Unassigned,
                ..query()
            }
        )
        .await,
        all[1..]
    );
    assert_eq!(
        ids(
            &store,
            ConversationQuery {
                status: Some(ConversationStatus::Resolved),
                ..query()
            }
        )
        .await,
        [all[1]]
    );
    let on = |number: &str| ConversationQuery {
        phone_number_id: Some(number.into()),
        ..query()
    };
    assert_eq!(ids(&store, on(wa::NUMBER_A)).await.len(), 3);
    assert!(ids(&store, on(wa::NUMBER_B)).await.is_empty());
}

async fn the_list_orders_by_window(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    // Older messages close their windows sooner; one closed long ago is left out.
    for (n, (customer, age_hours)) in [("15550311", 2), ("15550312", 20), ("15550313", 30)]
        .iter()
        .enumerate()
    {
        let wamid = format!("wamid.window.{n}");
        let sent = now - age_hours * 3600;
        apply(
            &store,
            n as i64 + 1,
            &wa::inbound_text(wa::NUMBER_A, customer, "C", &wamid, sent, "hi"),
        )
        .await;
    }
    let order = ConversationQuery {
        order: ConversationOrder::WindowClosingSoonest,
        limit: 1,
        ..query()
    };
    let first = store.conversations.list(&order).await.unwrap();
    assert_eq!(first.items[0].contact.wa_id.as_deref(), Some("15550312"));
    let second = store
        .conversations
        .list(&ConversationQuery {
            cursor: first.next,
            ..order.clone()
        })
        .await
        .unwrap();
    assert_eq!(second.items[0].contact.wa_id.as_deref(), Some("15550311"));
    assert!(second.next.is_none(), "the expired window is not listed");
}

async fn conversations_are_read_by_id(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550321").await;
    let other = conversation_of(&store, 2, "15550322").await;
    let mut found: Vec<i64> = store
        .conversations
        .by_ids(&[id, other, 999_999])
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    found.sort_unstable();
    assert_eq!(found, [id, other], "missing ids are skipped");
    assert!(store.conversations.by_ids(&[]).await.unwrap().is_empty());
    let one = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(one.contact.wa_id.as_deref(), Some("15550321"));
    assert_eq!(one.unread_count, 1);
    assert_eq!(one.preview.as_deref(), Some("hello"));
    assert!(one.window_expires_at.is_some());
    assert!(store.conversations.get(999_999).await.unwrap().is_none());
}

async fn a_route_says_where_replies_go(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    apply(
        &store,
        1,
        &wa::inbound_text(wa::NUMBER_A, "15550331", "C", "wamid.route.1", now, "hi"),
    )
    .await;
    let by_phone = super::conversation_with(&store, "15550331").await;
    let route = store.conversations.route(by_phone).await.unwrap().unwrap();
    assert_eq!(route.recipient, "15550331");
    assert_eq!(route.phone_number_id, wa::NUMBER_A);
    assert_eq!(route.waba_id.as_deref(), Some("900000000001"));
    assert_eq!(
        route.window_expires_at,
        Some(Millis((now + 24 * 3600) * 1000))
    );
    // Known only by business-scoped id: replies go there.
    let only_user = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(None, Some("US.route"), "Unnamed")],
        vec![wa::text("wamid.route.2", None, Some("US.route"), now, "hi")],
        vec![],
    )]);
    apply(&store, 2, &only_user).await;
    let events = store.events.after(0, 100).await.unwrap().events;
    let opened: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.event {
            DomainEvent::ConversationOpened { conversation_id } => Some(conversation_id),
            _ => None,
        })
        .collect();
    let by_user = *opened.last().unwrap();
    let route = store.conversations.route(by_user).await.unwrap().unwrap();
    assert_eq!(route.recipient, "US.route");
    assert!(store.conversations.route(999_999).await.unwrap().is_none());
}

async fn members_assign_resolve_and_reopen(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550341").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let both = ConversationChange {
        assignee: Some(Some(ana)),
        status: Some(parley_server::domain::conversation::StatusChange::Resolved),
        ..Default::default()
    };
    let changed = store
        .conversations
        .change(id, both, Some(ana), Millis(7))
        .await
        .unwrap();
    assert_eq!(
        (changed.assignee, changed.status),
        (Some(ana), ConversationStatus::Resolved)
    );
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
            DomainEvent::Assigned {
                conversation_id: id,
                assignee: Some(ana),
                by: Some(ana)
            },
            DomainEvent::StatusChanged {
                conversation_id: id,
                status: ConversationStatus::Resolved,
                by: Some(ana),
                snoozed_until: None,
            },
        ]
    );
    let unassign = ConversationChange {
        assignee: Some(None),
        status: None,
        ..Default::default()
    };
    let changed = store
        .conversations
        .change(id, unassign, None, Millis(8))
        .await
        .unwrap();
    assert_eq!(changed.assignee, None);
    // The customer writes again: their message reopens it.
    let reopened = conversation_of(&store, 2, "15550341").await;
    assert_eq!(reopened, id);
    let resolve = ConversationChange {
        assignee: None,
        status: Some(parley_server::domain::conversation::StatusChange::Resolved),
        ..Default::default()
    };
    store
        .conversations
        .change(id, resolve.clone(), None, Millis(9))
        .await
        .unwrap();
    let missing = store
        .conversations
        .change(999_999, resolve, None, Millis(9))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn reading_clears_the_unread_count(engine: Engine) {
    let (store, id) = with_conversation(engine, "15550351").await;
    let before = store.events.latest_id().await.unwrap();
    let receipt = store
        .conversations
        .mark_read(id, None, Millis(1))
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.was_unread);
    assert_eq!(receipt.wamid, "wamid.15550351.1");
    assert_eq!(receipt.phone_number_id, wa::NUMBER_A);
    assert_eq!(
        store
            .conversations
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .unread_count,
        0
    );
    let again = store
        .conversations
        .mark_read(id, None, Millis(2))
        .await
        .unwrap()
        .unwrap();
    assert!(!again.was_unread);
    let events = store.events.after(before, 10).await.unwrap().events;
    assert_eq!(
        events.len(),
        1,
        "one read event, for the read that changed something"
    );
    assert_eq!(
        events[0].event,
        DomainEvent::ConversationRead {
            conversation_id: id,
            by: None
        }
    );
}
