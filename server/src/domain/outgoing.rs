//! Meta's objects for what Parley sends, built from typed content: the composer's messages
//! and the automations' share one shape.

use parley_app::compose::Interactive;
use serde_json::{Value, json};

/// Meta's `interactive` object for a message.
pub fn interactive_object(interactive: &Interactive) -> Value {
    let frame = |kind: &str, header: &Option<String>, body: &str, footer: &Option<String>| {
        let mut object = json!({ "type": kind, "body": { "text": body } });
        if let Some(header) = header.as_deref().filter(|h| !h.is_empty()) {
            object["header"] = json!({ "type": "text", "text": header });
        }
        if let Some(footer) = footer.as_deref().filter(|f| !f.is_empty()) {
            object["footer"] = json!({ "text": footer });
        }
        object
    };
    match interactive {
        Interactive::Button {
            body,
            header,
            footer,
            buttons,
        } => {
            let mut object = frame("button", header, body, footer);
            let buttons: Vec<Value> = buttons
                .iter()
                .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
                .collect();
            object["action"] = json!({ "buttons": buttons });
            object
        }
        Interactive::List {
            body,
            button,
            header,
            footer,
            sections,
        } => {
            let mut object = frame("list", header, body, footer);
            object["action"] = json!({ "button": button, "sections": sections });
            object
        }
        Interactive::CtaUrl {
            body,
            display_text,
            url,
            header,
            footer,
        } => {
            let mut object = frame("cta_url", header, body, footer);
            object["action"] = json!({ "name": "cta_url",
                "parameters": { "display_text": display_text, "url": url } });
            object
        }
    }
}
