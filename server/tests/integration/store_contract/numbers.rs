//! Business numbers.

use super::{add_user, apply, events, outbound, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::{Role, UnixTime};
use parley_app::numbers::ChangeSource;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{BusinessNumber, NumberHealth};
use serde_json::json;

on_both_engines!(
    numbers_are_registered_and_keep_what_is_known,
    a_refresh_records_what_changed_and_webhooks_move_health_on,
    webhook_traffic_tells_sends_made_since_the_last_webhook,
);

async fn numbers_are_registered_and_keep_what_is_known(engine: Engine) {
    let store = fresh_store(engine).await;
    assert!(store.numbers.list().await.unwrap().is_empty());
    let full = BusinessNumber {
        phone_number_id: "1100000000002".into(),
        waba_id: Some("900".into()),
        display_phone_number: Some("+1 555".into()),
        verified_name: Some("Shop".into()),
        messaging_limit_tier: Some("TIER_1K".into()),
    };
    store.numbers.register(&full, Millis(1)).await.unwrap();
    // A webhook knows less about the number: what is known stays.
    let partial = BusinessNumber {
        phone_number_id: "1100000000002".into(),
        waba_id: None,
        display_phone_number: None,
        verified_name: None,
        messaging_limit_tier: None,
    };
    store.numbers.register(&partial, Millis(2)).await.unwrap();
    let other = BusinessNumber {
        phone_number_id: "1100000000001".into(),
        ..partial
    };
    store.numbers.register(&other, Millis(3)).await.unwrap();
    let numbers = store.numbers.list().await.unwrap();
    assert_eq!(numbers, vec![other, full], "by id");
}

fn health(quality: &str, status: &str) -> NumberHealth {
    NumberHealth {
        phone_number_id: "1100000000001".into(),
        display_phone_number: Some("+1 555-010-0100".into()),
        verified_name: Some("Shop".into()),
        name_status: Some("APPROVED".into()),
        quality_rating: Some(quality.into()),
        messaging_limit_tier: Some("TIER_1K".into()),
        throughput_level: Some("STANDARD".into()),
        code_verification_status: Some("VERIFIED".into()),
        platform_type: Some("CLOUD_API".into()),
        status: Some(status.into()),
    }
}

fn account_change(field: &str, value: serde_json::Value) -> serde_json::Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "time": 1,
        "changes": [{"field": field, "value": value}]}]})
}

