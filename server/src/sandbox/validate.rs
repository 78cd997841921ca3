//! Validation of `POST /{phone-number-id}/messages` bodies, following Meta's documentation
//! (not Parley's sender), so the simulator catches Parley's mistakes.

use super::errors::GraphApiError;
use serde_json::Value;

/// Meta's limits, from the Cloud API reference.
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
pub const MAX_REPLY_BUTTONS: usize = 3;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_BUTTON_TITLE: usize = 20;
pub const MAX_ROW_TITLE: usize = 24;

/// A request the simulator accepted.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// A message to deliver.
    Send {
        to: String,
        kind: String,
        body: Value,
        template_name: Option<String>,
    },
    /// Mark an inbound message read (optionally showing the typing indicator).
    MarkRead { message_id: String, typing: bool },
}

fn invalid(details: impl Into<String>) -> GraphApiError {
    GraphApiError::invalid_parameter(details)
}

fn chars(value: &Value) -> usize {
    value.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

fn required_str<'a>(object: &'a Value, key: &str, path: &str) -> Result<&'a str, GraphApiError> {
    match object.get(key).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(invalid(format!("Parameter '{path}' is required."))),
    }
}

fn media(object: &Value, kind: &str) -> Result<(), GraphApiError> {
    let id = object.get("id").and_then(Value::as_str);
    let link = object.get("link").and_then(Value::as_str);
    match (id, link) {
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "Param {kind} must have either 'id' or 'link', not both."
            )));
        }
        (None, None) => return Err(invalid(format!("Param {kind} must have 'id' or 'link'."))),
        (None, Some(link)) if !(link.starts_with("http://") || link.starts_with("https://")) => {
            return Err(invalid(format!(
                "Param {kind}['link'] must be an http(s) URL."
            )));
        }
        _ => {}
    }
    if let Some(caption) = object.get("caption") {
        if matches!(kind, "audio" | "sticker") {
            return Err(invalid(format!(
                "Param {kind}['caption'] is not supported for {kind}."
            )));
        }
        if chars(caption) > MAX_CAPTION {
            return Err(invalid(format!(
                "Param {kind}['caption'] must be at most {MAX_CAPTION} characters long."
            )));
        }
    }
    Ok(())
}

