//! The team: members, their personal API tokens, and sign-in throttling.

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::model::{DisplayName, Email, Role, UserId};
use parley_app::team::{Availability, LinkPurpose, NotificationSettings};

/// A team member as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Millis,
    /// Sessions begun before this are over (the password was reset or changed since).
    pub sessions_valid_from: Millis,
    pub notifications: NotificationSettings,
    /// Whether they take new conversations.
    pub availability: Availability,
    /// Whether they sign in with a second factor.
    pub two_factor: bool,
}

/// A team member with the password hash, for sign-in only.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    /// A PHC-format argon2id hash; `None` until an invited member sets a password, and after
    /// an admin reset it.
    pub password_hash: Option<String>,
}

pub struct NewUser {
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    /// A PHC-format argon2id hash; `None` for a member invited with a set-password link.
    pub password_hash: Option<String>,
}

/// What changes about a member; `None` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    pub name: Option<DisplayName>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub notifications: Option<NotificationSettings>,
}

/// A one-time set-password link to store (the digest of its secret, never the secret).
#[derive(Clone, Debug)]
pub struct NewPasswordLink {
    pub user: UserId,
    /// Hex SHA-256 of the link's secret.
    pub digest: String,
    pub purpose: LinkPurpose,
    pub created_by: Option<UserId>,
    pub expires_at: Millis,
}

/// A set-password link that still works, and whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPasswordLink {
    pub user: User,
    pub purpose: LinkPurpose,
    pub expires_at: Millis,
}

/// A personal API token to store.
#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub user: UserId,
    /// Hex SHA-256 of the token.
    pub digest: String,
    pub name: String,
    pub expires_at: Option<Millis>,
}

/// A personal API token as stored (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user: UserId,
    pub name: String,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// The member a bearer token authenticates, and until when the token works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    pub user: User,
    pub token_id: i64,
    pub expires_at: Option<Millis>,
}

/// Sign-in attempts counted under one key (an account or a client address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRecord {
    pub failures: u32,
    pub window_started_at: Millis,
    pub blocked_until: Option<Millis>,
}

/// How many attempts a throttle key allows, as the store applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptLimit {
    pub window_ms: i64,
    pub max_attempts: u32,
    /// How long the key is blocked once it has counted `max_attempts + i` attempts (the last
    /// entry holds for every count beyond).
    pub blocks_ms: Vec<i64>,
}

/// What reserving an attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// Counted: the record after counting this attempt.
    Counted(ThrottleRecord),
    /// Not counted: the key is blocked until then.
    Blocked { until: Millis },
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    async fn create_user(&self, user: NewUser, now: Millis) -> StoreResult<User>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    /// Every team member, by name.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Changes a member. Disabling ends their sessions, tokens and streams. Refused
    /// (`WrongState`) when it would leave the team without an active admin: the check and the
    /// change are one transaction, so two admins demoting each other at once cannot both win.
    async fn update_user(&self, id: UserId, change: &UserChange, now: Millis) -> StoreResult<User>;
    /// Stores a new password hash; sessions begun before `now` end (the caller begins a fresh
    /// one for the member who changed it).
    async fn set_password(&self, user: UserId, password_hash: &str, now: Millis)
    -> StoreResult<()>;

    /// Stores a one-time set-password link; earlier links of the member stop working. A
    /// `Reset` link also clears the password and ends the member's sessions, at once.
    async fn create_password_link(&self, link: &NewPasswordLink, now: Millis) -> StoreResult<()>;
    /// The link with this digest if it is unused, unexpired and its member active.
    async fn pending_password_link(
        &self,
        digest: &str,
        now: Millis,
    ) -> StoreResult<Option<PendingPasswordLink>>;
    /// Uses the link: sets the member's password and spends the link, in one transaction (a
    /// second use finds it spent: `NotFound`).
    async fn redeem_password_link(
        &self,
        digest: &str,
        password_hash: &str,
        now: Millis,
    ) -> StoreResult<User>;

    /// Stores a new personal API token (its SHA-256 digest, never the token).
    async fn create_api_token(&self, token: &NewApiToken, now: Millis) -> StoreResult<ApiToken>;
    /// A member's tokens, newest first, revoked and expired ones included.
    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `owner`'s tokens: it stops working at once, on every node (open event
    /// streams end too). Not found when the token is not theirs.
    async fn revoke_api_token(&self, owner: UserId, id: i64, now: Millis) -> StoreResult<ApiToken>;
    /// The active member owning a token digest, if the token is neither revoked nor expired;
    /// records its use (at most once a minute).
    async fn user_by_api_token(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> StoreResult<Option<TokenOwner>>;
    /// Says that a member's credentials changed (signed out, disabled, a token revoked): every
    /// node's open event streams of that member check theirs again.
    async fn credentials_changed(&self, user: UserId, now: Millis) -> StoreResult<()>;

    async fn throttle_record(&self, key: &str) -> StoreResult<Option<ThrottleRecord>>;
    /// Counts one more sign-in attempt under `key` unless the key is blocked, in one statement:
    /// however many attempts run at once, each sees the ones before it, and the attempt that
    /// reaches the limit blocks the key for the ones after it.
    async fn reserve_attempt(
        &self,
        key: &str,
        limit: &AttemptLimit,
        now: Millis,
    ) -> StoreResult<Reservation>;
    /// Takes back one counted attempt (it succeeded); unblocks the key if it falls under the
    /// limit again.
    async fn refund_attempt(&self, key: &str, limit: &AttemptLimit) -> StoreResult<()>;
    async fn clear_throttle_record(&self, key: &str) -> StoreResult<()>;
}

