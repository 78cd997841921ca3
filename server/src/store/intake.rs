//! Applying what webhooks say: contacts, conversations, messages, statuses and account
//! changes, in one transaction per chunk of webhooks.

use super::{BusinessNumber, StoreError, StoreResult};
use crate::domain::Millis;
use crate::domain::contact::StoredContact;
use crate::domain::inbound::{ContactProfile, CustomerKey, Notification};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

/// A claimed webhook, read: what [`IntakeStore::apply`] applies.
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

#[async_trait]
pub trait IntakeStore: Send + Sync {
    /// Applies claimed webhooks (contacts, conversations, messages, statuses, account events,
    /// and the domain events they cause) and marks them processed, all in one transaction: one
    /// commit per chunk. An event that fails is rolled back alone and returned with its error;
    /// an unreadable one (`notification: None`) is simply marked processed. A byte-identical
    /// redelivery of an earlier event is marked processed without being applied, and applying
    /// the same message twice in different bodies changes nothing the second time.
    async fn apply(
        &self,
        events: &[ParsedWebhook],
        now: Millis,
    ) -> StoreResult<Vec<(i64, StoreError)>>;
}

/// What one processing transaction has already written, so that a chunk of webhooks from the
/// same numbers and customers does not repeat the same upserts. Valid for that transaction only.
#[derive(Default)]
pub(super) struct AppliedInChunk {
    pub(super) numbers: HashSet<BusinessNumber>,
    pub(super) contacts: HashMap<CustomerKey, StoredContact>,
}

impl AppliedInChunk {
    /// Remembers what `key`'s contact now says.
    pub(super) fn remember(&mut self, key: &CustomerKey, id: i64, profile: &ContactProfile) {
        let known = self.contacts.entry(key.clone()).or_insert(StoredContact {
            id,
            name: None,
            username: None,
            wa_id: key.wa_id.clone(),
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
