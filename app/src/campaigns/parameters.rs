//! Where a campaign's template parameters come from — a contact field, a custom attribute
//! (each with an optional fallback) or literal text — and filling them for one recipient.

use std::collections::BTreeMap;

/// A contact field a parameter can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactField {
    Name,
    FirstName,
    Phone,
    Email,
    Company,
}

/// Where one parameter's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterSource {
    Contact {
        field: ContactField,
        fallback: Option<String>,
    },
    Attribute {
        key: String,
        fallback: Option<String>,
    },
    Literal(String),
}

impl ParameterSource {
    /// `{{contact.name}}`, `{{attr.order_id|none}}`, or anything else as literal text.
    pub fn parse(raw: &str) -> Result<ParameterSource, String> {
        let trimmed = raw.trim();
        let Some(inner) = trimmed
            .strip_prefix("{{")
            .and_then(|rest| rest.strip_suffix("}}"))
        else {
            if raw.trim().is_empty() {
                return Err("a literal parameter may not be empty".into());
            }
            return Ok(ParameterSource::Literal(raw.to_owned()));
        };
        let (path, fallback) = match inner.split_once('|') {
            Some((path, fallback)) => (path.trim(), Some(fallback.trim().to_owned())),
            None => (inner.trim(), None),
        };
        let fallback = fallback.filter(|f| !f.is_empty());
        if let Some(key) = path.strip_prefix("attr.") {
            if key.is_empty() {
                return Err(format!(
                    "{raw}: name the attribute, like {{{{attr.order_id}}}}"
                ));
            }
            return Ok(ParameterSource::Attribute {
                key: key.to_owned(),
                fallback,
            });
        }
        let field = match path {
            "contact.name" => ContactField::Name,
            "contact.first_name" => ContactField::FirstName,
            "contact.phone" => ContactField::Phone,
            "contact.email" => ContactField::Email,
            "contact.company" => ContactField::Company,
            other => {
                return Err(format!(
                    "{{{{{other}}}}} is not a source: use contact.name, contact.first_name, \
                     contact.phone, contact.email, contact.company or attr.<key>"
                ));
            }
        };
        Ok(ParameterSource::Contact { field, fallback })
    }

    /// The attribute it reads, if any.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            ParameterSource::Attribute { key, .. } => Some(key),
            _ => None,
        }
    }

    /// Its value for one contact; `None` when the contact has nothing and there is no
    /// fallback (Meta refuses empty parameters).
    pub fn resolve(&self, contact: &RecipientFields) -> Option<String> {
        let (value, fallback) = match self {
            ParameterSource::Literal(text) => return Some(text.clone()),
            ParameterSource::Contact { field, fallback } => {
                let value = match field {
                    ContactField::Name => contact.name.clone(),
                    ContactField::FirstName => contact
                        .name
                        .as_deref()
                        .and_then(|n| n.split_whitespace().next())
                        .map(str::to_owned),
                    ContactField::Phone => contact.phone.clone(),
                    ContactField::Email => contact.email.clone(),
                    ContactField::Company => contact.company.clone(),
                };
                (value, fallback)
            }
            ParameterSource::Attribute { key, fallback } => {
                (contact.attributes.get(key).cloned(), fallback)
            }
        };
        value
            .filter(|v| !v.trim().is_empty())
            .or_else(|| fallback.clone())
    }
}

/// Parses every parameter, naming the first that is wrong.
pub fn parse_parameters(raw: &[String]) -> Result<Vec<ParameterSource>, String> {
    raw.iter()
        .enumerate()
        .map(|(i, p)| ParameterSource::parse(p).map_err(|e| format!("parameter {}: {e}", i + 1)))
        .collect()
}

/// What a recipient's parameters are filled from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientFields {
    pub name: Option<String>,
    /// E.164, with its `+`.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

/// Every parameter filled for one contact, or `None` when one cannot be.
pub fn fill_parameters(
    sources: &[ParameterSource],
    contact: &RecipientFields,
) -> Option<Vec<String>> {
    sources.iter().map(|s| s.resolve(contact)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> RecipientFields {
        RecipientFields {
            name: Some("Ana Souza".into()),
            phone: Some("+5511987654321".into()),
            attributes: BTreeMap::from([("order_id".into(), "A-17".into())]),
            ..RecipientFields::default()
        }
    }

    #[test]
    fn parameters_parse_from_sources_and_literals() {
        assert_eq!(
            ParameterSource::parse("{{contact.name}}").unwrap(),
            ParameterSource::Contact {
                field: ContactField::Name,
                fallback: None
            }
        );
        assert_eq!(
            ParameterSource::parse("{{ attr.order_id | none }}").unwrap(),
            ParameterSource::Attribute {
                key: "order_id".into(),
                fallback: Some("none".into())
            }
        );
        assert_eq!(
            ParameterSource::parse("20% off").unwrap(),
            ParameterSource::Literal("20% off".into())
        );
        assert!(ParameterSource::parse("{{contact.age}}").is_err());
        assert!(ParameterSource::parse("{{attr.}}").is_err());
        assert!(ParameterSource::parse(" ").is_err());
        let err = parse_parameters(&["ok".into(), "{{nope}}".into()]).unwrap_err();
        assert!(err.starts_with("parameter 2"), "{err}");
    }

    #[test]
    fn parameters_fill_from_the_contact_or_fall_back() {
        let sources = parse_parameters(&[
            "{{contact.first_name}}".into(),
            "{{attr.order_id}}".into(),
            "{{contact.company|your team}}".into(),
            "literal".into(),
        ])
        .unwrap();
        assert_eq!(
            fill_parameters(&sources, &ana()).unwrap(),
            ["Ana", "A-17", "your team", "literal"]
        );
        let nameless = RecipientFields {
            name: None,
            ..ana()
        };
        assert_eq!(fill_parameters(&sources, &nameless), None);
    }
}
