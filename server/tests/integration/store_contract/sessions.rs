//! Sign-in session records: created, saved, loaded, deleted, and swept once expired.

use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

on_both_engines!(
    sessions_are_kept_until_deleted,
    expired_sessions_are_swept_and_live_ones_kept,
);

fn record(expires_in: Duration) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([("user_id".to_owned(), serde_json::json!(7))]),
        expiry_date: OffsetDateTime::now_utc() + expires_in,
    }
}

async fn sessions_are_kept_until_deleted(engine: Engine) {
    let store = fresh_store(engine).await;
    let sessions = &store.sessions;
    let mut created = record(Duration::hours(1));
    sessions.create(&mut created).await.unwrap();
    let loaded = sessions.load(&created.id).await.unwrap().expect("created");
    assert_eq!(loaded.data["user_id"], 7);

    created
        .data
        .insert("seen_at".into(), serde_json::json!(1_000));
    sessions.save(&created).await.unwrap();
    let saved = sessions.load(&created.id).await.unwrap().expect("saved");
    assert_eq!(saved.data["seen_at"], 1_000);

    sessions.delete(&created.id).await.unwrap();
    assert!(sessions.load(&created.id).await.unwrap().is_none());
    assert!(
        sessions.load(&Id::default()).await.unwrap().is_none(),
        "unknown id"
    );
}

async fn expired_sessions_are_swept_and_live_ones_kept(engine: Engine) {
    let store = fresh_store(engine).await;
    let sessions = &store.sessions;
    let mut expired = record(Duration::seconds(-1));
    let mut live = record(Duration::hours(1));
    sessions.create(&mut expired).await.unwrap();
    sessions.create(&mut live).await.unwrap();
    assert!(
        sessions.load(&expired.id).await.unwrap().is_none(),
        "an expired session is never loaded"
    );
    sessions.delete_expired().await.unwrap();
    assert!(sessions.load(&live.id).await.unwrap().is_some());
}
