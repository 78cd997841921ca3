//! The team: members, API tokens, sign-in throttling.

use super::new_user;
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::{Email, Role, UserId};
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{AttemptLimit, NewApiToken, Reservation, StoreError, ThrottleRecord};

on_both_engines!(
    users_round_trip,
    duplicate_email_is_a_conflict,
    users_are_listed_by_name,
    disabling_a_user,
    api_tokens_resolve_to_active_users,
    api_tokens_expire_and_are_revoked_one_by_one,
    credentials_changing_is_an_event,
    sign_in_attempts_are_reserved_and_refunded,
    concurrent_attempts_never_exceed_the_limit,
);

fn token(user: UserId, digest: &str, expires_at: Option<Millis>) -> NewApiToken {
    NewApiToken {
        user,
        digest: digest.into(),
        name: format!("token {digest}"),
        expires_at,
    }
}

async fn users_round_trip(engine: Engine) {
    let store = fresh_store(engine).await;
    let created = store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Admin),
            Millis::now(),
        )
        .await
        .unwrap();
    assert_eq!(created.email.as_str(), "ana@example.com");
    assert_eq!(created.role, Role::Admin);
    assert!(!created.disabled);
    assert!(created.created_at.0 > 1_700_000_000_000);

    let by_id = store.team.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(by_id, created);
    let credentials = store
        .team
        .credentials_by_email(&created.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.user, created);
    assert!(credentials.password_hash.unwrap().starts_with("$argon2id$"));

    assert!(store.team.user_by_id(UserId(9999)).await.unwrap().is_none());
    assert!(
        store
            .team
            .credentials_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn duplicate_email_is_a_conflict(engine: Engine) {
    let store = fresh_store(engine).await;
    store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Agent),
            Millis::now(),
        )
        .await
        .unwrap();
    let again = store
        .team
        .create_user(
            new_user("ANA@example.com", "Ana Again", Role::Agent),
            Millis::now(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

async fn users_are_listed_by_name(engine: Engine) {
    let store = fresh_store(engine).await;
    for (email, name) in [("c@x.io", "carla"), ("a@x.io", "Álvaro"), ("b@x.io", "Bea")] {
        store
            .team
            .create_user(new_user(email, name, Role::Agent), Millis::now())
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .team
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], "Bea", "case-insensitive order: {names:?}");
    assert_eq!(names[1], "carla");
}

async fn disabling_a_user(engine: Engine) {
    let store = fresh_store(engine).await;
    let user = store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Agent),
            Millis::now(),
        )
        .await
        .unwrap();
    let disabled = store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            Millis::now(),
        )
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(
        store
            .team
            .user_by_id(user.id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    let enabled = store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(false),
                ..Default::default()
            },
            Millis::now(),
        )
        .await
        .unwrap();
    assert!(!enabled.disabled);
    let missing = store
        .team
        .update_user(
            UserId(9999),
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            Millis::now(),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn api_tokens_resolve_to_active_users(engine: Engine) {
    let store = fresh_store(engine).await;
    let user = store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Agent),
            Millis::now(),
        )
        .await
        .unwrap();
    let now = Millis::now();
    let created = store
        .team
        .create_api_token(&token(user.id, "digest-1", None), now)
        .await
        .unwrap();
    assert_eq!(created.name, "token digest-1");
    let owner = store
        .team
        .user_by_api_token("digest-1", now)
        .await
        .unwrap()
        .expect("the token works");
    assert_eq!((owner.user.id, owner.token_id), (user.id, created.id));
    assert!(
        store
            .team
            .user_by_api_token("digest-2", now)
            .await
            .unwrap()
            .is_none()
    );
    let duplicate = store
        .team
        .create_api_token(&token(user.id, "digest-1", None), now)
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );

    store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            Millis::now(),
        )
        .await
        .unwrap();
    assert!(
        store
            .team
            .user_by_api_token("digest-1", now)
            .await
            .unwrap()
            .is_none(),
        "a disabled member's token stops working"
    );
}

