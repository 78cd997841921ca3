//! Customers as the team's CRM knows them, as server and browser both see them: the contact
//! with its profile, labels and custom attributes, the pages of the contact list, and the
//! rules for what a member may write into a contact (phone numbers, languages, time zones,
//! attribute values), as pure functions beside the types.

mod attributes;
mod import;
mod phone;
mod segments;

pub use attributes::*;
pub use import::*;
pub use phone::*;
pub use segments::*;

use crate::model::{ConversationStatus, ParseError, UnixTime, UserId};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A contact with everything the team knows about them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactDetails {
    pub id: i64,
    /// The name the team knows them by: one a member gave, else their WhatsApp profile name.
    pub name: Option<String>,
    /// The name on their WhatsApp profile, as Meta last sent it.
    pub profile_name: Option<String>,
    /// E.164 (`+5511987654321`); absent for customers known only by their user id.
    pub phone: Option<String>,
    /// The business-scoped user id WhatsApp gave them.
    pub bsuid: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    /// A language tag (`pt-BR`).
    pub language: Option<String>,
    /// An IANA time zone (`America/Sao_Paulo`).
    pub time_zone: Option<String>,
    /// The team's free-text note about them.
    pub note: String,
    /// Label names, in name order.
    pub labels: Vec<String>,
    /// Custom attribute values by key: numbers as numbers, checkboxes as booleans, the rest as
    /// text.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub attributes: BTreeMap<String, Value>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    /// Their latest message, either way, on any number.
    pub last_message_at: Option<UnixTime>,
    /// Every conversation with them on every business number, newest first.
    pub conversations: Vec<ContactConversation>,
}

impl ContactDetails {
    /// What to call them: the team's name, else username, else phone.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.username.clone())
            .or_else(|| self.phone.clone())
            .unwrap_or_else(|| "Unknown customer".into())
    }
}

/// One conversation in a contact's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactConversation {
    pub id: i64,
    pub phone_number_id: String,
    /// The business number as customers see it, when known.
    pub display_phone_number: Option<String>,
    pub status: ConversationStatus,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub opened_at: UnixTime,
    pub last_message_at: UnixTime,
}

/// A business number a member can write from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberOption {
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
}

/// A row of the contact list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactSummary {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub labels: Vec<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub attributes: BTreeMap<String, Value>,
    pub last_message_at: Option<UnixTime>,
    pub conversation_count: i64,
}

impl ContactSummary {
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.username.clone())
            .or_else(|| self.phone.clone())
            .unwrap_or_else(|| "Unknown customer".into())
    }
}

/// A page of the contact list, newest contacts first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactPage {
    pub contacts: Vec<ContactSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Which contacts the list shows (the REST API's `q`, `label`, `attr.<key>`, `cursor`,
/// `limit`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactListQuery {
    pub q: Option<String>,
    /// Label names: contacts carrying all of them.
    pub labels: Vec<String>,
    /// Attribute keys and values to equal.
    pub attributes: Vec<(String, String)>,
    /// Only the contacts of this segment.
    pub segment_id: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// What changes about a contact. An absent field keeps its value; `null` clears it. `labels`
/// replaces the set; `attributes` sets the keys it names (`null` clears one) and keeps the
/// others.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactPatch {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub company: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub language: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub time_zone: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub attributes: Option<BTreeMap<String, Value>>,
}

/// A contact added by hand: a phone number in E.164 and whatever else is known.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewContactRequest {
    /// E.164, `+` and country code first (`+44 20 7946 0958` is read as `+442079460958`).
    pub phone: String,
    #[serde(flatten)]
    pub details: ContactPatch,
}

