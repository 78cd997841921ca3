//! Labels admins define and agents put on conversations.

use crate::model::ParseError;
use serde::{Deserialize, Serialize};

/// A label's name: trimmed, 1 to 40 characters, no commas (lists of names are comma
/// separated) and no control characters. Names are unique whatever their case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "vip"))]
pub struct LabelName(String);

impl LabelName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = raw.trim();
        let invalid = |why| Err(ParseError::new("label name", why));
        match name.chars().count() {
            0 => invalid("must not be empty"),
            n if n > 40 => invalid("must be at most 40 characters"),
            _ if name.contains(',') => invalid("must not contain commas"),
            _ if name.chars().any(char::is_control) => {
                invalid("must not contain control characters")
            }
            _ => Ok(LabelName(name.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as compared: case folded.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for LabelName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        LabelName::parse(&value)
    }
}

impl From<LabelName> for String {
    fn from(name: LabelName) -> String {
        name.0
    }
}

impl std::fmt::Display for LabelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label's colour: `#rrggbb`, nothing else (it ends up in a style attribute).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "#d97706"))]
pub struct Colour(String);

impl Colour {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        match raw.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Colour(raw.to_ascii_lowercase()))
            }
            _ => Err(ParseError::new("colour", "must look like #d97706")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Colour {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Colour::parse(&value)
    }
}

impl From<Colour> for String {
    fn from(colour: Colour) -> String {
        colour.0
    }
}

/// A label admins defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelView {
    pub id: i64,
    pub name: LabelName,
    pub colour: Colour,
    pub description: String,
}

/// A label to create, or the new state of one (`PATCH` takes any of the fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelDraft {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_and_colours_are_checked() {
        assert_eq!(LabelName::parse("  VIP ").unwrap().as_str(), "VIP");
        assert_eq!(LabelName::parse("VIP").unwrap().key(), "vip");
        for bad in ["", "a,b", &"x".repeat(41), "tab\there"] {
            assert!(LabelName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Colour::parse("#D97706").unwrap().as_str(), "#d97706");
        for bad in ["d97706", "#d9770", "#d97706;x", "red", "#gggggg"] {
            assert!(Colour::parse(bad).is_err(), "{bad:?}");
        }
    }
}
