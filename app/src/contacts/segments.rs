//! Segments: a contact filter saved under a name (labels, attribute comparisons, when they last
//! wrote, an open conversation, a business number), with a live count. Campaigns use them as
//! audiences. The checks here turn a member's conditions into ones the store can run.

use super::{AttributeDefinition, AttributeKey, AttributeType};
use crate::model::{ParseError, UnixTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How an attribute's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// Equal, compared in the attribute's type (`"yes"` equals a ticked checkbox).
    Equals,
    /// Contains the text, whatever its case (text, link and list attributes).
    Contains,
    /// Earlier than a date, or less than a number.
    Before,
    /// Later than a date, or more than a number.
    After,
    /// No value.
    IsEmpty,
    /// Any value.
    IsSet,
}

impl ConditionOp {
    pub const ALL: [ConditionOp; 6] = [
        ConditionOp::Equals,
        ConditionOp::Contains,
        ConditionOp::Before,
        ConditionOp::After,
        ConditionOp::IsEmpty,
        ConditionOp::IsSet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConditionOp::Equals => "equals",
            ConditionOp::Contains => "contains",
            ConditionOp::Before => "before",
            ConditionOp::After => "after",
            ConditionOp::IsEmpty => "is_empty",
            ConditionOp::IsSet => "is_set",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConditionOp::Equals => "equals",
            ConditionOp::Contains => "contains",
            ConditionOp::Before => "is before / less than",
            ConditionOp::After => "is after / more than",
            ConditionOp::IsEmpty => "is empty",
            ConditionOp::IsSet => "is set",
        }
    }

    /// Whether the comparison takes a value.
    pub fn takes_value(self) -> bool {
        !matches!(self, ConditionOp::IsEmpty | ConditionOp::IsSet)
    }
}

/// One comparison of an attribute's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttributeCondition {
    /// The attribute's key.
    pub attribute: String,
    pub op: ConditionOp,
    /// What to compare with (absent for `is_empty` and `is_set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub value: Option<Value>,
}

/// Which contacts a segment holds: all of its parts at once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentFilter {
    /// Label names: contacts carrying all of them.
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub conditions: Vec<AttributeCondition>,
    /// Their latest message (either way) at or after this moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_after: Option<UnixTime>,
    /// Their latest message before this moment (or none at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_before: Option<UnixTime>,
    /// With (`true`) or without (`false`) a conversation that is not resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_conversation: Option<bool>,
    /// With a conversation on this business number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
}

/// A new segment, or what changes about one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentDraft {
    pub name: Option<String>,
    pub filter: Option<SegmentFilter>,
}

/// A segment and how many contacts it holds now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    pub filter: SegmentFilter,
    /// Contacts in it now; absent when the filter no longer holds (see `problem`).
    pub count: Option<i64>,
    /// Why the filter cannot be run any more (an attribute or label it names was deleted).
    pub problem: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A condition checked against its attribute: what the store compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckedCondition {
    /// Equal to the canonical value.
    Equals(AttributeKey, String),
    /// Contains the text (any case).
    Contains(AttributeKey, String),
    /// A date before/after (`YYYY-MM-DD`), compared as text.
    DateBefore(AttributeKey, String),
    DateAfter(AttributeKey, String),
    /// A number less/more than, compared as numbers.
    LessThan(AttributeKey, ordered::Number),
    MoreThan(AttributeKey, ordered::Number),
    IsEmpty(AttributeKey),
    IsSet(AttributeKey),
}

/// A finite number that can be compared for equality (conditions are compared in tests).
pub mod ordered {
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Number(pub f64);
    impl Eq for Number {}
}

/// A segment's name: 1 to 80 characters, one line.
pub fn parse_segment_name(raw: &str) -> Result<String, ParseError> {
    match super::parse_line("name", raw, 80)? {
        Some(name) => Ok(name),
        None => Err(ParseError::new("name", "must not be empty")),
    }
}

