//! Webhook payloads, parsed leniently into domain terms.
//!
//! Meta adds fields and message types over time, so parsing never fails a batch because of one
//! odd item: an unknown message becomes [`Content::Unsupported`] with its raw JSON kept, an
//! unknown change `field` becomes an [`Change::Account`] event. Only a body that is not a
//! WhatsApp notification at all is an error.

pub use crate::domain::inbound::*;
use parley_app::model::MessageStatus;
use serde::Deserialize;
use serde_json::Value;

/// Seconds since the epoch as Meta sends them (a string, sometimes a number), in milliseconds.
fn timestamp_millis(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    seconds.checked_mul(1000)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("body is not a WhatsApp Business Account notification (object = {0:?})")]
    WrongObject(String),
}

// ---- parsing ----

/// Reads `message_template_status_update`, `message_template_quality_update` and
/// `template_category_update`; anything else is not a template change.
fn parse_template_update(field: &str, value: &Value) -> Option<TemplateUpdate> {
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    // Meta sends the id as a number; some integrations forward it as a string.
    let id = match value.get("message_template_id")? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let (kind, new_value, reason) = match field {
        "message_template_status_update" => (
            TemplateChangeKind::Status,
            text("event")?,
            meaningful_reason(text("reason").as_deref()).or_else(|| {
                value
                    .pointer("/other_info/description")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            }),
        ),
        "message_template_quality_update" => (
            TemplateChangeKind::Quality,
            text("new_quality_score")?,
            None,
        ),
        "template_category_update" => (
            TemplateChangeKind::Category,
            text("new_category").or_else(|| text("correct_category"))?,
            None,
        ),
        _ => return None,
    };
    Some(TemplateUpdate {
        id,
        name: text("message_template_name"),
        language: text("message_template_language"),
        kind,
        value: new_value,
        reason,
    })
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn string_at(value: &Value, key: &str) -> Option<String> {
    str_at(value, key).map(str::to_owned)
}

fn array_at<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn parse_errors(value: &Value) -> Vec<MetaError> {
    array_at(value, "errors")
        .iter()
        .map(|e| MetaError {
            code: e.get("code").and_then(Value::as_i64).unwrap_or_default(),
            title: string_at(e, "title")
                .or_else(|| string_at(e, "message"))
                .unwrap_or_default(),
            message: string_at(e, "message"),
            details: e.get("error_data").and_then(|d| string_at(d, "details")),
        })
        .collect()
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    object: String,
    #[serde(default)]
    entry: Vec<Value>,
}

/// Replaces U+0000 in every string: customers' text is attacker-controlled, and PostgreSQL's
/// text type refuses the character, which would leave such a message unprocessable.
fn replace_nul(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = text.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(replace_nul),
        Value::Object(fields) => fields.values_mut().for_each(replace_nul),
        _ => {}
    }
}

impl Notification {
    pub fn parse(body: &[u8]) -> Result<Notification, WebhookError> {
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|e| WebhookError::NotJson(e.to_string()))?;
        if envelope.object != "whatsapp_business_account" {
            return Err(WebhookError::WrongObject(envelope.object));
        }
        let mut entries = envelope.entry;
        entries.iter_mut().for_each(replace_nul);
        let mut changes = Vec::new();
        for entry in &entries {
            let waba_id = str_at(entry, "id").unwrap_or_default().to_owned();
            for change in array_at(entry, "changes") {
                let field = str_at(change, "field").unwrap_or_default().to_owned();
                let value = change.get("value").cloned().unwrap_or(Value::Null);
                changes.push(match field.as_str() {
                    "messages" | "smb_message_echoes" | "user_preferences" => {
                        Change::Messages(parse_messages_change(waba_id.clone(), &value))
                    }
                    _ => Change::Account {
                        waba_id: waba_id.clone(),
                        template: parse_template_update(&field, &value),
                        number: super::number_updates::parse(&field, &value),
                        field,
                        value,
                    },
                });
            }
        }
        Ok(Notification { changes })
    }
}

