//! Custom contact attributes: admins define them (key, label, type), members fill them in.
//! A value is checked against its attribute's type on every path in (the UI, the API, CSV
//! import) by the rules here, and stored in one canonical text form per type, so equal values
//! compare equal in SQL filters.

use crate::model::ParseError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An attribute's key as the API and filters (`attr.<key>=`) name it: a lower-case letter,
/// then up to 39 lower-case letters, digits or underscores.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "order_id"))]
pub struct AttributeKey(String);

impl AttributeKey {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let key = raw.trim();
        let ok = key.len() <= 40
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(AttributeKey(key.to_owned()))
        } else {
            Err(ParseError::new(
                "key",
                "must be a lower-case letter followed by up to 39 lower-case letters, digits or underscores",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AttributeKey {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AttributeKey::parse(&value)
    }
}

impl From<AttributeKey> for String {
    fn from(key: AttributeKey) -> String {
        key.0
    }
}

impl std::fmt::Display for AttributeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of value an attribute holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    /// One line of text, up to 500 characters.
    Text,
    /// A finite decimal number.
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the attribute's options.
    List,
    /// Yes or no.
    Checkbox,
    /// An `http` or `https` address.
    Url,
}

impl AttributeType {
    pub const ALL: [AttributeType; 6] = [
        AttributeType::Text,
        AttributeType::Number,
        AttributeType::Date,
        AttributeType::List,
        AttributeType::Checkbox,
        AttributeType::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Number => "number",
            AttributeType::Date => "date",
            AttributeType::List => "list",
            AttributeType::Checkbox => "checkbox",
            AttributeType::Url => "url",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttributeType::Text => "Text",
            AttributeType::Number => "Number",
            AttributeType::Date => "Date",
            AttributeType::List => "List",
            AttributeType::Checkbox => "Checkbox",
            AttributeType::Url => "Link",
        }
    }
}

impl std::str::FromStr for AttributeType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttributeType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                ParseError::new("type", "must be text, number, date, list, checkbox or url")
            })
    }
}

/// A custom attribute as admins defined it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttributeDefinition {
    pub key: AttributeKey,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// The choices of a `list` attribute (empty for the other types).
    pub options: Vec<String>,
    /// Whether agents may set it (admins always may).
    pub agent_editable: bool,
    /// Where it stands among the attributes (ascending).
    pub position: i64,
}

/// A new attribute, or what changes about one (`None` keeps it; `key` and `type` are fixed
/// once created; `position` moves it to that index, 0 first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttributeDraft {
    pub key: Option<String>,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<AttributeType>,
    pub options: Option<Vec<String>>,
    pub agent_editable: Option<bool>,
    pub position: Option<i64>,
}

const MAX_TEXT: usize = 500;
const MAX_URL: usize = 2000;
const MAX_OPTIONS: usize = 100;

/// A label: 1 to 60 characters, no control characters.
pub fn parse_label(raw: &str) -> Result<String, ParseError> {
    let label = raw.trim();
    match label.chars().count() {
        0 => Err(ParseError::new("label", "must not be empty")),
        n if n > 60 => Err(ParseError::new("label", "must be at most 60 characters")),
        _ if label.chars().any(char::is_control) => Err(ParseError::new(
            "label",
            "must not contain control characters",
        )),
        _ => Ok(label.to_owned()),
    }
}

/// A list attribute's options: 1 to 100, each 1 to 80 characters, none twice (whatever the
/// case); other types take none.
pub fn parse_options(kind: AttributeType, raw: &[String]) -> Result<Vec<String>, ParseError> {
    let invalid = |why: &str| Err(ParseError::new("options", why));
    if kind != AttributeType::List {
        return if raw.is_empty() {
            Ok(Vec::new())
        } else {
            invalid("are only for list attributes")
        };
    }
    let options: Vec<String> = raw
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    if options.is_empty() {
        return invalid("must name at least one choice");
    }
    if options.len() > MAX_OPTIONS {
        return invalid("may be at most 100");
    }
    if options
        .iter()
        .any(|o| o.chars().count() > 80 || o.chars().any(char::is_control))
    {
        return invalid("must each be at most 80 characters, without control characters");
    }
    let mut seen = std::collections::HashSet::new();
    if !options.iter().all(|o| seen.insert(o.to_lowercase())) {
        return invalid("must not repeat a choice");
    }
    Ok(options)
}

