//! What the clock does by itself: snoozed conversations come back when their time comes,
//! windows that closed on a waiting customer are marked in the history reports read (and the
//! reports' daily totals kept up with it),
//! presence nobody renewed is forgotten, and (with `PARLEY_RETENTION_DAYS`) message content past
//! its retention is forgotten. One loop per node; each step is one atomic statement,
//! so nodes running it side by side never wake a conversation twice.

use crate::domain::SharedClock;
use crate::store::SharedStore;
use std::time::Duration;

/// How often the clock's work is looked for: a snooze ends at most this late.
const TICK: Duration = Duration::from_secs(2);
/// Presence is swept, and presence events older than an hour dropped, this often.
const SWEEP_EVERY: u32 = 150;
const PRESENCE_EVENTS_KEPT: Duration = Duration::from_secs(3600);
/// Retention runs this often (ticks: ten minutes), a batch of this many messages at a time.
const RETENTION_EVERY: u32 = 300;
const RETENTION_BATCH: i64 = 1000;
/// Lapsed windows are looked for this often (ticks: half a minute); each is marked at the
/// moment it closed, however late it is noticed.
const LAPSES_EVERY: u32 = 15;
/// Reports' daily totals catch up this often (ticks), so a report finds little left to count.
const ROLL_UP_EVERY: u32 = 5;

pub fn spawn(store: SharedStore, clock: SharedClock, retention: Option<Duration>) {
    tokio::spawn(async move {
        let mut ticks: u32 = 0;
        loop {
            tokio::time::sleep(TICK).await;
            let now = clock.now();
            if let Err(error) = store.conversations.wake_snoozed(now).await {
                tracing::warn!(%error, "cannot wake snoozed conversations");
            }
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(LAPSES_EVERY)
                && let Err(error) = store.reports.mark_lapsed_windows(now).await
            {
                tracing::warn!(%error, "cannot mark lapsed windows");
            }
            if ticks.is_multiple_of(ROLL_UP_EVERY)
                && let Err(error) = store.reports.roll_up().await
            {
                tracing::warn!(%error, "cannot roll up reports' totals");
            }
            if ticks.is_multiple_of(SWEEP_EVERY)
                && let Err(error) = store
                    .presence
                    .sweep(now, now.minus(PRESENCE_EVENTS_KEPT))
                    .await
            {
                tracing::warn!(%error, "cannot sweep presence");
            }
            if let Some(kept) = retention
                && ticks.is_multiple_of(RETENTION_EVERY)
            {
                forget_old_content(&store, now.minus(kept)).await;
            }
        }
    });
}

/// Forgets message content sent before `cutoff`, a batch per transaction until none is left,
/// and deletes the customers' media files it names.
pub async fn forget_old_content(store: &SharedStore, cutoff: crate::domain::Millis) {
    loop {
        match store
            .messages
            .forget_content_before(cutoff, RETENTION_BATCH)
            .await
        {
            Ok(forgotten) => {
                for path in &forgotten.media_paths {
                    if let Err(error) = tokio::fs::remove_file(path).await
                        && error.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::error!(%error, path, "a media file past retention stays on disk");
                    }
                }
                if forgotten.messages > 0 || forgotten.webhooks > 0 {
                    tracing::info!(
                        messages = forgotten.messages,
                        webhooks = forgotten.webhooks,
                        media_files = forgotten.media_paths.len(),
                        "forgot content past its retention"
                    );
                }
                if forgotten.messages < RETENTION_BATCH && forgotten.webhooks < RETENTION_BATCH {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot forget content past its retention");
                return;
            }
        }
    }
}