fn parse_messages_change(waba_id: String, value: &Value) -> MessagesChange {
    let metadata = value.get("metadata").cloned().unwrap_or(Value::Null);
    MessagesChange {
        waba_id,
        phone_number_id: string_at(&metadata, "phone_number_id").unwrap_or_default(),
        display_phone_number: string_at(&metadata, "display_phone_number"),
        contacts: array_at(value, "contacts")
            .iter()
            .map(parse_contact)
            .collect(),
        messages: array_at(value, "messages")
            .iter()
            .filter_map(parse_inbound)
            .collect(),
        echoes: array_at(value, "message_echoes")
            .iter()
            .filter_map(parse_echo)
            .collect(),
        statuses: array_at(value, "statuses")
            .iter()
            .filter_map(parse_status)
            .collect(),
        errors: parse_errors(value),
        user_preferences: array_at(value, "user_preferences").to_vec(),
    }
}

fn parse_contact(contact: &Value) -> ContactProfile {
    let profile = contact.get("profile").cloned().unwrap_or(Value::Null);
    ContactProfile {
        key: CustomerKey::new(string_at(contact, "wa_id"), string_at(contact, "user_id")),
        name: string_at(&profile, "name").filter(|n| !n.trim().is_empty()),
        username: string_at(&profile, "username").filter(|n| !n.trim().is_empty()),
    }
}