async fn api_tokens_expire_and_are_revoked_one_by_one(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Agent),
            Millis::now(),
        )
        .await
        .unwrap();
    let bo = store
        .team
        .create_user(new_user("bo@example.com", "Bo", Role::Agent), Millis::now())
        .await
        .unwrap();
    let now = Millis(1_000_000);
    let expiring = store
        .team
        .create_api_token(&token(ana.id, "expiring", Some(Millis(2_000_000))), now)
        .await
        .unwrap();
    let kept = store
        .team
        .create_api_token(&token(ana.id, "kept", None), now)
        .await
        .unwrap();
    assert_eq!(expiring.expires_at, Some(Millis(2_000_000)));
    let works = |digest: &'static str, at: Millis| {
        let store = store.clone();
        async move {
            store
                .team
                .user_by_api_token(digest, at)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(works("expiring", Millis(1_999_999)).await);
    assert!(!works("expiring", Millis(2_000_000)).await, "expired");

    let listed = store.team.api_tokens_of(ana.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![kept.id, expiring.id],
        "newest first"
    );
    assert!(store.team.api_tokens_of(bo.id).await.unwrap().is_empty());

    // Another member cannot revoke Ana's token.
    let foreign = store.team.revoke_api_token(bo.id, kept.id, now).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound(_))),
        "{foreign:?}"
    );
    assert!(works("kept", now).await);

    let latest = store.events.latest_id().await.unwrap();
    let revoked = store
        .team
        .revoke_api_token(ana.id, kept.id, Millis(1_500_000))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(Millis(1_500_000)));
    assert!(!works("kept", Millis(1_500_000)).await, "revoked at once");
    // Open streams of Ana's, on every node, learn it from the event log.
    let events = store.events.after(latest, 10).await.unwrap().events;
    assert!(
        events
            .iter()
            .any(|e| e.event == DomainEvent::CredentialsChanged { user_id: ana.id }),
        "{events:?}"
    );
}

async fn sign_in_attempts_are_reserved_and_refunded(engine: Engine) {
    let store = fresh_store(engine).await;
    let limit = AttemptLimit {
        window_ms: 60_000,
        max_attempts: 3,
        blocks_ms: vec![10_000, 20_000],
    };
    let key = "account:a@x.io";
    assert!(store.team.throttle_record(key).await.unwrap().is_none());
    let reserve = |at: i64| {
        let (store, limit) = (store.clone(), limit.clone());
        async move {
            store
                .team
                .reserve_attempt(key, &limit, Millis(at))
                .await
                .unwrap()
        }
    };
    let counted = |failures: u32, until: Option<i64>| {
        Reservation::Counted(ThrottleRecord {
            failures,
            window_started_at: Millis(1_000),
            blocked_until: until.map(Millis),
        })
    };
    assert_eq!(reserve(1_000).await, counted(1, None));
    assert_eq!(reserve(1_100).await, counted(2, None));
    // The third reaches the limit: counted, and blocks the ones after it.
    assert_eq!(reserve(1_200).await, counted(3, Some(11_200)));
    assert_eq!(
        reserve(1_300).await,
        Reservation::Blocked {
            until: Millis(11_200)
        }
    );
    // After the block, one more attempt: counted, and the block doubles.
    assert_eq!(reserve(11_300).await, counted(4, Some(31_300)));
    // Taking an attempt back under the limit unblocks.
    store.team.refund_attempt(key, &limit).await.unwrap();
    store.team.refund_attempt(key, &limit).await.unwrap();
    assert_eq!(
        store.team.throttle_record(key).await.unwrap(),
        Some(ThrottleRecord {
            failures: 2,
            window_started_at: Millis(1_000),
            blocked_until: None
        })
    );
    // A new window starts the count again.
    assert_eq!(
        reserve(70_000).await,
        Reservation::Counted(ThrottleRecord {
            failures: 1,
            window_started_at: Millis(70_000),
            blocked_until: None
        })
    );
    store.team.clear_throttle_record(key).await.unwrap();
    assert!(store.team.throttle_record(key).await.unwrap().is_none());
}

async fn concurrent_attempts_never_exceed_the_limit(engine: Engine) {
    let store = fresh_store(engine).await;
    let limit = AttemptLimit {
        window_ms: 60_000,
        max_attempts: 5,
        blocks_ms: vec![60_000],
    };
    let now = Millis::now();
    let attempts: Vec<_> = (0..30)
        .map(|_| {
            let (store, limit) = (store.clone(), limit.clone());
            tokio::spawn(async move { store.team.reserve_attempt("address:x", &limit, now).await })
        })
        .collect();
    let mut counted = 0;
    for attempt in attempts {
        if let Reservation::Counted(_) = attempt.await.unwrap().unwrap() {
            counted += 1;
        }
    }
    assert_eq!(counted, 5);
}

async fn credentials_changing_is_an_event(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = store
        .team
        .create_user(
            new_user("ana@example.com", "Ana", Role::Agent),
            Millis::now(),
        )
        .await
        .unwrap();
    let latest = store.events.latest_id().await.unwrap();
    store
        .team
        .credentials_changed(ana.id, Millis(5_000))
        .await
        .unwrap();
    store
        .team
        .update_user(
            ana.id,
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            Millis(6_000),
        )
        .await
        .unwrap();
    let events = store.events.after(latest, 10).await.unwrap().events;
    let changed: Vec<_> = events.iter().map(|e| (e.event.clone(), e.at)).collect();
    let expected = DomainEvent::CredentialsChanged { user_id: ana.id };
    assert_eq!(
        changed,
        vec![(expected.clone(), Millis(5_000)), (expected, Millis(6_000))]
    );
}
