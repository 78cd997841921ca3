//! The data layer: one domain-level [`Store`] contract, implemented for SQLite and PostgreSQL.
//! All SQL lives under this module; the rest of Parley speaks in domain types.
//!
//! Timestamps are stored as integer milliseconds since the Unix epoch in both backends: the
//! same exact value on either engine, and cheap keyset comparisons.

#[macro_use]
mod portable;
#[macro_use]
mod templates;
mod postgres;
mod sqlite;

use crate::config::DatabaseUrl;
use crate::whatsapp::webhook::{
    Change, ContactProfile, Content, CustomerKey, EchoMessage, InboundMessage, MessagesChange,
    Notification, StatusUpdate, WaMessageId,
};
use async_trait::async_trait;
use parley_app::model::{
    ContactView, ConversationPage, ConversationStatus, ConversationSummary, DeliveryError,
    Direction, DisplayName, Email, MessagePage, MessageStatus, MessageView, ReactionView, Role,
    UserId,
};
use parley_app::templates::{TemplateChange, TemplateDetail, TemplateStatus, TemplateView};
use std::sync::Arc;
use time::OffsetDateTime;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use templates::{ChangeSource, TemplateRecord, TemplateStore};
use templates::{
    TEMPLATE_COLUMNS, TemplateEventRow, TemplateRow, TemplateWebhook, meaningful_reason,
};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Millis {
    pub fn now() -> Self {
        Millis::from(OffsetDateTime::now_utc())
    }

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

    pub fn plus(self, duration: std::time::Duration) -> Self {
        Millis(
            self.0
                .saturating_add(duration.as_millis().min(i64::MAX as u128) as i64),
        )
    }
}