impl AttributeCondition {
    /// Checks the condition against the attribute it names.
    pub fn check(
        &self,
        attributes: &[AttributeDefinition],
    ) -> Result<CheckedCondition, ParseError> {
        let Some(attribute) = attributes.iter().find(|a| a.key.as_str() == self.attribute) else {
            return Err(ParseError::new(
                "condition",
                &format!(
                    "names {:?}, which is not a contact attribute",
                    self.attribute
                ),
            ));
        };
        let key = attribute.key.clone();
        let field = format!("{} ({})", attribute.label, attribute.key);
        let wrong = |why: &str| ParseError::new(&field, why);
        let value = || -> Result<String, ParseError> {
            let value = self.value.as_ref().unwrap_or(&Value::Null);
            attribute
                .value_from_json(value)?
                .ok_or_else(|| wrong(&format!("{} needs a value", self.op.as_str())))
        };
        Ok(match (self.op, attribute.kind) {
            (ConditionOp::Equals, _) => CheckedCondition::Equals(key, value()?),
            (
                ConditionOp::Contains,
                AttributeType::Text | AttributeType::Url | AttributeType::List,
            ) => {
                let text = self
                    .value
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| wrong("contains needs some text"))?;
                CheckedCondition::Contains(key, text.to_owned())
            }
            (ConditionOp::Contains, _) => {
                return Err(wrong("contains is for text, link and list attributes"));
            }
            (ConditionOp::Before, AttributeType::Date) => {
                CheckedCondition::DateBefore(key, value()?)
            }
            (ConditionOp::After, AttributeType::Date) => CheckedCondition::DateAfter(key, value()?),
            (ConditionOp::Before | ConditionOp::After, AttributeType::Number) => {
                let number = value()?
                    .parse::<f64>()
                    .map_err(|_| wrong("must be a number"))?;
                if self.op == ConditionOp::Before {
                    CheckedCondition::LessThan(key, ordered::Number(number))
                } else {
                    CheckedCondition::MoreThan(key, ordered::Number(number))
                }
            }
            (ConditionOp::Before | ConditionOp::After, _) => {
                return Err(wrong("before and after are for date and number attributes"));
            }
            (ConditionOp::IsEmpty, _) => CheckedCondition::IsEmpty(key),
            (ConditionOp::IsSet, _) => CheckedCondition::IsSet(key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes() -> Vec<AttributeDefinition> {
        let attribute = |key: &str, kind| AttributeDefinition {
            key: AttributeKey::parse(key).unwrap(),
            label: key.to_uppercase(),
            kind,
            options: if kind == AttributeType::List {
                vec!["Gold".into()]
            } else {
                Vec::new()
            },
            agent_editable: true,
            position: 0,
        };
        vec![
            attribute("tier", AttributeType::List),
            attribute("since", AttributeType::Date),
            attribute("value", AttributeType::Number),
            attribute("vip", AttributeType::Checkbox),
        ]
    }

    fn check(
        attribute: &str,
        op: ConditionOp,
        value: Option<Value>,
    ) -> Result<CheckedCondition, String> {
        let condition = AttributeCondition {
            attribute: attribute.into(),
            op,
            value,
        };
        condition.check(&attributes()).map_err(|e| e.to_string())
    }

    #[test]
    fn conditions_are_checked_by_the_attribute_type() {
        let key = |k: &str| AttributeKey::parse(k).unwrap();
        assert_eq!(
            check("tier", ConditionOp::Equals, Some(json!("gold"))),
            Ok(CheckedCondition::Equals(key("tier"), "Gold".into()))
        );
        assert_eq!(
            check("vip", ConditionOp::Equals, Some(json!("yes"))),
            Ok(CheckedCondition::Equals(key("vip"), "true".into()))
        );
        assert_eq!(
            check("since", ConditionOp::Before, Some(json!("2024-01-01"))),
            Ok(CheckedCondition::DateBefore(
                key("since"),
                "2024-01-01".into()
            ))
        );
        assert_eq!(
            check("value", ConditionOp::After, Some(json!(100))),
            Ok(CheckedCondition::MoreThan(
                key("value"),
                ordered::Number(100.0)
            ))
        );
        assert_eq!(
            check("tier", ConditionOp::IsEmpty, None),
            Ok(CheckedCondition::IsEmpty(key("tier")))
        );
    }

    #[test]
    fn a_condition_that_cannot_hold_says_why() {
        assert!(
            check("nope", ConditionOp::IsSet, None)
                .unwrap_err()
                .contains("not a contact attribute")
        );
        assert!(
            check("since", ConditionOp::Contains, Some(json!("2024")))
                .unwrap_err()
                .contains("text")
        );
        assert!(
            check("tier", ConditionOp::Before, Some(json!("Gold")))
                .unwrap_err()
                .contains("date and number")
        );
        assert!(
            check("since", ConditionOp::After, Some(json!("yesterday")))
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            check("tier", ConditionOp::Equals, None)
                .unwrap_err()
                .contains("needs a value")
        );
    }

    #[test]
    fn filters_read_from_json() {
        let filter: SegmentFilter = serde_json::from_value(json!({
            "labels": ["vip"],
            "conditions": [{"attribute": "tier", "op": "equals", "value": "Gold"},
                           {"attribute": "vip", "op": "is_set"}],
            "open_conversation": true,
        }))
        .unwrap();
        assert_eq!(filter.conditions[1].op, ConditionOp::IsSet);
        assert_eq!(filter.open_conversation, Some(true));
        assert_eq!(filter.last_message_after, None);
        assert!(parse_segment_name("  ").is_err());
    }
}
