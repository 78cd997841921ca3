//! Teams and routing: teams and their members, numbers' default teams, availability, and
//! handing a team's queue to its members fairly, within capacity, however many nodes route.

use super::{add_user, apply, conversation_of, events};
use crate::on_both_engines;
use crate::support::{Engine, fresh_database};
use crate::wa;
use parley_app::model::{Role, UserId};
use parley_app::team::{AutoAssignment, Availability};
use parley_server::domain::conversation::ConversationChange;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{
    self, ConversationQuery, ParsedWebhook, SharedStore, StoreError, TeamFilter, TeamUpdate,
};
use parley_server::whatsapp::webhook::Notification;

on_both_engines!(
    teams_are_made_changed_and_deleted,
    new_conversations_join_their_numbers_default_team,
    routing_serves_online_members_under_capacity_in_turn,
    least_busy_fills_the_emptiest_member_first,
    a_reopened_conversation_leaves_an_assignee_who_is_away,
    members_with_no_stream_go_offline,
    two_nodes_routing_at_once_never_exceed_capacity_nor_assign_twice,
);

fn members(ids: &[UserId]) -> TeamUpdate {
    TeamUpdate {
        members: Some(ids.to_vec()),
        ..TeamUpdate::default()
    }
}

/// `count` customers write to number A at once (one webhook each, applied in batches).
async fn customers_write(store: &SharedStore, first_event: i64, count: i64) {
    let mut batch = Vec::new();
    for i in 0..count {
        let customer = format!("1555{:07}", first_event + i);
        let payload = wa::inbound_text(
            wa::NUMBER_A,
            &customer,
            "Customer",
            &format!("wamid.routing.{customer}"),
            wa::now_secs() - count + i,
            "hello",
        );
        let body = serde_json::to_vec(&payload).unwrap();
        let parsed = Notification::parse(&body).unwrap();
        batch.push(ParsedWebhook::new(first_event + i, &body, Some(parsed)));
        if batch.len() == 100 || i == count - 1 {
            let failures = store.intake.apply(&batch, Millis::now()).await.unwrap();
            assert!(failures.is_empty(), "{failures:?}");
            batch.clear();
        }
    }
}

async fn in_team(
    store: &SharedStore,
    team: i64,
) -> Vec<parley_server::domain::conversation::Conversation> {
    let query = ConversationQuery {
        team: TeamFilter::Is(team),
        ..ConversationQuery::all(2000, Millis::now())
    };
    store.conversations.list(&query).await.unwrap().items
}

fn spread(
    conversations: &[parley_server::domain::conversation::Conversation],
) -> Vec<(Option<i64>, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for c in conversations {
        *counts.entry(c.assignee.map(|a| a.0)).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

async fn online(store: &SharedStore, users: &[UserId]) {
    for user in users {
        store
            .routing
            .set_availability(*user, Availability::Online, Millis::now())
            .await
            .unwrap();
    }
}

async fn teams_are_made_changed_and_deleted(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let sales = store
        .routing
        .create_team("Sales", &members(&[ben, ana]), Millis(10))
        .await
        .unwrap();
    assert_eq!(sales.name, "Sales");
    assert_eq!(sales.members, [ana, ben], "in id order");
    assert_eq!(
        (sales.assignment, sales.capacity, sales.waiting),
        (AutoAssignment::None, None, 0)
    );
    let taken = store
        .routing
        .create_team("sales", &TeamUpdate::default(), Millis(11))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let change = TeamUpdate {
        name: Some("Sales EMEA".into()),
        members: Some(vec![ben]),
        assignment: Some(AutoAssignment::RoundRobin),
        capacity: Some(Some(5)),
    };
    let changed = store
        .routing
        .update_team(sales.id, &change, Millis(20))
        .await
        .unwrap();
    assert_eq!(changed.members, [ben]);
    assert_eq!(
        (changed.assignment, changed.capacity),
        (AutoAssignment::RoundRobin, Some(5))
    );
    let unlimited = TeamUpdate {
        capacity: Some(None),
        ..TeamUpdate::default()
    };
    let changed = store
        .routing
        .update_team(sales.id, &unlimited, Millis(21))
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.capacity),
        ("Sales EMEA", None),
        "the rest stays"
    );
    let stranger = members(&[UserId(9999)]);
    let refused = store
        .routing
        .update_team(sales.id, &stranger, Millis(22))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
    assert_eq!(store.routing.teams_of(ben).await.unwrap(), [sales.id]);
    assert!(store.routing.teams_of(ana).await.unwrap().is_empty());

    let conversation = conversation_of(&store, 1, "15550001").await;
    let to_team = ConversationChange {
        team: Some(Some(sales.id)),
        ..ConversationChange::default()
    };
    let moved = store
        .conversations
        .change(conversation, to_team, Some(ana), Millis(30))
        .await
        .unwrap();
    assert_eq!(moved.team_id, Some(sales.id));
    assert_eq!(store.routing.teams().await.unwrap()[0].waiting, 1);
    let unknown = ConversationChange {
        team: Some(Some(9999)),
        ..ConversationChange::default()
    };
    let refused = store
        .conversations
        .change(conversation, unknown, Some(ana), Millis(31))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound("team"))),
        "{refused:?}"
    );

    store
        .routing
        .delete_team(sales.id, Millis(40))
        .await
        .unwrap();
    assert!(store.routing.teams().await.unwrap().is_empty());
    let left = store
        .conversations
        .get(conversation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.team_id, None, "it left the deleted team's queue");
    let story = events(&store, before).await;
    assert!(story.contains(&DomainEvent::TeamChanged { team_id: sales.id }));
    assert!(story.contains(&DomainEvent::TeamSet {
        conversation_id: conversation,
        team_id: Some(sales.id),
        by: Some(ana)
    }));
    let gone = store.routing.delete_team(sales.id, Millis(41)).await;
    assert!(matches!(gone, Err(StoreError::NotFound(_))), "{gone:?}");
}

