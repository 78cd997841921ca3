//! Second factors: setting one up, codes and recovery codes used once, removal, the policy.

use super::add_user;
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::{Role, UserId};
use parley_app::team::TwoFactorPolicy;
use parley_server::domain::Millis;
use parley_server::store::StoreError;

on_both_engines!(
    a_second_factor_is_set_up_used_once_per_step_and_removed,
    the_policy_defaults_to_optional_and_is_kept,
);

async fn a_second_factor_is_set_up_used_once_per_step_and_removed(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let none = store.second_factor.get(ana).await.unwrap();
    assert_eq!(
        (none.secret, none.pending, none.recovery_codes_left),
        (None, None, 0)
    );
    let early = store.second_factor.confirm(ana, 1, &[], Millis(1)).await;
    assert!(
        matches!(early, Err(StoreError::NotFound(_))),
        "nothing being set up: {early:?}"
    );
    store
        .second_factor
        .begin(ana, "JBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    let pending = store.second_factor.get(ana).await.unwrap();
    assert_eq!(
        (pending.secret, pending.pending.as_deref()),
        (None, Some("JBSWY3DPEHPK3PXP"))
    );
    let digests: Vec<String> = (0..10).map(|i| format!("digest{i}")).collect();
    store
        .second_factor
        .confirm(ana, 100, &digests, Millis(2))
        .await
        .unwrap();
    let on = store.second_factor.get(ana).await.unwrap();
    assert_eq!(on.secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    assert_eq!(
        (on.pending, on.last_step, on.recovery_codes_left),
        (None, Some(100), 10)
    );
    assert!(
        store
            .team
            .user_by_id(ana)
            .await
            .unwrap()
            .unwrap()
            .two_factor
    );

    assert!(
        !store.second_factor.use_step(ana, 100).await.unwrap(),
        "the confirming step is spent"
    );
    let (first, second) = tokio::join!(
        store.second_factor.use_step(ana, 101),
        store.second_factor.use_step(ana, 101)
    );
    assert!(
        first.unwrap() != second.unwrap(),
        "one step, once, even at the same moment"
    );
    assert!(
        !store.second_factor.use_step(ana, 99).await.unwrap(),
        "never backwards"
    );
    assert!(
        store
            .second_factor
            .use_recovery_code(ana, "digest3", Millis(3))
            .await
            .unwrap()
    );
    assert!(
        !store
            .second_factor
            .use_recovery_code(ana, "digest3", Millis(4))
            .await
            .unwrap()
    );
    assert!(
        !store
            .second_factor
            .use_recovery_code(ana, "unknown", Millis(4))
            .await
            .unwrap()
    );
    let other = add_user(&store, "ben@example.com", Role::Agent).await;
    assert!(
        !store
            .second_factor
            .use_recovery_code(other, "digest4", Millis(4))
            .await
            .unwrap(),
        "hers only"
    );
    assert_eq!(
        store
            .second_factor
            .get(ana)
            .await
            .unwrap()
            .recovery_codes_left,
        9
    );

    store.second_factor.remove(ana, Millis(5)).await.unwrap();
    let off = store.second_factor.get(ana).await.unwrap();
    assert_eq!(
        (off.secret, off.last_step, off.recovery_codes_left),
        (None, None, 0)
    );
    assert!(
        !store
            .team
            .user_by_id(ana)
            .await
            .unwrap()
            .unwrap()
            .two_factor
    );
    let missing = store.second_factor.get(UserId(9999)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn the_policy_defaults_to_optional_and_is_kept(engine: Engine) {
    let store = fresh_store(engine).await;
    assert_eq!(
        store.second_factor.policy().await.unwrap(),
        TwoFactorPolicy::Optional
    );
    for policy in [
        TwoFactorPolicy::Admins,
        TwoFactorPolicy::Everyone,
        TwoFactorPolicy::Optional,
    ] {
        store
            .second_factor
            .set_policy(policy, Millis(1))
            .await
            .unwrap();
        assert_eq!(store.second_factor.policy().await.unwrap(), policy);
    }
}
