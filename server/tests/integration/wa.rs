//! Building webhook payloads in Meta's shape for tests.

use serde_json::{Value, json};

pub const NUMBER_A: &str = "1100000000001";
pub const NUMBER_B: &str = "1100000000002";

pub fn notification(changes: Vec<Value>) -> Value {
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "900000000001", "changes": changes }] })
}

pub fn messages_change(
    phone_number_id: &str,
    contacts: Vec<Value>,
    messages: Vec<Value>,
    statuses: Vec<Value>,
) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": format!("+{phone_number_id}"), "phone_number_id": phone_number_id },
    });
    if !contacts.is_empty() {
        value["contacts"] = Value::Array(contacts);
    }
    if !messages.is_empty() {
        value["messages"] = Value::Array(messages);
    }
    if !statuses.is_empty() {
        value["statuses"] = Value::Array(statuses);
    }
    json!({ "field": "messages", "value": value })
}

pub fn contact(wa_id: Option<&str>, bsuid: Option<&str>, name: &str) -> Value {
    let mut contact = json!({ "profile": { "name": name } });
    if let Some(wa_id) = wa_id {
        contact["wa_id"] = json!(wa_id);
    }
    if let Some(bsuid) = bsuid {
        contact["user_id"] = json!(bsuid);
    }
    contact
}

pub fn text(
    wamid: &str,
    from: Option<&str>,
    from_user_id: Option<&str>,
    timestamp: i64,
    body: &str,
) -> Value {
    let mut message = json!({ "id": wamid, "timestamp": timestamp.to_string(), "type": "text", "text": { "body": body } });
    if let Some(from) = from {
        message["from"] = json!(from);
    }
    if let Some(user) = from_user_id {
        message["from_user_id"] = json!(user);
    }
    message
}

/// A whole notification with one text message from a phone-identified customer.
pub fn inbound_text(
    number: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    timestamp: i64,
    body: &str,
) -> Value {
    notification(vec![messages_change(
        number,
        vec![contact(Some(wa_id), None, name)],
        vec![text(wamid, Some(wa_id), None, timestamp, body)],
        vec![],
    )])
}

pub fn status(wamid: &str, status: &str, timestamp: i64, recipient: &str) -> Value {
    let mut value = json!({ "id": wamid, "status": status, "timestamp": timestamp.to_string(), "recipient_id": recipient });
    if status == "failed" {
        value["errors"] = json!([{ "code": 131047, "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": { "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number." } }]);
    } else {
        value["pricing"] =
            json!({ "billable": true, "pricing_model": "PMP", "category": "service" });
    }
    value
}

/// An echo of a message the business sent from another client: creates an outbound message.
pub fn echo(number: &str, to: &str, wamid: &str, timestamp: i64, body: &str) -> Value {
    notification(vec![json!({ "field": "smb_message_echoes", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": format!("+{number}"), "phone_number_id": number },
        "message_echoes": [{ "from": format!("+{number}"), "to": to, "id": wamid,
            "timestamp": timestamp.to_string(), "type": "text", "text": { "body": body } }],
    }})])
}

pub fn statuses(number: &str, statuses: Vec<Value>) -> Value {
    notification(vec![messages_change(number, vec![], vec![], statuses)])
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
