//! Sign-in throttling, kept in the database so every Parley node sees the same counts.
//!
//! Failures are counted per account and per client address within a window. Past the limit,
//! the key is blocked, and each further failure while counting doubles the block (capped).

use crate::store::{Millis, SharedStore, StoreResult, ThrottleRecord};
use std::time::Duration;

/// How many failures a key may have within [`Policy::window`] before it is blocked.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub max_failures: u32,
    pub window: Duration,
    pub first_block: Duration,
    pub max_block: Duration,
}

pub const ACCOUNT_POLICY: Policy = Policy {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
    first_block: Duration::from_secs(60),
    max_block: Duration::from_secs(15 * 60),
};

/// An office behind one NAT shares an address, so allow it more.
pub const ADDRESS_POLICY: Policy = Policy {
    max_failures: 20,
    window: Duration::from_secs(15 * 60),
    first_block: Duration::from_secs(60),
    max_block: Duration::from_secs(15 * 60),
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThrottleVerdict {
    Allowed,
    Blocked { retry_after_secs: u64 },
}

/// The throttle keys of one sign-in attempt, with their policies.
pub fn keys(email: &str, client: &str) -> [(String, Policy); 2] {
    [
        (
            format!("account:{}", email.trim().to_lowercase()),
            ACCOUNT_POLICY,
        ),
        (format!("address:{client}"), ADDRESS_POLICY),
    ]
}

impl Policy {
    /// The record after one more failure at `now`.
    pub fn after_failure(&self, previous: Option<ThrottleRecord>, now: Millis) -> ThrottleRecord {
        let fresh = ThrottleRecord {
            failures: 0,
            window_started_at: now,
            blocked_until: None,
        };
        let mut record = match previous {
            Some(r) if now.0 - r.window_started_at.0 < self.window.as_millis() as i64 => r,
            _ => fresh,
        };
        record.failures = record.failures.saturating_add(1);
        if record.failures >= self.max_failures {
            let doublings = (record.failures - self.max_failures).min(16);
            let block = self
                .first_block
                .saturating_mul(1 << doublings)
                .min(self.max_block);
            record.blocked_until = Some(now.plus(block));
        }
        record
    }
}

/// Whether `record` blocks an attempt at `now`.
pub fn verdict(record: Option<ThrottleRecord>, now: Millis) -> ThrottleVerdict {
    match record.and_then(|r| r.blocked_until) {
        Some(until) if until > now => ThrottleVerdict::Blocked {
            retry_after_secs: ((until.0 - now.0) as u64).div_ceil(1000),
        },
        _ => ThrottleVerdict::Allowed,
    }
}

#[derive(Clone)]
pub struct LoginThrottle {
    store: SharedStore,
}

impl LoginThrottle {
    pub fn new(store: SharedStore) -> Self {
        LoginThrottle { store }
    }

    /// The strictest verdict across the attempt's keys.
    pub async fn check(
        &self,
        keys: &[(String, Policy)],
        now: Millis,
    ) -> StoreResult<ThrottleVerdict> {
        let mut worst = ThrottleVerdict::Allowed;
        for (key, _) in keys {
            if let ThrottleVerdict::Blocked { retry_after_secs } =
                verdict(self.store.throttle_record(key).await?, now)
            {
                let longer = match worst {
                    ThrottleVerdict::Blocked {
                        retry_after_secs: current,
                    } => retry_after_secs > current,
                    ThrottleVerdict::Allowed => true,
                };
                if longer {
                    worst = ThrottleVerdict::Blocked { retry_after_secs };
                }
            }
        }
        Ok(worst)
    }

    pub async fn record_failure(&self, keys: &[(String, Policy)], now: Millis) -> StoreResult<()> {
        for (key, policy) in keys {
            let previous = self.store.throttle_record(key).await?;
            self.store
                .put_throttle_record(key, policy.after_failure(previous, now))
                .await?;
        }
        Ok(())
    }

    /// A correct password clears the account's count; the address keeps its history so that a
    /// guesser with one valid account cannot reset their budget.
    pub async fn record_success(&self, keys: &[(String, Policy)]) -> StoreResult<()> {
        if let Some((account_key, _)) = keys.first() {
            self.store.clear_throttle_record(account_key).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(n: u32, policy: Policy, start: Millis) -> ThrottleRecord {
        let mut record = None;
        for i in 0..n {
            record = Some(policy.after_failure(record, Millis(start.0 + i64::from(i))));
        }
        record.unwrap()
    }

    #[test]
    fn blocks_after_the_limit_and_backs_off() {
        let start = Millis(1_000_000);
        let four = fail(4, ACCOUNT_POLICY, start);
        assert_eq!(verdict(Some(four), start), ThrottleVerdict::Allowed);
        let five = fail(5, ACCOUNT_POLICY, start);
        assert_eq!(
            verdict(Some(five), Millis(start.0 + 4)),
            ThrottleVerdict::Blocked {
                retry_after_secs: 60
            }
        );
        let six = fail(6, ACCOUNT_POLICY, start);
        assert_eq!(
            verdict(Some(six), Millis(start.0 + 5)),
            ThrottleVerdict::Blocked {
                retry_after_secs: 120
            }
        );
        let many = fail(40, ACCOUNT_POLICY, start);
        assert_eq!(
            verdict(Some(many), Millis(start.0 + 39)),
            ThrottleVerdict::Blocked {
                retry_after_secs: 900
            }
        );
    }

    #[test]
    fn block_ends_and_window_resets() {
        let start = Millis(0);
        let five = fail(5, ACCOUNT_POLICY, start);
        assert_eq!(
            verdict(Some(five), Millis(61_000)),
            ThrottleVerdict::Allowed
        );
        let later = ACCOUNT_POLICY.after_failure(Some(five), Millis(16 * 60 * 1000));
        assert_eq!(later.failures, 1);
        assert_eq!(later.blocked_until, None);
    }
}
