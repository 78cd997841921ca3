//! Types shared by the server and the browser. They cross the wire as JSON, so each one is the
//! single definition both sides compile.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment, in whole seconds since the Unix epoch (UTC), as every timestamp travels on the
/// wire; browsers show it in the member's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", schema(value_type = i64, example = 1764763200))]
pub struct UnixTime(pub i64);

/// Percent-encodes a value for a query string (RFC 3986's unreserved characters stay).
pub fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl UnixTime {
    /// The same moment in milliseconds since the epoch (JavaScript's unit).
    pub fn millis(self) -> i64 {
        self.0.saturating_mul(1000)
    }

    /// The whole second a millisecond timestamp falls in.
    pub fn from_millis(millis: i64) -> Self {
        UnixTime(millis.div_euclid(1000))
    }
}

/// A team member's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", schema(value_type = i64))]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a team member may do. Admins manage the team and templates; agents work conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            _ => Err(ParseError::new("role", "must be `admin` or `agent`")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address, trimmed and lower-cased so that one person has one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, format = "email"))]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let email = raw.trim().to_lowercase();
        let invalid = |why| Err(ParseError::new("email", why));
        if email.len() > 254 {
            return invalid("is longer than 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("needs an @");
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return invalid("must look like name@example.com");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("must not contain spaces");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name as people see it in the inbox: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String))]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = raw.trim();
        match name.chars().count() {
            0 => Err(ParseError::new("name", "must not be empty")),
            n if n > 100 => Err(ParseError::new("name", "must be at most 100 characters")),
            _ if name.chars().any(char::is_control) => Err(ParseError::new(
                "name",
                "must not contain control characters",
            )),
            _ => Ok(DisplayName(name.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DisplayName::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> String {
        name.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value that failed to parse: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field} {problem}")]
pub struct ParseError {
    pub field: String,
    pub problem: String,
}

impl ParseError {
    pub fn new(field: &str, problem: &str) -> Self {
        ParseError {
            field: field.to_owned(),
            problem: problem.to_owned(),
        }
    }
}

/// The signed-in team member, as every page and API call sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Viewer {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A row of the team page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: UnixTime,
    /// Signs in with a second factor.
    pub two_factor: bool,
}

/// A member as assignment shows them: nothing more than who they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberRef {
    pub id: UserId,
    pub name: DisplayName,
}

/// Whether a personal API token still works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

/// A personal API token as its owner sees it (the token itself is shown once, at creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub state: TokenState,
    pub created_at: UnixTime,
    pub last_used_at: Option<UnixTime>,
    /// `null` for a token that never expires.
    pub expires_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
}

/// Where an outbound message is on its way to the customer (inbound messages are `Received`).
/// Statuses only move forward: a late `sent` never downgrades `delivered` or `read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Received,
    Queued,
    Accepted,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Queued => "queued",
            MessageStatus::Accepted => "accepted",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Failed => "failed",
        }
    }

    /// Order along the delivery path. `failed` ranks above `sent` (a sent message can still
    /// fail to deliver) but below `delivered`: once delivered, a message cannot fail.
    pub fn rank(self) -> i64 {
        match self {
            MessageStatus::Received => 0,
            MessageStatus::Queued => 1,
            MessageStatus::Accepted => 2,
            MessageStatus::Sent => 3,
            MessageStatus::Failed => 4,
            MessageStatus::Delivered => 5,
            MessageStatus::Read => 6,
        }
    }
}

impl std::str::FromStr for MessageStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            MessageStatus::Received,
            MessageStatus::Queued,
            MessageStatus::Accepted,
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or_else(|| ParseError::new("status", "is not a message status"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    Open,
    /// Waiting for the customer: the team has answered.
    Pending,
    /// Parked until `snoozed_until` (or until the customer writes).
    Snoozed,
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 4] = [
        ConversationStatus::Open,
        ConversationStatus::Pending,
        ConversationStatus::Snoozed,
        ConversationStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "snoozed",
            ConversationStatus::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConversationStatus::Open => "Open",
            ConversationStatus::Pending => "Pending",
            ConversationStatus::Snoozed => "Snoozed",
            ConversationStatus::Resolved => "Resolved",
        }
    }
}

impl std::str::FromStr for ConversationStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConversationStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ParseError::new("status", "must be open, pending, snoozed or resolved"))
    }
}

/// A customer as the inbox shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactView {
    pub id: i64,
    pub name: Option<String>,
    pub username: Option<String>,
    /// The phone-number id (`wa_id`), absent for customers known only by username.
    pub wa_id: Option<String>,
    /// The business-scoped user id.
    pub bsuid: Option<String>,
}

