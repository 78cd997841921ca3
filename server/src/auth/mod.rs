//! Who is asking: passwords, personal API tokens, sign-in throttling and sessions.

pub mod password;
pub mod password_link;
pub mod recovery;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;

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

/// Where signing in stands after the password.
#[derive(Clone, Debug)]
pub enum SignInStep {
    Complete(User),
    /// The password was right; a code from the member's second factor is still owed.
    NeedsCode(User),
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

    /// The member whose email and password these are, and whether they still owe a second
    /// factor. `client` is the caller's address, throttled separately so one address cannot
    /// guess across many accounts.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<SignInStep, AuthError> {
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
        let user = match outcome {
            Ok(user) => user,
            Err(error) => {
                self.audit(email, client, &keys, &Err(error), now, None)
                    .await;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if self
            .store
            .second_factor
            .get(user.id)
            .await?
            .secret
            .is_some()
        {
            return Ok(SignInStep::NeedsCode(user));
        }
        self.audit(email, client, &keys, &Ok(user.clone()), now, None)
            .await;
        Ok(SignInStep::Complete(user))
    }

    /// The second step of signing in: a code from the member's authenticator app, or one of
    /// their recovery codes. Throttled like passwords (under keys of its own for the
    /// account), and each code works once.
    pub async fn second_factor(
        &self,
        user: &User,
        code: &str,
        client: &str,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let email = user.email.as_str();
        let keys = throttle::keys(&format!("{email}#second-factor"), client);
        if let ThrottleVerdict::Blocked { retry_after_secs } =
            self.throttle.reserve(&keys, now).await?
        {
            return Err(AuthError::Throttled { retry_after_secs });
        }
        let factor = self.store.second_factor.get(user.id).await?;
        let used = match factor
            .secret
            .as_deref()
            .and_then(totp::TotpSecret::from_base32)
        {
            None => None,
            Some(_) if recovery::looks_like_code(code) => {
                let digest = recovery::digest(code);
                let spent = self
                    .store
                    .second_factor
                    .use_recovery_code(user.id, &digest, now)
                    .await?;
                spent.then_some("recovery code")
            }
            Some(secret) => match secret.verify(code, now.0.div_euclid(1000), factor.last_step) {
                Some(step) if self.store.second_factor.use_step(user.id, step).await? => {
                    Some("authenticator app")
                }
                _ => None,
            },
        };
        let outcome = match used {
            Some(_) => {
                self.throttle.record_success(&keys).await?;
                Ok(user.clone())
            }
            None => Err(AuthError::InvalidCredentials),
        };
        let failed = outcome.is_err();
        self.audit(
            email,
            client,
            &keys,
            &outcome,
            now,
            Some(used.unwrap_or("code")),
        )
        .await;
        if failed {
            return Err(AuthError::InvalidCredentials);
        }
        Ok(())
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
        second_factor: Option<&str>,
    ) {
        let origin = Origin(client.to_owned());
        let details = match second_factor {
            Some(factor) => serde_json::json!({ "second_factor": factor }),
            None => serde_json::json!({}),
        };
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
