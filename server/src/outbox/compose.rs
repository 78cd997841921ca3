//! Turns what an agent asked to send into a queued message: Meta's limits, the service window,
//! the media, template or message it refers to are all checked first, then the Graph API
//! request is built exactly as it will be sent.

use super::SendError;
use crate::store::{ConversationRoute, Millis, NewOutbound, OutboundMedia, SharedStore};
use parley_app::compose::{
    Interactive, MediaContent, Outgoing, SendRequest, media_kind_for, media_rules,
};
use parley_app::model::{MessageView, UserId};
use parley_app::templates::{TemplateStatus, TemplateView};
use serde_json::{Value, json};

/// Validates and queues a message; nothing is queued when anything is wrong.
pub async fn queue(
    store: &SharedStore,
    author: UserId,
    conversation_id: i64,
    request: SendRequest,
) -> Result<MessageView, SendError> {
    request.content.check_limits().map_err(SendError::Invalid)?;
    let route = store
        .conversation_route(conversation_id)
        .await?
        .ok_or(SendError::NotFound)?;
    let now = Millis::now();
    let window_open = route.window_expires_at.is_some_and(|expires| expires > now);
    if request.content.needs_open_window() && !window_open {
        return Err(SendError::WindowClosed {
            window_expires_at: route.window_expires_at,
        });
    }
    if let Some(quoted) = &request.reply_to
        && !store
            .message_in_conversation(conversation_id, quoted)
            .await?
    {
        return Err(SendError::Invalid(
            "reply_to is not a message of this conversation".into(),
        ));
    }
    let mut prepared = prepare(store, &route, conversation_id, &request.content).await?;
    if let Some(quoted) = &request.reply_to
        && let Some(body) = prepared.request.as_object_mut()
    {
        body.insert("context".into(), json!({ "message_id": quoted }));
    }
    let message = NewOutbound {
        conversation_id,
        author,
        kind: request.content.kind().into(),
        text: prepared.text,
        phone_number_id: route.phone_number_id,
        recipient: route.recipient,
        request: prepared.request,
        media: prepared.media,
        reply_to_wamid: request.reply_to,
        reacts_to: prepared.reacts_to,
        template_id: prepared.template_id,
    };
    let id = store.enqueue_outbound(&message, now).await?;
    store.message(id).await?.ok_or(SendError::NotFound)
}

/// The Graph request and what the thread stores for one message.
struct Prepared {
    request: Value,
    text: Option<String>,
    media: Option<OutboundMedia>,
    reacts_to: Option<String>,
    template_id: Option<String>,
}

impl Prepared {
    fn new(kind: &str, object: Value, text: Option<String>) -> Prepared {
        Prepared {
            request: json!({ "type": kind, kind: object }),
            text,
            media: None,
            reacts_to: None,
            template_id: None,
        }
    }
}