fn interactive(object: &Value) -> Result<(), GraphApiError> {
    let kind = required_str(object, "type", "interactive['type']")?;
    let action = object
        .get("action")
        .ok_or_else(|| invalid("Parameter 'interactive['action']' is required."))?;
    let needs_body = matches!(
        kind,
        "button" | "list" | "cta_url" | "product_list" | "catalog_message" | "flow"
    );
    if needs_body {
        let body = object
            .get("body")
            .and_then(|b| b.get("text"))
            .ok_or_else(|| invalid("Parameter 'interactive['body']['text']' is required."))?;
        if chars(body) > 1024 {
            return Err(invalid(
                "Param interactive['body']['text'] must be at most 1024 characters long.",
            ));
        }
    }
    match kind {
        "button" => {
            let buttons = action
                .get("buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    invalid("Parameter 'interactive['action']['buttons']' is required.")
                })?;
            if buttons.is_empty() || buttons.len() > MAX_REPLY_BUTTONS {
                return Err(invalid(format!(
                    "Param interactive['action']['buttons'] must have 1 to {MAX_REPLY_BUTTONS} buttons."
                )));
            }
            for button in buttons {
                let reply = button
                    .get("reply")
                    .ok_or_else(|| invalid("Each button needs 'reply' with 'id' and 'title'."))?;
                required_str(
                    reply,
                    "id",
                    "interactive['action']['buttons'][]['reply']['id']",
                )?;
                let title = required_str(
                    reply,
                    "title",
                    "interactive['action']['buttons'][]['reply']['title']",
                )?;
                if title.chars().count() > MAX_BUTTON_TITLE {
                    return Err(invalid(format!(
                        "Button title must be at most {MAX_BUTTON_TITLE} characters long."
                    )));
                }
            }
        }
        "list" => {
            required_str(action, "button", "interactive['action']['button']")?;
            let sections = action
                .get("sections")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    invalid("Parameter 'interactive['action']['sections']' is required.")
                })?;
            let rows: usize = sections
                .iter()
                .map(|s| s.get("rows").and_then(Value::as_array).map_or(0, Vec::len))
                .sum();
            if sections.is_empty() || sections.len() > 10 || rows == 0 || rows > MAX_LIST_ROWS {
                return Err(invalid(format!(
                    "A list message needs 1 to 10 sections and 1 to {MAX_LIST_ROWS} rows in total."
                )));
            }
            for row in sections.iter().flat_map(|s| {
                s.get("rows")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            }) {
                required_str(
                    &row,
                    "id",
                    "interactive['action']['sections'][]['rows'][]['id']",
                )?;
                let title = required_str(
                    &row,
                    "title",
                    "interactive['action']['sections'][]['rows'][]['title']",
                )?;
                if title.chars().count() > MAX_ROW_TITLE {
                    return Err(invalid(format!(
                        "Row title must be at most {MAX_ROW_TITLE} characters long."
                    )));
                }
            }
        }
        "cta_url" => {
            let parameters = action.get("parameters").ok_or_else(|| {
                invalid("Parameter 'interactive['action']['parameters']' is required.")
            })?;
            required_str(
                parameters,
                "display_text",
                "interactive['action']['parameters']['display_text']",
            )?;
            let url = required_str(
                parameters,
                "url",
                "interactive['action']['parameters']['url']",
            )?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(
                    "Param interactive['action']['parameters']['url'] must be an http(s) URL.",
                ));
            }
        }
        "product"
        | "product_list"
        | "catalog_message"
        | "flow"
        | "location_request_message"
        | "order_details"
        | "order_status"
        | "address_message" => {}
        other => {
            return Err(invalid(format!(
                "Param interactive['type'] has an unsupported value: {other}."
            )));
        }
    }
    Ok(())
}

fn template(object: &Value) -> Result<String, GraphApiError> {
    let name = required_str(object, "name", "template['name']")?;
    let language = object
        .get("language")
        .ok_or_else(|| invalid("Parameter 'template['language']' is required."))?;
    required_str(language, "code", "template['language']['code']")?;
    if object
        .get("components")
        .is_some_and(|components| !components.is_array())
    {
        return Err(invalid("Param template['components'] must be an array."));
    }
    Ok(name.to_owned())
}

/// Whether `to` could be a WhatsApp phone number or business-scoped user id.
fn plausible_recipient(to: &str) -> bool {
    let digits = to.trim_start_matches('+').replace([' ', '-', '(', ')'], "");
    (digits.len() >= 6 && digits.len() <= 15 && digits.chars().all(|c| c.is_ascii_digit()))
        || to.starts_with("US.")
}

