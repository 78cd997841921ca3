//! Sign-in throttling, kept in the database so every Parley node sees the same counts.
//!
//! Attempts are counted per account and per client address within a window, and each attempt
//! is counted (reserved) *before* its password is checked, in one statement: thirty wrong
//! passwords sent at once get no more checks than thirty sent one by one. The attempt that
//! reaches the limit blocks the key; after the block, each further attempt in the window
//! doubles it (capped). A correct password clears the account's count and takes the attempt
//! back from the address's.

use crate::domain::Millis;
use crate::store::{AttemptLimit, Reservation, SharedStore, StoreResult};
use std::time::Duration;

/// How many attempts a key may have within [`Policy::window`] before it is blocked.
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

/// The throttle keys of one sign-in attempt, with their policies: the account first.
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
    /// How long a key is blocked once `attempts` attempts are counted in its window.
    pub fn block_after(&self, attempts: u32) -> Option<Duration> {
        let beyond = attempts.checked_sub(self.max_failures)?;
        Some(
            self.first_block
                .saturating_mul(1 << beyond.min(16))
                .min(self.max_block),
        )
    }

    /// The policy as the store applies it: every block length up to the cap.
    pub fn limit(&self) -> AttemptLimit {
        let mut blocks_ms = Vec::new();
        for beyond in 0..=16 {
            let block = self
                .block_after(self.max_failures + beyond)
                .expect("at or over the limit");
            blocks_ms.push(block.as_millis() as i64);
            if block >= self.max_block {
                break;
            }
        }
        AttemptLimit {
            window_ms: self.window.as_millis() as i64,
            max_attempts: self.max_failures,
            blocks_ms,
        }
    }
}

fn blocked_for(until: Millis, now: Millis) -> ThrottleVerdict {
    ThrottleVerdict::Blocked {
        retry_after_secs: ((until.0 - now.0).max(1000) as u64).div_ceil(1000),
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

    /// Counts this attempt under every key, or answers the longest block among them (an
    /// attempt blocked under one key is then taken back from the others).
    pub async fn reserve(
        &self,
        keys: &[(String, Policy)],
        now: Millis,
    ) -> StoreResult<ThrottleVerdict> {
        let mut counted = Vec::new();
        let mut blocked_until: Option<Millis> = None;
        for (key, policy) in keys {
            match self
                .store
                .team
                .reserve_attempt(key, &policy.limit(), now)
                .await?
            {
                Reservation::Counted(_) => counted.push((key, policy)),
                Reservation::Blocked { until } => {
                    blocked_until = Some(blocked_until.map_or(until, |other| other.max(until)));
                }
            }
        }
        match blocked_until {
            None => Ok(ThrottleVerdict::Allowed),
            Some(until) => {
                for (key, policy) in counted {
                    self.store.team.refund_attempt(key, &policy.limit()).await?;
                }
                Ok(blocked_for(until, now))
            }
        }
    }

    /// A correct password clears the account's count; the address gets this attempt back but
    /// keeps its history, so that a guesser with one valid account cannot reset their budget.
    pub async fn record_success(&self, keys: &[(String, Policy)]) -> StoreResult<()> {
        let [(account, _), rest @ ..] = keys else {
            return Ok(());
        };
        self.store.team.clear_throttle_record(account).await?;
        for (key, policy) in rest {
            self.store.team.refund_attempt(key, &policy.limit()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_from_the_limit_and_backs_off() {
        assert_eq!(ACCOUNT_POLICY.block_after(4), None);
        assert_eq!(ACCOUNT_POLICY.block_after(5), Some(Duration::from_secs(60)));
        assert_eq!(
            ACCOUNT_POLICY.block_after(6),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            ACCOUNT_POLICY.block_after(40),
            Some(Duration::from_secs(900))
        );
    }

    #[test]
    fn the_store_gets_every_step_up_to_the_cap() {
        let limit = ACCOUNT_POLICY.limit();
        assert_eq!(limit.max_attempts, 5);
        assert_eq!(
            limit.blocks_ms,
            [60_000, 120_000, 240_000, 480_000, 900_000]
        );
        assert_eq!(limit.window_ms, 15 * 60 * 1000);
    }

    #[test]
    fn retry_after_is_whole_seconds_and_never_zero() {
        assert_eq!(
            blocked_for(Millis(61_500), Millis(1_000)),
            ThrottleVerdict::Blocked {
                retry_after_secs: 61
            }
        );
        assert_eq!(
            blocked_for(Millis(1_000), Millis(1_000)),
            ThrottleVerdict::Blocked {
                retry_after_secs: 1
            }
        );
    }
}