impl From<OffsetDateTime> for Millis {
    fn from(t: OffsetDateTime) -> Self {
        Millis((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

/// A team member as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Millis,
}

/// A team member with the password hash, for sign-in only.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

pub struct NewUser {
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    /// A PHC-format argon2id hash.
    pub password_hash: String,
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

/// The live event that makes open streams of a member check their credential again.
pub const CREDENTIALS_CHANGED: &str = "credentials.changed";

/// Failed sign-ins recorded under one key (an account or a client address).
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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The operation does not apply to the record as it stands.
    #[error("{0}")]
    WrongState(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything Parley stores, in domain terms. Both backends pass the same contract tests
/// (`server/tests/store_contract.rs`).
#[async_trait]
pub trait Store: TemplateStore + Send + Sync + 'static {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database is reachable.
    async fn ping(&self) -> StoreResult<()>;
    /// The session store for sign-in cookies, on the same database.
    fn session_store(&self) -> crate::auth::session::DbSessionStore;
    /// The same database through up to `connections` connections of its own, for a task that
    /// runs the same few reads over and over (the live hub). PostgreSQL prepares a statement
    /// per connection, and the shared pool hands its connections out in turn, so there each
    /// read would often be prepared afresh: a second round trip.
    fn with_own_connections(&self, connections: u32) -> SharedStore;

    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    /// Every team member, by name.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_user_disabled(&self, email: &Email, disabled: bool) -> StoreResult<User>;

    /// Stores a new personal API token (its SHA-256 digest, never the token).
    async fn create_api_token(&self, token: &NewApiToken, now: Millis) -> StoreResult<ApiToken>;
    /// A member's tokens, newest first, revoked and expired ones included.
    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `owner`'s tokens: it stops working at once, on every node (open event
    /// streams end too). Not found when the token is not theirs.
    async fn revoke_api_token(&self, owner: UserId, id: i64, now: Millis) -> StoreResult<ApiToken>;
    /// The active member owning a token digest, if the token is neither revoked nor expired;
    /// records its use.
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

    /// Durably records verified webhook bodies in one transaction (a group commit). Every body
    /// is appended, redeliveries too: they are recognised when applied (see `apply_webhooks`),
    /// because a unique index here would add writes to random pages of an ever-growing index
    /// to every acknowledgement.
    async fn append_webhooks(&self, bodies: &[&[u8]], received_at: Millis) -> StoreResult<()>;
    /// Leases up to `limit` unprocessed webhooks, oldest first; a lease that runs out (the
    /// holder died) makes the event claimable again.
    async fn claim_webhooks(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<PendingWebhook>>;
    /// At start-up: frees claims (webhooks, sends) a previous run of this node left behind when
    /// it died. Only where one node owns the database (SQLite); elsewhere claims run out.
    async fn release_orphaned_claims(&self) -> StoreResult<()>;
    /// How many stored webhooks are not processed yet (a health signal).
    async fn webhook_backlog(&self) -> StoreResult<i64>;
    /// Records a processing failure; the event is retried once `retry_at` passes.
    async fn fail_webhook(&self, id: i64, error: &str, retry_at: Millis) -> StoreResult<()>;
    /// Applies claimed webhooks (contacts, conversations, messages, statuses, account events,
    /// and the live events they cause) and marks them processed, all in one transaction: one
    /// commit per batch. An event that fails is rolled back alone and returned with its error;
    /// an unreadable one (`notification: None`) is simply marked processed. A byte-identical
    /// redelivery of an earlier event is marked processed without being applied, and applying
    /// the same message twice in different bodies changes nothing the second time.
    async fn apply_webhooks(
        &self,
        events: &[ParsedWebhook],
        now: Millis,
    ) -> StoreResult<Vec<(i64, StoreError)>>;
    /// Records a business number (learned from the Graph API or seen in a webhook).
    async fn register_business_number(
        &self,
        number: &BusinessNumber,
        now: Millis,
    ) -> StoreResult<()>;
    async fn business_numbers(&self) -> StoreResult<Vec<BusinessNumber>>;

    /// Resolves or reopens a conversation (with a live event). Reopening fails with a conflict
    /// when the customer already has another open conversation on that number.
    async fn set_conversation_status(
        &self,
        id: i64,
        status: ConversationStatus,
        now: Millis,
    ) -> StoreResult<()>;
    /// Assigns a conversation to a member, or unassigns it (with a live event).
    async fn assign_conversation(
        &self,
        id: i64,
        assignee: Option<UserId>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Clears the unread count once a member has opened the conversation; returns the latest
    /// inbound message, to be marked read at Meta.
    async fn mark_conversation_read(
        &self,
        id: i64,
        now: Millis,
    ) -> StoreResult<Option<ReadReceipt>>;
    async fn list_conversations(&self, query: &ConversationQuery) -> StoreResult<ConversationPage>;
    async fn conversation(&self, id: i64) -> StoreResult<Option<ConversationSummary>> {
        Ok(self.conversations_by_id(&[id]).await?.pop())
    }
    /// The conversations with these ids that exist, in any order (one query for many).
    async fn conversations_by_id(&self, ids: &[i64]) -> StoreResult<Vec<ConversationSummary>>;
    /// The newest `limit` messages of a conversation before `before` (a message's sort key and
    /// id), in Meta's time order, and the cursor of the older page.
    async fn conversation_messages(
        &self,
        conversation_id: i64,
        before: Option<KeysetCursor>,
        limit: i64,
    ) -> StoreResult<MessagePage>;
    async fn message(&self, id: i64) -> StoreResult<Option<MessageView>> {
        Ok(self.messages_by_id(&[id]).await?.pop())
    }
    /// The messages with these ids that exist, in any order (two queries for many).
    async fn messages_by_id(&self, ids: &[i64]) -> StoreResult<Vec<MessageView>>;

    /// Where a conversation's replies go, and until when free-form replies are allowed.
    async fn conversation_route(&self, id: i64) -> StoreResult<Option<ConversationRoute>>;
    /// Whether a message with this wamid belongs to the conversation.
    async fn message_in_conversation(&self, conversation_id: i64, wamid: &str)
    -> StoreResult<bool>;
    /// Stores an outbound message (status `queued`) and its send job in one transaction.
    async fn enqueue_outbound(&self, message: &NewOutbound, now: Millis) -> StoreResult<i64>;
    /// Leases up to `limit` due send jobs, oldest first.
    async fn claim_outbox(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> StoreResult<Vec<OutboxJob>>;
    /// Meta accepted these sends (message id, wamid): record each wamid (and any status that
    /// arrived before it), all in one transaction.
    async fn outbox_accepted(&self, accepted: &[(i64, String)], now: Millis) -> StoreResult<()>;
    /// A retryable failure: try again at `retry_at`.
    async fn outbox_retry(&self, message_id: i64, error: &str, retry_at: Millis)
    -> StoreResult<()>;
    /// Puts a claimed job back untried (pacing, not failure): it is claimed again at `until`
    /// and the attempt does not count.
    async fn outbox_defer(&self, message_id: i64, until: Millis) -> StoreResult<()>;
    /// A permanent failure: the message is `failed` with Meta's reason.
    async fn outbox_failed(
        &self,
        message_id: i64,
        error: &DeliveryError,
        now: Millis,
    ) -> StoreResult<()>;

    /// Sends a failed outbound message again, as a new attempt (a new wamid).
    async fn retry_message(&self, message_id: i64, now: Millis) -> StoreResult<()>;
    /// Withdraws a message that is still queued (not yet handed to Meta).
    async fn cancel_message(&self, message_id: i64, now: Millis) -> StoreResult<()>;

    /// Live events after `after`, oldest first (the server-sent-event log).
    async fn live_events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredLiveEvent>>;
    async fn latest_live_event_id(&self) -> StoreResult<i64>;

    /// Inbound media due for (another) download attempt.
    async fn due_media(&self, now: Millis, limit: i64) -> StoreResult<Vec<MediaJob>>;
    async fn media_stored(
        &self,
        media_id: &str,
        path: &str,
        size_bytes: i64,
        mime_type: &str,
    ) -> StoreResult<()>;
    /// Records a failed download: retried at `retry_at`, or given up when `None` (threads
    /// showing it then learn why, live).
    async fn media_failed(
        &self,
        media_id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Bytes of media stored on disk (downloads and uploads), for the quota.
    async fn stored_media_bytes(&self) -> StoreResult<i64>;
    async fn media_file(&self, media_id: &str) -> StoreResult<Option<StoredMedia>>;

    /// Records a file an agent uploaded (already stored at `path` and accepted by Meta).
    async fn record_upload(
        &self,
        upload: &UploadedMedia,
        sha256: &str,
        path: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// An earlier upload of the same file for the same number, still usable at Meta.
    async fn reusable_upload(
        &self,
        sha256: &str,
        phone_number_id: &str,
        uploaded_since: Millis,
    ) -> StoreResult<Option<UploadedMedia>>;
    /// A file uploaded through Parley, by its Meta media id.
    async fn uploaded_media(&self, media_id: &str) -> StoreResult<Option<UploadedMedia>>;
}

/// Where a conversation's replies go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRoute {
    pub phone_number_id: String,
    /// The customer's phone (`wa_id`), else their business-scoped user id.
    pub recipient: String,
    pub window_expires_at: Option<Millis>,
    /// The business number's WhatsApp Business Account, when known (its templates apply).
    pub waba_id: Option<String>,
}

/// The message a read receipt at Meta refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadReceipt {
    pub phone_number_id: String,
    pub wamid: String,
    /// Whether the conversation had unread messages until now.
    pub was_unread: bool,
}

/// An outbound message to queue.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    pub conversation_id: i64,
    pub author: UserId,
    pub kind: String,
    /// What the thread shows: the text, caption or rendered template.
    pub text: Option<String>,
    pub phone_number_id: String,
    pub recipient: String,
    /// The Graph API request body, exactly as it will be sent.
    pub request: serde_json::Value,
    pub media: Option<OutboundMedia>,
    /// The wamid this message quotes.
    pub reply_to_wamid: Option<String>,
    /// For a reaction: the wamid it reacts to (shown on that message at once).
    pub reacts_to: Option<String>,
    /// For a template: its id, so admins learn which templates are in use.
    pub template_id: Option<String>,
}

/// Media attached to an outbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMedia {
    pub media_id: String,
    pub mime_type: String,
    pub filename: Option<String>,
}

/// A file an agent uploaded, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedMedia {
    pub media_id: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub filename: Option<String>,
    /// The business number it was uploaded for (Meta media ids belong to one number).
    pub phone_number_id: String,
}

/// A send job as the sender sees it.
#[derive(Clone, Debug)]
pub struct OutboxJob {
    pub message_id: i64,
    pub phone_number_id: String,
    pub request: serde_json::Value,
    pub attempts: i64,
}

/// A webhook body waiting to be processed.
#[derive(Clone, Debug)]
pub struct PendingWebhook {
    pub id: i64,
    pub body: Vec<u8>,
    pub attempts: i64,
    pub received_at: Millis,
}

/// A claimed webhook, read: what [`Store::apply_webhooks`] applies.
pub struct ParsedWebhook {
    pub id: i64,
    /// SHA-256 of the body: Meta's redeliveries are byte-identical.
    pub body_digest: [u8; 32],
    /// `None`: the body cannot be read (stored before a parser change).
    pub notification: Option<Notification>,
}

impl ParsedWebhook {
    pub fn new(id: i64, body: &[u8], notification: Option<Notification>) -> Self {
        use sha2::Digest as _;
        ParsedWebhook {
            id,
            body_digest: sha2::Sha256::digest(body).into(),
            notification,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusinessNumber {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
}

/// Which conversations a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    All,
    Mine(UserId),
    Unassigned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationOrder {
    /// Most recent activity first.
    LatestActivity,
    /// Open service windows, closing soonest first.
    WindowClosingSoonest,
}

#[derive(Clone, Debug)]
pub struct ConversationQuery {
    pub assignment: Assignment,
    pub status: Option<ConversationStatus>,
    pub phone_number_id: Option<String>,
    pub search: Option<String>,
    pub order: ConversationOrder,
    pub cursor: Option<KeysetCursor>,
    pub limit: i64,
    pub now: Millis,
}

/// Where a page of conversations ends: the sort key and id of its last row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeysetCursor {
    pub sort_key: i64,
    pub id: i64,
}

impl KeysetCursor {
    pub fn encode(self) -> String {
        format!("{}.{}", self.sort_key, self.id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (key, id) = raw.split_once('.')?;
        Some(KeysetCursor {
            sort_key: key.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLiveEvent {
    pub id: i64,
    pub kind: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub payload: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaJob {
    pub media_id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub attempts: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMedia {
    pub path: String,
    pub mime_type: String,
    pub size_bytes: i64,
}

pub type SharedStore = Arc<dyn Store>;

/// Opens the database `url` names (creating a missing SQLite file) and applies migrations.
pub async fn connect(url: &DatabaseUrl) -> StoreResult<SharedStore> {
    let store: SharedStore = match url {
        DatabaseUrl::Sqlite(url) => Arc::new(SqliteStore::connect(url).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PostgresStore::connect(url.expose()).await?),
    };
    store.migrate().await?;
    Ok(store)
}

fn parse_role(raw: &str) -> StoreResult<Role> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role {raw:?}")))
}

fn parse_email(raw: String) -> StoreResult<Email> {
    Email::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_name(raw: String) -> StoreResult<DisplayName> {
    DisplayName::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
fn conflict_on_unique(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(error),
    }
}

/// A `users` row as both backends return it.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled_at: Option<i64>,
    created_at: i64,
}

/// A user found by an API token, and the token's id, last use and expiry.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
}

const API_TOKEN_COLUMNS: &str =
    "id, user_id, name, created_at, last_used_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
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

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            email: parse_email(self.email)?,
            name: parse_name(self.name)?,
            role: parse_role(&self.role)?,
            disabled: self.disabled_at.is_some(),
            created_at: Millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

impl CredentialsRow {
    fn into_credentials(self) -> StoreResult<UserCredentials> {
        Ok(UserCredentials {
            user: self.user.into_user()?,
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ThrottleRow {
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

const USER_COLUMNS: &str = "id, email, name, role, disabled_at, created_at";

/// A customer's message opens a 24-hour customer-service window (by Meta's timestamp).
pub const SERVICE_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// A message through a free entry point (a click-to-WhatsApp ad) opens 72 hours.
pub const FREE_ENTRY_WINDOW_MS: i64 = 72 * 3600 * 1000;

/// Escapes `%`, `_` and `\` so user input matches literally inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// What one processing transaction has already written, so that a batch of webhooks from the
/// same numbers and customers does not repeat the same upserts. Valid for that transaction only.
#[derive(Default)]
struct AppliedInBatch {
    numbers: std::collections::HashSet<BusinessNumber>,
    contacts: std::collections::HashMap<CustomerKey, KnownContact>,
}

struct KnownContact {
    id: i64,
    name: Option<String>,
    username: Option<String>,
}

impl KnownContact {
    /// Whether writing `profile` would change nothing already written.
    fn covers(&self, profile: &ContactProfile) -> bool {
        (profile.name.is_none() || profile.name == self.name)
            && (profile.username.is_none() || profile.username == self.username)
    }
}

impl AppliedInBatch {
    fn remember_contact(&mut self, key: &CustomerKey, id: i64, profile: &ContactProfile) {
        let known = self.contacts.entry(key.clone()).or_insert(KnownContact {
            id,
            name: None,
            username: None,
        });
        known.id = id;
        if profile.name.is_some() {
            known.name.clone_from(&profile.name);
        }
        if profile.username.is_some() {
            known.username.clone_from(&profile.username);
        }
    }
}

/// The profile the change carries for this customer, if any.
fn profile_for(contacts: &[ContactProfile], key: &CustomerKey) -> ContactProfile {
    contacts
        .iter()
        .find(|c| {
            (key.wa_id.is_some() && c.key.wa_id == key.wa_id)
                || (key.bsuid.is_some() && c.key.bsuid == key.bsuid)
        })
        .cloned()
        .unwrap_or(ContactProfile {
            key: key.clone(),
            name: None,
            username: None,
        })
}

/// The line shown under a conversation in the list.
fn preview(content: &Content) -> String {
    let text = content.text().filter(|t| !t.trim().is_empty());
    let preview = match (content, text) {
        (_, Some(text)) => text,
        (Content::Media(m), None) => format!("[{}]", m.kind.as_str()),
        (other, None) => format!("[{}]", other.type_name()),
    };
    preview.chars().take(160).collect()
}

fn direction_str(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

const CONVERSATION_SELECT: &str = "SELECT c.id, c.phone_number_id, c.status, c.assignee_id, c.last_message_at,
    c.window_expires_at, c.unread_count, c.last_message_preview,
    ct.id AS contact_id, ct.name AS contact_name, ct.username AS contact_username, ct.wa_id, ct.bsuid
    FROM conversations c JOIN contacts ct ON ct.id = c.contact_id";

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: i64,
    phone_number_id: String,
    status: String,
    assignee_id: Option<i64>,
    last_message_at: i64,
    window_expires_at: Option<i64>,
    unread_count: i64,
    last_message_preview: Option<String>,
    contact_id: i64,
    contact_name: Option<String>,
    contact_username: Option<String>,
    wa_id: Option<String>,
    bsuid: Option<String>,
}

impl ConversationRow {
    fn into_summary(self) -> StoreResult<ConversationSummary> {
        let status = match self.status.as_str() {
            "open" => ConversationStatus::Open,
            "resolved" => ConversationStatus::Resolved,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "conversation status {other:?}"
                )));
            }
        };
        Ok(ConversationSummary {
            id: self.id,
            contact: ContactView {
                id: self.contact_id,
                name: self.contact_name,
                username: self.contact_username,
                wa_id: self.wa_id,
                bsuid: self.bsuid,
            },
            phone_number_id: self.phone_number_id,
            status,
            assignee_id: self.assignee_id.map(UserId),
            last_message_at: Millis(self.last_message_at).to_rfc3339(),
            window_expires_at: self.window_expires_at.map(|w| Millis(w).to_rfc3339()),
            unread_count: self.unread_count,
            last_message_preview: self.last_message_preview,
        })
    }
}

const MESSAGE_SELECT: &str =
    "SELECT m.id, m.conversation_id, m.wamid, m.direction, m.kind, m.body, m.payload,
    m.status, m.sent_at, m.reply_to_wamid, m.media_id, m.media_mime_type, m.filename, m.error_code,
    m.error_title, m.error_details, m.edited_at, m.deleted_at, mf.state AS media_state,
    mf.size_bytes AS media_size, mf.last_error AS media_error, u.name AS author_name
    FROM messages m LEFT JOIN media_files mf ON mf.media_id = m.media_id
    LEFT JOIN users u ON u.id = m.author_id";

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    conversation_id: i64,
    wamid: Option<String>,
    direction: String,
    kind: String,
    body: Option<String>,
    payload: String,
    status: String,
    sent_at: i64,
    reply_to_wamid: Option<String>,
    media_id: Option<String>,
    media_mime_type: Option<String>,
    filename: Option<String>,
    error_code: Option<i64>,
    error_title: Option<String>,
    error_details: Option<String>,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    media_state: Option<String>,
    media_size: Option<i64>,
    media_error: Option<String>,
    author_name: Option<String>,
}

fn parse_direction(raw: &str) -> StoreResult<Direction> {
    match raw {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        other => Err(StoreError::Corrupt(format!("message direction {other:?}"))),
    }
}

impl MessageRow {
    /// The view of this message; `reactions` are (target wamid, direction, emoji) rows.
    fn into_view(self, reactions: &[(String, String, String)]) -> StoreResult<MessageView> {
        let status = self
            .status
            .parse::<MessageStatus>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let reactions = match &self.wamid {
            Some(wamid) => reactions
                .iter()
                .filter(|(target, ..)| target == wamid)
                .map(|(_, direction, emoji)| {
                    Ok(ReactionView {
                        emoji: emoji.clone(),
                        direction: parse_direction(direction)?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            None => Vec::new(),
        };
        let media_url = match (&self.media_id, self.media_state.as_deref()) {
            (Some(media_id), Some("stored")) => Some(format!("/api/v1/media/{media_id}")),
            _ => None,
        };
        Ok(MessageView {
            id: self.id,
            conversation_id: self.conversation_id,
            wamid: self.wamid,
            direction: parse_direction(&self.direction)?,
            kind: self.kind,
            text: self.body,
            status,
            created_at: Millis(self.sent_at).to_rfc3339(),
            error: self.error_code.map(|code| DeliveryError {
                code,
                title: self.error_title.unwrap_or_default(),
                details: self.error_details,
            }),
            media_error: self
                .media_error
                .filter(|_| self.media_state.as_deref() == Some("failed")),
            media_url,
            media_mime_type: self.media_mime_type,
            media_size: self.media_size,
            filename: self.filename,
            author_name: self.author_name,
            reply_to_wamid: self.reply_to_wamid,
            reactions,
            edited: self.edited_at.is_some(),
            deleted: self.deleted_at.is_some(),
            payload: serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null),
        })
    }
}