/// Parses and validates a messages request body.
pub fn request(body: &Value) -> Result<Request, GraphApiError> {
    if !body.is_object() {
        return Err(invalid("The request body must be a JSON object."));
    }
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(invalid(
            "Parameter 'messaging_product' is required and must be 'whatsapp'.",
        ));
    }
    if body.get("status").and_then(Value::as_str) == Some("read") {
        let message_id = required_str(body, "message_id", "message_id")?.to_owned();
        let typing = match body.get("typing_indicator") {
            None => false,
            Some(indicator) if indicator.get("type").and_then(Value::as_str) == Some("text") => {
                true
            }
            Some(_) => return Err(invalid("Param typing_indicator['type'] must be 'text'.")),
        };
        return Ok(Request::MarkRead { message_id, typing });
    }
    if body
        .get("recipient_type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind != "individual")
    {
        return Err(invalid("Param recipient_type must be 'individual'."));
    }
    let to = body
        .get("to")
        .and_then(Value::as_str)
        .or_else(|| body.get("recipient").and_then(Value::as_str));
    let to = to.ok_or_else(|| invalid("Parameter 'to' is required."))?;
    if !plausible_recipient(to) {
        return Err(invalid(format!(
            "Param 'to' is not a valid phone number: {to}"
        )));
    }
    // `type` defaults to text; Meta's own examples also omit it where the object says it.
    const KINDS: [&str; 12] = [
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "reaction",
        "template",
        "order",
    ];
    let kind = match body.get("type").and_then(Value::as_str) {
        Some(kind) => kind,
        None => KINDS
            .into_iter()
            .find(|k| body.get(*k).is_some())
            .unwrap_or("text"),
    };
    let object = body.get(kind).ok_or_else(|| {
        invalid(format!(
            "Parameter '{kind}' is required for messages of type {kind}."
        ))
    })?;
    let mut template_name = None;
    match kind {
        "text" => {
            let text = required_str(object, "body", "text['body']")?;
            if text.chars().count() > MAX_TEXT {
                return Err(invalid(format!(
                    "Param text['body'] must be at most {MAX_TEXT} characters long."
                )));
            }
        }
        "image" | "video" | "audio" | "document" | "sticker" => media(object, kind)?,
        "location" => {
            let coordinate = |key: &str, limit: f64| match object.get(key).and_then(Value::as_f64) {
                Some(v) if v.abs() <= limit => Ok(()),
                _ => Err(invalid(format!(
                    "Param location['{key}'] is required and must be a valid coordinate."
                ))),
            };
            coordinate("latitude", 90.0)?;
            coordinate("longitude", 180.0)?;
        }
        "contacts" => {
            let cards = object
                .as_array()
                .ok_or_else(|| invalid("Param contacts must be an array."))?;
            if cards.is_empty() {
                return Err(invalid("Param contacts must not be empty."));
            }
            for card in cards {
                let name = card
                    .get("name")
                    .ok_or_else(|| invalid("Parameter 'contacts[]['name']' is required."))?;
                required_str(
                    name,
                    "formatted_name",
                    "contacts[]['name']['formatted_name']",
                )?;
            }
        }
        "interactive" => interactive(object)?,
        "reaction" => {
            required_str(object, "message_id", "reaction['message_id']")?;
            if object.get("emoji").and_then(Value::as_str).is_none() {
                return Err(invalid(
                    "Parameter 'reaction['emoji']' is required (empty removes the reaction).",
                ));
            }
        }
        "template" => template_name = Some(template(object)?),
        other => {
            return Err(invalid(format!(
                "Param type has an unsupported value: {other}."
            )));
        }
    }
    if let Some(context) = body.get("context") {
        required_str(context, "message_id", "context['message_id']")?;
    }
    Ok(Request::Send {
        to: to.trim_start_matches('+').to_owned(),
        kind: kind.to_owned(),
        body: body.clone(),
        template_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(body: Value) -> i64 {
        request(&body).unwrap_err().code
    }

    #[test]
    fn accepts_a_text_and_a_read_receipt() {
        let text = json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "hi"}});
        assert!(matches!(request(&text), Ok(Request::Send { .. })));
        let read = json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.x", "typing_indicator": {"type": "text"}});
        assert_eq!(
            request(&read),
            Ok(Request::MarkRead {
                message_id: "wamid.x".into(),
                typing: true
            })
        );
    }

    #[test]
    fn refuses_what_meta_refuses() {
        assert_eq!(
            code(json!({"to": "15551234567", "type": "text", "text": {"body": "hi"}})),
            100
        );
        assert_eq!(
            code(
                json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "x".repeat(4097)}})
            ),
            100
        );
        assert_eq!(
            code(
                json!({"messaging_product": "whatsapp", "to": "not-a-number", "type": "text", "text": {"body": "hi"}})
            ),
            100
        );
        assert_eq!(
            code(
                json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "image", "image": {}})
            ),
            100
        );
        let four_buttons = json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "pick"}, "action": {"buttons": (0..4).map(|i| json!({"type": "reply", "reply": {"id": i.to_string(), "title": "t"}})).collect::<Vec<_>>()}}});
        assert_eq!(code(four_buttons), 100);
        assert_eq!(
            code(
                json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "template", "template": {"name": "x"}})
            ),
            100
        );
    }
}
