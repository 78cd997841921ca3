//! Templates and their timelines.

use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::templates::TemplateStatus;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::TemplateRecord;

on_both_engines!(templates_sync_submit_and_delete_with_their_story);

fn record(id: &str, name: &str, status: TemplateStatus) -> TemplateRecord {
    TemplateRecord {
        id: id.into(),
        waba_id: "900".into(),
        name: name.into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        status,
        quality: None,
        rejected_reason: None,
        components: serde_json::json!([{"type": "BODY", "text": "Hi {{1}}"}]),
    }
}

async fn templates_sync_submit_and_delete_with_their_story(engine: Engine) {
    let store = fresh_store(engine).await;
    let approved = record("11", "order_update", TemplateStatus::Approved);
    let pending = record("12", "welcome", TemplateStatus::Pending);
    let synced = store
        .templates
        .sync("900", &[approved.clone(), pending.clone()], Millis(1_000))
        .await
        .unwrap();
    assert_eq!(synced, 2);
    assert_eq!(
        store
            .templates
            .sync("900", &[approved.clone(), pending.clone()], Millis(2_000))
            .await
            .unwrap(),
        0,
        "nothing changed"
    );
    let names: Vec<String> = store
        .templates
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.record.name)
        .collect();
    assert_eq!(names, ["order_update", "welcome"]);
    // A status change, then the template gone from Meta's list: both join the timeline.
    let paused = TemplateRecord {
        status: TemplateStatus::Paused,
        quality: Some("RED".into()),
        ..approved.clone()
    };
    store
        .templates
        .sync("900", &[paused.clone(), pending.clone()], Millis(3_000))
        .await
        .unwrap();
    store
        .templates
        .sync("900", &[paused], Millis(4_000))
        .await
        .unwrap();
    let (welcome, timeline) = store.templates.get("12").await.unwrap().unwrap();
    assert_eq!(welcome.record.status, TemplateStatus::Deleted);
    let story: Vec<(&str, &str, Millis)> = timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.value.as_str(), e.occurred_at))
        .collect();
    assert_eq!(
        story,
        [
            ("status", "PENDING", Millis(1_000)),
            ("deleted", "DELETED", Millis(4_000))
        ]
    );
    let (order, timeline) = store.templates.get("11").await.unwrap().unwrap();
    assert_eq!(
        (order.record.status, order.record.quality.as_deref()),
        (TemplateStatus::Paused, Some("RED"))
    );
    assert_eq!(timeline.len(), 3, "approved, paused, quality red");
    assert!(store.templates.get("nothing").await.unwrap().is_none());
    // Submitted by Parley, deleted by Parley.
    let submitted = record("13", "new_one", TemplateStatus::Pending);
    store
        .templates
        .record_submitted(&submitted, Millis(5_000))
        .await
        .unwrap();
    store
        .templates
        .record_deleted("13", Millis(6_000))
        .await
        .unwrap();
    let (_, timeline) = store.templates.get("13").await.unwrap().unwrap();
    let sources: Vec<(&str, &str)> = timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.source.as_str()))
        .collect();
    assert_eq!(
        sources,
        [
            ("submitted", "parley"),
            ("status", "parley"),
            ("deleted", "parley")
        ]
    );
    // By name: on a WABA or any; an approved one first.
    assert_eq!(
        store
            .templates
            .by_name(Some("900"), "order_update", "en_US")
            .await
            .unwrap()
            .unwrap()
            .record
            .id,
        "11"
    );
    assert!(
        store
            .templates
            .by_name(Some("901"), "order_update", "en_US")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .templates
            .by_name(None, "order_update", "pt_BR")
            .await
            .unwrap()
            .is_none()
    );
    // Troubled: sent recently and now paused (sending marks a template as used).
    assert!(
        store
            .templates
            .troubled(Millis(0))
            .await
            .unwrap()
            .is_empty(),
        "never sent"
    );
    let conversation = super::conversation_of(&store, 1, "15550701").await;
    let author = super::add_user(&store, "ana@example.com", parley_app::model::Role::Agent).await;
    let mut send = super::outbound(conversation, author, "15550701", "Your order");
    send.template_id = Some("11".into());
    store.outbox.enqueue(&send, Millis(7_000)).await.unwrap();
    let troubled = store.templates.troubled(Millis(6_000)).await.unwrap();
    assert_eq!(troubled.len(), 1);
    assert_eq!(troubled[0].last_sent_at, Some(Millis(7_000)));
    assert!(
        store
            .templates
            .troubled(Millis(8_000))
            .await
            .unwrap()
            .is_empty(),
        "not sent since"
    );
    let events = store.events.after(0, 100).await.unwrap().events;
    assert!(events.iter().any(|e| e.event
        == DomainEvent::TemplateStatusChanged {
            template_id: "11".into()
        }));
}
