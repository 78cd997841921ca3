//! Conversations: one open conversation per customer and business number. A new customer
//! message lands in the open one, else reopens the latest, else starts one.

use super::time::Millis;
use parley_app::model::{ConversationStatus, UserId};

/// A stored conversation, with its customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub id: i64,
    pub contact: ContactRef,
    pub phone_number_id: String,
    pub status: ConversationStatus,
    pub assignee: Option<UserId>,
    pub last_message_at: Millis,
    pub window_expires_at: Option<Millis>,
    pub unread_count: i64,
    pub preview: Option<String>,
}

/// Who a conversation is with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRef {
    pub id: i64,
    pub name: Option<String>,
    pub username: Option<String>,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
}

/// Where a customer's new message goes, given their latest conversation on that number (open
/// ones first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    Open(i64),
    Reopen(i64),
    New,
}

pub fn landing(latest: Option<(i64, ConversationStatus)>) -> Landing {
    match latest {
        Some((id, ConversationStatus::Open)) => Landing::Open(id),
        Some((id, ConversationStatus::Resolved)) => Landing::Reopen(id),
        None => Landing::New,
    }
}

/// A change to a conversation a member asks for (`PATCH /api/v1/conversations/{id}`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversationChange {
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub status: Option<ConversationStatus>,
}

impl ConversationChange {
    pub fn is_empty(&self) -> bool {
        self.assignee.is_none() && self.status.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_lands_in_the_open_conversation_else_reopens_else_starts_one() {
        assert_eq!(
            landing(Some((4, ConversationStatus::Open))),
            Landing::Open(4)
        );
        assert_eq!(
            landing(Some((4, ConversationStatus::Resolved))),
            Landing::Reopen(4)
        );
        assert_eq!(landing(None), Landing::New);
    }
}
