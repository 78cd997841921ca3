//! Labels: defined, renamed, deleted; names unique whatever their case.

use super::{events, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::collaboration::{Colour, LabelName};
use parley_server::domain::conversation::ConversationChange;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{Label, LabelUpdate, NewLabel, SharedStore, StoreError};

on_both_engines!(
    labels_are_defined_renamed_and_deleted,
    a_deleted_label_comes_off_its_conversations,
);

pub fn new_label(name: &str, colour: &str) -> NewLabel {
    NewLabel {
        name: LabelName::parse(name).unwrap(),
        colour: Colour::parse(colour).unwrap(),
        description: format!("{name} customers"),
    }
}

/// A label defined at time 1.
pub async fn add_label(store: &SharedStore, name: &str, colour: &str) -> Label {
    store
        .labels
        .create(&new_label(name, colour), Millis(1))
        .await
        .unwrap()
}

async fn labels_are_defined_renamed_and_deleted(engine: Engine) {
    let store = fresh_store(engine).await;
    let before = store.events.latest_id().await.unwrap();
    let vip = add_label(&store, "VIP", "#d97706").await;
    let refund = store
        .labels
        .create(&new_label("refund", "#2563eb"), Millis(2))
        .await
        .unwrap();
    assert!(matches!(
        store
            .labels
            .create(&new_label("vip", "#000000"), Millis(3))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let names: Vec<String> = store
        .labels
        .list()
        .await
        .unwrap()
        .iter()
        .map(|l| l.name.to_string())
        .collect();
    assert_eq!(names, ["refund", "VIP"], "by name, whatever the case");
    let renamed = store
        .labels
        .update(
            vip.id,
            &LabelUpdate {
                name: Some(LabelName::parse("Gold").unwrap()),
                ..LabelUpdate::default()
            },
            Millis(4),
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.colour.as_str()),
        ("Gold", "#d97706"),
        "only what the update names changes"
    );
    assert!(matches!(
        store
            .labels
            .update(
                refund.id,
                &LabelUpdate {
                    name: Some(LabelName::parse("GOLD").unwrap()),
                    ..LabelUpdate::default()
                },
                Millis(5),
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .labels
            .update(999, &LabelUpdate::default(), Millis(5))
            .await,
        Err(StoreError::NotFound(_))
    ));
    store.labels.delete(refund.id, Millis(6)).await.unwrap();
    assert!(matches!(
        store.labels.delete(refund.id, Millis(7)).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.labels.list().await.unwrap().len(), 1);
    let changed = events(&store, before)
        .await
        .into_iter()
        .filter(|e| matches!(e, DomainEvent::LabelCatalogueChanged { .. }))
        .count();
    assert_eq!(changed, 4, "two created, one renamed, one deleted");
}

async fn a_deleted_label_comes_off_its_conversations(engine: Engine) {
    let (store, id) = with_conversation(engine, "15551101").await;
    let vip = add_label(&store, "VIP", "#d97706").await;
    let tagged = ConversationChange {
        labels: Some(vec![vip.id]),
        ..Default::default()
    };
    let changed = store
        .conversations
        .change(id, tagged, None, Millis(2))
        .await
        .unwrap();
    assert_eq!(changed.labels, ["VIP"]);
    store.labels.delete(vip.id, Millis(3)).await.unwrap();
    let after = store.conversations.get(id).await.unwrap().unwrap();
    assert!(after.labels.is_empty());
}
