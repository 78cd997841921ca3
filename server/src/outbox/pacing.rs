//! Meta's two send limits, kept on Parley's side so they are never hit: a business number's
//! throughput (80 messages/s by default, up to 1,000) and the pair limit between one business
//! number and one customer (error 131056: about one message every 6 seconds, with bursts).

use super::rates::SendRates;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// No `rate + 1` starts fall within this span: a second, plus a margin for the time between a
/// send starting and its request reaching Meta, and for jitter between Parley's clock and
/// Meta's. It costs 0.5 % of the rate; a send Meta refuses anyway (130429) is retried in
/// order.
const WINDOW: Duration = Duration::from_millis(1005);

/// Starts due within this much are granted together: the timer wakes the driver at most once
/// a millisecond, and granting one start per wake-up would cap a number near 900 a second.
const EARLY: Duration = Duration::from_millis(1);

/// Which sends go first on a number when several wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// A conversation's message (a member, an automation, a confirmation): someone is waiting.
    Conversation,
    /// A campaign's message: it yields to conversations.
    Bulk,
}

/// Paces the starts of sends on each business number. Waiting sends queue per number
/// (conversations before campaigns); one driver per busy number grants starts on an even
/// schedule, `1 / rate` apart, never more than `rate` within a [`WINDOW`]. The schedule is
/// planned from itself, not from when the driver happened to wake: after a late wake-up the
/// overdue starts go at once (as far as the window allows), so a stalled machine delays sends
/// but does not lose their slots. Only starts about to happen are granted, so a conversation's
/// message queued behind a campaign waits for one slot, not for the campaign's work in hand.
pub struct NumberGate {
    rates: Arc<SendRates>,
    lanes: Mutex<HashMap<String, Arc<Mutex<Lane>>>>,
}

#[derive(Clone, Copy, Default)]
struct Pace {
    interval: Duration,
    per_second: usize,
}

impl Pace {
    fn new(per_second: u32) -> Pace {
        Pace {
            interval: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            per_second: per_second.max(1) as usize,
        }
    }
}

#[derive(Default)]
struct Lane {
    conversations: VecDeque<oneshot::Sender<()>>,
    bulk: VecDeque<oneshot::Sender<()>>,
    /// When the next start is planned while the lane is busy.
    next_slot: Option<Instant>,
    /// When sends began, within the last [`WINDOW`], oldest first: the window is kept on
    /// these, not on grants, because a granted task may run a few milliseconds later.
    started: VecDeque<Instant>,
    /// Grants whose sends have not begun yet, by grant time.
    granted: VecDeque<Instant>,
    driven: bool,
    /// The number's pace, as its last waiter found it.
    pace: Pace,
}

impl Lane {
    /// When the next start may be granted, if anyone waits.
    fn next_start(&mut self, now: Instant, pace: Pace) -> Option<Instant> {
        self.conversations.retain(|waiter| !waiter.is_closed());
        self.bulk.retain(|waiter| !waiter.is_closed());
        if self.conversations.is_empty() && self.bulk.is_empty() {
            self.next_slot = None;
            return None;
        }
        // A grant whose task never said it began (it was dropped) counts from its grant.
        while let Some(stale) = self.granted.front().copied().filter(|g| *g + WINDOW <= now) {
            self.granted.pop_front();
            self.began(stale);
        }
        while self.started.front().is_some_and(|s| *s + WINDOW <= now) {
            self.started.pop_front();
        }
        let planned = self.next_slot.unwrap_or(now);
        // Sends granted but not begun will begin now or later: they are the latest starts.
        let counted = self.started.len() + self.granted.len();
        Some(match counted.checked_sub(pace.per_second) {
            Some(i) if i < self.started.len() => planned.max(self.started[i] + WINDOW),
            Some(_) => planned.max(now + WINDOW),
            None => planned,
        })
    }

    /// A granted send began at `at`.
    fn began(&mut self, at: Instant) {
        let position = self.started.partition_point(|s| *s <= at);
        self.started.insert(position, at);
    }

    /// Grants the start planned for `slot` to the first waiter, at `now` (at most [`EARLY`]
    /// before `slot`).
    fn grant(&mut self, slot: Instant, now: Instant, pace: Pace) {
        let waiter = match self.conversations.pop_front() {
            Some(waiter) => waiter,
            None => self.bulk.pop_front().expect("a waiter"),
        };
        if waiter.send(()).is_ok() {
            self.granted.push_back(now);
            self.next_slot = Some(slot + pace.interval);
        }
    }
}