async fn a_refresh_records_what_changed_and_webhooks_move_health_on(engine: Engine) {
    let store = fresh_store(engine).await;
    let first = health("GREEN", "CONNECTED");
    // The first refresh learns every value; the same again changes nothing.
    assert_eq!(
        store
            .numbers
            .refreshed("900", &first, Millis(1_000))
            .await
            .unwrap(),
        9
    );
    assert_eq!(
        store
            .numbers
            .refreshed("900", &first, Millis(2_000))
            .await
            .unwrap(),
        0
    );
    let worse = health("YELLOW", "CONNECTED");
    assert_eq!(
        store
            .numbers
            .refreshed("900", &worse, Millis(3_000))
            .await
            .unwrap(),
        1
    );
    let stored = store.numbers.health().await.unwrap();
    assert_eq!(stored[0].health, worse);
    assert_eq!(stored[0].waba_id.as_deref(), Some("900"));
    assert_eq!(stored[0].refreshed_at, Some(Millis(3_000)));

    assert_eq!(store.numbers.latest_webhook_change().await.unwrap(), 0);
    // Meta flags the number, naming it by its display form (digits only).
    let after = store.events.latest_id().await.unwrap();
    let flagged = json!({"display_phone_number": "15550100100", "event": "FLAGGED",
        "current_limit": "TIER_250"});
    apply(
        &store,
        1,
        &account_change("phone_number_quality_update", flagged),
    )
    .await;
    let stored = store.numbers.health().await.unwrap();
    assert_eq!(stored[0].health.status.as_deref(), Some("FLAGGED"));
    assert_eq!(
        stored[0].health.messaging_limit_tier.as_deref(),
        Some("TIER_250")
    );
    assert!(events(&store, after).await.iter().any(|e| matches!(e,
        DomainEvent::NumberUpdated { phone_number_id: Some(id), .. } if id == "1100000000001")));
    let news = store.numbers.latest_webhook_change().await.unwrap();
    assert!(news > 0);
    let same = stored[0].health.clone();
    store
        .numbers
        .refreshed("900", &same, Millis(4_000))
        .await
        .unwrap();
    assert_eq!(
        store.numbers.latest_webhook_change().await.unwrap(),
        news,
        "a refresh is no news"
    );
    // A name decision, and a restriction of the whole account.
    let name = json!({"display_phone_number": "+1 555-010-0100", "decision": "REJECTED",
        "requested_verified_name": "Shop!!", "rejection_reason": "Invalid name"});
    apply(&store, 2, &account_change("phone_number_name_update", name)).await;
    let restricted = json!({"event": "ACCOUNT_RESTRICTION", "restriction_info": [
        {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1_900_000_000}]});
    apply(&store, 3, &account_change("account_update", restricted)).await;

    let history = store.numbers.history("1100000000001", 50).await.unwrap();
    let said: Vec<(&str, Option<&str>, Option<&str>, ChangeSource)> = history
        .iter()
        .take(5)
        .map(|c| {
            (
                c.field.as_str(),
                c.old_value.as_deref(),
                c.new_value.as_deref(),
                c.source,
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (
                "account",
                None,
                Some("ACCOUNT_RESTRICTION"),
                ChangeSource::Webhook
            ),
            (
                "name_status",
                Some("APPROVED"),
                Some("DECLINED"),
                ChangeSource::Webhook
            ),
            (
                "status",
                Some("CONNECTED"),
                Some("FLAGGED"),
                ChangeSource::Webhook
            ),
            (
                "messaging_limit_tier",
                Some("TIER_1K"),
                Some("TIER_250"),
                ChangeSource::Webhook
            ),
            (
                "quality_rating",
                Some("GREEN"),
                Some("YELLOW"),
                ChangeSource::Graph
            ),
        ],
        "newest first, the account's changes with the number's"
    );
    assert_eq!(history[1].detail.as_deref(), Some("REJECTED: Invalid name"));
    assert_eq!(history[2].detail.as_deref(), Some("FLAGGED"));
    assert_eq!(history.len(), 14);

    let standings = store.numbers.standings().await.unwrap();
    assert_eq!(standings.len(), 1);
    assert_eq!(
        standings[0].restrictions[0].restriction_type,
        "RESTRICTED_BIZ_INITIATED_MESSAGING"
    );
    assert_eq!(
        standings[0].restrictions[0].expiration,
        Some(UnixTime(1_900_000_000))
    );
    // A violation later keeps the restrictions; a quality update for a number Parley has not
    // met is kept as the account's news.
    let violation =
        json!({"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "SCAM"}});
    apply(&store, 4, &account_change("account_update", violation)).await;
    let stranger = json!({"display_phone_number": "4930000000", "event": "FLAGGED"});
    apply(
        &store,
        5,
        &account_change("phone_number_quality_update", stranger),
    )
    .await;
    let standings = store.numbers.standings().await.unwrap();
    assert_eq!(standings[0].violation.as_deref(), Some("SCAM"));
    assert_eq!(standings[0].restrictions.len(), 1);
    let history = store.numbers.history("1100000000001", 2).await.unwrap();
    assert_eq!(history[0].field, "phone_number_quality_update");
    assert_eq!(history[0].old_value.as_deref(), Some("4930000000"));
}

async fn webhook_traffic_tells_sends_made_since_the_last_webhook(engine: Engine) {
    let (store, conversation) = with_conversation(engine, "15550001111").await;
    let received = Millis::now();
    store.journal.append(&[b"{}"], received).await.unwrap();
    let quiet = store.numbers.webhook_traffic().await.unwrap();
    assert_eq!(quiet.last_webhook_at, Some(received));
    assert_eq!(quiet.oldest_send_since, None);
    let author = add_user(&store, "a@example.com", Role::Agent).await;
    let sent_at = Millis::now().plus(std::time::Duration::from_secs(5));
    let id = store
        .outbox
        .enqueue(
            &outbound(conversation, author, "15550001111", "hi"),
            sent_at,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .numbers
            .webhook_traffic()
            .await
            .unwrap()
            .oldest_send_since,
        None,
        "queued is not sent"
    );
    store
        .outbox
        .accepted(&[(id, "wamid.SENT1".into())], sent_at)
        .await
        .unwrap();
    let traffic = store.numbers.webhook_traffic().await.unwrap();
    assert_eq!(traffic.oldest_send_since, Some(sent_at));
}
