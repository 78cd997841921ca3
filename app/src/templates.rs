//! Message templates as Parley knows them, and the logic both sides need to show and fill one:
//! the server checks a template send with it, the browser previews with it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A template's review state at Meta. Meta adds states over time, so an unknown one is kept
/// verbatim rather than refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
    PendingDeletion,
    Deleted,
    LimitExceeded,
    Other(String),
}

impl TemplateStatus {
    pub const FILTERABLE: [TemplateStatus; 7] = [
        TemplateStatus::Approved,
        TemplateStatus::Pending,
        TemplateStatus::Rejected,
        TemplateStatus::Paused,
        TemplateStatus::Disabled,
        TemplateStatus::InAppeal,
        TemplateStatus::Deleted,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            TemplateStatus::Approved => "APPROVED",
            TemplateStatus::Pending => "PENDING",
            TemplateStatus::Rejected => "REJECTED",
            TemplateStatus::Paused => "PAUSED",
            TemplateStatus::Disabled => "DISABLED",
            TemplateStatus::InAppeal => "IN_APPEAL",
            TemplateStatus::PendingDeletion => "PENDING_DELETION",
            TemplateStatus::Deleted => "DELETED",
            TemplateStatus::LimitExceeded => "LIMIT_EXCEEDED",
            TemplateStatus::Other(other) => other,
        }
    }
}

impl From<String> for TemplateStatus {
    fn from(raw: String) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "APPROVED" => TemplateStatus::Approved,
            "PENDING" => TemplateStatus::Pending,
            "REJECTED" => TemplateStatus::Rejected,
            "PAUSED" => TemplateStatus::Paused,
            "DISABLED" => TemplateStatus::Disabled,
            "IN_APPEAL" => TemplateStatus::InAppeal,
            "PENDING_DELETION" => TemplateStatus::PendingDeletion,
            "DELETED" => TemplateStatus::Deleted,
            "LIMIT_EXCEEDED" => TemplateStatus::LimitExceeded,
            _ => TemplateStatus::Other(raw),
        }
    }
}

impl From<TemplateStatus> for String {
    fn from(status: TemplateStatus) -> Self {
        status.as_str().to_owned()
    }
}

impl fmt::Display for TemplateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A template of one of the business's WhatsApp Business Accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateView {
    /// Meta's template id.
    pub id: String,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, `IN_APPEAL`…
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub status: TemplateStatus,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality: Option<String>,
    pub rejected_reason: Option<String>,
    /// Meta's components (HEADER, BODY, FOOTER, BUTTONS), as Meta describes them.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub components: Value,
    /// When Parley last saw the template change.
    pub updated_at: crate::model::UnixTime,
    /// When an agent last sent it.
    pub last_sent_at: Option<crate::model::UnixTime>,
}

/// One entry of a template's approval story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateChange {
    /// `submitted`, `status`, `quality`, `category` or `deleted`.
    pub kind: String,
    /// The new value (a status, a quality score, a category).
    pub value: String,
    /// Meta's reason (a rejection reason such as `INCORRECT_CATEGORY`), when it gave one.
    pub reason: Option<String>,
    /// `webhook`, `sync` or `parley`.
    pub source: String,
    pub occurred_at: crate::model::UnixTime,
}

/// A template with its timeline, newest change last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateDetail {
    pub template: TemplateView,
    pub timeline: Vec<TemplateChange>,
}

/// A button of a template, for previews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateButton {
    /// `QUICK_REPLY`, `URL`, `PHONE_NUMBER`, `COPY_CODE`…
    pub kind: String,
    pub text: String,
}

impl TemplateView {
    fn component(&self, kind: &str) -> Option<&Value> {
        self.components.as_array()?.iter().find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
    }

    fn component_text(&self, kind: &str) -> Option<&str> {
        self.component(kind)?.get("text").and_then(Value::as_str)
    }

    pub fn header_text(&self) -> Option<&str> {
        self.component_text("HEADER")
    }

