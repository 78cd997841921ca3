//! Meta's two send limits, kept on Parley's side so they are never hit: a business number's
//! throughput (80 messages/s by default, up to 1,000) and the pair limit between one business
//! number and one customer (error 131056: about one message every 6 seconds, with bursts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A little slack on the spacing, so that jitter between Parley and Meta is unlikely to make
/// a one-second window at Meta hold more than the rate.
const SLACK: f64 = 1.005;

/// Lets sends on each business number start at least `1 / rate` apart, measured from when each
/// one really started (a task that woke late does not let the next one start early): no
/// one-second window ever holds more than `rate` starts.
pub struct NumberGate {
    interval: Duration,
    lanes: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
}

impl NumberGate {
    pub fn new(per_second: u32) -> Self {
        NumberGate {
            interval: Duration::from_secs_f64(SLACK / f64::from(per_second.max(1))),
            lanes: Mutex::new(HashMap::new()),
        }
    }

    /// Returns when a send on `number` may start; the caller starts it at once.
    pub async fn wait_turn(&self, number: &str) {
        let lane = self
            .lanes
            .lock()
            .expect("number lanes")
            .entry(number.to_owned())
            .or_default()
            .clone();
        let mut last_start = lane.lock().await;
        if let Some(previous) = *last_start {
            tokio::time::sleep_until(previous + self.interval).await;
        }
        *last_start = Some(Instant::now());
    }
}

/// Meta lets a burst of messages reach one customer, then about one every 6 seconds.
const PAIR_BURST: f64 = 45.0;
const PAIR_REFILL: Duration = Duration::from_secs(6);

/// A token bucket per (business number, customer).
pub struct PairLimiter {
    buckets: HashMap<(String, String), (f64, Instant)>,
}

impl Default for PairLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl PairLimiter {
    pub fn new() -> Self {
        PairLimiter {
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for a send to `recipient` now, or says when one will be there.
    pub fn try_take(&mut self, number: &str, recipient: &str, now: Instant) -> Result<(), Instant> {
        let key = (number.to_owned(), recipient.to_owned());
        let (tokens, since) = self.buckets.get(&key).copied().unwrap_or((PAIR_BURST, now));
        let refilled = (tokens
            + now.saturating_duration_since(since).as_secs_f64() / PAIR_REFILL.as_secs_f64())
        .min(PAIR_BURST);
        if refilled >= 1.0 {
            self.buckets.insert(key, (refilled - 1.0, now));
            if self.buckets.len() > 100_000 {
                // Forget customers whose bucket is full again: they are as if new.
                self.buckets.retain(|_, (tokens, since)| {
                    *tokens
                        + now.saturating_duration_since(*since).as_secs_f64()
                            / PAIR_REFILL.as_secs_f64()
                        < PAIR_BURST
                });
            }
            Ok(())
        } else {
            self.buckets.insert(key, (refilled, now));
            Err(now + PAIR_REFILL.mul_f64(1.0 - refilled))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_are_spaced_whoever_asks() {
        let gate = Arc::new(NumberGate::new(1000));
        let mut waiters = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let gate = gate.clone();
            waiters.spawn(async move {
                gate.wait_turn("n1").await;
                Instant::now()
            });
        }
        let mut starts = waiters.join_all().await;
        starts.sort();
        for pair in starts.windows(2) {
            assert!(
                pair[1] - pair[0] >= gate.interval,
                "{:?}",
                pair[1] - pair[0]
            );
        }
        let started = Instant::now();
        gate.wait_turn("n2").await;
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "numbers are paced apart"
        );
    }

    #[test]
    fn a_customer_gets_a_burst_then_one_message_every_six_seconds() {
        let mut pairs = PairLimiter::new();
        let start = Instant::now();
        for _ in 0..45 {
            assert_eq!(pairs.try_take("n", "c1", start), Ok(()));
        }
        let ready = pairs.try_take("n", "c1", start).unwrap_err();
        assert_eq!(ready.duration_since(start), PAIR_REFILL);
        assert_eq!(
            pairs.try_take("n", "c2", start),
            Ok(()),
            "other customers are not held up"
        );
        assert_eq!(pairs.try_take("n", "c1", ready), Ok(()));
    }
}
