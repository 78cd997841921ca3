//! What Meta tells Parley, in domain terms: messages and their content, echoes of messages
//! the business sent elsewhere, delivery statuses, customers' identities and account-level
//! changes. `whatsapp::webhook` reads webhook payloads into these; intake applies them.

use parley_app::model::MessageStatus;
use serde_json::Value;

/// A WhatsApp message id (`wamid.…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaMessageId(pub String);

/// One webhook POST: every change of every entry, in order.
#[derive(Debug)]
pub struct Notification {
    pub changes: Vec<Change>,
}

impl Notification {
    /// What applying it costs, in delivery statuses: statuses are applied for a whole chunk
    /// in a few statements, while each message, echo or account change takes its own.
    pub fn cost(&self) -> usize {
        let cost: usize = self
            .changes
            .iter()
            .map(|change| match change {
                Change::Messages(change) => {
                    change.statuses.len()
                        + MESSAGE_COST
                            * (change.messages.len()
                                + change.echoes.len()
                                + change.user_preferences.len()
                                + usize::from(!change.errors.is_empty()))
                }
                Change::Account { .. } => MESSAGE_COST,
            })
            .sum();
        cost.max(1)
    }
}

/// A message costs about as much to apply as this many statuses.
pub const MESSAGE_COST: usize = 8;

#[derive(Debug)]
pub enum Change {
    /// `field = "messages"`: messages, statuses and echoes for one business number.
    Messages(MessagesChange),
    /// Anything else (template status and quality, phone-number quality, account updates…),
    /// kept as an event for the features that read them.
    Account {
        waba_id: String,
        field: String,
        value: Value,
        /// What it says about a message template, when it is a template change.
        template: Option<TemplateUpdate>,
        /// What it says about a business number or the account, when it is about them.
        number: Option<super::number_update::NumberUpdate>,
    },
}

/// What changed about a message template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateChangeKind {
    Status,
    Quality,
    Category,
}

impl TemplateChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateChangeKind::Status => "status",
            TemplateChangeKind::Quality => "quality",
            TemplateChangeKind::Category => "category",
        }
    }
}

/// A template's status, quality or category, as a webhook reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateUpdate {
    pub id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    pub kind: TemplateChangeKind,
    pub value: String,
    pub reason: Option<String>,
}

/// Meta says `NONE` when there is no reason: that is no reason.
pub fn meaningful_reason(reason: Option<&str>) -> Option<String> {
    reason
        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("NONE"))
        .map(str::to_owned)
}

#[derive(Debug)]
pub struct MessagesChange {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    pub contacts: Vec<ContactProfile>,
    pub messages: Vec<InboundMessage>,
    pub echoes: Vec<EchoMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// Change-level errors (Meta could not deliver something to us).
    pub errors: Vec<MetaError>,
    /// Marketing opt-in/opt-out and similar, kept raw.
    pub user_preferences: Vec<Value>,
}

/// Who a customer is. Since 2026 Meta may send only the business-scoped user id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CustomerKey {
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
}

impl CustomerKey {
    /// A key from what Meta sent: blank ids count as absent.
    pub fn new(wa_id: Option<String>, bsuid: Option<String>) -> Self {
        let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        CustomerKey {
            wa_id: clean(wa_id),
            bsuid: clean(bsuid),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.wa_id.is_none() && self.bsuid.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactProfile {
    pub key: CustomerKey,
    pub name: Option<String>,
    pub username: Option<String>,
}

/// An error object as Meta sends it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MetaError {
    pub code: i64,
    pub title: String,
    pub message: Option<String>,
    pub details: Option<String>,
}

#[derive(Debug)]
pub struct InboundMessage {
    pub wamid: WaMessageId,
    pub from: CustomerKey,
    pub timestamp_ms: i64,
    pub content: Content,
    /// The message this one quotes, if any.
    pub reply_to: Option<WaMessageId>,
    pub forwarded: bool,
    /// Present when the customer came from a click-to-WhatsApp ad: a free entry point, which
    /// opens a 72-hour window instead of 24.
    pub referral: Option<Value>,
    pub raw: Value,
}

/// A message the business sent from another client (e.g. the WhatsApp Business app).
#[derive(Debug)]
pub struct EchoMessage {
    pub wamid: WaMessageId,
    pub to: CustomerKey,
    pub timestamp_ms: i64,
    pub content: Content,
    pub raw: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MediaRef {
    pub kind: MediaKind,
    pub media_id: Option<String>,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
    pub caption: Option<String>,
}

/// What a message says, by type.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Text {
        body: String,
    },
    Media(MediaRef),
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Contacts {
        names: Vec<String>,
    },
    Reaction {
        target: WaMessageId,
        emoji: Option<String>,
    },
    /// A tap on a reply button, a list row, or a completed flow (`nfm_reply`).
    InteractiveReply {
        reply_type: String,
        id: Option<String>,
        title: String,
    },
    /// A template quick-reply button.
    Button {
        payload: Option<String>,
        text: String,
    },
    Order {
        item_count: usize,
        text: Option<String>,
    },
    System {
        body: String,
        system_type: Option<String>,
        new_wa_id: Option<String>,
    },
    Edit {
        original: WaMessageId,
        replacement: Box<Content>,
    },
    Revoke {
        original: WaMessageId,
    },
    /// A type Meta could not or we do not interpret; the raw JSON is kept.
    Unsupported {
        declared_type: String,
        errors: Vec<MetaError>,
    },
}

impl Content {
    /// The type name stored and shown (`text`, `image`, … `unsupported`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Content::Text { .. } => "text",
            Content::Media(m) => m.kind.as_str(),
            Content::Location { .. } => "location",
            Content::Contacts { .. } => "contacts",
            Content::Reaction { .. } => "reaction",
            Content::InteractiveReply { .. } => "interactive",
            Content::Button { .. } => "button",
            Content::Order { .. } => "order",
            Content::System { .. } => "system",
            Content::Edit { .. } => "edit",
            Content::Revoke { .. } => "revoke",
            Content::Unsupported { .. } => "unsupported",
        }
    }

    /// The human-readable text: body, caption, reply title, or a summary.
    pub fn text(&self) -> Option<String> {
        match self {
            Content::Text { body } => Some(body.clone()),
            Content::Media(m) => m.caption.clone(),
            Content::Location { name, address, .. } => name.clone().or_else(|| address.clone()),
            Content::Contacts { names } => Some(names.join(", ")),
            Content::Reaction { emoji, .. } => emoji.clone(),
            Content::InteractiveReply { title, .. } => Some(title.clone()),
            Content::Button { text, .. } => Some(text.clone()),
            Content::Order { text, .. } => text.clone(),
            Content::System { body, .. } => Some(body.clone()),
            Content::Edit { replacement, .. } => replacement.text(),
            Content::Revoke { .. } | Content::Unsupported { .. } => None,
        }
    }

    pub fn media(&self) -> Option<&MediaRef> {
        match self {
            Content::Media(m) => Some(m),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct StatusUpdate {
    pub wamid: WaMessageId,
    pub status: MessageStatus,
    pub timestamp_ms: i64,
    pub recipient: CustomerKey,
    pub errors: Vec<MetaError>,
    /// Billing data (`conversation`, `pricing`), kept for a cost ledger.
    pub conversation: Option<Value>,
    pub pricing: Option<Value>,
    pub raw: Value,
}