impl NumberGate {
    pub fn new(rates: Arc<SendRates>) -> Self {
        NumberGate {
            rates,
            lanes: Mutex::new(HashMap::new()),
        }
    }

    /// Returns when a send on `number` may start; the caller starts it at once.
    pub async fn wait_turn(&self, number: &str, turn: Turn) {
        let lane = self
            .lanes
            .lock()
            .expect("number lanes")
            .entry(number.to_owned())
            .or_default()
            .clone();
        let (granted, wait) = oneshot::channel();
        {
            let mut queue = lane.lock().expect("number lane");
            queue.pace = Pace::new(self.rates.of(number));
            match turn {
                Turn::Conversation => queue.conversations.push_back(granted),
                Turn::Bulk => queue.bulk.push_back(granted),
            }
            if !std::mem::replace(&mut queue.driven, true) {
                tokio::spawn(drive(lane.clone()));
            }
        }
        // The driver grants every waiter in turn; it only stops when none is left.
        if wait.await.is_ok() {
            let mut lane = lane.lock().expect("number lane");
            lane.granted.pop_front();
            lane.began(Instant::now());
        }
    }
}

/// Grants a number's starts while anyone waits for one.
async fn drive(lane: Arc<Mutex<Lane>>) {
    loop {
        let slot = {
            let mut lane = lane.lock().expect("number lane");
            let (now, pace) = (Instant::now(), lane.pace);
            match lane.next_start(now, pace) {
                None => {
                    lane.driven = false;
                    return;
                }
                Some(slot) if slot <= now + EARLY => {
                    lane.grant(slot, now, pace);
                    continue;
                }
                Some(slot) => slot,
            }
        };
        tokio::time::sleep_until(slot).await;
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

    /// Checks that no [`WINDOW`] holds more than `per_second` of the sorted `starts`.
    fn assert_paced(starts: &[Instant], per_second: usize) {
        for (i, start) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|s| s.duration_since(*start) < WINDOW)
                .count();
            assert!(
                in_window <= per_second,
                "{in_window} starts within {WINDOW:?}"
            );
        }
    }

    fn waiters(gate: &Arc<NumberGate>, count: usize, turn: Turn) -> JoinSet<Instant> {
        let mut waiters = JoinSet::new();
        for _ in 0..count {
            let gate = gate.clone();
            waiters.spawn(async move {
                gate.wait_turn("n1", turn).await;
                Instant::now()
            });
        }
        waiters
    }

    use tokio::task::JoinSet;

    fn gate_at(per_second: u32) -> NumberGate {
        NumberGate::new(Arc::new(SendRates::new(Some(per_second))))
    }

    // Paused time: the clock moves only while every task sleeps (or when a test advances it),
    // so the spacing checked here is the gate's own, whatever the load on the machine.
    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_whoever_asks() {
        let gate = Arc::new(gate_at(1000));
        let mut starts = waiters(&gate, 200, Turn::Bulk).join_all().await;
        starts.sort();
        assert_paced(&starts, 1000);
        let span = starts[199].duration_since(starts[0]);
        assert!(
            span >= Pace::new(1000).interval * 190,
            "evenly spread, not a burst: {span:?}"
        );
        let started = Instant::now();
        gate.wait_turn("n2", Turn::Bulk).await;
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "numbers are paced apart"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_delays_starts_without_losing_their_slots() {
        let gate = Arc::new(gate_at(10));
        let first = Instant::now();
        let waiting = waiters(&gate, 20, Turn::Bulk);
        // The machine stalls for half a second after the first start: the driver wakes late,
        // with five starts overdue.
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(500)).await;
        let mut starts = waiting.join_all().await;
        starts.sort();
        assert_paced(&starts, 10);
        assert_eq!(starts[5].duration_since(first), Duration::from_millis(500));
        let last = starts[19].duration_since(first);
        assert!(
            last <= Duration::from_millis(1910),
            "the schedule goes on where it was: the last start at {last:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_conversation_goes_before_waiting_campaign_sends() {
        let gate = Arc::new(gate_at(1));
        let first = Instant::now();
        let campaign = waiters(&gate, 5, Turn::Bulk);
        tokio::task::yield_now().await;
        let conversation = Instant::now();
        gate.wait_turn("n1", Turn::Conversation).await;
        let conversation_started = Instant::now();
        assert_eq!(
            conversation_started.duration_since(conversation),
            WINDOW.max(Pace::new(1).interval),
            "one slot after the campaign send already started"
        );
        let mut starts = campaign.join_all().await;
        starts.sort();
        assert_eq!(starts[0], first);
        assert!(starts[1] > conversation_started);
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