impl AttributeDefinition {
    fn invalid(&self, rule: &str) -> ParseError {
        ParseError::new(&format!("{} ({})", self.label, self.key), rule)
    }

    /// The stored form of a value sent as JSON (API, UI); `null` or `""` clears it.
    pub fn value_from_json(&self, value: &Value) -> Result<Option<String>, ParseError> {
        match (self.kind, value) {
            (_, Value::Null) => Ok(None),
            (AttributeType::Checkbox, Value::Bool(b)) => Ok(Some(b.to_string())),
            (AttributeType::Number, Value::Number(n)) => match n.as_f64() {
                Some(n) => self.number(n).map(Some),
                None => Err(self.invalid("must be a number")),
            },
            (_, Value::String(text)) => self.value_from_text(text),
            (AttributeType::Checkbox, _) => Err(self.invalid("must be true or false")),
            (AttributeType::Number, _) => Err(self.invalid("must be a number")),
            _ => Err(self.invalid("must be text")),
        }
    }

    /// The stored form of a value written as text (CSV import, a filter, a form field);
    /// empty clears it.
    pub fn value_from_text(&self, raw: &str) -> Result<Option<String>, ParseError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let value = match self.kind {
            AttributeType::Text => {
                if text.chars().count() > MAX_TEXT {
                    return Err(self.invalid("must be at most 500 characters"));
                }
                if text.chars().any(char::is_control) {
                    return Err(self.invalid("must be one line, without control characters"));
                }
                text.to_owned()
            }
            AttributeType::Number => {
                let number: f64 = text
                    .replace([',', '_', ' '], "")
                    .parse()
                    .map_err(|_| self.invalid(&format!("must be a number, not {text:?}")))?;
                self.number(number)?
            }
            AttributeType::Date => {
                parse_date(text).ok_or_else(|| self.invalid("must be a date written YYYY-MM-DD"))?
            }
            AttributeType::List => self
                .options
                .iter()
                .find(|o| o.to_lowercase() == text.to_lowercase())
                .cloned()
                .ok_or_else(|| {
                    self.invalid(&format!("must be one of: {}", self.options.join(", ")))
                })?,
            AttributeType::Checkbox => match text.to_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "x" | "on" => "true".to_owned(),
                "false" | "no" | "n" | "0" | "off" => "false".to_owned(),
                _ => return Err(self.invalid("must be true or false")),
            },
            AttributeType::Url => {
                let lower = text.to_ascii_lowercase();
                let host = lower
                    .strip_prefix("https://")
                    .or_else(|| lower.strip_prefix("http://"));
                if !host.is_some_and(|h| !h.is_empty() && !h.starts_with('/'))
                    || text.len() > MAX_URL
                    || text.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(self.invalid("must be an http:// or https:// address"));
                }
                text.to_owned()
            }
        };
        Ok(Some(value))
    }

    fn number(&self, number: f64) -> Result<String, ParseError> {
        if !number.is_finite() {
            return Err(self.invalid("must be a finite number"));
        }
        Ok(if number.fract() == 0.0 && number.abs() < 1e15 {
            format!("{}", number as i64)
        } else {
            number.to_string()
        })
    }

    /// A stored value as the API shows it: numbers as numbers, checkboxes as booleans.
    pub fn value_to_json(&self, stored: &str) -> Value {
        match self.kind {
            AttributeType::Number => stored
                .parse::<f64>()
                .ok()
                .and_then(|n| {
                    if n.fract() == 0.0 && n.abs() < 1e15 {
                        Some(Value::from(n as i64))
                    } else {
                        serde_json::Number::from_f64(n).map(Value::Number)
                    }
                })
                .unwrap_or_else(|| Value::String(stored.to_owned())),
            AttributeType::Checkbox => Value::Bool(stored == "true"),
            _ => Value::String(stored.to_owned()),
        }
    }
}