fn parse_inbound(message: &Value) -> Option<InboundMessage> {
    let wamid = WaMessageId(string_at(message, "id")?);
    let context = message.get("context");
    Some(InboundMessage {
        from: CustomerKey::new(
            string_at(message, "from"),
            string_at(message, "from_user_id"),
        ),
        timestamp_ms: message
            .get("timestamp")
            .and_then(timestamp_millis)
            .unwrap_or_default(),
        content: parse_content(message),
        reply_to: context.and_then(|c| string_at(c, "id")).map(WaMessageId),
        forwarded: context
            .and_then(|c| c.get("forwarded"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        referral: message.get("referral").cloned(),
        raw: message.clone(),
        wamid,
    })
}

fn parse_echo(message: &Value) -> Option<EchoMessage> {
    Some(EchoMessage {
        wamid: WaMessageId(string_at(message, "id")?),
        to: CustomerKey::new(string_at(message, "to"), string_at(message, "to_user_id")),
        timestamp_ms: message
            .get("timestamp")
            .and_then(timestamp_millis)
            .unwrap_or_default(),
        content: parse_content(message),
        raw: message.clone(),
    })
}

fn parse_status(status: &Value) -> Option<StatusUpdate> {
    let wamid = WaMessageId(string_at(status, "id")?);
    let state = match str_at(status, "status")? {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" | "played" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        _ => return None,
    };
    Some(StatusUpdate {
        wamid,
        status: state,
        timestamp_ms: status
            .get("timestamp")
            .and_then(timestamp_millis)
            .unwrap_or_default(),
        recipient: CustomerKey::new(
            string_at(status, "recipient_id"),
            string_at(status, "recipient_user_id"),
        ),
        errors: parse_errors(status),
        conversation: status.get("conversation").cloned(),
        pricing: status.get("pricing").cloned(),
        raw: status.clone(),
    })
}

fn unsupported(declared_type: &str, message: &Value) -> Content {
    Content::Unsupported {
        declared_type: declared_type.to_owned(),
        errors: parse_errors(message),
    }
}

/// The content of a message object (inbound, echo, or the `message` inside an edit).
pub fn parse_content(message: &Value) -> Content {
    let declared = str_at(message, "type").unwrap_or("unknown");
    let body = message.get(declared);
    let parsed = match (declared, body) {
        ("text", Some(b)) => string_at(b, "body").map(|body| Content::Text { body }),
        ("image" | "video" | "audio" | "document" | "sticker", Some(b)) => {
            let kind = match declared {
                "image" => MediaKind::Image,
                "video" => MediaKind::Video,
                "audio" => MediaKind::Audio,
                "document" => MediaKind::Document,
                _ => MediaKind::Sticker,
            };
            Some(Content::Media(MediaRef {
                kind,
                media_id: string_at(b, "id"),
                mime_type: string_at(b, "mime_type"),
                sha256: string_at(b, "sha256"),
                filename: string_at(b, "filename"),
                caption: string_at(b, "caption"),
            }))
        }
        ("location", Some(b)) => match (
            b.get("latitude").and_then(Value::as_f64),
            b.get("longitude").and_then(Value::as_f64),
        ) {
            (Some(latitude), Some(longitude)) => Some(Content::Location {
                latitude,
                longitude,
                name: string_at(b, "name"),
                address: string_at(b, "address"),
            }),
            _ => None,
        },
        ("contacts", Some(Value::Array(cards))) => Some(Content::Contacts {
            names: cards
                .iter()
                .filter_map(|c| {
                    c.get("name").and_then(|n| {
                        string_at(n, "formatted_name").or_else(|| string_at(n, "first_name"))
                    })
                })
                .collect(),
        }),
        ("reaction", Some(b)) => string_at(b, "message_id").map(|target| Content::Reaction {
            target: WaMessageId(target),
            emoji: string_at(b, "emoji").filter(|e| !e.is_empty()),
        }),
        ("interactive", Some(b)) => {
            let reply_type = str_at(b, "type").unwrap_or_default();
            b.get(reply_type).map(|reply| Content::InteractiveReply {
                reply_type: reply_type.to_owned(),
                id: string_at(reply, "id"),
                title: string_at(reply, "title")
                    .or_else(|| string_at(reply, "body"))
                    .unwrap_or_default(),
            })
        }
        ("button", Some(b)) => Some(Content::Button {
            payload: string_at(b, "payload"),
            text: string_at(b, "text").unwrap_or_default(),
        }),
        ("order", Some(b)) => Some(Content::Order {
            item_count: array_at(b, "product_items").len(),
            text: string_at(b, "text").filter(|t| !t.is_empty()),
        }),
        ("system", Some(b)) => Some(Content::System {
            body: string_at(b, "body").unwrap_or_default(),
            system_type: string_at(b, "type"),
            new_wa_id: string_at(b, "wa_id").or_else(|| string_at(b, "new_wa_id")),
        }),
        ("edit", Some(b)) => string_at(b, "original_message_id").map(|original| Content::Edit {
            original: WaMessageId(original),
            replacement: Box::new(
                b.get("message")
                    .map(parse_content)
                    .unwrap_or_else(|| unsupported("edit", message)),
            ),
        }),
        ("revoke", Some(b)) => {
            string_at(b, "original_message_id").map(|original| Content::Revoke {
                original: WaMessageId(original),
            })
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| unsupported(declared, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/pywa/updates/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture"))
            .expect("fixture JSON")
    }

    fn messages_of(case: &Value) -> MessagesChange {
        let notification = Notification::parse(&serde_json::to_vec(case).unwrap()).unwrap();
        match notification.changes.into_iter().next().unwrap() {
            Change::Messages(m) => m,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    #[test]
    fn every_pywa_message_case_parses_to_a_known_type() {
        let cases = fixture("message.json");
        for (name, case) in cases.as_object().unwrap() {
            let change = messages_of(case);
            assert_eq!(change.phone_number_id, "1122334455667", "{name}");
            let message = &change.messages[0];
            let expected = match name.as_str() {
                "unsupported" | "unsupported_with_type" | "interactive_message_with_err" => {
                    "unsupported"
                }
                "unreaction_empty" | "unreaction_no_emoji" | "reaction" => "reaction",
                "current_location" | "chosen_location" => "location",
                "voice" => "audio",
                "static_sticker" | "animated_sticker" => "sticker",
                "media_with_url" => "image",
                "reply" | "forwarded" | "forwarded_many_times" | "referral" | "text" => "text",
                other => other,
            };
            assert_eq!(
                message.content.type_name(),
                expected,
                "{name}: {:?}",
                message.content
            );
        }
    }

    #[test]
    fn details_survive_parsing() {
        let cases = fixture("message.json");
        let reaction = messages_of(&cases["reaction"]);
        assert_eq!(
            reaction.messages[0].content,
            Content::Reaction {
                target: WaMessageId("wamid.yzxyzx=".into()),
                emoji: Some("😮".into())
            }
        );
        let unreaction = messages_of(&cases["unreaction_empty"]);
        assert!(matches!(
            &unreaction.messages[0].content,
            Content::Reaction { emoji: None, .. }
        ));
        let referral = messages_of(&cases["referral"]);
        assert!(referral.messages[0].referral.is_some());
        let reply = messages_of(&cases["reply"]);
        assert_eq!(
            reply.messages[0].reply_to,
            Some(WaMessageId("wamid.xyzxyz==".into()))
        );
        let document = messages_of(&cases["document"]);
        let media = document.messages[0].content.media().unwrap();
        assert_eq!(media.filename.as_deref(), Some("filename.pdf"));
        assert_eq!(media.caption.as_deref(), Some("caption"));
        assert!(document.messages[0].forwarded);
        assert_eq!(document.messages[0].timestamp_ms, 1_697_043_666_000);
        let contact = &document.contacts[0];
        assert_eq!(contact.key.wa_id.as_deref(), Some("972987654321"));
        assert_eq!(
            contact.key.bsuid.as_deref(),
            Some("US.13491208655302741918")
        );
        let unsupported = messages_of(&cases["unsupported"]);
        match &unsupported.messages[0].content {
            Content::Unsupported { errors, .. } => assert_eq!(errors[0].code, 131051),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses_parse_with_errors_and_pricing() {
        let cases = fixture("message_status.json");
        let failed = messages_of(&cases["failed"]);
        assert_eq!(failed.statuses[0].status, MessageStatus::Failed);
        assert_eq!(failed.statuses[0].errors[0].code, 130472);
        assert!(
            failed.statuses[0].errors[0]
                .details
                .as_deref()
                .unwrap()
                .contains("experiment")
        );
        let sent = messages_of(&cases["sent"]);
        assert_eq!(sent.statuses[0].status, MessageStatus::Sent);
        assert!(sent.statuses[0].pricing.is_some());
        let played = messages_of(&cases["played"]);
        assert_eq!(played.statuses[0].status, MessageStatus::Read);
    }

    #[test]
    fn edits_revokes_and_echoes() {
        let edited = messages_of(&fixture("edited_message.json")["image"]);
        match &edited.messages[0].content {
            Content::Edit { replacement, .. } => {
                assert_eq!(replacement.text().as_deref(), Some("Updated image caption"))
            }
            other => panic!("{other:?}"),
        }
        let echoes = fixture("outgoing_message.json");
        let text = messages_of(&echoes["text"]);
        assert_eq!(
            text.echoes[0].content,
            Content::Text {
                body: "Test message".into()
            }
        );
        assert_eq!(text.echoes[0].to.bsuid.as_deref(), Some("<BSUID>"));
    }

    #[test]
    fn template_updates_are_account_events() {
        let cases = fixture("template_status_update.json");
        for case in cases.as_object().unwrap().values() {
            let notification = Notification::parse(&serde_json::to_vec(case).unwrap()).unwrap();
            assert!(
                matches!(&notification.changes[0], Change::Account { field, .. } if field == "message_template_status_update")
            );
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            Notification::parse(b"{not json"),
            Err(WebhookError::NotJson(_))
        ));
        assert!(matches!(
            Notification::parse(br#"{"object":"page","entry":[]}"#),
            Err(WebhookError::WrongObject(_))
        ));
    }
}
