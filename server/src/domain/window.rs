//! The customer-service window: free-form replies are allowed for 24 hours after the customer's
//! last message (by Meta's timestamp), 72 hours after a message from a click-to-WhatsApp ad
//! (a free entry point). Outside it, only an approved template may be sent.

use super::inbound::{Content, InboundMessage};
use super::time::Millis;
use std::time::Duration;

pub const SERVICE_WINDOW: Duration = Duration::from_secs(24 * 3600);
pub const FREE_ENTRY_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// When the window opened by this customer message closes; `None` for messages that open no
/// window (system notices such as a changed number).
pub fn opened_by(message: &InboundMessage) -> Option<Millis> {
    let sent = Millis(message.timestamp_ms);
    match (&message.content, message.referral.is_some()) {
        (Content::System { .. }, _) => None,
        (_, true) => Some(sent.plus(FREE_ENTRY_WINDOW)),
        (_, false) => Some(sent.plus(SERVICE_WINDOW)),
    }
}

/// The window after a new customer message: the later of the two (a late-arriving older
/// message never shortens it).
pub fn extended(current: Option<Millis>, opened: Option<Millis>) -> Option<Millis> {
    match (current, opened) {
        (Some(current), Some(opened)) => Some(current.max(opened)),
        (current, opened) => current.or(opened),
    }
}

/// Whether free-form messages may be sent at `now`.
pub fn is_open(expires_at: Option<Millis>, now: Millis) -> bool {
    expires_at.is_some_and(|expires| expires > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inbound::{CustomerKey, WaMessageId};
    use serde_json::json;

    fn message(content: Content, referral: bool) -> InboundMessage {
        InboundMessage {
            wamid: WaMessageId("wamid.1".into()),
            from: CustomerKey::new(Some("1555".into()), None),
            timestamp_ms: 1_000_000,
            content,
            reply_to: None,
            forwarded: false,
            referral: referral.then(|| json!({"source_type": "ad"})),
            raw: json!({}),
        }
    }

    #[test]
    fn a_message_opens_24_hours_and_an_ad_72() {
        let text = || Content::Text { body: "hi".into() };
        assert_eq!(
            opened_by(&message(text(), false)),
            Some(Millis(1_000_000 + 24 * 3_600_000))
        );
        assert_eq!(
            opened_by(&message(text(), true)),
            Some(Millis(1_000_000 + 72 * 3_600_000))
        );
        let notice = Content::System {
            body: "changed number".into(),
            system_type: None,
            new_wa_id: None,
        };
        assert_eq!(opened_by(&message(notice, false)), None);
    }

    #[test]
    fn a_late_older_message_never_shortens_the_window() {
        assert_eq!(extended(Some(Millis(9)), Some(Millis(5))), Some(Millis(9)));
        assert_eq!(extended(Some(Millis(5)), Some(Millis(9))), Some(Millis(9)));
        assert_eq!(extended(None, Some(Millis(5))), Some(Millis(5)));
        assert_eq!(extended(Some(Millis(5)), None), Some(Millis(5)));
    }

    #[test]
    fn the_window_is_open_until_it_expires() {
        assert!(is_open(Some(Millis(10)), Millis(9)));
        assert!(!is_open(Some(Millis(10)), Millis(10)));
        assert!(!is_open(None, Millis(0)));
    }
}