    /// The header's media format (`IMAGE`, `VIDEO`, `DOCUMENT`), when it is not text.
    pub fn header_media(&self) -> Option<&str> {
        let format = self.component("HEADER")?.get("format")?.as_str()?;
        (!format.eq_ignore_ascii_case("TEXT")).then_some(format)
    }

    pub fn body_text(&self) -> &str {
        self.component_text("BODY").unwrap_or_default()
    }

    pub fn footer_text(&self) -> Option<&str> {
        self.component_text("FOOTER")
    }

    pub fn buttons(&self) -> Vec<TemplateButton> {
        self.component("BUTTONS")
            .and_then(|c| c.get("buttons"))
            .and_then(Value::as_array)
            .map(|buttons| {
                buttons
                    .iter()
                    .map(|b| TemplateButton {
                        kind: b.get("type").and_then(Value::as_str).unwrap_or("").into(),
                        text: b.get("text").and_then(Value::as_str).unwrap_or("").into(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The body's parameters in order (`1`, `2`… or names), each once.
    pub fn parameters(&self) -> Vec<String> {
        placeholders(self.body_text())
    }

    /// Meta's sample values for the body's parameters, when the template carries them.
    pub fn examples(&self) -> Vec<String> {
        let example = self.component("BODY").and_then(|c| c.get("example"));
        let positional = example
            .and_then(|e| e.pointer("/body_text/0"))
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            });
        let named = example
            .and_then(|e| e.get("body_text_named_params"))
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.get("example").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            });
        positional.or(named).unwrap_or_default()
    }

    /// The message as the customer reads it: header, body and footer, parameters filled in.
    pub fn render(&self, parameters: &[String]) -> String {
        let body = fill(self.body_text(), parameters);
        [
            self.header_text().map(str::to_owned),
            Some(body),
            self.footer_text().map(str::to_owned),
        ]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
    }
}

/// What an admin writes to submit a new template (a text header; media headers need Meta's
/// resumable upload and are not offered yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// A text header; empty for none (ignored when there is a media header).
    pub header: String,
    /// A media header, with the sample Meta reviews it with.
    pub header_media: Option<HeaderSample>,
    pub body: String,
    /// A sample value for each body parameter, in order (Meta requires them).
    pub examples: Vec<String>,
    /// Empty for none.
    pub footer: String,
    pub buttons: Vec<DraftButton>,
}

/// A media header's sample, uploaded with `POST /api/v1/templates/samples`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HeaderSample {
    /// `IMAGE`, `VIDEO` or `DOCUMENT`.
    pub format: String,
    /// Meta's handle for the uploaded sample (`example.header_handle`).
    pub handle: String,
    pub filename: Option<String>,
}

