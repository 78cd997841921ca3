//! Canned replies and the placeholders filled in when one is inserted.

use crate::model::{ParseError, UnixTime};
use serde::{Deserialize, Serialize};

/// A file sent with a canned reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedAttachment {
    /// `POST /api/v1/media`'s id for the file.
    pub media_id: String,
    pub kind: String,
    pub filename: Option<String>,
    pub size_bytes: i64,
}

/// A reply the team (or one member) keeps for common questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedReplyView {
    pub id: i64,
    /// Typed after `/` in the composer.
    pub shortcut: String,
    pub title: String,
    /// May hold placeholders: `{{contact.name}}`, `{{contact.phone}}`, `{{agent.name}}`.
    pub body: String,
    /// `true` for the team's replies (admins manage them), `false` for the member's own.
    pub shared: bool,
    pub attachment: Option<CannedAttachment>,
    pub updated_at: UnixTime,
}

/// A canned reply to create, or what changes about one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedReplyDraft {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// Create only: `true` for a team reply (admins), `false` (the default) for one's own.
    #[serde(default)]
    pub shared: bool,
    /// A media id from `POST /api/v1/media`; `""` removes the attachment.
    pub attachment_media_id: Option<String>,
}

/// A shortcut: 1 to 32 letters, digits, `-` or `_`, stored lower case.
pub fn check_shortcut(raw: &str) -> Result<String, ParseError> {
    let shortcut = raw.trim().trim_start_matches('/').to_lowercase();
    let valid = !shortcut.is_empty()
        && shortcut.chars().count() <= 32
        && shortcut
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(shortcut)
    } else {
        Err(ParseError::new(
            "shortcut",
            "must be 1 to 32 letters, digits, - or _",
        ))
    }
}

/// The values a canned reply's placeholders are filled with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceholderValues {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub agent_name: Option<String>,
    /// Further `contact.<key>` values (contact attributes).
    pub contact_attributes: Vec<(String, String)>,
}

/// A canned reply's body with its placeholders filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    /// Placeholders left as written because there is no value for them: the composer says so,
    /// so that nothing goes out silently blank.
    pub missing: Vec<String>,
}

/// Fills `{{contact.name}}`, `{{contact.phone}}`, `{{agent.name}}` and `{{contact.<attribute>}}`
/// (spaces inside the braces allowed). Unknown or empty ones stay in the text, as written.
pub fn fill_placeholders(body: &str, values: &PlaceholderValues) -> Filled {
    let mut text = String::with_capacity(body.len());
    let mut missing = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            break;
        };
        let written = &rest[start..start + 2 + length + 2];
        let key = rest[start + 2..start + 2 + length].trim();
        text.push_str(&rest[..start]);
        let value = match key {
            "contact.name" => values.contact_name.clone(),
            "contact.phone" => values.contact_phone.clone(),
            "agent.name" => values.agent_name.clone(),
            other => other.strip_prefix("contact.").and_then(|attribute| {
                values
                    .contact_attributes
                    .iter()
                    .find(|(k, _)| k == attribute)
                    .map(|(_, v)| v.clone())
            }),
        }
        .filter(|v| !v.trim().is_empty());
        match value {
            Some(value) => text.push_str(&value),
            None => {
                text.push_str(written);
                if !missing.iter().any(|m| m == key) {
                    missing.push(key.to_owned());
                }
            }
        }
        rest = &rest[start + written.len()..];
    }
    text.push_str(rest);
    Filled { text, missing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_or_left_visible() {
        let values = PlaceholderValues {
            contact_name: Some("Noa".into()),
            contact_phone: None,
            agent_name: Some("Ana".into()),
            contact_attributes: vec![("plan".into(), "Gold".into())],
        };
        let filled = fill_placeholders(
            "Hi {{contact.name}}, {{ agent.name }} here. Plan: {{contact.plan}}. Call {{contact.phone}} or {{contact.phone}}",
            &values,
        );
        assert_eq!(
            filled.text,
            "Hi Noa, Ana here. Plan: Gold. Call {{contact.phone}} or {{contact.phone}}"
        );
        assert_eq!(filled.missing, vec!["contact.phone".to_owned()]);
        let unclosed = fill_placeholders("Hi {{contact.name", &values);
        assert_eq!(unclosed.text, "Hi {{contact.name");
        let blank = PlaceholderValues {
            contact_name: Some("  ".into()),
            ..PlaceholderValues::default()
        };
        assert_eq!(
            fill_placeholders("{{contact.name}}", &blank).missing,
            vec!["contact.name".to_owned()]
        );
    }

    #[test]
    fn shortcuts_are_single_words() {
        assert_eq!(check_shortcut("/Refund").unwrap(), "refund");
        assert_eq!(check_shortcut("opening-hours").unwrap(), "opening-hours");
        assert!(check_shortcut("two words").is_err());
        assert!(check_shortcut("").is_err());
    }
}
