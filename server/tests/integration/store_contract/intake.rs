//! Applying webhooks: contacts, conversations, messages, statuses and account changes, with
//! the events they cause; redeliveries and failures.

use super::{apply, events};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::model::{ConversationStatus, MessageStatus};
use parley_server::domain::conversation::ConversationChange;
use parley_server::domain::events::MessageChange;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::ParsedWebhook;
use parley_server::whatsapp::webhook::Notification;
use serde_json::json;

on_both_engines!(
    a_customer_message_opens_a_conversation_with_its_events,
    redeliveries_and_repeats_change_nothing,
    statuses_move_forward_even_before_their_message,
    a_chunk_of_statuses_moves_each_message_to_its_furthest_once,
    reactions_edits_and_revokes_amend_their_message,
    phone_and_user_id_records_of_one_person_merge,
    account_changes_are_kept_and_templates_follow_them,
    a_failing_event_is_returned_and_the_rest_applied,
);

async fn a_customer_message_opens_a_conversation_with_its_events(engine: Engine) {
    let store = fresh_store(engine).await;
    let sent = wa::now_secs();
    apply(
        &store,
        1,
        &wa::inbound_text(wa::NUMBER_A, "15550801", "Ana", "wamid.in.1", sent, "hi"),
    )
    .await;
    let id = super::conversation_with(&store, "15550801").await;
    let story = events(&store, 0).await;
    let received = store.messages.page(id, None, 10).await.unwrap().messages;
    assert_eq!(
        story,
        [
            DomainEvent::ConversationOpened {
                conversation_id: id
            },
            DomainEvent::MessageReceived {
                conversation_id: id,
                message_id: received[0].id
            },
        ]
    );
    let conversation = store.conversations.get(id).await.unwrap().unwrap();
    assert_eq!(conversation.contact.name.as_deref(), Some("Ana"));
    assert_eq!(
        conversation.window_expires_at,
        Some(Millis((sent + 24 * 3600) * 1000))
    );
    assert_eq!(
        store.numbers.list().await.unwrap()[0].phone_number_id,
        wa::NUMBER_A
    );
    // Resolved, then the customer writes again: the same conversation reopens.
    let resolve = ConversationChange {
        assignee: None,
        status: Some(parley_server::domain::conversation::StatusChange::Resolved),
        ..Default::default()
    };
    store
        .conversations
        .change(id, resolve, None, Millis::now())
        .await
        .unwrap();
    let latest = store.events.latest_id().await.unwrap();
    apply(
        &store,
        2,
        &wa::inbound_text(
            wa::NUMBER_A,
            "15550801",
            "Ana",
            "wamid.in.2",
            sent + 1,
            "again",
        ),
    )
    .await;
    let story = events(&store, latest).await;
    assert_eq!(
        story[0],
        DomainEvent::ConversationReopened {
            conversation_id: id
        }
    );
    assert_eq!(
        store.conversations.get(id).await.unwrap().unwrap().status,
        ConversationStatus::Open
    );
    // Another business number: another conversation.
    apply(
        &store,
        3,
        &wa::inbound_text(
            wa::NUMBER_B,
            "15550801",
            "Ana",
            "wamid.in.3",
            sent,
            "other line",
        ),
    )
    .await;
    let page = store
        .conversations
        .list(&parley_server::store::ConversationQuery {
            phone_number_id: Some(wa::NUMBER_B.into()),
            ..parley_server::store::ConversationQuery::all(10, Millis::now())
        })
        .await
        .unwrap();
    assert_ne!(page.items[0].id, id);
    assert_eq!(
        page.items[0].contact.id, conversation.contact.id,
        "one customer, one contact"
    );
}

