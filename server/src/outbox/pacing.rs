//! Meta's two send limits, kept on Parley's side so they are never hit: a business number's
//! throughput (80 messages/s by default, up to 1,000) and the pair limit between one business
//! number and one customer (error 131056: about one message every 6 seconds, with bursts).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A reserved slot is at least this much more than a second after the one `rate` slots before
/// it: the margin absorbs a start that wakes up to [`LATE_LIMIT`] after its slot, plus 2 ms of
/// jitter between Parley's clock and Meta's. It costs 0.5 % of the rate; a send Meta refuses
/// anyway (130429) is retried in order.
const WINDOW: Duration = Duration::from_millis(1005);

/// A send that wakes later than this after its slot takes a new one instead of starting: a
/// later start could put it within a second of the send `rate` slots after it.
const LATE_LIMIT: Duration = Duration::from_millis(3);

/// Paces the starts of sends on each business number. Each send reserves a slot: slots follow
/// an even schedule, `1 / rate` apart, and each is a full [`WINDOW`] after the slot `rate`
/// before it, so no one-second window ever holds more than `rate` starts. Slots are planned
/// from slots, not from when tasks happened to wake, so a late wake-up does not slow every
/// later send; and waiting sends sleep side by side, so several due in one timer tick start
/// together instead of handing a lock on one by one.
pub struct NumberGate {
    interval: Duration,
    per_second: usize,
    lanes: Mutex<HashMap<String, Arc<Mutex<Lane>>>>,
}

#[derive(Default)]
struct Lane {
    next_slot: Option<Instant>,
    /// The last `per_second` reserved slots, oldest first.
    reserved: VecDeque<Instant>,
}

impl Lane {
    fn reserve(&mut self, now: Instant, interval: Duration, per_second: usize) -> Instant {
        let planned = self.next_slot.unwrap_or(now).max(now);
        let window_open = match self.reserved.front() {
            Some(oldest) if self.reserved.len() >= per_second => *oldest + WINDOW,
            _ => now,
        };
        let slot = planned.max(window_open);
        self.next_slot = Some(slot + interval);
        self.reserved.push_back(slot);
        while self.reserved.len() > per_second {
            self.reserved.pop_front();
        }
        slot
    }
}

impl NumberGate {
    pub fn new(per_second: u32) -> Self {
        NumberGate {
            interval: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            per_second: per_second.max(1) as usize,
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
        loop {
            let slot = lane.lock().expect("number lane").reserve(
                Instant::now(),
                self.interval,
                self.per_second,
            );
            tokio::time::sleep_until(slot).await;
            if Instant::now() <= slot + LATE_LIMIT {
                return;
            }
        }
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

    // Paused time: the clock moves only while every task sleeps, so the spacing checked here
    // is the gate's own, whatever the load on the machine running the test.
    #[tokio::test(start_paused = true)]
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
        for (i, start) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|s| s.duration_since(*start) < Duration::from_secs(1))
                .count();
            assert!(
                in_window <= gate.per_second,
                "{in_window} starts in one second"
            );
        }
        let span = starts[199].duration_since(starts[0]);
        assert!(
            span >= gate.interval * 190,
            "evenly spread, not a burst: {span:?}"
        );
        let started = Instant::now();
        gate.wait_turn("n2").await;
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "numbers are paced apart"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_woken_late_takes_a_new_slot() {
        let gate = Arc::new(NumberGate::new(1));
        let first = Instant::now();
        gate.wait_turn("n1").await;
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.wait_turn("n1").await;
                Instant::now()
            }
        });
        // The waiter sleeps until its slot, a WINDOW after the first; it wakes two seconds in,
        // as if the machine had stalled. Starting then would put it 10 ms before the next slot.
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(2)).await;
        let started = waiter.await.expect("waiter");
        assert_eq!(started.duration_since(first), WINDOW * 2);
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
