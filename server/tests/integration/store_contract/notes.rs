//! Notes and the notifications their mentions raise.

use super::{add_user, events, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::collaboration::NotificationKind;
use parley_app::model::Role;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{NewNote, StoreError};

on_both_engines!(
    a_note_notifies_whom_it_mentions_but_not_its_author,
    notifications_are_each_members_own_and_are_read,
    notes_need_a_conversation,
);

async fn a_note_notifies_whom_it_mentions_but_not_its_author(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551201").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let note = store
        .notes
        .add(
            &NewNote {
                conversation_id: id,
                author: ana,
                body: "@ben can you check the refund? <script>".into(),
                mentions: vec![ben, ana, ben],
            },
            Millis(10),
        )
        .await
        .unwrap();
    assert_eq!(note.author.id, ana);
    assert_eq!(note.body, "@ben can you check the refund? <script>");
    let mentioned: Vec<_> = note.mentions.iter().map(|m| m.id).collect();
    assert_eq!(mentioned, [ana, ben], "each once");
    let story = events(&store, before).await;
    assert_eq!(
        story[0],
        DomainEvent::NoteAdded {
            conversation_id: id,
            note_id: note.id,
            author: ana
        }
    );
    let notified: Vec<_> = story
        .iter()
        .filter_map(|e| match e {
            DomainEvent::NotificationCreated { user_id, .. } => Some(*user_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        notified,
        [ben],
        "the author is not notified of their own note"
    );
    let second = store
        .notes
        .add(
            &NewNote {
                conversation_id: id,
                author: ben,
                body: "done".into(),
                mentions: vec![],
            },
            Millis(20),
        )
        .await
        .unwrap();
    let listed = store.notes.for_conversation(id, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|n| n.id).collect::<Vec<_>>(),
        [note.id, second.id],
        "oldest first"
    );
    let newest = store.notes.for_conversation(id, 1).await.unwrap();
    assert_eq!(newest[0].id, second.id, "the newest when limited");
    let by_id = store.notes.by_ids(&[second.id, 999]).await.unwrap();
    assert_eq!(by_id.len(), 1);
}

async fn notifications_are_each_members_own_and_are_read(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551202").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    for (n, body) in ["first", "second", "third"].iter().enumerate() {
        store
            .notes
            .add(
                &NewNote {
                    conversation_id: id,
                    author: ana,
                    body: (*body).into(),
                    mentions: vec![ben],
                },
                Millis(n as i64),
            )
            .await
            .unwrap();
    }
    let page = store.notifications.for_member(ben, 2).await.unwrap();
    assert_eq!(page.unread, 3);
    assert_eq!(page.notifications.len(), 2, "limited");
    let newest = &page.notifications[0];
    assert_eq!(newest.kind, NotificationKind::Mention);
    assert_eq!(newest.note_body.as_deref(), Some("third"), "newest first");
    assert_eq!(newest.actor.as_ref().map(|a| a.id), Some(ana));
    assert_eq!(newest.contact.wa_id.as_deref(), Some("15551202"));
    assert!(
        store
            .notifications
            .for_member(ana, 10)
            .await
            .unwrap()
            .notifications
            .is_empty()
    );
    // Ana cannot read Ben's notifications.
    assert_eq!(
        store
            .notifications
            .mark_read(ana, Some(&[newest.id]), Millis(50))
            .await
            .unwrap(),
        0
    );
    let before = store.events.latest_id().await.unwrap();
    assert_eq!(
        store
            .notifications
            .mark_read(ben, Some(&[newest.id]), Millis(50))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::NotificationsRead { user_id: ben }]
    );
    let page = store.notifications.for_member(ben, 10).await.unwrap();
    assert_eq!(page.unread, 2);
    assert_eq!(page.notifications[0].read_at, Some(Millis(50)));
    assert_eq!(
        store
            .notifications
            .mark_read(ben, None, Millis(60))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .notifications
            .for_member(ben, 10)
            .await
            .unwrap()
            .unread,
        0
    );
    let ids: Vec<i64> = page.notifications.iter().map(|n| n.id).collect();
    assert_eq!(store.notifications.by_ids(&ids).await.unwrap().len(), 3);
}

async fn notes_need_a_conversation(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let orphan = NewNote {
        conversation_id: 999,
        author: ana,
        body: "x".into(),
        mentions: vec![],
    };
    assert!(matches!(
        store.notes.add(&orphan, Millis(1)).await,
        Err(StoreError::NotFound(_))
    ));
}
