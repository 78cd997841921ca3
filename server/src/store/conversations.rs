//! Conversations: the inbox's list, a conversation's route for replies, and what members do
//! to conversations (assign, resolve, reopen, read).

use super::{StoreError, StoreResult};
use crate::domain::Millis;
use crate::domain::conversation::{ContactRef, Conversation, ConversationChange};
use async_trait::async_trait;
use parley_app::collaboration::Priority;
use parley_app::model::{ConversationStatus, UserId};

/// Which teams' conversations a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamFilter {
    Any,
    /// In this team's queue.
    Is(i64),
    /// In the queue of any team this member belongs to.
    MemberOf(UserId),
}

/// Which conversations a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    All,
    To(UserId),
    Unassigned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationOrder {
    /// Most recent activity first.
    LatestActivity,
    /// Open service windows, closing soonest first.
    WindowClosingSoonest,
    /// Most urgent first, then most recent activity.
    HighestPriority,
}

#[derive(Clone, Debug)]
pub struct ConversationQuery {
    pub assignment: Assignment,
    pub team: TeamFilter,
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    /// Only conversations carrying every one of these labels (ids).
    pub labels: Vec<i64>,
    pub phone_number_id: Option<String>,
    pub search: Option<String>,
    pub order: ConversationOrder,
    pub cursor: Option<KeysetCursor>,
    pub limit: i64,
    pub now: Millis,
}

impl ConversationQuery {
    /// Every conversation, newest activity first, `limit` to a page; narrow it with struct
    /// update syntax.
    pub fn all(limit: i64, now: Millis) -> Self {
        ConversationQuery {
            assignment: Assignment::All,
            team: TeamFilter::Any,
            status: None,
            priority: None,
            labels: Vec::new(),
            phone_number_id: None,
            search: None,
            order: ConversationOrder::LatestActivity,
            cursor: None,
            limit,
            now,
        }
    }
}

/// Where a page ends: the sort key and id of its last row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeysetCursor {
    pub sort_key: i64,
    pub id: i64,
}

/// Priority order's cursor folds the priority rank above the activity time (milliseconds fit
/// in 43 bits until the year 2248).
const PRIORITY_SHIFT: u32 = 43;

impl KeysetCursor {
    pub fn for_priority(rank: i64, last_message_at: i64, id: i64) -> KeysetCursor {
        KeysetCursor {
            sort_key: (rank << PRIORITY_SHIFT) | last_message_at,
            id,
        }
    }

    /// The priority rank and activity time of a [`KeysetCursor::for_priority`] key.
    pub fn priority_parts(self) -> (i64, i64) {
        (
            self.sort_key >> PRIORITY_SHIFT,
            self.sort_key & ((1 << PRIORITY_SHIFT) - 1),
        )
    }

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

/// A page of a keyset-paged list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<KeysetCursor>,
}

/// Where a conversation's replies go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRoute {
    pub contact_id: i64,
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

#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn list(&self, query: &ConversationQuery) -> StoreResult<Page<Conversation>>;
    /// The conversations with these ids that exist, in any order (one query for many).
    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Conversation>>;
    async fn get(&self, id: i64) -> StoreResult<Option<Conversation>> {
        Ok(self.by_ids(&[id]).await?.pop())
    }
    /// Where a conversation's replies go, and until when free-form replies are allowed.
    async fn route(&self, id: i64) -> StoreResult<Option<ConversationRoute>>;
    /// Assigns (or unassigns), moves the status on, sets the priority and the labels, as
    /// `change` says, in one transaction with its events. Reopening fails with a conflict when
    /// the customer already has another unresolved conversation on that number.
    async fn change(
        &self,
        id: i64,
        change: ConversationChange,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Conversation>;
    /// Snoozed conversations whose time has come are open again (their assignees notified);
    /// answers how many.
    async fn wake_snoozed(&self, now: Millis) -> StoreResult<usize>;
    /// Clears the unread count; answers the latest inbound message, to be marked read at Meta.
    async fn mark_read(
        &self,
        id: i64,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Option<ReadReceipt>>;
}

pub(super) const CONVERSATION_SELECT: &str = "SELECT c.id, c.phone_number_id, c.status,
    c.assignee_id, c.last_message_at, c.window_expires_at, c.unread_count, c.last_message_preview,
    c.priority, c.snoozed_until, c.team_id, c.customer_waiting_since, c.csat_rating,
    c.csat_comment, ct.id AS contact_id, COALESCE(ct.edited_name, ct.name) AS contact_name, ct.username AS contact_username, ct.wa_id,
    ct.bsuid
    FROM conversations c JOIN contacts ct ON ct.id = c.contact_id";

#[derive(sqlx::FromRow)]
pub(super) struct ConversationRow {
    pub(super) id: i64,
    phone_number_id: String,
    status: String,
    assignee_id: Option<i64>,
    pub(super) last_message_at: i64,
    pub(super) window_expires_at: Option<i64>,
    unread_count: i64,
    last_message_preview: Option<String>,
    pub(super) priority: i64,
    snoozed_until: Option<i64>,
    team_id: Option<i64>,
    customer_waiting_since: Option<i64>,
    csat_rating: Option<i64>,
    csat_comment: Option<String>,
    contact_id: i64,
    contact_name: Option<String>,
    contact_username: Option<String>,
    wa_id: Option<String>,
    bsuid: Option<String>,
}

pub(super) fn parse_status(raw: &str) -> StoreResult<ConversationStatus> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("conversation status {raw:?}")))
}

impl ConversationRow {
    /// The conversation, with the label names it carries.
    pub(super) fn into_conversation(self, labels: Vec<String>) -> StoreResult<Conversation> {
        Ok(Conversation {
            id: self.id,
            contact: ContactRef {
                id: self.contact_id,
                name: self.contact_name,
                username: self.contact_username,
                wa_id: self.wa_id,
                bsuid: self.bsuid,
            },
            phone_number_id: self.phone_number_id,
            status: parse_status(&self.status)?,
            assignee: self.assignee_id.map(UserId),
            last_message_at: Millis(self.last_message_at),
            window_expires_at: self.window_expires_at.map(Millis),
            unread_count: self.unread_count,
            preview: self.last_message_preview,
            priority: Priority::from_rank(self.priority).ok_or_else(|| {
                StoreError::Corrupt(format!("conversation priority {}", self.priority))
            })?,
            snoozed_until: self.snoozed_until.map(Millis),
            labels,
            team_id: self.team_id,
            customer_waiting_since: self.customer_waiting_since.map(Millis),
            csat: (self.csat_rating)
                .and_then(|rating| u8::try_from(rating).ok())
                .map(|rating| (rating, self.csat_comment)),
        })
    }
}