async fn redeliveries_and_repeats_change_nothing(engine: Engine) {
    let store = fresh_store(engine).await;
    let payload = wa::inbound_text(
        wa::NUMBER_A,
        "15550811",
        "Bo",
        "wamid.redo",
        wa::now_secs(),
        "once",
    );
    apply(&store, 1, &payload).await;
    let latest = store.events.latest_id().await.unwrap();
    // The same bytes again (Meta's redelivery), and the same message in another body.
    apply(&store, 2, &payload).await;
    let mut repeat = payload.clone();
    repeat["entry"][0]["time"] = json!(1);
    apply(&store, 3, &repeat).await;
    assert!(events(&store, latest).await.is_empty());
    let id = super::conversation_with(&store, "15550811").await;
    assert_eq!(
        store
            .messages
            .page(id, None, 10)
            .await
            .unwrap()
            .messages
            .len(),
        1
    );
    assert_eq!(
        store
            .conversations
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .unread_count,
        1
    );
    assert_eq!(
        store.journal.backlog().await.unwrap(),
        0,
        "all marked processed"
    );
}

async fn statuses_move_forward_even_before_their_message(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    // An echo's statuses arrive before the echo itself, and out of order.
    let status = |state: &str| {
        wa::statuses(
            wa::NUMBER_A,
            vec![wa::status("wamid.echo", state, now, "15550821")],
        )
    };
    apply(&store, 1, &status("delivered")).await;
    apply(
        &store,
        2,
        &wa::echo(
            wa::NUMBER_A,
            "15550821",
            "wamid.echo",
            now,
            "sent from the app",
        ),
    )
    .await;
    let id = super::conversation_with(&store, "15550821").await;
    let message = &store.messages.page(id, None, 10).await.unwrap().messages[0];
    assert_eq!(message.status, MessageStatus::Delivered);
    let latest = store.events.latest_id().await.unwrap();
    apply(&store, 3, &status("sent")).await;
    assert_eq!(
        store
            .messages
            .get(message.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        MessageStatus::Delivered,
        "never back"
    );
    assert!(events(&store, latest).await.is_empty());
    apply(&store, 4, &status("read")).await;
    let story = events(&store, latest).await;
    assert!(
        matches!(
            &story[..],
            [DomainEvent::StatusAdvanced {
                status: MessageStatus::Read,
                pricing: Some(_),
                ..
            }]
        ),
        "{story:?}"
    );
}

async fn a_chunk_of_statuses_moves_each_message_to_its_furthest_once(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    for (id, wamid, customer) in [(1, "wamid.c1", "15550841"), (2, "wamid.c2", "15550842")] {
        let echo = wa::echo(wa::NUMBER_A, customer, wamid, now, "from the app");
        apply(&store, id, &echo).await;
    }
    let latest = store.events.latest_id().await.unwrap();
    // Webhooks processed in one transaction, as a busy processor takes them: one status each.
    let chunk: Vec<ParsedWebhook> = [
        wa::status("wamid.c1", "sent", now, "15550841"),
        wa::status("wamid.c2", "sent", now, "15550842"),
        wa::status("wamid.c1", "delivered", now + 1, "15550841"),
        wa::status("wamid.c2", "failed", now + 1, "15550842"),
        wa::status("wamid.c1", "read", now + 2, "15550841"),
        wa::status("wamid.c3", "delivered", now + 2, "15550843"),
        wa::status("wamid.c1", "delivered", now + 3, "15550841"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, status)| {
        let body = serde_json::to_vec(&wa::statuses(wa::NUMBER_A, vec![status])).unwrap();
        let notification = Notification::parse(&body).unwrap();
        ParsedWebhook::new(10 + i as i64, &body, Some(notification))
    })
    .collect();
    let failures = store.intake.apply(&chunk, Millis::now()).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    let message = |customer: &'static str| {
        let store = store.clone();
        async move {
            let id = super::conversation_with(&store, customer).await;
            store.messages.page(id, None, 10).await.unwrap().messages[0].clone()
        }
    };
    let (first, second) = (message("15550841").await, message("15550842").await);
    assert_eq!(first.status, MessageStatus::Read);
    assert_eq!(second.status, MessageStatus::Failed);
    assert_eq!(second.error.as_ref().map(|e| e.code), Some(131047));
    let story = events(&store, latest).await;
    let advanced: Vec<(i64, MessageStatus)> = story
        .iter()
        .filter_map(|event| match event {
            DomainEvent::StatusAdvanced {
                message_id, status, ..
            } => Some((*message_id, *status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        advanced,
        vec![
            (first.id, MessageStatus::Read),
            (second.id, MessageStatus::Failed)
        ],
        "one event per message, at its furthest: {story:?}"
    );
    // The status of a message not stored yet waits for it.
    let echo = wa::echo(wa::NUMBER_A, "15550843", "wamid.c3", now, "later");
    apply(&store, 30, &echo).await;
    assert_eq!(message("15550843").await.status, MessageStatus::Delivered);
}

async fn reactions_edits_and_revokes_amend_their_message(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    apply(
        &store,
        1,
        &wa::inbound_text(
            wa::NUMBER_A,
            "15550831",
            "C",
            "wamid.amend",
            now,
            "original",
        ),
    )
    .await;
    let id = super::conversation_with(&store, "15550831").await;
    let message_id = store.messages.page(id, None, 10).await.unwrap().messages[0].id;
    let latest = store.events.latest_id().await.unwrap();
    let from_customer = |message: serde_json::Value| {
        wa::notification(vec![wa::messages_change(
            wa::NUMBER_A,
            vec![wa::contact(Some("15550831"), None, "C")],
            vec![message],
            vec![],
        )])
    };
    apply(
        &store,
        2,
        &from_customer(
            json!({ "from": "15550831", "id": "wamid.r1", "timestamp": (now + 1).to_string(),
        "type": "reaction", "reaction": { "message_id": "wamid.amend", "emoji": "🙏" } }),
        ),
    )
    .await;
    // An older reaction arriving late does not replace the newer one.
    apply(
        &store,
        3,
        &from_customer(
            json!({ "from": "15550831", "id": "wamid.r0", "timestamp": now.to_string(),
        "type": "reaction", "reaction": { "message_id": "wamid.amend", "emoji": "😡" } }),
        ),
    )
    .await;
    apply(&store, 4, &from_customer(json!({ "from": "15550831", "id": "wamid.e1", "timestamp": (now + 2).to_string(),
        "type": "edit", "edit": { "original_message_id": "wamid.amend", "message": { "type": "text", "text": { "body": "edited" } } } }))).await;
    let message = store.messages.get(message_id).await.unwrap().unwrap();
    assert_eq!(
        message
            .reactions
            .iter()
            .map(|r| r.emoji.as_str())
            .collect::<Vec<_>>(),
        ["🙏"]
    );
    assert_eq!(
        (message.text.as_deref(), message.edited),
        (Some("edited"), true)
    );
    apply(
        &store,
        5,
        &from_customer(
            json!({ "from": "15550831", "id": "wamid.x1", "timestamp": (now + 3).to_string(),
        "type": "revoke", "revoke": { "original_message_id": "wamid.amend" } }),
        ),
    )
    .await;
    let message = store.messages.get(message_id).await.unwrap().unwrap();
    assert_eq!((message.text, message.deleted), (None, true));
    let changes: Vec<MessageChange> = events(&store, latest)
        .await
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::MessageChanged { change, .. } => Some(change),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            MessageChange::Reaction,
            MessageChange::Edited,
            MessageChange::Revoked
        ],
        "the late reaction changed nothing"
    );
}

async fn phone_and_user_id_records_of_one_person_merge(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    apply(
        &store,
        1,
        &wa::inbound_text(
            wa::NUMBER_A,
            "15550841",
            "Phone",
            "wamid.m1",
            now,
            "by phone",
        ),
    )
    .await;
    let by_user = wa::notification(vec![wa::messages_change(
        wa::NUMBER_B,
        vec![wa::contact(None, Some("US.merge"), "User")],
        vec![wa::text(
            "wamid.m2",
            None,
            Some("US.merge"),
            now,
            "by user id",
        )],
        vec![],
    )]);
    apply(&store, 2, &by_user).await;
    // Both ids in one message: one person.
    let both = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15550841"), Some("US.merge"), "Both")],
        vec![wa::text(
            "wamid.m3",
            Some("15550841"),
            Some("US.merge"),
            now,
            "both",
        )],
        vec![],
    )]);
    apply(&store, 3, &both).await;
    let query = parley_server::store::ConversationQuery::all(10, Millis::now());
    let conversations = store.conversations.list(&query).await.unwrap().items;
    assert_eq!(conversations.len(), 2, "one per number");
    assert!(
        conversations
            .iter()
            .all(|c| c.contact.id == conversations[0].contact.id),
        "one contact"
    );
    assert!(
        conversations
            .iter()
            .all(|c| c.contact.bsuid.as_deref() == Some("US.merge"))
    );
    assert!(
        conversations
            .iter()
            .all(|c| c.contact.name.as_deref() == Some("Both"))
    );
}

