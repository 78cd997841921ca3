//! Domain events: what happened, written in the same transaction as the change itself, in one
//! ordered log. Consumers read the log and keep their own state: the live hub turns events into
//! what browsers see; automations, reports and the ledgers of later features read the same
//! events. Nothing in the write paths knows about its consumers.

use super::time::Millis;
use parley_app::campaigns::CampaignState;
use parley_app::collaboration::{Activity, Priority};
use parley_app::consent::{ConsentPurpose, ConsentSource, ConsentState};
use parley_app::model::{ConversationStatus, MessageStatus, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    /// A customer's message was stored (the first time: redeliveries change nothing).
    MessageReceived {
        conversation_id: i64,
        message_id: i64,
    },
    /// A message the business sent from another client (the WhatsApp Business app).
    MessageEchoed {
        conversation_id: i64,
        message_id: i64,
    },
    /// A member (or, later, an automation) queued a message to send.
    MessageQueued {
        conversation_id: i64,
        message_id: i64,
        author: Option<UserId>,
    },
    /// A message moved along its delivery path (Meta's `pricing` comes with `sent` and later).
    /// Statuses applied together (one processing chunk) give one event, at the furthest; every
    /// status Meta sent stays in `message_statuses`.
    StatusAdvanced {
        conversation_id: i64,
        message_id: i64,
        status: MessageStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pricing: Option<serde_json::Value>,
    },
    /// Something about a stored message changed besides its status.
    MessageChanged {
        conversation_id: i64,
        message_id: i64,
        change: MessageChange,
    },
    /// A customer's first message on a number started a conversation.
    ConversationOpened {
        conversation_id: i64,
    },
    /// A customer's message reopened a resolved conversation.
    ConversationReopened {
        conversation_id: i64,
    },
    Assigned {
        conversation_id: i64,
        assignee: Option<UserId>,
        by: Option<UserId>,
    },
    /// A member (or, with `by` empty, the clock or the customer) moved the conversation on.
    StatusChanged {
        conversation_id: i64,
        status: ConversationStatus,
        by: Option<UserId>,
        /// Until when, for `snoozed`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snoozed_until: Option<Millis>,
    },
    /// A conversation moved to a team's queue (or out of any, with `team_id` empty).
    TeamSet {
        conversation_id: i64,
        team_id: Option<i64>,
        by: Option<UserId>,
    },
    PriorityChanged {
        conversation_id: i64,
        priority: Priority,
        by: Option<UserId>,
    },
    /// Labels were put on or taken off a conversation (by name).
    LabelsChanged {
        conversation_id: i64,
        added: Vec<String>,
        removed: Vec<String>,
        by: Option<UserId>,
    },
    /// Admins created, changed or deleted a label.
    LabelCatalogueChanged {
        label_id: i64,
    },
    /// A member wrote an internal note (never sent to the customer).
    NoteAdded {
        conversation_id: i64,
        note_id: i64,
        author: UserId,
    },
    /// A member has something new to look at (a mention, a snooze that ended).
    NotificationCreated {
        conversation_id: i64,
        notification_id: i64,
        user_id: UserId,
    },
    /// A member read some of their notifications (their other tabs' bells follow).
    NotificationsRead {
        user_id: UserId,
    },
    /// A member opened, left or is typing in a conversation. Short-lived: for live views.
    PresenceChanged {
        conversation_id: i64,
        user_id: UserId,
        activity: Option<Activity>,
        expires_at: Option<Millis>,
    },
    /// A member read the conversation: its unread count is back to zero.
    ConversationRead {
        conversation_id: i64,
        by: Option<UserId>,
    },
    TemplateStatusChanged {
        template_id: String,
    },
    /// Something about a business number (its quality, status, limit, name) or, with no
    /// number, about the account's standing changed, by a webhook or a refresh.
    NumberUpdated {
        waba_id: String,
        #[serde(default)]
        phone_number_id: Option<String>,
    },
    /// A customer's marketing preference, as Meta's `user_preferences` reports it.
    PreferenceChanged {
        waba_id: String,
        preference: serde_json::Value,
    },
    /// A member's credentials changed (signed out, disabled, a token revoked): their open
    /// event streams, on every node, check theirs again.
    CredentialsChanged {
        user_id: UserId,
    },
    /// Admins created, changed or deleted a team (its members, assignment or capacity).
    TeamChanged {
        team_id: i64,
    },
    /// A member went online, away or offline (themselves, or Parley once their streams closed).
    AvailabilityChanged {
        user_id: UserId,
        availability: parley_app::team::Availability,
    },
    /// A member was added, renamed or changed their settings (role and access changes are
    /// `CredentialsChanged`).
    MemberChanged {
        user_id: UserId,
    },
    /// A member added or edited a contact (its profile, labels, attributes or note).
    ContactChanged {
        contact_id: i64,
    },
    /// Admins defined, changed or deleted a custom contact attribute.
    AttributesChanged,
    /// A segment was saved or changed.
    SegmentChanged {
        segment_id: i64,
    },
    /// A chunk of a CSV import was written.
    ContactsImported {
        created: i64,
        updated: i64,
    },
    /// A line was added to a contact's consent ledger.
    ConsentRecorded {
        contact_id: i64,
        purpose: ConsentPurpose,
        state: ConsentState,
        source: ConsentSource,
    },
    /// A campaign was created, changed, started, paused, resumed, cancelled or finished.
    CampaignChanged {
        campaign_id: i64,
        state: CampaignState,
    },
}

