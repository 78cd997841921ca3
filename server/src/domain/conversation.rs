//! Conversations: one unresolved conversation per customer and business number. A new
//! customer message lands in it (waking it if it was pending or snoozed), else reopens the
//! latest, else starts one.

use super::time::Millis;
use parley_app::collaboration::Priority;
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
    pub priority: Priority,
    /// Set exactly when the status is `snoozed`.
    pub snoozed_until: Option<Millis>,
    /// Label names, in name order.
    pub labels: Vec<String>,
    /// The team whose queue it is in, if any.
    pub team_id: Option<i64>,
    /// Since when the customer has waited for a member's reply.
    pub customer_waiting_since: Option<Millis>,
    /// The customer's rating (1 to 5) and comment.
    pub csat: Option<(u8, Option<String>)>,
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

/// Where a customer's new message goes, given their latest conversation on that number
/// (unresolved ones first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    Open(i64),
    /// Pending or snoozed: the customer's message makes it the team's turn again.
    Wake {
        id: i64,
        was: ConversationStatus,
    },
    Reopen(i64),
    New,
}

pub fn landing(latest: Option<(i64, ConversationStatus)>) -> Landing {
    match latest {
        Some((id, ConversationStatus::Open)) => Landing::Open(id),
        Some((id, was @ (ConversationStatus::Pending | ConversationStatus::Snoozed))) => {
            Landing::Wake { id, was }
        }
        Some((id, ConversationStatus::Resolved)) => Landing::Reopen(id),
        None => Landing::New,
    }
}

/// A status as a member sets it: a snooze always carries its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Open,
    Pending,
    Snoozed { until: Millis },
    Resolved,
}

impl StatusChange {
    /// The change a request asks for: `status` and `snoozed_until` (either alone, or both
    /// when snoozing). A snooze must end in the future, within a year.
    pub fn from_request(
        status: Option<ConversationStatus>,
        snoozed_until: Option<Millis>,
        now: Millis,
    ) -> Result<Option<StatusChange>, &'static str> {
        const YEAR_MS: i64 = 366 * 24 * 3600 * 1000;
        match (status, snoozed_until) {
            (None, None) => Ok(None),
            (Some(ConversationStatus::Snoozed) | None, Some(until)) => {
                if until <= now {
                    Err("snoozed_until must be in the future")
                } else if until.0 - now.0 > YEAR_MS {
                    Err("snoozed_until must be within a year")
                } else {
                    Ok(Some(StatusChange::Snoozed { until }))
                }
            }
            (Some(ConversationStatus::Snoozed), None) => {
                Err("snoozing needs snoozed_until (unix seconds)")
            }
            (Some(_), Some(_)) => Err("snoozed_until goes with status snoozed only"),
            (Some(ConversationStatus::Open), None) => Ok(Some(StatusChange::Open)),
            (Some(ConversationStatus::Pending), None) => Ok(Some(StatusChange::Pending)),
            (Some(ConversationStatus::Resolved), None) => Ok(Some(StatusChange::Resolved)),
        }
    }

    pub fn status(self) -> ConversationStatus {
        match self {
            StatusChange::Open => ConversationStatus::Open,
            StatusChange::Pending => ConversationStatus::Pending,
            StatusChange::Snoozed { .. } => ConversationStatus::Snoozed,
            StatusChange::Resolved => ConversationStatus::Resolved,
        }
    }

    pub fn snoozed_until(self) -> Option<Millis> {
        match self {
            StatusChange::Snoozed { until } => Some(until),
            _ => None,
        }
    }
}

/// A change to a conversation a member asks for (`PATCH /api/v1/conversations/{id}`), in
/// any combination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationChange {
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub status: Option<StatusChange>,
    pub priority: Option<Priority>,
    /// The labels it should carry from now on (ids of existing labels).
    pub labels: Option<Vec<i64>>,
    /// `Some(None)` takes it out of its team.
    pub team: Option<Option<i64>>,
}

impl ConversationChange {
    pub fn is_empty(&self) -> bool {
        self.assignee.is_none()
            && self.status.is_none()
            && self.priority.is_none()
            && self.labels.is_none()
            && self.team.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_lands_in_the_unresolved_conversation_else_reopens_else_starts_one() {
        assert_eq!(
            landing(Some((4, ConversationStatus::Open))),
            Landing::Open(4)
        );
        for was in [ConversationStatus::Pending, ConversationStatus::Snoozed] {
            assert_eq!(landing(Some((4, was))), Landing::Wake { id: 4, was });
        }
        assert_eq!(
            landing(Some((4, ConversationStatus::Resolved))),
            Landing::Reopen(4)
        );
        assert_eq!(landing(None), Landing::New);
    }

    #[test]
    fn a_snooze_needs_a_future_end_and_nothing_else_takes_one() {
        let now = Millis(1_000_000);
        let later = Millis(now.0 + 3_600_000);
        let from = StatusChange::from_request;
        assert_eq!(
            from(Some(ConversationStatus::Snoozed), Some(later), now),
            Ok(Some(StatusChange::Snoozed { until: later }))
        );
        assert_eq!(
            from(None, Some(later), now),
            Ok(Some(StatusChange::Snoozed { until: later }))
        );
        assert!(from(Some(ConversationStatus::Snoozed), None, now).is_err());
        assert!(from(None, Some(now), now).is_err());
        assert!(from(None, Some(Millis(now.0 + 400 * 86_400_000)), now).is_err());
        assert!(from(Some(ConversationStatus::Open), Some(later), now).is_err());
        assert_eq!(
            from(Some(ConversationStatus::Pending), None, now),
            Ok(Some(StatusChange::Pending))
        );
        assert_eq!(from(None, None, now), Ok(None));
    }
}