impl ContactView {
    /// The name an agent knows the customer by: their name, else username, else phone.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.username.clone())
            .or_else(|| self.wa_id.as_ref().map(|w| format!("+{w}")))
            .unwrap_or_else(|| "Unknown customer".into())
    }
}

/// A row of the conversation list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub id: i64,
    pub contact: ContactView,
    pub phone_number_id: String,
    pub status: ConversationStatus,
    pub assignee_id: Option<UserId>,
    pub last_message_at: UnixTime,
    /// Free-form replies are allowed until then.
    pub window_expires_at: Option<UnixTime>,
    pub unread_count: i64,
    pub last_message_preview: Option<String>,
    pub priority: crate::collaboration::Priority,
    /// When a snoozed conversation comes back (`null` unless `status` is `snoozed`).
    pub snoozed_until: Option<UnixTime>,
    /// The names of its labels.
    pub labels: Vec<String>,
    /// The team whose queue it is in.
    pub team_id: Option<i64>,
    /// Since when the customer has waited for a member's reply (`null`: answered).
    #[serde(default)]
    pub awaiting_reply_since: Option<UnixTime>,
    /// The customer's rating, once asked and answered.
    #[serde(default)]
    pub csat: Option<CsatRating>,
}

/// A customer's rating of a conversation: 1 to 5 (👍 is 5, 👎 is 1), and their comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CsatRating {
    pub rating: u8,
    pub comment: Option<String>,
}

/// How long before the window closes a waiting customer is flagged in the list.
pub const WINDOW_REMINDER_MS: i64 = 3_600_000;

impl ConversationSummary {
    /// Whether the customer is waiting and the window closes within the hour (`now` in ms):
    /// answer now, or only a paid template will reach them.
    pub fn window_closing_soon(&self, now: i64) -> bool {
        self.awaiting_reply_since.is_some()
            && self
                .window_expires_at_ms()
                .is_some_and(|closes| closes > now && closes - now <= WINDOW_REMINDER_MS)
    }

    /// When the service window closes, in milliseconds since the epoch.
    pub fn window_expires_at_ms(&self) -> Option<i64> {
        self.window_expires_at.map(UnixTime::millis)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    pub conversations: Vec<ConversationSummary>,
    pub next_cursor: Option<String>,
}

/// A page of a conversation's messages: the newest ones before a cursor, in time order, and
/// where the next (older) page starts, if there is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessagePage {
    pub messages: Vec<MessageView>,
    /// Pass as `before` for the older messages; `null` at the conversation's start.
    pub next_cursor: Option<String>,
}

/// Meta's reason for a failed message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryError {
    pub code: i64,
    pub title: String,
    pub details: Option<String>,
}

/// A reaction shown on its target message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReactionView {
    pub emoji: String,
    pub direction: Direction,
}

/// A message in a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: i64,
    pub conversation_id: i64,
    pub wamid: Option<String>,
    pub direction: Direction,
    /// `text`, `image`, `video`, `audio`, `document`, `sticker`, `location`, `contacts`,
    /// `interactive`, `button`, `order`, `system`, `template` or `unsupported`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Body, caption or reply title, exactly as received.
    pub text: Option<String>,
    pub status: MessageStatus,
    /// Meta's timestamp for inbound messages; when it was queued for outbound ones.
    pub created_at: UnixTime,
    pub error: Option<DeliveryError>,
    /// Where a signed-in member can fetch the media, once downloaded.
    pub media_url: Option<String>,
    /// Why the media could not be downloaded, once Parley has given up.
    #[serde(default)]
    pub media_error: Option<String>,
    pub media_mime_type: Option<String>,
    /// Size in bytes of downloaded media.
    pub media_size: Option<i64>,
    pub filename: Option<String>,
    /// The team member who sent an outbound message from Parley.
    pub author_name: Option<String>,
    pub reply_to_wamid: Option<String>,
    pub reactions: Vec<ReactionView>,
    pub edited: bool,
    pub deleted: bool,
    /// The type-specific payload as Meta sent it (location coordinates, contact cards…).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub payload: serde_json::Value,
}

pub use crate::live::LiveEvent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn email_rejects_garbage() {
        for bad in ["", "no-at", "@x", "x@", "a@b@c", "a b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert_eq!(DisplayName::parse(" Ana ").unwrap().as_str(), "Ana");
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Agent] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
