//! Meta's two send limits, kept on Parley's side so they are never hit: a business number's
//! throughput (80 messages/s by default, up to 1,000) and the pair limit between one business
//! number and one customer (error 131056: about one message every 6 seconds, with bursts).

use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// A little slack on the spacing, so that clock jitter between Parley and Meta can never make a
/// one-second window at Meta hold more than the rate.
const SLACK: f64 = 1.005;

/// Starts sends on each business number at least `1 / rate` apart: whichever task asks, and in
/// whatever order, no one-second window ever holds more than `rate` starts.
pub struct NumberPacer {
    interval: Duration,
    next_slot: HashMap<String, Instant>,
}

impl NumberPacer {
    pub fn new(per_second: u32) -> Self {
        NumberPacer {
            interval: Duration::from_secs_f64(SLACK / f64::from(per_second.max(1))),
            next_slot: HashMap::new(),
        }
    }

    /// Reserves the next start time for a send on `number` (now, or later when busy).
    pub fn reserve(&mut self, number: &str, now: Instant) -> Instant {
        let slot = self.next_slot.get(number).copied().unwrap_or(now).max(now);
        self.next_slot
            .insert(number.to_owned(), slot + self.interval);
        slot
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

    #[test]
    fn no_one_second_window_holds_more_than_the_rate() {
        let mut pacer = NumberPacer::new(80);
        let start = Instant::now();
        let slots: Vec<Instant> = (0..400).map(|_| pacer.reserve("n1", start)).collect();
        for (i, slot) in slots.iter().enumerate() {
            let in_window = slots[i..]
                .iter()
                .take_while(|s| s.duration_since(*slot) < Duration::from_secs(1))
                .count();
            assert!(in_window <= 80, "{in_window} starts in one second");
        }
        let elapsed = slots.last().unwrap().duration_since(start).as_secs_f64();
        assert!((elapsed - 399.0 / 80.0 * SLACK).abs() < 0.01, "{elapsed}");
        assert_eq!(pacer.reserve("n2", start), start, "numbers are paced apart");
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
