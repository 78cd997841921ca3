//! Messages as Parley keeps them, and their rules: the line the conversation list shows, and
//! delivery statuses that only ever move forward.

use super::inbound::Content;
use super::time::Millis;
use parley_app::model::{DeliveryError, Direction, MessageStatus};

/// A stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub wamid: Option<String>,
    pub direction: Direction,
    /// `text`, `image`, … `unsupported` (Meta's type names).
    pub kind: String,
    /// Body, caption or reply title, exactly as received or sent.
    pub text: Option<String>,
    pub status: MessageStatus,
    /// Meta's timestamp for inbound messages, queueing time for outbound ones.
    pub sent_at: Millis,
    pub error: Option<DeliveryError>,
    pub media: Option<MessageMedia>,
    /// The member who sent an outbound message from Parley.
    pub author_name: Option<String>,
    pub reply_to_wamid: Option<String>,
    pub reactions: Vec<Reaction>,
    pub edited: bool,
    pub deleted: bool,
    /// The type-specific payload as Meta sent it (or the request Parley sent).
    pub payload: serde_json::Value,
}

/// A message's media file and how far along its download is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMedia {
    pub media_id: String,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub state: MediaState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaState {
    /// On its way (or never seen: an id Meta sent without the file).
    Pending,
    Stored {
        size_bytes: i64,
    },
    /// Given up, for this reason.
    Failed {
        reason: String,
    },
}

/// A reaction on a message, by one side of the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    pub direction: Direction,
}

/// The conversation list shows this much of the latest message.
pub const PREVIEW_CHARS: usize = 160;

/// The line under a conversation in the list: the text, else the message's type.
pub fn preview(kind: &str, text: Option<&str>) -> String {
    match text.filter(|t| !t.trim().is_empty()) {
        Some(text) => text.chars().take(PREVIEW_CHARS).collect(),
        None => format!("[{kind}]"),
    }
}

/// [`preview`] of a message as Meta sent it.
pub fn preview_of(content: &Content) -> String {
    preview(content.type_name(), content.text().as_deref())
}

/// The furthest of the statuses recorded for a message: statuses only move forward, whatever
/// order Meta's webhooks arrive in.
pub fn furthest<T>(
    recorded: impl IntoIterator<Item = (MessageStatus, T)>,
) -> Option<(MessageStatus, T)> {
    recorded.into_iter().max_by_key(|(status, _)| status.rank())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inbound::{MediaKind, MediaRef};

    #[test]
    fn previews_show_text_else_the_type() {
        assert_eq!(preview("text", Some("hello")), "hello");
        assert_eq!(preview("image", Some("  ")), "[image]");
        assert_eq!(preview("location", None), "[location]");
        let long = "ж".repeat(300);
        assert_eq!(preview("text", Some(&long)).chars().count(), PREVIEW_CHARS);
        let photo = Content::Media(MediaRef {
            kind: MediaKind::Image,
            media_id: None,
            mime_type: None,
            sha256: None,
            filename: None,
            caption: None,
        });
        assert_eq!(preview_of(&photo), "[image]");
    }

    #[test]
    fn statuses_only_move_forward() {
        use MessageStatus::*;
        let best = furthest([(Delivered, 1), (Sent, 2), (Read, 3), (Accepted, 4)]);
        assert_eq!(best, Some((Read, 3)));
        // A failure after `sent` wins; after `delivered` it cannot have happened.
        assert_eq!(
            furthest([(Sent, ()), (Failed, ())]).map(|b| b.0),
            Some(Failed)
        );
        assert_eq!(furthest(Vec::<(MessageStatus, ())>::new()), None);
    }
}
