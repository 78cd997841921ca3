//! The data layer, one door per domain: [`Store`] holds a handle for each (team, audit, journal,
//! intake, numbers, conversations, messages, outbox, media, templates, labels, notes,
//! notifications, canned replies, presence, contacts, consent, campaigns, costs, reports, teams and routing,
//! second factors, events), each a trait
//! that both engines implement and the contract tests run against SQLite and PostgreSQL alike.
//!
//! # Two engines, one SQL
//! SQLite and PostgreSQL agree on `$n` parameters, `ON CONFLICT`, `RETURNING` and partial
//! indexes, so each domain's SQL is written once, in an ordinary Rust file under `sql/`, and
//! compiled twice: `sqlite.rs` and `postgres.rs` each include `sql/` as a module of their own,
//! where `Db`, `Engine` and a handful of dialect constants (`SKIP_LOCKED`, `ILIKE`…)
//! name that engine's types and fragments. We chose this over code generic in
//! `sqlx::Database`: generic sqlx code needs a wall of `Executor`/`Encode`/`Decode` bounds on
//! every function, which would make the SQL (the part worth reading) the smallest thing on the
//! page; and over a macro, which rustfmt and rust-analyzer cannot read.
//!
//! The store speaks in domain records ([`crate::domain`]); views for browsers are built above
//! it. Timestamps are integer milliseconds since the Unix epoch on both engines: the same exact
//! value everywhere, and cheap keyset comparisons.

// Each `sql/*.rs` is compiled once per engine on purpose (see above).
#![allow(clippy::duplicate_mod)]

mod audit;
pub mod automations;
pub mod campaigns;
mod canned;
pub mod consent;
mod contacts;
mod conversations;
mod costs;
mod intake;
mod journal;
mod labels;
mod media;
mod messages;
mod notes;
mod notifications;
mod numbers;
mod outbox;
mod postgres;
mod postgres_link;
mod presence;
pub mod reports;
mod routing;
mod second_factor;
pub mod sessions;
mod sql_support;
mod sqlite;
mod team;
mod templates;
mod wakeups;

pub use crate::domain::Millis;
pub use audit::{AuditFilter, AuditRecord, AuditStore, NewAuditEntry};
pub use automations::AutomationStore;
pub use campaigns::{CampaignRecord, CampaignStore};
pub use canned::{CannedFile, CannedReply, CannedReplyStore, CannedReplyUpdate, NewCannedReply};
pub use consent::{ConsentStore, NewConsentEntry};
pub use contacts::{
    AttributeUpdate, ContactChange, ContactConversationRecord, ContactQuery, ContactRecord,
    ContactStore, Erased, ImportRow, NewAttribute, Segment,
};
pub use conversations::{
    Assignment, ConversationOrder, ConversationQuery, ConversationRoute, ConversationStore,
    KeysetCursor, Page, ReadReceipt, TeamFilter,
};
pub use costs::CostStore;
pub use intake::{IntakeStore, ParsedWebhook};
pub use journal::{JournalStore, PendingWebhook};
pub use labels::{Label, LabelStore, LabelUpdate, NewLabel};
pub use media::{MediaJob, MediaStore, StoredMedia, UploadFile, UploadedMedia};
pub use messages::{Forgotten, MessagePage, MessageStore};
pub use notes::{NewNote, Note, NoteStore};
pub use notifications::{Notification, NotificationPage, NotificationStore};
pub use numbers::{
    BusinessNumber, NumberChangeRecord, NumberHealth, NumberStore, StoredNumber, WebhookTraffic,
};
pub use outbox::{NewOutbound, OutboundMedia, OutboxJob, OutboxStore};
pub use presence::{Presence, PresenceStore};
pub use reports::ReportStore;
pub use routing::{RoutingStore, Team, TeamUpdate, team_name};
pub use second_factor::{SecondFactor, SecondFactorStore};
pub use sessions::DbSessionStore;
pub use team::{
    ApiToken, AttemptLimit, NewApiToken, NewPasswordLink, NewUser, PendingPasswordLink,
    Reservation, TeamStore, ThrottleRecord, TokenOwner, User, UserChange, UserCredentials,
};
pub use templates::{ChangeSource, Template, TemplateEntry, TemplateRecord, TemplateStore};
pub use wakeups::Wakeups;

