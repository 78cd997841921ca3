//! The store contract: every operation, against SQLite and PostgreSQL alike.

use crate::on_both_engines;
use crate::support::{Engine, fresh_database, fresh_store};
use crate::wa;
use parley_app::model::{DisplayName, Email, MessageStatus, Role, UserId};
use parley_server::store::{
    self, AttemptLimit, Millis, NewApiToken, NewOutbound, NewUser, ParsedWebhook, Reservation,
    SharedStore, StoreError, ThrottleRecord,
};
use parley_server::whatsapp::webhook::Notification;

on_both_engines!(
    ping_and_idempotent_migrations,
    users_round_trip,
    duplicate_email_is_a_conflict,
    users_are_listed_by_name,
    disabling_a_user,
    api_tokens_resolve_to_active_users,
    api_tokens_expire_and_are_revoked_one_by_one,
    sign_in_attempts_are_reserved_and_refunded,
    concurrent_attempts_never_exceed_the_limit,
    a_status_racing_its_send_record_is_applied,
    many_messages_read_at_once_keep_their_own_reactions,
    a_store_on_its_own_connections_shares_the_database,
);

fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse(name).unwrap(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

async fn ping_and_idempotent_migrations(engine: Engine) {
    let url = fresh_database(engine).await;
    let store = store::connect(&url).await.unwrap();
    store.ping().await.unwrap();
    store.migrate().await.expect("migrating twice is harmless");
    let again = store::connect(&url)
        .await
        .expect("reconnecting runs migrations again");
    again.ping().await.unwrap();
}

async fn users_round_trip(engine: Engine) {
    let store = fresh_store(engine).await;
    let created = store
        .create_user(new_user("ana@example.com", "Ana", Role::Admin))
        .await
        .unwrap();
    assert_eq!(created.email.as_str(), "ana@example.com");
    assert_eq!(created.role, Role::Admin);
    assert!(!created.disabled);
    assert!(created.created_at.0 > 1_700_000_000_000);

    let by_id = store.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(by_id, created);
    let credentials = store
        .credentials_by_email(&created.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.user, created);
    assert!(credentials.password_hash.starts_with("$argon2id$"));

    assert!(store.user_by_id(UserId(9999)).await.unwrap().is_none());
    assert!(
        store
            .credentials_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn duplicate_email_is_a_conflict(engine: Engine) {
    let store = fresh_store(engine).await;
    store
        .create_user(new_user("ana@example.com", "Ana", Role::Agent))
        .await
        .unwrap();
    let again = store
        .create_user(new_user("ANA@example.com", "Ana Again", Role::Agent))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

async fn users_are_listed_by_name(engine: Engine) {
    let store = fresh_store(engine).await;
    for (email, name) in [("c@x.io", "carla"), ("a@x.io", "Álvaro"), ("b@x.io", "Bea")] {
        store
            .create_user(new_user(email, name, Role::Agent))
            .await
            .unwrap();
    }
    let names: Vec<String> = store
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
        .create_user(new_user("ana@example.com", "Ana", Role::Agent))
        .await
        .unwrap();
    let disabled = store.set_user_disabled(&user.email, true).await.unwrap();
    assert!(disabled.disabled);
    assert!(store.user_by_id(user.id).await.unwrap().unwrap().disabled);
    let enabled = store.set_user_disabled(&user.email, false).await.unwrap();
    assert!(!enabled.disabled);
    let missing = store
        .set_user_disabled(&Email::parse("nobody@example.com").unwrap(), true)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

fn token(user: UserId, digest: &str, expires_at: Option<Millis>) -> NewApiToken {
    NewApiToken {
        user,
        digest: digest.into(),
        name: format!("token {digest}"),
        expires_at,
    }
}

async fn api_tokens_resolve_to_active_users(engine: Engine) {
    let store = fresh_store(engine).await;
    let user = store
        .create_user(new_user("ana@example.com", "Ana", Role::Agent))
        .await
        .unwrap();
    let now = Millis::now();
    let created = store
        .create_api_token(&token(user.id, "digest-1", None), now)
        .await
        .unwrap();
    assert_eq!(created.name, "token digest-1");
    let owner = store
        .user_by_api_token("digest-1", now)
        .await
        .unwrap()
        .expect("the token works");
    assert_eq!((owner.user.id, owner.token_id), (user.id, created.id));
    assert!(
        store
            .user_by_api_token("digest-2", now)
            .await
            .unwrap()
            .is_none()
    );
    let duplicate = store
        .create_api_token(&token(user.id, "digest-1", None), now)
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );

    store.set_user_disabled(&user.email, true).await.unwrap();
    assert!(
        store
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
        .create_user(new_user("ana@example.com", "Ana", Role::Agent))
        .await
        .unwrap();
    let bo = store
        .create_user(new_user("bo@example.com", "Bo", Role::Agent))
        .await
        .unwrap();
    let now = Millis(1_000_000);
    let expiring = store
        .create_api_token(&token(ana.id, "expiring", Some(Millis(2_000_000))), now)
        .await
        .unwrap();
    let kept = store
        .create_api_token(&token(ana.id, "kept", None), now)
        .await
        .unwrap();
    assert_eq!(expiring.expires_at, Some(Millis(2_000_000)));
    let works = |digest: &'static str, at: Millis| {
        let store = store.clone();
        async move { store.user_by_api_token(digest, at).await.unwrap().is_some() }
    };
    assert!(works("expiring", Millis(1_999_999)).await);
    assert!(!works("expiring", Millis(2_000_000)).await, "expired");

    let listed = store.api_tokens_of(ana.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![kept.id, expiring.id],
        "newest first"
    );
    assert!(store.api_tokens_of(bo.id).await.unwrap().is_empty());

    // Another member cannot revoke Ana's token.
    let foreign = store.revoke_api_token(bo.id, kept.id, now).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound(_))),
        "{foreign:?}"
    );
    assert!(works("kept", now).await);

    let latest = store.latest_live_event_id().await.unwrap();
    let revoked = store
        .revoke_api_token(ana.id, kept.id, Millis(1_500_000))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(Millis(1_500_000)));
    assert!(!works("kept", Millis(1_500_000)).await, "revoked at once");
    // Open streams of Ana's, on every node, learn it from the event log.
    let events = store.live_events_after(latest, 10).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == store::CREDENTIALS_CHANGED
            && e.payload.as_deref() == Some(&format!("{{\"user_id\":{}}}", ana.id.0)[..])),
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
    assert!(store.throttle_record(key).await.unwrap().is_none());
    let reserve = |at: i64| {
        let (store, limit) = (store.clone(), limit.clone());
        async move {
            store
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
    store.refund_attempt(key, &limit).await.unwrap();
    store.refund_attempt(key, &limit).await.unwrap();
    assert_eq!(
        store.throttle_record(key).await.unwrap(),
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
    store.clear_throttle_record(key).await.unwrap();
    assert!(store.throttle_record(key).await.unwrap().is_none());
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
            tokio::spawn(async move { store.reserve_attempt("address:x", &limit, now).await })
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

/// Meta can report a send's status before Parley has committed the wamid it answered with
/// (accepted sends are recorded in groups). Whichever of the two transactions commits first,
/// the status must end up on the message.
async fn a_status_racing_its_send_record_is_applied(engine: Engine) {
    let store = fresh_store(engine).await;
    let author = store
        .create_user(new_user("ana@example.com", "Ana", Role::Agent))
        .await
        .unwrap()
        .id;
    let customer = "15550009";
    let inbound = wa::inbound_text(
        wa::NUMBER_A,
        customer,
        "Customer",
        "wamid.race.in",
        wa::now_secs(),
        "hi",
    );
    apply(&store, 1, &inbound).await;
    let conversation_id = store.live_events_after(0, 10).await.unwrap()[0]
        .conversation_id
        .expect("a conversation");
    for round in 0..200 {
        let outbound = NewOutbound {
            conversation_id,
            author,
            kind: "text".into(),
            text: Some(format!("reply {round}")),
            phone_number_id: wa::NUMBER_A.into(),
            recipient: customer.into(),
            request: serde_json::json!({ "to": customer, "type": "text", "text": { "body": "reply" } }),
            media: None,
            reply_to_wamid: None,
            reacts_to: None,
            template_id: None,
        };
        let message_id = store
            .enqueue_outbound(&outbound, Millis::now())
            .await
            .unwrap();
        let wamid = format!("wamid.race.{round}");
        let delivered = wa::statuses(
            wa::NUMBER_A,
            vec![wa::status(&wamid, "delivered", wa::now_secs(), customer)],
        );
        let accepted = [(message_id, wamid)];
        let (recorded, ()) = tokio::join!(
            store.outbox_accepted(&accepted, Millis::now()),
            apply(&store, 100 + round, &delivered),
        );
        recorded.unwrap();
        let message = store.message(message_id).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Delivered, "round {round}");
    }
}

async fn many_messages_read_at_once_keep_their_own_reactions(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    let inbound = [
        ("15550011", "wamid.many.a1"),
        ("15550011", "wamid.many.a2"),
        ("15550012", "wamid.many.b1"),
    ];
    for (n, (customer, wamid)) in inbound.iter().enumerate() {
        let text = wa::inbound_text(wa::NUMBER_A, customer, "Customer", wamid, now, "hello");
        apply(&store, n as i64 + 1, &text).await;
    }
    let reaction = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15550011"), None, "Customer")],
        vec![
            serde_json::json!({ "from": "15550011", "id": "wamid.many.r", "timestamp": now.to_string(),
            "type": "reaction", "reaction": { "message_id": "wamid.many.a1", "emoji": "👍" } }),
        ],
        vec![],
    )]);
    apply(&store, 10, &reaction).await;
    let created: Vec<_> = store
        .live_events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == "message.created")
        .collect();
    let mut message_ids: Vec<i64> = created.iter().filter_map(|e| e.message_id).collect();
    let mut conversation_ids: Vec<i64> = created.iter().filter_map(|e| e.conversation_id).collect();
    assert_eq!(message_ids.len(), 3);
    conversation_ids.dedup();
    assert_eq!(
        conversation_ids.len(),
        2,
        "two customers, two conversations"
    );

    message_ids.push(999_999); // gone: skipped
    let messages = store.messages_by_id(&message_ids).await.unwrap();
    assert_eq!(messages.len(), 3);
    for message in &messages {
        let emojis: Vec<&str> = message.reactions.iter().map(|r| r.emoji.as_str()).collect();
        let expected: &[&str] = if message.wamid.as_deref() == Some("wamid.many.a1") {
            &["👍"]
        } else {
            &[]
        };
        assert_eq!(emojis, expected, "{:?}", message.wamid);
    }
    conversation_ids.push(999_999);
    let conversations = store.conversations_by_id(&conversation_ids).await.unwrap();
    assert_eq!(conversations.len(), 2);
    assert!(store.messages_by_id(&[]).await.unwrap().is_empty());
}

async fn a_store_on_its_own_connections_shares_the_database(engine: Engine) {
    let store = fresh_store(engine).await;
    let own = store.with_own_connections(2);
    let ana = store
        .create_user(new_user("ana@example.com", "Ana", Role::Admin))
        .await
        .unwrap();
    assert_eq!(own.user_by_id(ana.id).await.unwrap(), Some(ana));
    let bo = own
        .create_user(new_user("bo@example.com", "Bo", Role::Agent))
        .await
        .unwrap();
    assert_eq!(store.user_by_id(bo.id).await.unwrap(), Some(bo));
    let (a, b) = tokio::join!(store.list_users(), own.list_users());
    assert_eq!(a.unwrap().len(), 2);
    assert_eq!(b.unwrap().len(), 2);
}

async fn apply(store: &SharedStore, id: i64, payload: &serde_json::Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let notification = Notification::parse(&body).unwrap();
    let event = ParsedWebhook::new(id, &body, Some(notification));
    let failures = store.apply_webhooks(&[event], Millis::now()).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
}
