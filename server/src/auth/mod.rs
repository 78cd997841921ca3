//! Who is asking: passwords, personal API tokens, sign-in throttling and sessions.

pub mod password;
pub mod password_link;
pub mod session;
pub mod throttle;
pub mod token;

use crate::domain::SharedClock;
use crate::domain::audit::AuditAction;
use crate::service::audit::{self, Actor, Origin};
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
        let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        let password_ok = self.hasher.verify(password, hash).await?;
        let outcome = match credentials {
            Some(c) if password_ok && !c.user.disabled => {
                self.throttle.record_success(&keys).await?;
                Ok(c.user)
            }
            // The attempt was counted when it was reserved.
            _ => Err(AuthError::InvalidCredentials),
        };
        self.audit(email, client, &keys, &outcome, now).await;
        outcome
    }

    /// Records a sign-in, or a failure and whether it locked the account. Attempts refused
    /// while locked are not recorded one by one: the throttle bounds what is written.
    async fn audit(
        &self,
        email: &str,
        client: &str,
        keys: &[(String, throttle::Policy); 2],
        outcome: &Result<User, AuthError>,
        now: crate::domain::Millis,
    ) {
        let origin = Origin(client.to_owned());
        let details = serde_json::json!({});
        match outcome {
            Ok(user) => {
                let viewer = viewer_of(user);
                let target = format!("member {}", user.id);
                let action = AuditAction::SignInSucceeded;
                let actor = Actor::Member(&viewer);
                audit::write(&self.store, now, actor, &origin, action, target, details).await;
            }
            Err(_) => {
                let locked = self
                    .store
                    .team
                    .throttle_record(&keys[0].0)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|record| record.blocked_until)
                    .is_some_and(|until| until > now);
                let action = if locked {
                    AuditAction::SignInThrottled
                } else {
                    AuditAction::SignInFailed
                };
                let tried = email.trim().to_lowercase();
                let actor = Actor::Anonymous(&tried);
                let target = "sign-in".to_owned();
                audit::write(&self.store, now, actor, &origin, action, target, details).await;
            }
        }
    }
}
