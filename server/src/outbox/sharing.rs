//! Nodes sending on one business number share its pace. Each node that claimed sends for a
//! number in the last few seconds says so in the database every second, and paces that number
//! at its rate divided by the nodes sending on it: two nodes sending one campaign start 40 a
//! second each, not 80. When one stops, the other has the whole rate again within seconds. On
//! SQLite there is one node, and nothing to share.

use super::rates::SendRates;
use crate::domain::SharedClock;
use crate::store::SharedStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How often a node renews its claim to be sending, and reads the others'.
const RENEW: Duration = Duration::from_secs(1);
/// A number this node claimed sends for this recently counts as one it sends on; a node not
/// heard from for this long no longer counts.
const RECENT: Duration = Duration::from_secs(3);

/// The numbers this node claimed sends for, and when it last did.
#[derive(Default)]
pub struct Busy(Mutex<HashMap<String, Instant>>);

impl Busy {
    pub fn claimed(&self, number: &str) {
        self.0
            .lock()
            .expect("not poisoned")
            .insert(number.to_owned(), Instant::now());
    }

    fn recent(&self) -> Vec<String> {
        let mut numbers = self.0.lock().expect("not poisoned");
        numbers.retain(|_, at| at.elapsed() < RECENT);
        numbers.keys().cloned().collect()
    }
}

pub fn spawn(store: SharedStore, rates: Arc<SendRates>, busy: Arc<Busy>, clock: SharedClock) {
    if !store.is_shared() {
        return;
    }
    let node = format!("{:016x}", rand::random::<u64>());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RENEW).await;
            let numbers = busy.recent();
            let now = clock.now();
            match store
                .outbox
                .senders(&node, &numbers, now, now.minus(RECENT))
                .await
            {
                Ok(senders) => rates.set_senders(senders),
                Err(error) => tracing::warn!(%error, "cannot share send rates with other nodes"),
            }
        }
    });
}