/// What changed about a message besides its delivery status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageChange {
    Reaction,
    Edited,
    Revoked,
    MediaStored,
    MediaFailed,
    /// A failed send is being tried again.
    Retried,
    /// A queued send was withdrawn.
    Cancelled,
}

impl DomainEvent {
    /// The event's name in the log (its `type`).
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::MessageReceived { .. } => "message_received",
            DomainEvent::MessageEchoed { .. } => "message_echoed",
            DomainEvent::MessageQueued { .. } => "message_queued",
            DomainEvent::StatusAdvanced { .. } => "status_advanced",
            DomainEvent::MessageChanged { .. } => "message_changed",
            DomainEvent::ConversationOpened { .. } => "conversation_opened",
            DomainEvent::ConversationReopened { .. } => "conversation_reopened",
            DomainEvent::Assigned { .. } => "assigned",
            DomainEvent::StatusChanged { .. } => "status_changed",
            DomainEvent::PriorityChanged { .. } => "priority_changed",
            DomainEvent::LabelsChanged { .. } => "labels_changed",
            DomainEvent::LabelCatalogueChanged { .. } => "label_catalogue_changed",
            DomainEvent::NoteAdded { .. } => "note_added",
            DomainEvent::NotificationCreated { .. } => "notification_created",
            DomainEvent::NotificationsRead { .. } => "notifications_read",
            DomainEvent::PresenceChanged { .. } => "presence_changed",
            DomainEvent::ConversationRead { .. } => "conversation_read",
            DomainEvent::TemplateStatusChanged { .. } => "template_status_changed",
            DomainEvent::NumberUpdated { .. } => "number_updated",
            DomainEvent::PreferenceChanged { .. } => "preference_changed",
            DomainEvent::CredentialsChanged { .. } => "credentials_changed",
            DomainEvent::MemberChanged { .. } => "member_changed",
            DomainEvent::TeamSet { .. } => "team_set",
            DomainEvent::TeamChanged { .. } => "team_changed",
            DomainEvent::AvailabilityChanged { .. } => "availability_changed",
            DomainEvent::ContactChanged { .. } => "contact_changed",
            DomainEvent::AttributesChanged => "attributes_changed",
            DomainEvent::ContactsImported { .. } => "contacts_imported",
            DomainEvent::SegmentChanged { .. } => "segment_changed",
            DomainEvent::ConsentRecorded { .. } => "consent_recorded",
            DomainEvent::CampaignChanged { .. } => "campaign_changed",
        }
    }

    /// The conversation the event is about, if any.
    pub fn conversation_id(&self) -> Option<i64> {
        match self {
            DomainEvent::MessageReceived {
                conversation_id, ..
            }
            | DomainEvent::MessageEchoed {
                conversation_id, ..
            }
            | DomainEvent::MessageQueued {
                conversation_id, ..
            }
            | DomainEvent::StatusAdvanced {
                conversation_id, ..
            }
            | DomainEvent::MessageChanged {
                conversation_id, ..
            }
            | DomainEvent::ConversationOpened { conversation_id }
            | DomainEvent::ConversationReopened { conversation_id }
            | DomainEvent::Assigned {
                conversation_id, ..
            }
            | DomainEvent::StatusChanged {
                conversation_id, ..
            }
            | DomainEvent::ConversationRead {
                conversation_id, ..
            }
            | DomainEvent::PriorityChanged {
                conversation_id, ..
            }
            | DomainEvent::TeamSet {
                conversation_id, ..
            }
            | DomainEvent::LabelsChanged {
                conversation_id, ..
            }
            | DomainEvent::NoteAdded {
                conversation_id, ..
            }
            | DomainEvent::NotificationCreated {
                conversation_id, ..
            }
            | DomainEvent::PresenceChanged {
                conversation_id, ..
            } => Some(*conversation_id),
            _ => None,
        }
    }

    /// The message the event is about, if any.
    pub fn message_id(&self) -> Option<i64> {
        match self {
            DomainEvent::MessageReceived { message_id, .. }
            | DomainEvent::MessageEchoed { message_id, .. }
            | DomainEvent::MessageQueued { message_id, .. }
            | DomainEvent::StatusAdvanced { message_id, .. }
            | DomainEvent::MessageChanged { message_id, .. } => Some(*message_id),
            _ => None,
        }
    }
}

/// An event as the log holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    /// Position in the log: ids grow in commit order on both engines.
    pub id: i64,
    pub at: Millis,
    pub event: DomainEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_through_the_log_as_tagged_json() {
        let event = DomainEvent::StatusAdvanced {
            conversation_id: 1,
            message_id: 2,
            status: MessageStatus::Delivered,
            pricing: Some(serde_json::json!({"category": "service"})),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.kind());
        assert_eq!(json["status"], "delivered");
        assert_eq!(serde_json::from_value::<DomainEvent>(json).unwrap(), event);
        assert_eq!(event.conversation_id(), Some(1));
        assert_eq!(event.message_id(), Some(2));
        let credentials = DomainEvent::CredentialsChanged { user_id: UserId(7) };
        assert_eq!(credentials.conversation_id(), None);
        assert_eq!(
            serde_json::to_value(&credentials).unwrap()["type"],
            "credentials_changed"
        );
    }
}
