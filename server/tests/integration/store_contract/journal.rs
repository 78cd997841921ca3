//! The webhook journal: append, claim with leases, failures and the backlog.

use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_server::domain::Millis;
use std::time::Duration;

on_both_engines!(
    appended_bodies_are_claimed_oldest_first_under_a_lease,
    a_failed_event_waits_for_its_retry,
    big_batches_are_appended_whole,
);

async fn appended_bodies_are_claimed_oldest_first_under_a_lease(engine: Engine) {
    let store = fresh_store(engine).await;
    assert_eq!(store.journal.backlog().await.unwrap(), 0);
    store
        .journal
        .append(&[b"first", b"second"], Millis(1_000))
        .await
        .unwrap();
    store
        .journal
        .append(&[b"third"], Millis(2_000))
        .await
        .unwrap();
    assert_eq!(store.journal.backlog().await.unwrap(), 3);
    let now = Millis(10_000);
    let lease = now.plus(Duration::from_secs(30));
    let claimed = store.journal.claim(now, lease, 2).await.unwrap();
    let bodies: Vec<&[u8]> = claimed.iter().map(|e| e.body.as_slice()).collect();
    assert_eq!(bodies, [b"first".as_slice(), b"second"]);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].received_at, Millis(1_000));
    // Leased events are not claimed again until the lease runs out.
    let rest = store.journal.claim(now, lease, 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(
        store
            .journal
            .claim(now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after_lease = store
        .journal
        .claim(lease, lease.plus(Duration::from_secs(30)), 10)
        .await
        .unwrap();
    assert_eq!(
        after_lease.len(),
        3,
        "a holder that died lets go when its lease ends"
    );
    assert_eq!(after_lease[0].attempts, 2);
}

async fn a_failed_event_waits_for_its_retry(engine: Engine) {
    let store = fresh_store(engine).await;
    store.journal.append(&[b"{}"], Millis(1_000)).await.unwrap();
    let now = Millis(10_000);
    let claimed = store
        .journal
        .claim(now, now.plus(Duration::from_secs(30)), 1)
        .await
        .unwrap();
    store
        .journal
        .fail(claimed[0].id, "boom", Millis(20_000))
        .await
        .unwrap();
    assert!(
        store
            .journal
            .claim(Millis(19_999), Millis(50_000), 1)
            .await
            .unwrap()
            .is_empty()
    );
    let retried = store
        .journal
        .claim(Millis(20_000), Millis(50_000), 1)
        .await
        .unwrap();
    assert_eq!(retried[0].id, claimed[0].id);
    assert_eq!(
        store.journal.backlog().await.unwrap(),
        1,
        "still unprocessed"
    );
}

async fn big_batches_are_appended_whole(engine: Engine) {
    let store = fresh_store(engine).await;
    let bodies: Vec<Vec<u8>> = (0..1_200)
        .map(|n| format!("{{\"n\":{n}}}").into_bytes())
        .collect();
    let slices: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    store.journal.append(&slices, Millis(1)).await.unwrap();
    assert_eq!(store.journal.backlog().await.unwrap(), 1_200);
}