async fn new_conversations_join_their_numbers_default_team(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    // The first message makes the number known.
    let first = conversation_of(&store, 1, "15550001").await;
    assert_eq!(
        store
            .conversations
            .get(first)
            .await
            .unwrap()
            .unwrap()
            .team_id,
        None
    );
    let support = store
        .routing
        .create_team("Support", &TeamUpdate::default(), Millis(1))
        .await
        .unwrap();
    store
        .routing
        .set_default_team(wa::NUMBER_A, Some(support.id), Millis(2))
        .await
        .unwrap();
    assert_eq!(
        store.routing.default_teams().await.unwrap(),
        [(wa::NUMBER_A.to_owned(), Some(support.id))]
    );
    let second = conversation_of(&store, 2, "15550002").await;
    assert_eq!(
        store
            .conversations
            .get(second)
            .await
            .unwrap()
            .unwrap()
            .team_id,
        Some(support.id)
    );
    let unknown = store
        .routing
        .set_default_team("999", Some(support.id), Millis(3))
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    let no_team = store
        .routing
        .set_default_team(wa::NUMBER_A, Some(9999), Millis(3))
        .await;
    assert!(
        matches!(no_team, Err(StoreError::NotFound(_))),
        "{no_team:?}"
    );
    store
        .routing
        .delete_team(support.id, Millis(4))
        .await
        .unwrap();
    assert_eq!(
        store.routing.default_teams().await.unwrap(),
        [(wa::NUMBER_A.to_owned(), None)]
    );
}

