//! Routing: a consumer of the domain-event log, like the live hub. It never runs inside a
//! write: it reads what happened (a conversation opened, reopened, moved to a team, resolved;
//! a member came online; a team changed) and asks the store to hand the affected teams'
//! waiting conversations to members who qualify (`domain::routing`), under the team's lock.
//!
//! Every node runs one. They may route the same team at the same moment; the store's locks
//! make that safe, and a routing with nothing waiting costs one short query. A sweep every
//! [`SWEEP`] routes every team with conversations waiting (what an event missed while a node
//! was down, and a team's conversations that waited for it to open), records this node's open
//! event streams as signs of life, and takes members whose streams have all been closed for
//! `offline_after` offline. A team routes only while it is open (its own business hours, else
//! the workspace's): what arrives while it is closed waits in its queue.

use crate::domain::business_hours::Hours;
use crate::domain::events::RecordedEvent;
use crate::domain::{DomainEvent, SharedClock};
use crate::live::OpenStreams;
use crate::store::{SharedStore, StoreError, StoreResult};
use parley_app::model::{ConversationStatus, UserId};
use parley_app::team::Availability;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// How often the log is read without a local wake-up (other nodes' writes).
const POLL: Duration = Duration::from_secs(1);
const SWEEP: Duration = Duration::from_secs(30);
const PAGE: i64 = 500;

pub fn spawn(
    store: SharedStore,
    clock: SharedClock,
    streams: Arc<OpenStreams>,
    offline_after: Duration,
) {
    let written = store.wakeups.subscribe();
    tokio::spawn(async move {
        let mut read_up_to = loop {
            match store.events.latest_id().await {
                Ok(id) => break id,
                Err(error) => {
                    tracing::warn!(%error, "routing: cannot read the event log yet");
                    tokio::time::sleep(POLL).await;
                }
            }
        };
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_sweep {
                if let Err(error) = sweep(&store, &clock, &streams, offline_after).await {
                    tracing::warn!(%error, "routing: sweep failed");
                }
                next_sweep = tokio::time::Instant::now() + SWEEP;
            }
            match store.events.after(read_up_to, PAGE).await {
                Ok(batch) => {
                    if let Err(error) = follow(&store, &clock, &batch.events).await {
                        tracing::warn!(%error, "routing: cannot route (the sweep retries)");
                    }
                    read_up_to = batch.read_up_to;
                    if batch.more {
                        continue;
                    }
                }
                Err(error) => tracing::warn!(%error, "routing: cannot read the event log"),
            }
            let _ = tokio::time::timeout(POLL, written.notified()).await;
        }
    });
}

/// Routes what a stretch of the log calls for. The conversations its events name are read in
/// one query for the whole stretch (a burst of new conversations costs one read, not one
/// each).
async fn follow(
    store: &SharedStore,
    clock: &SharedClock,
    events: &[RecordedEvent],
) -> StoreResult<()> {
    let concerns = |event: &DomainEvent| match event {
        DomainEvent::ConversationOpened { conversation_id }
        | DomainEvent::ConversationReopened { conversation_id }
        | DomainEvent::TeamSet {
            conversation_id, ..
        }
        | DomainEvent::StatusChanged {
            conversation_id, ..
        }
        | DomainEvent::Assigned {
            conversation_id,
            assignee: None,
            ..
        } => Some(*conversation_id),
        _ => None,
    };
    let mut ids: Vec<i64> = events.iter().filter_map(|e| concerns(&e.event)).collect();
    ids.sort_unstable();
    ids.dedup();
    for reopened in events.iter().filter_map(|e| match e.event {
        DomainEvent::ConversationReopened { conversation_id } => Some(conversation_id),
        _ => None,
    }) {
        store
            .routing
            .requeue_if_assignee_away(reopened, clock.now())
            .await?;
    }
    let conversations = if ids.is_empty() {
        Vec::new()
    } else {
        store.conversations.by_ids(&ids).await?
    };
    let find = |id: i64| conversations.iter().find(|c| c.id == id);
    let mut teams = BTreeSet::new();
    let mut members_freed = BTreeSet::new();
    for recorded in events {
        match &recorded.event {
            DomainEvent::StatusChanged {
                conversation_id,
                status,
                ..
            } => {
                let Some(conversation) = find(*conversation_id) else {
                    continue;
                };
                if *status == ConversationStatus::Open {
                    teams.extend(conversation.team_id);
                } else if let Some(assignee) = conversation.assignee {
                    // One fewer open conversation: they may take another.
                    members_freed.insert(assignee);
                }
            }
            DomainEvent::AvailabilityChanged {
                user_id,
                availability: Availability::Online,
            } => {
                members_freed.insert(*user_id);
            }
            DomainEvent::TeamChanged { team_id } => {
                teams.insert(*team_id);
            }
            event => {
                if let Some(conversation) = concerns(event).and_then(find) {
                    teams.extend(conversation.team_id);
                }
            }
        }
    }
    for member in members_freed {
        teams.extend(store.routing.teams_of(member).await?);
    }
    if teams.is_empty() {
        return Ok(());
    }
    let hours = crate::service::business_hours::load(store).await?;
    for team in teams {
        route(store, clock, &hours, team).await?;
    }
    Ok(())
}

/// Hands the team's waiting conversations to its members, unless the team is closed (its own
/// hours, else the workspace's): then they wait for the sweep after it opens.
async fn route(
    store: &SharedStore,
    clock: &SharedClock,
    hours: &Hours,
    team: i64,
) -> StoreResult<()> {
    let now = clock.now();
    if !hours.of_team(Some(team)).is_open(now) {
        return Ok(());
    }
    match store.routing.route(team, now).await {
        Ok(given) => {
            if !given.is_empty() {
                tracing::debug!(team, assigned = given.len(), "routed");
            }
            Ok(())
        }
        // Deleted meanwhile: nothing to route.
        Err(StoreError::NotFound(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

async fn sweep(
    store: &SharedStore,
    clock: &SharedClock,
    streams: &OpenStreams,
    offline_after: Duration,
) -> StoreResult<()> {
    let now = clock.now();
    let open: Vec<UserId> = streams.members();
    store.routing.streams_seen(&open, now).await?;
    let quiet_since = crate::domain::Millis(now.0 - offline_after.as_millis() as i64);
    let gone = store
        .routing
        .go_offline_when_quiet(quiet_since, now)
        .await?;
    if !gone.is_empty() {
        tracing::info!(
            members = gone.len(),
            "members with no open stream went offline"
        );
    }
    let waiting = store.routing.teams_with_waiting().await?;
    if !waiting.is_empty() {
        let hours = crate::service::business_hours::load(store).await?;
        for team in waiting {
            route(store, clock, &hours, team).await?;
        }
    }
    Ok(())
}
