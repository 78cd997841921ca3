//! What the clock does by itself: snoozed conversations come back when their time comes, and
//! presence nobody renewed is forgotten. One loop per node; each step is one atomic statement,
//! so nodes running it side by side never wake a conversation twice.

use crate::domain::SharedClock;
use crate::store::SharedStore;
use std::time::Duration;

/// How often the clock's work is looked for: a snooze ends at most this late.
const TICK: Duration = Duration::from_secs(2);
/// Presence is swept, and presence events older than an hour dropped, this often.
const SWEEP_EVERY: u32 = 150;
const PRESENCE_EVENTS_KEPT: Duration = Duration::from_secs(3600);

pub fn spawn(store: SharedStore, clock: SharedClock) {
    tokio::spawn(async move {
        let mut ticks: u32 = 0;
        loop {
            tokio::time::sleep(TICK).await;
            let now = clock.now();
            if let Err(error) = store.conversations.wake_snoozed(now).await {
                tracing::warn!(%error, "cannot wake snoozed conversations");
            }
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(SWEEP_EVERY)
                && let Err(error) = store
                    .presence
                    .sweep(now, now.minus(PRESENCE_EVENTS_KEPT))
                    .await
            {
                tracing::warn!(%error, "cannot sweep presence");
            }
        }
    });
}
