//! Canned replies: the team's and each member's own, shortcuts unique within each.

use super::add_user;
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::Role;
use parley_server::domain::Millis;
use parley_server::store::{CannedReplyUpdate, NewCannedReply, StoreError, UploadedMedia};

on_both_engines!(
    members_see_the_teams_replies_and_their_own,
    replies_change_and_carry_a_file,
);

fn reply(owner: Option<parley_app::model::UserId>, shortcut: &str) -> NewCannedReply {
    NewCannedReply {
        owner,
        shortcut: shortcut.into(),
        title: format!("About {shortcut}"),
        body: format!("Hi {{{{contact.name}}}}, about {shortcut}"),
        attachment_media_id: None,
    }
}

async fn members_see_the_teams_replies_and_their_own(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let shared = store
        .canned_replies
        .create(&reply(None, "refund"), Millis(1))
        .await
        .unwrap();
    store
        .canned_replies
        .create(&reply(Some(ana), "hours"), Millis(2))
        .await
        .unwrap();
    // Ben may use the same shortcut for his own; the team's is taken.
    store
        .canned_replies
        .create(&reply(Some(ben), "hours"), Millis(3))
        .await
        .unwrap();
    assert!(matches!(
        store
            .canned_replies
            .create(&reply(None, "refund"), Millis(4))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .canned_replies
            .create(&reply(Some(ana), "hours"), Millis(4))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let anas = store.canned_replies.visible_to(ana).await.unwrap();
    let seen: Vec<(&str, bool)> = anas
        .iter()
        .map(|r| (r.shortcut.as_str(), r.owner.is_none()))
        .collect();
    assert_eq!(seen, [("hours", false), ("refund", true)]);
    assert!(anas.iter().all(|r| r.owner.is_none_or(|o| o == ana)));
    assert_eq!(
        store.canned_replies.get(shared.id).await.unwrap(),
        Some(shared.clone())
    );
    store.canned_replies.delete(shared.id).await.unwrap();
    assert!(matches!(
        store.canned_replies.delete(shared.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.canned_replies.visible_to(ana).await.unwrap().len(), 1);
}

async fn replies_change_and_carry_a_file(engine: Engine) {
    let store = fresh_store(engine).await;
    let upload = UploadedMedia {
        media_id: "771001".into(),
        mime_type: "application/pdf".into(),
        size_bytes: 2_048,
        filename: Some("prices.pdf".into()),
        phone_number_id: crate::wa::NUMBER_A.into(),
    };
    store
        .numbers
        .register(
            &parley_server::store::BusinessNumber {
                phone_number_id: crate::wa::NUMBER_A.into(),
                waba_id: None,
                display_phone_number: None,
                verified_name: None,
                messaging_limit_tier: None,
            },
            Millis(0),
        )
        .await
        .unwrap();
    store
        .media
        .record_upload(&upload, "abc123", "/data/uploads/abc123", Millis(1))
        .await
        .unwrap();
    let created = store
        .canned_replies
        .create(
            &NewCannedReply {
                attachment_media_id: Some("771001".into()),
                ..reply(None, "prices")
            },
            Millis(2),
        )
        .await
        .unwrap();
    let file = created.attachment.clone().expect("the file");
    assert_eq!(
        (
            file.filename.as_deref(),
            file.mime_type.as_str(),
            file.size_bytes
        ),
        (Some("prices.pdf"), "application/pdf", 2_048)
    );
    let changed = store
        .canned_replies
        .update(
            created.id,
            &CannedReplyUpdate {
                title: Some("Our prices".into()),
                attachment_media_id: Some(None),
                ..CannedReplyUpdate::default()
            },
            Millis(3),
        )
        .await
        .unwrap();
    assert_eq!(changed.title, "Our prices");
    assert_eq!(changed.body, created.body, "untouched");
    assert_eq!(changed.attachment, None, "removed");
    assert_eq!(changed.updated_at, Millis(3));
    let source = store
        .media
        .upload_file("771001")
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(
        (source.sha256.as_str(), source.path.as_str()),
        ("abc123", "/data/uploads/abc123")
    );
    assert!(matches!(
        store
            .canned_replies
            .update(999, &CannedReplyUpdate::default(), Millis(4))
            .await,
        Err(StoreError::NotFound(_))
    ));
}