/// Tells an absent field (`None`) from one sent as `null` (`Some(None)`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Free text a member writes on a contact (name, company): trimmed, `max` characters at
/// most, one line; empty clears it.
pub fn parse_line(field: &str, raw: &str, max: usize) -> Result<Option<String>, ParseError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max {
        return Err(ParseError::new(
            field,
            &format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            "must be one line, without control characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// The team's note on a contact: up to 5,000 characters, line breaks allowed.
pub fn parse_note(raw: &str) -> Result<String, ParseError> {
    let note = raw.trim();
    if note.chars().count() > 5000 {
        return Err(ParseError::new("note", "must be at most 5,000 characters"));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ParseError::new(
            "note",
            "must not contain control characters",
        ));
    }
    Ok(note.to_owned())
}

/// A BCP 47 language tag in its usual shape (`en`, `pt-BR`, `zh-Hans-CN`), cased as usual.
pub fn parse_language(raw: &str) -> Result<Option<String>, ParseError> {
    let tag = raw.trim().replace('_', "-");
    if tag.is_empty() {
        return Ok(None);
    }
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let invalid = || {
        Err(ParseError::new(
            "language",
            "must be a language tag such as en, pt-BR or zh-Hans",
        ))
    };
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return invalid();
    }
    let mut cased = vec![primary.to_ascii_lowercase()];
    for part in parts {
        if !(2..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return invalid();
        }
        cased.push(match part.len() {
            2 => part.to_ascii_uppercase(),
            4 => {
                let mut script = part.to_ascii_lowercase();
                script[..1].make_ascii_uppercase();
                script
            }
            _ => part.to_ascii_lowercase(),
        });
    }
    Ok(Some(cased.join("-")))
}

/// An IANA time zone name (`Europe/Lisbon`, `America/Argentina/Buenos_Aires`, `UTC`), by its
/// shape: the browser, which knows every zone, shows the customer's local time from it.
pub fn parse_time_zone(raw: &str) -> Result<Option<String>, ParseError> {
    const AREAS: [&str; 11] = [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
        "Etc",
    ];
    let zone = raw.trim();
    if zone.is_empty() {
        return Ok(None);
    }
    if zone == "UTC" {
        return Ok(Some(zone.to_owned()));
    }
    let mut parts = zone.split('/');
    let area = parts.next().unwrap_or_default();
    let places: Vec<&str> = parts.collect();
    let place_ok = |p: &&str| {
        !p.is_empty()
            && p.len() <= 30
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    if AREAS.contains(&area) && (1..=2).contains(&places.len()) && places.iter().all(place_ok) {
        Ok(Some(zone.to_owned()))
    } else {
        Err(ParseError::new(
            "time_zone",
            "must be an IANA time zone such as Europe/Lisbon or America/Sao_Paulo",
        ))
    }
}

/// What a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return
/// before one) is written with a leading `'`, so an exported cell stays text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_tells_absent_from_null() {
        let patch: ContactPatch =
            serde_json::from_str(r#"{"email": null, "company": "Acme", "labels": ["vip"]}"#)
                .unwrap();
        assert_eq!(patch.email, Some(None));
        assert_eq!(patch.company, Some(Some("Acme".into())));
        assert_eq!(patch.name, None);
        assert_eq!(patch.labels, Some(vec!["vip".into()]));
        let new: NewContactRequest =
            serde_json::from_str(r#"{"phone": "+44 20 7946 0958", "name": "Ada"}"#).unwrap();
        assert_eq!(new.details.name, Some(Some("Ada".into())));
    }

    #[test]
    fn languages_and_zones_are_checked_by_shape() {
        assert_eq!(parse_language("pt_br").unwrap().as_deref(), Some("pt-BR"));
        assert_eq!(
            parse_language("zh-hans-cn").unwrap().as_deref(),
            Some("zh-Hans-CN")
        );
        assert_eq!(parse_language(" ").unwrap(), None);
        assert!(parse_language("english").is_err());
        assert!(parse_language("<b>").is_err());
        assert_eq!(
            parse_time_zone("America/Argentina/Buenos_Aires")
                .unwrap()
                .as_deref(),
            Some("America/Argentina/Buenos_Aires")
        );
        assert_eq!(parse_time_zone("UTC").unwrap().as_deref(), Some("UTC"));
        assert!(parse_time_zone("Mars/Olympus").is_err());
        assert!(parse_time_zone("Europe/../x").is_err());
    }

    #[test]
    fn text_fields_are_one_line_and_bounded() {
        assert_eq!(
            parse_line("company", "  Acme ", 100),
            Ok(Some("Acme".into()))
        );
        assert_eq!(parse_line("company", "", 100), Ok(None));
        assert!(parse_line("company", "a\u{7}", 100).is_err());
        assert!(parse_line("company", &"a".repeat(101), 100).is_err());
        assert_eq!(
            parse_note(" line one\nline two ").unwrap(),
            "line one\nline two"
        );
        assert!(parse_note("\u{1b}[31m").is_err());
    }

    #[test]
    fn formulas_are_defused_in_csv() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1 555"), "'+1 555");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("-2"), "'-2");
        assert_eq!(csv_safe("Ada"), "Ada");
    }
}