/// `YYYY-MM-DD`, a real calendar day.
fn parse_date(text: &str) -> Option<String> {
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (year, month, day): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attribute(kind: AttributeType) -> AttributeDefinition {
        AttributeDefinition {
            key: AttributeKey::parse("field").unwrap(),
            label: "Field".into(),
            kind,
            options: if kind == AttributeType::List {
                vec!["Gold".into(), "Silver".into()]
            } else {
                Vec::new()
            },
            agent_editable: true,
            position: 0,
        }
    }

    fn stored(kind: AttributeType, value: Value) -> Result<Option<String>, String> {
        attribute(kind)
            .value_from_json(&value)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn keys_are_lower_case_identifiers() {
        assert!(AttributeKey::parse("order_id").is_ok());
        assert!(AttributeKey::parse("tier2").is_ok());
        for bad in ["", "Order", "2nd", "order-id", "a b", &"a".repeat(41)] {
            assert!(AttributeKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_checked_by_type_and_stored_canonically() {
        use AttributeType::*;
        assert_eq!(stored(Number, json!(12.0)), Ok(Some("12".into())));
        assert_eq!(stored(Number, json!("1,250.5")), Ok(Some("1250.5".into())));
        assert_eq!(
            stored(Date, json!("2026-02-28")),
            Ok(Some("2026-02-28".into()))
        );
        assert_eq!(stored(List, json!("gold")), Ok(Some("Gold".into())));
        assert_eq!(stored(Checkbox, json!(true)), Ok(Some("true".into())));
        assert_eq!(stored(Checkbox, json!("no")), Ok(Some("false".into())));
        assert_eq!(
            stored(Url, json!("https://shop.example/o/1")),
            Ok(Some("https://shop.example/o/1".into()))
        );
        assert_eq!(stored(Text, json!("  hi ")), Ok(Some("hi".into())));
        assert_eq!(stored(Text, json!(null)), Ok(None));
        assert_eq!(stored(Text, json!("")), Ok(None));
    }

    #[test]
    fn a_bad_value_names_the_attribute_and_the_rule() {
        use AttributeType::*;
        let error = stored(Number, json!("abc")).unwrap_err();
        assert!(
            error.contains("Field (field)") && error.contains("must be a number"),
            "{error}"
        );
        assert!(
            stored(Date, json!("2026-02-30"))
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(stored(Date, json!("30/01/2026")).is_err());
        assert!(
            stored(List, json!("Bronze"))
                .unwrap_err()
                .contains("Gold, Silver")
        );
        assert!(stored(Checkbox, json!(3)).is_err());
        assert!(stored(Url, json!("javascript:alert(1)")).is_err());
        assert!(stored(Url, json!("https://")).is_err());
        assert!(stored(Text, json!("two\nlines")).is_err());
        assert!(stored(Text, json!(["a"])).is_err());
        assert!(stored(Number, json!("NaN")).is_err());
    }

    #[test]
    fn values_come_back_as_json_of_their_type() {
        assert_eq!(
            attribute(AttributeType::Number).value_to_json("12"),
            json!(12)
        );
        assert_eq!(
            attribute(AttributeType::Number).value_to_json("2.5"),
            json!(2.5)
        );
        assert_eq!(
            attribute(AttributeType::Checkbox).value_to_json("true"),
            json!(true)
        );
        assert_eq!(
            attribute(AttributeType::Date).value_to_json("2026-01-02"),
            json!("2026-01-02")
        );
    }

    #[test]
    fn only_lists_have_options_and_they_do_not_repeat() {
        let list = AttributeType::List;
        assert!(parse_options(AttributeType::Text, &["a".into()]).is_err());
        assert!(parse_options(list, &[]).is_err());
        assert!(parse_options(list, &["Gold".into(), "gold".into()]).is_err());
        assert_eq!(
            parse_options(list, &[" Gold ".into(), "".into(), "Silver".into()]),
            Ok(vec!["Gold".into(), "Silver".into()])
        );
    }
}