pub(super) const USER_COLUMNS: &str = "id, email, name, role, disabled_at, created_at, \
     sessions_valid_from, notify_mention, notify_snooze_ended, availability, totp_enabled_at";
pub(super) const API_TOKEN_COLUMNS: &str =
    "id, user_id, name, created_at, last_used_at, expires_at, revoked_at";

/// [`USER_COLUMNS`] of the table aliased `alias`, for joins.
pub(super) fn qualified_user_columns(alias: &str) -> String {
    USER_COLUMNS
        .split(',')
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `users` row as both engines return it.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled_at: Option<i64>,
    created_at: i64,
    sessions_valid_from: i64,
    notify_mention: bool,
    notify_snooze_ended: bool,
    availability: String,
    totp_enabled_at: Option<i64>,
}

impl UserRow {
    pub(super) fn into_user(self) -> StoreResult<User> {
        let corrupt = |e: parley_app::model::ParseError| StoreError::Corrupt(e.to_string());
        Ok(User {
            id: UserId(self.id),
            email: Email::parse(&self.email).map_err(corrupt)?,
            name: DisplayName::parse(&self.name).map_err(corrupt)?,
            role: self
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("unknown role {:?}", self.role)))?,
            disabled: self.disabled_at.is_some(),
            created_at: Millis(self.created_at),
            sessions_valid_from: Millis(self.sessions_valid_from),
            notifications: NotificationSettings {
                mention: self.notify_mention,
                snooze_ended: self.notify_snooze_ended,
            },
            availability: super::routing::parse_availability(&self.availability)?,
            two_factor: self.totp_enabled_at.is_some(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CredentialsRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct PasswordLinkRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) purpose: String,
    pub(super) expires_at: i64,
}

impl PasswordLinkRow {
    pub(super) fn into_pending(self) -> StoreResult<PendingPasswordLink> {
        Ok(PendingPasswordLink {
            purpose: LinkPurpose::parse(&self.purpose).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown link purpose {:?}", self.purpose))
            })?,
            expires_at: Millis(self.expires_at),
            user: self.user.into_user()?,
        })
    }
}

/// A user found by an API token, and the token's id, last use and expiry.
#[derive(sqlx::FromRow)]
pub(super) struct TokenUserRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) token_id: i64,
    pub(super) last_used_at: Option<i64>,
    pub(super) expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ApiTokenRow {
    id: i64,
    user_id: i64,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        ApiToken {
            id: row.id,
            user: UserId(row.user_id),
            name: row.name,
            created_at: Millis(row.created_at),
            last_used_at: row.last_used_at.map(Millis),
            expires_at: row.expires_at.map(Millis),
            revoked_at: row.revoked_at.map(Millis),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ThrottleRow {
    failures: i64,
    window_started_at: i64,
    blocked_until: Option<i64>,
}

impl From<ThrottleRow> for ThrottleRecord {
    fn from(row: ThrottleRow) -> Self {
        ThrottleRecord {
            failures: row.failures.clamp(0, u32::MAX as i64) as u32,
            window_started_at: Millis(row.window_started_at),
            blocked_until: row.blocked_until.map(Millis),
        }
    }
}