impl HeaderSample {
    /// The header format a sample file of this media type makes, if Meta takes it.
    pub fn format_for(mime_type: &str) -> Option<&'static str> {
        match mime_type {
            "image/jpeg" | "image/png" => Some("IMAGE"),
            "video/mp4" => Some("VIDEO"),
            "application/pdf" => Some("DOCUMENT"),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftButton {
    pub kind: ButtonKind,
    pub text: String,
    /// The URL or phone number; empty for a quick reply.
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonKind {
    QuickReply,
    Url,
    PhoneNumber,
}

pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

impl TemplateDraft {
    /// Meta's rules that can be checked before submitting; Meta has the last word.
    pub fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 512
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(
                "The name may only contain lowercase letters, digits and underscores.".into(),
            );
        }
        if self.language.trim().is_empty() {
            return Err("Choose a language.".into());
        }
        if !CATEGORIES.contains(&self.category.as_str()) {
            return Err("Choose a category: marketing, utility or authentication.".into());
        }
        if self.body.trim().is_empty() || self.body.chars().count() > 1024 {
            return Err("The body needs 1 to 1,024 characters.".into());
        }
        if let Some(sample) = &self.header_media
            && (sample.handle.is_empty()
                || !["IMAGE", "VIDEO", "DOCUMENT"].contains(&sample.format.as_str()))
        {
            return Err("A media header needs its sample file uploaded.".into());
        }
        if self.header.chars().count() > 60 || self.footer.chars().count() > 60 {
            return Err("Header and footer may have at most 60 characters.".into());
        }
        let parameters = placeholders(&self.body);
        let numbered: Vec<usize> = parameters.iter().filter_map(|p| p.parse().ok()).collect();
        if !numbered.is_empty() {
            let mut sorted = numbered.clone();
            sorted.sort_unstable();
            if numbered.len() != parameters.len()
                || sorted.iter().enumerate().any(|(i, n)| *n != i + 1)
            {
                return Err(
                    "Number the parameters {{1}}, {{2}}, … without gaps (or name them all).".into(),
                );
            }
        }
        if self.examples.len() < parameters.len()
            || self.examples[..parameters.len()]
                .iter()
                .any(|e| e.trim().is_empty())
        {
            return Err("Give a sample value for every parameter: Meta reviews with them.".into());
        }
        if self.buttons.len() > 10 {
            return Err("At most 10 buttons.".into());
        }
        for button in &self.buttons {
            if button.text.trim().is_empty() || button.text.chars().count() > 25 {
                return Err("Button texts need 1 to 25 characters.".into());
            }
            match button.kind {
                ButtonKind::Url
                    if !button.value.starts_with("https://")
                        && !button.value.starts_with("http://") =>
                {
                    return Err("A URL button needs an http or https address.".into());
                }
                ButtonKind::PhoneNumber
                    if !button.value.starts_with('+')
                        || button.value.len() < 8
                        || !button.value[1..].chars().all(|c| c.is_ascii_digit()) =>
                {
                    return Err(
                        "A phone button needs a number in international form, like +14155550123."
                            .into(),
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn components(&self) -> Value {
        let parameters = placeholders(&self.body);
        let named = parameters.iter().any(|p| p.parse::<usize>().is_err());
        let examples: Vec<&String> = self.examples.iter().take(parameters.len()).collect();
        let mut body = serde_json::json!({ "type": "BODY", "text": self.body });
        if !parameters.is_empty() {
            body["example"] = if named {
                let pairs: Vec<Value> = parameters
                    .iter()
                    .zip(&examples)
                    .map(|(name, example)| serde_json::json!({ "param_name": name, "example": example }))
                    .collect();
                serde_json::json!({ "body_text_named_params": pairs })
            } else {
                serde_json::json!({ "body_text": [examples] })
            };
        }
        let mut components = Vec::new();
        match &self.header_media {
            Some(sample) => components.push(
                serde_json::json!({ "type": "HEADER", "format": sample.format,
                "example": { "header_handle": [sample.handle] } }),
            ),
            None if !self.header.trim().is_empty() => components.push(
                serde_json::json!({ "type": "HEADER", "format": "TEXT", "text": self.header }),
            ),
            None => {}
        }
        components.push(body);
        if !self.footer.trim().is_empty() {
            components.push(serde_json::json!({ "type": "FOOTER", "text": self.footer }));
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<Value> = self
                .buttons
                .iter()
                .map(|b| match b.kind {
                    ButtonKind::QuickReply => serde_json::json!({ "type": "QUICK_REPLY", "text": b.text }),
                    ButtonKind::Url => serde_json::json!({ "type": "URL", "text": b.text, "url": b.value }),
                    ButtonKind::PhoneNumber => {
                        serde_json::json!({ "type": "PHONE_NUMBER", "text": b.text, "phone_number": b.value })
                    }
                })
                .collect();
            components.push(serde_json::json!({ "type": "BUTTONS", "buttons": buttons }));
        }
        Value::Array(components)
    }

    /// Meta's creation body (`POST /{waba}/message_templates`).
    pub fn to_meta(&self) -> Value {
        let named = placeholders(&self.body)
            .iter()
            .any(|p| p.parse::<usize>().is_err());
        serde_json::json!({
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "parameter_format": if named { "NAMED" } else { "POSITIONAL" },
            "components": self.components(),
        })
    }

    /// The draft as a template, for the live preview.
    pub fn preview(&self) -> TemplateView {
        TemplateView {
            id: String::new(),
            waba_id: String::new(),
            name: self.name.clone(),
            language: self.language.clone(),
            category: self.category.clone(),
            status: TemplateStatus::Pending,
            quality: None,
            rejected_reason: None,
            components: self.components(),
            updated_at: crate::model::UnixTime(0),
            last_sent_at: None,
        }
    }
}

/// The distinct `{{…}}` placeholders of a text, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

/// Fills a text's placeholders: `{{n}}` takes the n-th value, a named one the value at its
/// position in [`placeholders`]. Missing values stay as the placeholder.
pub fn fill(text: &str, values: &[String]) -> String {
    let names = placeholders(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        let index = match name.parse::<usize>() {
            Ok(n) => n.checked_sub(1),
            Err(_) => names.iter().position(|n| n == name),
        };
        match index.and_then(|i| values.get(i)).filter(|v| !v.is_empty()) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(body: &str) -> TemplateView {
        TemplateView {
            id: "1".into(),
            waba_id: "w".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: TemplateStatus::Approved,
            quality: None,
            rejected_reason: None,
            components: json!([{ "type": "HEADER", "format": "TEXT", "text": "Orders" },
                { "type": "BODY", "text": body, "example": { "body_text": [["Ana", "#1"]] } },
                { "type": "FOOTER", "text": "Reply STOP to opt out" },
                { "type": "BUTTONS", "buttons": [{ "type": "QUICK_REPLY", "text": "Track" }] }]),
            updated_at: crate::model::UnixTime(0),
            last_sent_at: None,
        }
    }

    #[test]
    fn renders_positional_and_named_parameters() {
        let t = template("Hi {{1}}, order {{2}} ships. Thanks {{1}}!");
        assert_eq!(t.parameters(), ["1", "2"]);
        assert_eq!(t.examples(), ["Ana", "#1"]);
        assert_eq!(
            t.render(&["Ana".into(), "#9".into()]),
            "Orders\n\nHi Ana, order #9 ships. Thanks Ana!\n\nReply STOP to opt out"
        );
        assert_eq!(fill("Hi {{first_name}}", &["Bo".into()]), "Hi Bo");
        assert_eq!(fill("Hi {{1}} {{2}}", &["Bo".into()]), "Hi Bo {{2}}");
        assert_eq!(t.buttons()[0].text, "Track");
    }

    #[test]
    fn drafts_become_metas_creation_body() {
        let mut draft = TemplateDraft {
            name: "order_ready".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            header: "Good news".into(),
            header_media: None,
            body: "Hi {{1}}, order {{2}} is ready.".into(),
            examples: vec!["Ana".into(), "#7".into()],
            footer: String::new(),
            buttons: vec![DraftButton {
                kind: ButtonKind::Url,
                text: "Track".into(),
                value: "https://example.com/t".into(),
            }],
        };
        assert_eq!(draft.check(), Ok(()));
        let meta = draft.to_meta();
        assert_eq!(
            meta["components"][1]["example"]["body_text"],
            json!([["Ana", "#7"]])
        );
        assert_eq!(
            meta["components"][2]["buttons"][0]["url"],
            "https://example.com/t"
        );
        assert_eq!(
            draft.preview().render(&draft.examples),
            "Good news\n\nHi Ana, order #7 is ready."
        );
        draft.name = "Order Ready".into();
        assert!(draft.check().unwrap_err().contains("lowercase"));
        draft.name = "order_ready".into();
        draft.body = "Hi {{1}} and {{3}}".into();
        assert!(draft.check().unwrap_err().contains("without gaps"));
    }

    #[test]
    fn unknown_statuses_are_kept() {
        let status: TemplateStatus = serde_json::from_value(json!("FLAGGED")).unwrap();
        assert_eq!(status.as_str(), "FLAGGED");
        let approved: TemplateStatus = serde_json::from_value(json!("approved")).unwrap();
        assert_eq!(approved, TemplateStatus::Approved);
    }
}
