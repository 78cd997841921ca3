//! Second factors: members' TOTP secrets (one being set up, one confirmed), the last step
//! used, one-time recovery codes, and the workspace's policy on who must use them.

use super::StoreResult;
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::model::UserId;
use parley_app::team::TwoFactorPolicy;

/// A member's second factor as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecondFactor {
    /// The confirmed secret (base32): two-factor sign-in is on.
    pub secret: Option<String>,
    /// A secret being set up, until a code confirms it.
    pub pending: Option<String>,
    /// The latest TOTP step used: codes of that step or earlier no longer work.
    pub last_step: Option<i64>,
    pub recovery_codes_left: u32,
}

#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    async fn get(&self, user: UserId) -> StoreResult<SecondFactor>;
    /// Starts setting up a secret (replacing one being set up; a confirmed one stays on).
    async fn begin(&self, user: UserId, pending: &str) -> StoreResult<()>;
    /// The pending secret becomes the member's, `step` counts as used, and these recovery
    /// codes (their digests) replace any earlier ones. `NotFound` without a pending secret.
    async fn confirm(
        &self,
        user: UserId,
        step: i64,
        recovery_digests: &[String],
        now: Millis,
    ) -> StoreResult<()>;
    /// Marks `step` used if it is later than the last one used; whether it was (a code works
    /// once, even when two requests present it at the same moment).
    async fn use_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Spends a recovery code; whether it was there to spend.
    async fn use_recovery_code(&self, user: UserId, digest: &str, now: Millis)
    -> StoreResult<bool>;
    /// Turns two-factor sign-in off: the secret and recovery codes are gone.
    async fn remove(&self, user: UserId, now: Millis) -> StoreResult<()>;

    async fn policy(&self) -> StoreResult<TwoFactorPolicy>;
    async fn set_policy(&self, policy: TwoFactorPolicy, now: Millis) -> StoreResult<()>;
}