async fn routing_serves_online_members_under_capacity_in_turn(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    conversation_of(&store, 1, "15550000").await; // makes number A known
    let team: Vec<UserId> = [
        add_user(&store, "a@example.com", Role::Agent).await,
        add_user(&store, "b@example.com", Role::Agent).await,
        add_user(&store, "full@example.com", Role::Agent).await,
        add_user(&store, "away@example.com", Role::Agent).await,
        add_user(&store, "e@example.com", Role::Agent).await,
    ]
    .to_vec();
    let (full, away) = (team[2], team[3]);
    online(&store, &[team[0], team[1], full, team[4]]).await;
    store
        .routing
        .set_availability(away, Availability::Away, Millis::now())
        .await
        .unwrap();
    let policy = TeamUpdate {
        members: Some(team.clone()),
        assignment: Some(AutoAssignment::RoundRobin),
        capacity: Some(Some(100)),
        ..TeamUpdate::default()
    };
    let support = store
        .routing
        .create_team("Support", &policy, Millis(1))
        .await
        .unwrap();
    store
        .routing
        .set_default_team(wa::NUMBER_A, Some(support.id), Millis(2))
        .await
        .unwrap();
    // The member "at capacity" already holds 100 open conversations.
    customers_write(&store, 10_000, 100).await;
    for c in in_team(&store, support.id).await {
        let mine = ConversationChange {
            assignee: Some(Some(full)),
            ..ConversationChange::default()
        };
        store
            .conversations
            .change(c.id, mine, None, Millis::now())
            .await
            .unwrap();
    }
    customers_write(&store, 20_000, 320).await;
    let given = store
        .routing
        .route(support.id, Millis::now())
        .await
        .unwrap();
    assert_eq!(given.len(), 300, "three members with room for 100 each");
    let counts = spread(&in_team(&store, support.id).await);
    assert_eq!(
        counts,
        [
            (None, 20),
            (Some(team[0].0), 100),
            (Some(team[1].0), 100),
            (Some(full.0), 100),
            (Some(team[4].0), 100)
        ],
        "nobody over capacity, none to the away member, the rest waits"
    );
    // Turns alternate: the first nine go 1, 2, 5, 1, 2, 5…
    let turns: Vec<i64> = given.iter().take(6).map(|(_, u)| u.0).collect();
    assert_eq!(
        turns,
        [
            team[0].0, team[1].0, team[4].0, team[0].0, team[1].0, team[4].0
        ]
    );
    // Oldest first: the 20 left waiting are the newest.
    let waiting_ids: Vec<i64> = in_team(&store, support.id)
        .await
        .iter()
        .filter(|c| c.assignee.is_none())
        .map(|c| c.id)
        .collect();
    assert!(given.iter().all(|(c, _)| waiting_ids.iter().all(|w| c < w)));
    assert_eq!(
        store.routing.teams_with_waiting().await.unwrap(),
        [support.id]
    );
    // Nothing more until someone has room: the away member comes online.
    assert!(
        store
            .routing
            .route(support.id, Millis::now())
            .await
            .unwrap()
            .is_empty()
    );
    online(&store, &[away]).await;
    let given = store
        .routing
        .route(support.id, Millis::now())
        .await
        .unwrap();
    assert_eq!(given.len(), 20);
    assert!(given.iter().all(|(_, u)| *u == away));
}

async fn least_busy_fills_the_emptiest_member_first(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    conversation_of(&store, 1, "15550000").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    online(&store, &[ana, ben]).await;
    let policy = TeamUpdate {
        members: Some(vec![ana, ben]),
        assignment: Some(AutoAssignment::LeastBusy),
        ..TeamUpdate::default()
    };
    let team = store
        .routing
        .create_team("Billing", &policy, Millis(1))
        .await
        .unwrap();
    store
        .routing
        .set_default_team(wa::NUMBER_A, Some(team.id), Millis(2))
        .await
        .unwrap();
    customers_write(&store, 100, 3).await;
    for c in in_team(&store, team.id).await {
        let to_ana = ConversationChange {
            assignee: Some(Some(ana)),
            ..ConversationChange::default()
        };
        store
            .conversations
            .change(c.id, to_ana, None, Millis::now())
            .await
            .unwrap();
    }
    customers_write(&store, 200, 5).await;
    let given = store.routing.route(team.id, Millis::now()).await.unwrap();
    let to: Vec<UserId> = given.iter().map(|(_, u)| *u).collect();
    // Ben has none, Ana three: Ben takes three, then they alternate.
    assert_eq!(to, [ben, ben, ben, ana, ben]);
}

async fn a_reopened_conversation_leaves_an_assignee_who_is_away(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let id = conversation_of(&store, 1, "15550001").await;
    let resolve = ConversationChange {
        assignee: Some(Some(ana)),
        status: Some(parley_server::domain::conversation::StatusChange::Resolved),
        ..ConversationChange::default()
    };
    store
        .conversations
        .change(id, resolve, Some(ana), Millis::now())
        .await
        .unwrap();
    online(&store, &[ana]).await;
    apply(
        &store,
        2,
        &wa::inbound_text(
            wa::NUMBER_A,
            "15550001",
            "Customer",
            "wamid.again.1",
            wa::now_secs(),
            "me again",
        ),
    )
    .await;
    assert!(
        !store
            .routing
            .requeue_if_assignee_away(id, Millis::now())
            .await
            .unwrap(),
        "online: hers again"
    );
    assert_eq!(
        store.conversations.get(id).await.unwrap().unwrap().assignee,
        Some(ana)
    );
    store
        .routing
        .set_availability(ana, Availability::Away, Millis::now())
        .await
        .unwrap();
    assert!(
        store
            .routing
            .requeue_if_assignee_away(id, Millis::now())
            .await
            .unwrap()
    );
    assert_eq!(
        store.conversations.get(id).await.unwrap().unwrap().assignee,
        None
    );
}

