//! How long to wait before trying again: one exponential policy, with a first wait and a cap
//! per kind of work.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first: Duration,
    pub max: Duration,
}

/// A send Meta could not take right now (throttling, Meta-side trouble, the network).
pub const SEND: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(120),
};

/// A webhook that failed to apply.
pub const WEBHOOK: Backoff = Backoff {
    first: Duration::from_secs(1),
    max: Duration::from_secs(300),
};

/// A media download that failed.
pub const MEDIA_DOWNLOAD: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(4096),
};

impl Backoff {
    /// The wait after `failed_attempts` attempts have failed (at least one).
    pub fn after(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(30);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_and_cap() {
        assert_eq!(WEBHOOK.after(1), Duration::from_secs(1));
        assert_eq!(WEBHOOK.after(3), Duration::from_secs(4));
        assert_eq!(WEBHOOK.after(50), Duration::from_secs(300));
        assert_eq!(SEND.after(1), Duration::from_secs(2));
        assert_eq!(SEND.after(8), Duration::from_secs(120));
        assert_eq!(MEDIA_DOWNLOAD.after(12), Duration::from_secs(4096));
        assert_eq!(
            SEND.after(0),
            Duration::from_secs(2),
            "at least the first wait"
        );
    }
}