async fn prepare(
    store: &SharedStore,
    route: &ConversationRoute,
    conversation_id: i64,
    content: &Outgoing,
) -> Result<Prepared, SendError> {
    let mut prepared = match content {
        Outgoing::Text { text } => {
            let text = text.trim_end();
            let object = json!({ "body": text, "preview_url": text.contains("https://") });
            Prepared::new("text", object, Some(text.to_owned()))
        }
        Outgoing::Image(media)
        | Outgoing::Video(media)
        | Outgoing::Audio(media)
        | Outgoing::Document(media)
        | Outgoing::Sticker(media) => prepare_media(store, route, content.kind(), media).await?,
        Outgoing::Template { template } => {
            let found = store
                .template_by_name(route.waba_id.as_deref(), &template.name, &template.language)
                .await?
                .ok_or_else(|| {
                    SendError::Invalid(format!(
                        "there is no template {} in {}; sync the templates or check its name",
                        template.name, template.language
                    ))
                })?;
            if found.status != TemplateStatus::Approved {
                return Err(SendError::Invalid(format!(
                    "template {} ({}) is {}: only APPROVED templates can be sent",
                    found.name, found.language, found.status
                )));
            }
            let components = match &template.components {
                Some(components) => components.clone(),
                None => {
                    let mut components =
                        header_component(store, route, &found, template.header_media_id.as_deref())
                            .await?;
                    components.extend(body_components(&found, &template.parameters)?);
                    Value::Array(components)
                }
            };
            let mut object = json!({ "name": found.name, "language": { "code": found.language } });
            if components.as_array().is_some_and(|c| !c.is_empty()) {
                object["components"] = components;
            }
            let mut prepared =
                Prepared::new("template", object, Some(found.render(&template.parameters)));
            prepared.template_id = Some(found.id);
            prepared
        }
        Outgoing::Interactive { interactive } => Prepared::new(
            "interactive",
            interactive_object(interactive),
            Some(interactive.body().to_owned()),
        ),
        Outgoing::Reaction { message_id, emoji } => {
            if !store
                .message_in_conversation(conversation_id, message_id)
                .await?
            {
                return Err(SendError::Invalid(
                    "a reaction must target a message of this conversation".into(),
                ));
            }
            let object = json!({ "message_id": message_id, "emoji": emoji });
            let mut prepared = Prepared::new("reaction", object, Some(emoji.clone()));
            prepared.reacts_to = Some(message_id.clone());
            prepared
        }
        Outgoing::Location(location) => {
            let label = [location.name.as_deref(), location.address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — ");
            let object = serde_json::to_value(location).unwrap_or_default();
            Prepared::new("location", object, Some(label).filter(|l| !l.is_empty()))
        }
        Outgoing::Contacts { contacts } => {
            let names = contacts
                .iter()
                .filter_map(|c| c.pointer("/name/formatted_name").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(", ");
            let mut prepared = Prepared::new("contacts", Value::Null, Some(names));
            prepared.request = json!({ "type": "contacts", "contacts": contacts });
            prepared
        }
    };
    if let Some(body) = prepared.request.as_object_mut() {
        body.insert("messaging_product".into(), json!("whatsapp"));
        body.insert("recipient_type".into(), json!("individual"));
        body.insert("to".into(), json!(route.recipient));
    }
    Ok(prepared)
}

async fn prepare_media(
    store: &SharedStore,
    route: &ConversationRoute,
    kind: &str,
    media: &MediaContent,
) -> Result<Prepared, SendError> {
    let upload = store
        .uploaded_media(&media.media_id)
        .await?
        .ok_or_else(|| {
            SendError::Invalid(format!(
                "unknown media_id {}: upload the file with POST /api/v1/media first",
                media.media_id
            ))
        })?;
    if upload.phone_number_id != route.phone_number_id {
        return Err(SendError::Invalid(
            "this media was uploaded for another business number".into(),
        ));
    }
    let (types, max_bytes) = media_rules(kind).unwrap_or((&[], 0));
    let essence = upload.mime_type.split(';').next().unwrap_or("").trim();
    if !types.contains(&essence) {
        return Err(SendError::Invalid(format!(
            "a {kind} must be one of {}; this file is {essence}",
            types.join(", ")
        )));
    }
    if u64::try_from(upload.size_bytes).unwrap_or(u64::MAX) > max_bytes {
        return Err(SendError::Invalid(format!(
            "a {kind} may be at most {} KiB; this file has {} KiB",
            max_bytes / 1024,
            upload.size_bytes / 1024
        )));
    }
    let filename = (kind == "document")
        .then(|| media.filename.clone().or(upload.filename.clone()))
        .flatten();
    let mut object = json!({ "id": upload.media_id });
    if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
        object["caption"] = json!(caption);
    }
    if let Some(name) = &filename {
        object["filename"] = json!(name);
    }
    let caption = media.caption.clone().filter(|c| !c.is_empty());
    let mut prepared = Prepared::new(kind, object, caption);
    prepared.media = Some(OutboundMedia {
        media_id: upload.media_id,
        mime_type: upload.mime_type,
        filename,
    });
    Ok(prepared)
}

/// The header component of a template with a media header: the file the agent attached.
async fn header_component(
    store: &SharedStore,
    route: &ConversationRoute,
    template: &TemplateView,
    media_id: Option<&str>,
) -> Result<Vec<Value>, SendError> {
    let Some(format) = template.header_media() else {
        return Ok(Vec::new());
    };
    let kind = format.to_ascii_lowercase();
    let media_id = media_id.ok_or_else(|| {
        SendError::Invalid(format!(
            "template {} has a{} {kind} header: attach one (header_media_id, from POST /api/v1/media)",
            template.name,
            if kind == "image" { "n" } else { "" }
        ))
    })?;
    let upload = store.uploaded_media(media_id).await?.ok_or_else(|| {
        SendError::Invalid(format!(
            "unknown header_media_id {media_id}: upload the file with POST /api/v1/media first"
        ))
    })?;
    if upload.phone_number_id != route.phone_number_id
        || media_kind_for(&upload.mime_type) != Some(kind.as_str())
    {
        return Err(SendError::Invalid(format!(
            "the header of template {} needs a{} {kind} uploaded for this conversation's number",
            template.name,
            if kind == "image" { "n" } else { "" }
        )));
    }
    let mut media = json!({ "id": upload.media_id });
    if kind == "document"
        && let Some(name) = &upload.filename
    {
        media["filename"] = json!(name);
    }
    let mut parameter = json!({ "type": kind });
    parameter[kind.as_str()] = media;
    Ok(vec![json!({ "type": "header", "parameters": [parameter] })])
}

/// The body component for a template's parameters (named ones carry their names).
fn body_components(template: &TemplateView, values: &[String]) -> Result<Vec<Value>, SendError> {
    let names = template.parameters();
    if names.len() != values.len() {
        return Err(SendError::Invalid(format!(
            "template {} takes {} parameter(s); {} given",
            template.name,
            names.len(),
            values.len()
        )));
    }
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let parameters: Vec<Value> = names
        .iter()
        .zip(values)
        .map(|(name, value)| {
            if name.parse::<usize>().is_ok() {
                json!({ "type": "text", "text": value })
            } else {
                json!({ "type": "text", "parameter_name": name, "text": value })
            }
        })
        .collect();
    Ok(vec![json!({ "type": "body", "parameters": parameters })])
}

/// Meta's `interactive` object for a message.
fn interactive_object(interactive: &Interactive) -> Value {
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