async fn members_with_no_stream_go_offline(engine: Engine) {
    let store = store::connect(&fresh_database(engine).await).await.unwrap();
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    assert_eq!(
        store.routing.availability(ana).await.unwrap(),
        Availability::Offline
    );
    store
        .routing
        .set_availability(ana, Availability::Online, Millis(1_000))
        .await
        .unwrap();
    store
        .routing
        .set_availability(ben, Availability::Away, Millis(1_000))
        .await
        .unwrap();
    let before = store.events.latest_id().await.unwrap();
    store
        .routing
        .streams_seen(&[ana], Millis(5_000))
        .await
        .unwrap();
    let gone = store
        .routing
        .go_offline_when_quiet(Millis(4_000), Millis(6_000))
        .await
        .unwrap();
    assert_eq!(gone, [ben], "Ana's stream was seen since");
    assert_eq!(
        store.routing.availability(ben).await.unwrap(),
        Availability::Offline
    );
    assert_eq!(
        store.routing.availability(ana).await.unwrap(),
        Availability::Online
    );
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::AvailabilityChanged {
            user_id: ben,
            availability: Availability::Offline
        }]
    );
    let missing = store
        .routing
        .set_availability(UserId(9999), Availability::Online, Millis(7_000))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn two_nodes_routing_at_once_never_exceed_capacity_nor_assign_twice(engine: Engine) {
    let url = fresh_database(engine).await;
    let node_a = store::connect(&url).await.unwrap();
    let node_b = store::connect(&url).await.unwrap();
    conversation_of(&node_a, 1, "15550000").await;
    let ana = add_user(&node_a, "ana@example.com", Role::Agent).await;
    let ben = add_user(&node_a, "ben@example.com", Role::Agent).await;
    online(&node_a, &[ana, ben]).await;
    // Ana is in both teams: routing in each must count her conversations from the other.
    let policy = |members: Vec<UserId>| TeamUpdate {
        members: Some(members),
        assignment: Some(AutoAssignment::RoundRobin),
        capacity: Some(Some(7)),
        ..TeamUpdate::default()
    };
    let sales = node_a
        .routing
        .create_team("Sales", &policy(vec![ana, ben]), Millis(1))
        .await
        .unwrap();
    let billing = node_a
        .routing
        .create_team("Billing", &policy(vec![ana]), Millis(1))
        .await
        .unwrap();
    node_a
        .routing
        .set_default_team(wa::NUMBER_A, Some(sales.id), Millis(2))
        .await
        .unwrap();
    customers_write(&node_a, 1_000, 30).await;
    for c in in_team(&node_a, sales.id).await.iter().take(15) {
        let to_billing = ConversationChange {
            team: Some(Some(billing.id)),
            ..ConversationChange::default()
        };
        node_a
            .conversations
            .change(c.id, to_billing, None, Millis::now())
            .await
            .unwrap();
    }
    let before = node_a.events.latest_id().await.unwrap();
    for _ in 0..3 {
        let now = Millis::now();
        let (a, b, c, d) = tokio::join!(
            node_a.routing.route(sales.id, now),
            node_b.routing.route(sales.id, now),
            node_a.routing.route(billing.id, now),
            node_b.routing.route(billing.id, now),
        );
        for outcome in [a, b, c, d] {
            outcome.unwrap();
        }
    }
    let mut all = in_team(&node_a, sales.id).await;
    all.extend(in_team(&node_a, billing.id).await);
    let counts = spread(&all);
    for (member, count) in &counts {
        if member.is_some() {
            assert!(
                *count <= 7,
                "{member:?} holds {count}: over capacity ({counts:?})"
            );
        }
    }
    assert_eq!(
        counts
            .iter()
            .filter(|(m, _)| m.is_some())
            .map(|(_, n)| n)
            .sum::<usize>(),
        14,
        "{counts:?}"
    );
    let assigned: Vec<i64> = events(&node_a, before)
        .await
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::Assigned {
                conversation_id,
                assignee: Some(_),
                ..
            } => Some(conversation_id),
            _ => None,
        })
        .collect();
    let mut unique = assigned.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        assigned.len(),
        unique.len(),
        "no conversation assigned twice"
    );
    assert_eq!(assigned.len(), 14);
}
