//! Business numbers.

use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_server::domain::Millis;
use parley_server::store::BusinessNumber;

on_both_engines!(numbers_are_registered_and_keep_what_is_known);

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
