//! The database as a whole: migrations, reachability, connections of one's own.

use super::{add_user, new_user};
use crate::on_both_engines;
use crate::support::{Engine, fresh_database, fresh_store};
use parley_app::model::Role;
use parley_server::domain::Millis;
use parley_server::store;

on_both_engines!(
    ping_and_idempotent_migrations,
    a_store_on_its_own_connections_shares_the_database,
    orphaned_claims_are_released_where_one_node_owns_the_database,
);

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

async fn a_store_on_its_own_connections_shares_the_database(engine: Engine) {
    let store = fresh_store(engine).await;
    let own = store.with_own_connections(2);
    let ana = add_user(&store, "ana@example.com", Role::Admin).await;
    assert!(own.team.user_by_id(ana).await.unwrap().is_some());
    let bo = own
        .team
        .create_user(new_user("bo@example.com", "Bo", Role::Agent), Millis::now())
        .await
        .unwrap();
    assert!(store.team.user_by_id(bo.id).await.unwrap().is_some());
    let (a, b) = tokio::join!(store.team.list_users(), own.team.list_users());
    assert_eq!(a.unwrap().len(), 2);
    assert_eq!(b.unwrap().len(), 2);
}

async fn orphaned_claims_are_released_where_one_node_owns_the_database(engine: Engine) {
    let store = fresh_store(engine).await;
    store.journal.append(&[b"{}"], Millis(1_000)).await.unwrap();
    let now = Millis::now();
    let lease = now.plus(std::time::Duration::from_secs(60));
    assert_eq!(store.journal.claim(now, lease, 10).await.unwrap().len(), 1);
    assert!(
        store
            .journal
            .claim(now, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    store.release_orphaned_claims().await.unwrap();
    let again = store.journal.claim(now, lease, 10).await.unwrap();
    match engine {
        // One node: what it held when it died is free at once.
        Engine::Sqlite => assert_eq!(again.len(), 1),
        // Several nodes: another may hold it; the lease runs out instead.
        Engine::Postgres => assert!(again.is_empty()),
    }
}