use crate::config::DatabaseUrl;
use crate::domain::events::RecordedEvent;
use async_trait::async_trait;
use std::sync::Arc;

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

/// A stretch of the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct EventBatch {
    /// Oldest first. Rows this version cannot read (written before events were typed) are
    /// left out, but count as read.
    pub events: Vec<RecordedEvent>,
    /// The id the next read continues after.
    pub read_up_to: i64,
    /// Whether the log may hold more right away (the batch was full).
    pub more: bool,
}

/// The event log: every domain event, in commit order.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Up to `limit` rows of the log after `after`.
    async fn after(&self, after: i64, limit: i64) -> StoreResult<EventBatch>;
    async fn latest_id(&self) -> StoreResult<i64>;
}

/// What concerns the database as a whole.
#[async_trait]
trait Database: Send + Sync {
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    /// At start-up: frees claims (webhooks, sends) a previous run of this node left behind when
    /// it died. Only where one node owns the database (SQLite); elsewhere claims run out.
    async fn release_orphaned_claims(&self) -> StoreResult<()>;
    fn with_own_connections(&self, connections: u32) -> Store;
    /// Starts passing commits' news to and from the other nodes on the same database.
    fn link_nodes(&self);
    /// The connection pools' use, for metrics.
    fn pools(&self) -> Vec<PoolUse>;
    /// Whether several nodes may share this database.
    fn is_shared(&self) -> bool;
    /// Whether writers take turns: one transaction writes at a time (SQLite).
    fn has_one_writer(&self) -> bool;
}

/// How much of one connection pool is in use.
#[derive(Clone, Copy, Debug)]
pub struct PoolUse {
    /// `main`, or `derived` (processing's own connections).
    pub pool: &'static str,
    pub open: u32,
    pub idle: usize,
    pub max: u32,
}

impl PoolUse {
    fn of<DB: sqlx::Database>(pool: &'static str, of: &sqlx::Pool<DB>) -> PoolUse {
        PoolUse {
            pool,
            open: of.size(),
            idle: of.num_idle(),
            max: of.options().get_max_connections(),
        }
    }
}

/// Everything Parley stores, a door per domain; one pointer to clone, since every request,
/// stream and worker holds it (an idle event stream costs what it holds).
#[derive(Clone)]
pub struct Store(Arc<Domains>);

impl std::ops::Deref for Store {
    type Target = Domains;

    fn deref(&self) -> &Domains {
        &self.0
    }
}

/// The store's doors, one per domain.
pub struct Domains {
    pub team: Arc<dyn TeamStore>,
    pub audit: Arc<dyn AuditStore>,
    pub journal: Arc<dyn JournalStore>,
    pub intake: Arc<dyn IntakeStore>,
    pub numbers: Arc<dyn NumberStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub consent: Arc<dyn ConsentStore>,
    pub campaigns: Arc<dyn CampaignStore>,
    pub costs: Arc<dyn CostStore>,
    pub reports: Arc<dyn ReportStore>,
    pub automations: Arc<dyn AutomationStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub messages: Arc<dyn MessageStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub media: Arc<dyn MediaStore>,
    pub templates: Arc<dyn TemplateStore>,
    pub labels: Arc<dyn LabelStore>,
    pub notes: Arc<dyn NoteStore>,
    pub notifications: Arc<dyn NotificationStore>,
    pub canned_replies: Arc<dyn CannedReplyStore>,
    pub presence: Arc<dyn PresenceStore>,
    pub routing: Arc<dyn RoutingStore>,
    pub second_factor: Arc<dyn SecondFactorStore>,
    pub events: Arc<dyn EventStore>,
    /// The session records behind sign-in cookies, in the same database.
    pub sessions: DbSessionStore,
    /// Wakes this node's readers of the event log and its sender after a commit, here or (on
    /// PostgreSQL) on another node.
    pub wakeups: Arc<Wakeups>,
    database: Arc<dyn Database>,
}

