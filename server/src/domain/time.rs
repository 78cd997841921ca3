//! Time as Parley keeps it, and where "now" comes from.
//!
//! Every rule that depends on the time takes it as an argument, and every task that needs the
//! current time asks a [`Clock`] it was given: tests drive time with a [`ManualClock`] instead
//! of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC: stored as such on both engines and sent as such to
/// browsers, which show them in the member's time zone.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    /// The system's current time. Only [`SystemClock`] (and what runs before any clock exists,
    /// such as the command line) reads it; everything else asks its clock.
    pub fn now() -> Self {
        Millis::from(OffsetDateTime::now_utc())
    }

    /// RFC 3339, for people reading the command line's output and the logs.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }

    pub fn plus(self, duration: Duration) -> Self {
        Millis(
            self.0
                .saturating_add(duration.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    pub fn minus(self, duration: Duration) -> Self {
        Millis(
            self.0
                .saturating_sub(duration.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    /// How long from `self` until `later` (zero if `later` is not later).
    pub fn until(self, later: Millis) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0).max(0) as u64)
    }
}

impl From<OffsetDateTime> for Millis {
    fn from(t: OffsetDateTime) -> Self {
        Millis((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

/// Where the current time comes from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Millis;
}

pub type SharedClock = Arc<dyn Clock>;

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        Millis::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Millis) -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(start.0)))
    }

    /// A manual clock starting at the system's time (so Meta's timestamps stay plausible).
    pub fn starting_now() -> Arc<ManualClock> {
        ManualClock::new(Millis::now())
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(
            by.as_millis().min(i64::MAX as u128) as i64,
            Ordering::SeqCst,
        );
    }

    pub fn set(&self, to: Millis) {
        self.0.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        Millis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Millis(1_000));
        assert_eq!(clock.now(), Millis(1_000));
        clock.advance(Duration::from_secs(2));
        assert_eq!(clock.now(), Millis(3_000));
        clock.set(Millis(10));
        assert_eq!(clock.now(), Millis(10));
    }

    #[test]
    fn durations_between_instants_never_go_negative() {
        assert_eq!(
            Millis(1_000).until(Millis(3_500)),
            Duration::from_millis(2_500)
        );
        assert_eq!(Millis(3_500).until(Millis(1_000)), Duration::ZERO);
        assert_eq!(Millis(5_000).minus(Duration::from_secs(2)), Millis(3_000));
        assert_eq!(Millis(0).to_rfc3339(), "1970-01-01T00:00:00Z");
    }
}