async fn account_changes_are_kept_and_templates_follow_them(engine: Engine) {
    let store = fresh_store(engine).await;
    let template = wa::notification(vec![
        json!({ "field": "message_template_status_update", "value": {
        "event": "APPROVED", "message_template_id": 4242, "message_template_name": "hello_world",
        "message_template_language": "en_US", "reason": "NONE" } }),
    ]);
    apply(&store, 1, &template).await;
    let (found, timeline) = store.templates.get("4242").await.unwrap().unwrap();
    assert_eq!(
        found.record.status,
        parley_app::templates::TemplateStatus::Approved
    );
    assert_eq!(
        (timeline[0].source.as_str(), timeline[0].reason.clone()),
        ("webhook", None)
    );
    let preference = wa::notification(vec![json!({ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "+1", "phone_number_id": wa::NUMBER_A },
        "user_preferences": [{ "wa_id": "15550851", "detail": "User requested to stop marketing messages",
            "category": "marketing_messages", "value": "stop", "timestamp": wa::now_secs() }] } })]);
    apply(&store, 2, &preference).await;
    let quality = wa::notification(vec![
        json!({ "field": "phone_number_quality_update", "value": {
        "display_phone_number": "15550001111", "event": "DOWNGRADE", "current_limit": "TIER_1K" } }),
    ]);
    apply(&store, 3, &quality).await;
    let story = events(&store, 0).await;
    assert!(story.contains(&DomainEvent::TemplateStatusChanged {
        template_id: "4242".into()
    }));
    assert!(
        story.iter().any(|e| matches!(
            e,
            DomainEvent::NumberUpdated {
                phone_number_id: None,
                ..
            }
        )),
        "news of a number Parley has not met is the account's"
    );
    assert!(story.iter().any(|e| matches!(e, DomainEvent::PreferenceChanged { preference, .. } if preference["value"] == "stop")));
}

async fn a_failing_event_is_returned_and_the_rest_applied(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    let parsed = |id: i64, payload: &serde_json::Value| {
        let body = serde_json::to_vec(payload).unwrap();
        ParsedWebhook::new(id, &body, Some(Notification::parse(&body).unwrap()))
    };
    let good = parsed(
        1,
        &wa::inbound_text(wa::NUMBER_A, "15550861", "Good", "wamid.good", now, "fine"),
    );
    // A customer's text PostgreSQL cannot store without its NUL replaced (the parser does), and
    // an unreadable body: neither may block the good one.
    let unreadable = ParsedWebhook::new(2, b"not json", None);
    let failures = store
        .intake
        .apply(&[good, unreadable], Millis::now())
        .await
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    super::conversation_with(&store, "15550861").await;
    assert_eq!(store.journal.backlog().await.unwrap(), 0);
}
