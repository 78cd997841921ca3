//! The service layer: one function per use case, called alike by the REST handlers and the
//! server functions, which are thin adapters over it. Each function decides who may do what
//! (authorization lives here, not in the adapters), does the work through the store in as few
//! transactions as it can, and answers domain records or a [`ServiceError`].
//!
//! - [`conversations`]: the inbox list, threads, assigning, status, snoozing, priority,
//!   labels, reading.
//! - [`notes`]: internal notes and the mentions in them.
//! - [`notifications`]: what members should look at.
//! - [`labels`]: the labels admins define.
//! - [`contacts`]: the contact list, contacts' profiles, labels and custom attributes;
//!   [`contact_import`]: contacts from CSV; [`segments`]: saved contact filters.
//! - [`consent`]: contacts' consent ledgers and the opt-out keywords.
//! - [`campaigns`]: broadcast campaigns and their recipients; [`campaign_runner`]: what sends
//!   them.
//! - [`canned`]: canned replies, shared and personal.
//! - [`presence`]: who is in a conversation, doing what.
//! - [`sending`]: composing, queueing, retrying and cancelling messages.
//! - [`media`]: members' uploads and the media files members may fetch.
//! - [`templates`]: listing, syncing, submitting and deleting message templates.
//! - [`team`]: members, set-password links, one's own profile, password and API tokens.
//! - [`two_factor`]: authenticator apps, recovery codes and who must use them.
//! - [`audit`]: the log of admin actions and security events.
//! - [`teams`]: teams, their routing policies, numbers' default teams, members' availability.
//! - [`sandbox`]: simulated customers, in sandbox mode.

pub mod audit;
pub mod automations;
pub mod business_hours;
pub mod campaign_runner;
pub mod campaigns;
pub mod canned;
pub mod consent;
pub mod contact_export;
pub mod contact_import;
pub mod contacts;
pub mod conversations;
pub mod costs;
pub mod labels;
pub mod media;
pub mod notes;
pub mod notifications;
pub mod numbers;
pub mod presence;
pub mod reports;
pub mod sandbox;
pub mod segments;
pub mod sending;
pub mod team;
pub mod teams;
pub mod templates;
pub mod two_factor;

use crate::config::Config;
use crate::domain::{Millis, SharedClock};
use crate::graph::{GraphClient, GraphError};
use crate::store::{Store, StoreError};
use parley_app::model::Viewer;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What the use cases work with; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    /// Meta's Graph API (or the simulator); `None` when no access token is configured.
    pub graph: Option<GraphClient>,
    /// Slots for uploads streaming in (see [`media::MAX_CONCURRENT_UPLOADS`]).
    pub uploads: Arc<Semaphore>,
    /// The built-in simulator, in sandbox mode.
    pub sandbox: Option<crate::sandbox::Simulator>,
    /// Hashes and checks passwords (shared with sign-in: one bound on the memory they take).
    pub passwords: crate::auth::password::PasswordHasher,
    /// Each business number's pace, shared with the sender.
    pub send_rates: Arc<crate::outbox::SendRates>,
}

impl Services {
    /// The use cases without the Graph API, the sandbox or the sender: what the command line
    /// needs to run the team.
    pub fn offline(store: Store, config: Arc<Config>) -> Self {
        Services {
            store,
            clock: Arc::new(crate::domain::SystemClock),
            config,
            graph: None,
            uploads: Arc::new(Semaphore::new(media::MAX_CONCURRENT_UPLOADS)),
            sandbox: None,
            passwords: crate::password_hasher(),
            send_rates: Arc::new(crate::outbox::SendRates::new(None)),
        }
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// The Graph API client, or why there is none.
    pub fn graph(&self) -> Result<&GraphClient, ServiceError> {
        self.graph.as_ref().ok_or(ServiceError::NotConfigured(
            "WhatsApp is not connected: set WA_ACCESS_TOKEN (or run without it to use the sandbox)",
        ))
    }
}

/// Why a use case did not happen, in terms both HTTP surfaces map to their own answers.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("only admins can do this")]
    Forbidden,
    /// The request breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The request does not fit the state of things; the message says why.
    #[error("{0}")]
    Conflict(String),
    /// Another member replied after the newest message this member had seen.
    #[error("{by} replied in the meantime: read their reply, then send yours if it still fits")]
    RepliedMeanwhile { by: String },
    #[error("the 24-hour customer service window is closed; send an approved template instead")]
    WindowClosed { window_expires_at: Option<Millis> },
    #[error("{0}")]
    NotConfigured(&'static str),
    /// Meta's Graph API refused or could not be reached.
    #[error("{}", .0.for_members())]
    Upstream(#[from] GraphError),
    #[error("busy: try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("{0}")]
    StorageFull(String),
    /// Details for the log, never for the caller.
    #[error("internal error")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(what) => ServiceError::Conflict(format!("{what} already exists")),
            StoreError::WrongState(why) => ServiceError::Conflict(why.to_owned()),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// Admins only.
pub fn require_admin(viewer: &Viewer) -> ServiceResult<()> {
    if viewer.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}
