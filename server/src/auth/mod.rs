//! Who is asking: passwords, personal API tokens, sign-in throttling and sessions.

pub mod password;
pub mod session;
pub mod throttle;
pub mod token;

use crate::domain::SharedClock;
use crate::store::{SharedStore, StoreError, User};
use parley_app::model::{Email, Viewer};
use password::PasswordHasher;
use throttle::{LoginThrottle, ThrottleVerdict};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

pub fn viewer_of(user: &User) -> Viewer {
    Viewer {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
    }
}

/// Signs team members in: checks throttling, verifies the password, records the outcome.
#[derive(Clone)]
pub struct Authenticator {
    store: SharedStore,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    clock: SharedClock,
}

impl Authenticator {
    pub fn new(store: SharedStore, hasher: PasswordHasher, clock: SharedClock) -> Self {
        Authenticator {
            throttle: LoginThrottle::new(store.clone()),
            store,
            hasher,
            clock,
        }
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The member whose email and password these are. `client` is the caller's address,
    /// throttled separately so one address cannot guess across many accounts.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<User, AuthError> {
        let now = self.clock.now();
        let keys = throttle::keys(email, client);
        // Reserved before hashing: the limit holds however many attempts arrive at once.
        if let ThrottleVerdict::Blocked { retry_after_secs } =
            self.throttle.reserve(&keys, now).await?
        {
            return Err(AuthError::Throttled { retry_after_secs });
        }
        let credentials = match Email::parse(email) {
            Ok(email) => self.store.team.credentials_by_email(&email).await?,
            Err(_) => None,
        };
        // Verify against a dummy hash when the account is unknown, so timing does not reveal
        // which emails exist.
        let hash = credentials.as_ref().map(|c| c.password_hash.clone());
        let password_ok = self.hasher.verify(password, hash).await?;
        match credentials {
            Some(c) if password_ok && !c.user.disabled => {
                self.throttle.record_success(&keys).await?;
                Ok(c.user)
            }
            // The attempt was counted when it was reserved.
            _ => Err(AuthError::InvalidCredentials),
        }
    }
}
