//! Media files: downloads of customers' media, and members' uploads.

use super::apply;
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_server::domain::events::MessageChange;
use parley_server::domain::message::MediaState;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::UploadedMedia;

on_both_engines!(
    customer_media_is_downloaded_or_given_up,
    uploads_are_recorded_and_reused,
);

fn image(wamid: &str, media_id: &str) -> serde_json::Value {
    wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15550601"), None, "C")],
        vec![
            serde_json::json!({ "from": "15550601", "id": wamid, "timestamp": wa::now_secs().to_string(),
            "type": "image", "image": { "id": media_id, "mime_type": "image/jpeg", "sha256": "abc" } }),
        ],
        vec![],
    )])
}

async fn customer_media_is_downloaded_or_given_up(engine: Engine) {
    let store = fresh_store(engine).await;
    apply(&store, 1, &image("wamid.img.1", "555001")).await;
    apply(&store, 2, &image("wamid.img.2", "555002")).await;
    let now = Millis::now();
    let due = store.media.due(now, 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|j| j.media_id.as_str()).collect();
    assert_eq!(ids, ["555001", "555002"]);
    assert_eq!(due[0].sha256.as_deref(), Some("abc"));
    assert_eq!(store.media.stored_bytes().await.unwrap(), 0);
    let before = store.events.latest_id().await.unwrap();
    store
        .media
        .stored("555001", "/data/media/555001", 1_234, "image/jpeg", now)
        .await
        .unwrap();
    // A retry is due later; giving up is final.
    store
        .media
        .failed(
            "555002",
            "Meta error 404",
            Some(now.plus(std::time::Duration::from_secs(60))),
            now,
        )
        .await
        .unwrap();
    assert!(store.media.due(now, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .media
            .due(now.plus(std::time::Duration::from_secs(60)), 10)
            .await
            .unwrap()[0]
            .attempts,
        1
    );
    store
        .media
        .failed("555002", "the quota is full", None, now)
        .await
        .unwrap();
    assert!(
        store
            .media
            .due(now.plus(std::time::Duration::from_secs(3600)), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let file = store.media.file("555001").await.unwrap().unwrap();
    assert_eq!(
        (file.path.as_str(), file.size_bytes),
        ("/data/media/555001", 1_234)
    );
    assert!(store.media.file("555002").await.unwrap().is_none());
    assert_eq!(store.media.stored_bytes().await.unwrap(), 1_234);
    let changes: Vec<MessageChange> = store
        .events
        .after(before, 10)
        .await
        .unwrap()
        .events
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::MessageChanged { change, .. } => Some(change),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [MessageChange::MediaStored, MessageChange::MediaFailed],
        "a retry is no news"
    );
    let conversation = super::conversation_with(&store, "15550601").await;
    let page = store.messages.page(conversation, None, 10).await.unwrap();
    let states: Vec<MediaState> = page
        .messages
        .iter()
        .map(|m| m.media.clone().unwrap().state)
        .collect();
    assert_eq!(
        states,
        [
            MediaState::Stored { size_bytes: 1_234 },
            MediaState::Failed {
                reason: "the quota is full".into()
            }
        ]
    );
}

async fn uploads_are_recorded_and_reused(engine: Engine) {
    let store = fresh_store(engine).await;
    let upload = UploadedMedia {
        media_id: "777001".into(),
        mime_type: "image/png".into(),
        size_bytes: 42,
        filename: Some("a.png".into()),
        phone_number_id: wa::NUMBER_A.into(),
    };
    store
        .media
        .record_upload(&upload, "digest", "/data/uploads/digest", Millis(10_000))
        .await
        .unwrap();
    assert_eq!(
        store.media.uploaded("777001").await.unwrap(),
        Some(upload.clone())
    );
    assert!(store.media.uploaded("nothing").await.unwrap().is_none());
    let reuse = |number: &'static str, since: i64| {
        let store = store.clone();
        async move {
            store
                .media
                .reusable_upload("digest", number, Millis(since))
                .await
                .unwrap()
        }
    };
    assert_eq!(reuse(wa::NUMBER_A, 9_000).await, Some(upload));
    assert!(
        reuse(wa::NUMBER_B, 9_000).await.is_none(),
        "media ids belong to one number"
    );
    assert!(
        reuse(wa::NUMBER_A, 11_000).await.is_none(),
        "too old to reuse"
    );
    assert_eq!(store.media.stored_bytes().await.unwrap(), 42);
    assert_eq!(
        store
            .media
            .file("777001")
            .await
            .unwrap()
            .unwrap()
            .size_bytes,
        42
    );
}