/// The store as every part of Parley holds it.
pub type SharedStore = Store;

impl Store {
    fn from_engine<E>(engine: Arc<E>, sessions: DbSessionStore, wakeups: Arc<Wakeups>) -> Store
    where
        E: TeamStore
            + AuditStore
            + JournalStore
            + IntakeStore
            + NumberStore
            + ContactStore
            + ConsentStore
            + CampaignStore
            + CostStore
            + ReportStore
            + AutomationStore
            + ConversationStore
            + MessageStore
            + OutboxStore
            + MediaStore
            + TemplateStore
            + LabelStore
            + NoteStore
            + NotificationStore
            + CannedReplyStore
            + PresenceStore
            + RoutingStore
            + SecondFactorStore
            + EventStore
            + Database
            + 'static,
    {
        Store(Arc::new(Domains {
            team: engine.clone(),
            audit: engine.clone(),
            journal: engine.clone(),
            intake: engine.clone(),
            numbers: engine.clone(),
            contacts: engine.clone(),
            consent: engine.clone(),
            campaigns: engine.clone(),
            costs: engine.clone(),
            reports: engine.clone(),
            automations: engine.clone(),
            conversations: engine.clone(),
            messages: engine.clone(),
            outbox: engine.clone(),
            media: engine.clone(),
            templates: engine.clone(),
            labels: engine.clone(),
            notes: engine.clone(),
            notifications: engine.clone(),
            canned_replies: engine.clone(),
            presence: engine.clone(),
            routing: engine.clone(),
            second_factor: engine.clone(),
            events: engine.clone(),
            database: engine,
            sessions,
            wakeups,
        }))
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> StoreResult<()> {
        self.database.migrate().await
    }

    /// Answers when the database is reachable.
    pub async fn ping(&self) -> StoreResult<()> {
        self.database.ping().await
    }

    pub async fn release_orphaned_claims(&self) -> StoreResult<()> {
        self.database.release_orphaned_claims().await
    }

    /// Starts passing commits' news to and from the other nodes sharing this database
    /// (PostgreSQL; one SQLite file has one node). Once per process.
    pub fn link_nodes(&self) {
        self.database.link_nodes();
    }

    pub fn pools(&self) -> Vec<PoolUse> {
        self.database.pools()
    }

    /// Whether several nodes may share this database (PostgreSQL; a SQLite file has one).
    pub fn is_shared(&self) -> bool {
        self.database.is_shared()
    }

    /// Whether writers take turns (SQLite), so that processing holds up acknowledgements.
    pub fn has_one_writer(&self) -> bool {
        self.database.has_one_writer()
    }

    /// The same database through up to `connections` connections of its own, for a task that
    /// runs the same few reads over and over (the live hub). PostgreSQL prepares a statement
    /// per connection, and the shared pool hands its connections out in turn, so there each
    /// read would often be prepared afresh: a second round trip.
    pub fn with_own_connections(&self, connections: u32) -> Store {
        self.database.with_own_connections(connections)
    }
}

/// Opens the database `url` names (creating a missing SQLite file) and applies migrations.
pub async fn connect(url: &DatabaseUrl) -> StoreResult<Store> {
    let store = match url {
        DatabaseUrl::Sqlite(url) => sqlite::connect(url).await?,
        DatabaseUrl::Postgres(url) => postgres::connect(url.expose()).await?,
    };
    store.migrate().await?;
    Ok(store)
}
