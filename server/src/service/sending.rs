//! Sending: what a member asked to send becomes a queued message. Meta's limits, the service
//! window, and the media, template or message it refers to are all checked first, then the
//! Graph API request is built exactly as it will be sent, and the message and its send job are
//! written together. Retrying and cancelling live here too.

use super::{ServiceError, ServiceResult, Services};
use crate::domain::message::Message;
use crate::domain::outgoing::interactive_object;
use crate::domain::window;
use crate::store::{ConversationRoute, NewOutbound, OutboundMedia, Store};
use parley_app::compose::{MediaContent, Outgoing, SendRequest, media_kind_for, media_rules};
use parley_app::consent::ConsentState;
use parley_app::model::Viewer;
use parley_app::templates::TemplateView;
use serde_json::{Value, json};

/// Validates and queues a message; nothing is queued when anything is wrong.
pub async fn send(
    svc: &Services,
    viewer: &Viewer,
    conversation_id: i64,
    request: SendRequest,
) -> ServiceResult<Message> {
    let store = &svc.store;
    request
        .content
        .check_limits()
        .map_err(ServiceError::Invalid)?;
    let route = store
        .conversations
        .route(conversation_id)
        .await?
        .ok_or(ServiceError::NotFound("conversation"))?;
    let now = svc.now();
    if request.content.needs_open_window() && !window::is_open(route.window_expires_at, now) {
        return Err(ServiceError::WindowClosed {
            window_expires_at: route.window_expires_at,
        });
    }
    if let Some(seen) = request.seen_up_to
        && let Some(by) = store
            .messages
            .replied_since(conversation_id, seen, viewer.id)
            .await?
    {
        return Err(ServiceError::RepliedMeanwhile { by });
    }
    if let Some(quoted) = &request.reply_to
        && !store
            .messages
            .in_conversation(conversation_id, quoted)
            .await?
    {
        return Err(ServiceError::Invalid(
            "reply_to is not a message of this conversation".into(),
        ));
    }
    let mut prepared = prepare(store, &route, conversation_id, &request.content).await?;
    if let Some(quoted) = &request.reply_to
        && let Some(body) = prepared.request.as_object_mut()
    {
        body.insert("context".into(), json!({ "message_id": quoted }));
    }
    if prepared.template_category.as_deref() == Some("MARKETING") {
        marketing_allowed(svc, route.contact_id).await?;
    }
    let message = NewOutbound {
        conversation_id,
        author: Some(viewer.id),
        kind: request.content.kind().into(),
        text: prepared.text,
        phone_number_id: route.phone_number_id,
        recipient: route.recipient,
        request: prepared.request,
        media: prepared.media,
        reply_to_wamid: request.reply_to,
        reacts_to: prepared.reacts_to,
        template_id: prepared.template_id,
        template_category: prepared.template_category,
        campaign_id: None,
        automation_id: None,
    };
    let id = store.outbox.enqueue(&message, now).await?;
    svc.store.wakeups.sends_queued();
    stored_message(store, id).await
}

/// A marketing template goes only to a customer whose latest marketing consent is an opt-in,
/// and under the frequency cap: the rule campaigns follow holds for agents too.
async fn marketing_allowed(svc: &Services, contact_id: i64) -> ServiceResult<()> {
    let ledger = super::consent::current(svc, contact_id).await?;
    match ledger {
        Some(ConsentState::OptedIn) => {}
        Some(ConsentState::OptedOut) => {
            return Err(ServiceError::Invalid(
                "this customer opted out of marketing messages: send a utility template, or \
                 wait for them to opt in again"
                    .into(),
            ));
        }
        None => {
            return Err(ServiceError::Invalid(
                "this customer has not opted in to marketing messages: record their opt-in \
                 on the contact first"
                    .into(),
            ));
        }
    }
    let rules = super::campaigns::eligibility(svc, true);
    if rules.frequency_cap > 0 {
        let sent = svc
            .store
            .campaigns
            .marketing_sent_since(contact_id, rules.cap_since)
            .await?;
        if sent >= rules.frequency_cap {
            return Err(ServiceError::Invalid(format!(
                "this customer already got {sent} marketing messages in the last 30 days \
                 (the cap is {})",
                rules.frequency_cap
            )));
        }
    }
    Ok(())
}

/// Sends a failed message again, as a new attempt.
pub async fn retry(svc: &Services, _viewer: &Viewer, message_id: i64) -> ServiceResult<Message> {
    svc.store.messages.retry(message_id, svc.now()).await?;
    svc.store.wakeups.sends_queued();
    stored_message(&svc.store, message_id).await
}

/// Withdraws a message still waiting in the queue.
pub async fn cancel(svc: &Services, _viewer: &Viewer, message_id: i64) -> ServiceResult<Message> {
    svc.store.messages.cancel(message_id, svc.now()).await?;
    stored_message(&svc.store, message_id).await
}

async fn stored_message(store: &Store, id: i64) -> ServiceResult<Message> {
    store
        .messages
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("message"))
}

/// The Graph request and what the thread stores for one message.
struct Prepared {
    request: Value,
    text: Option<String>,
    media: Option<OutboundMedia>,
    reacts_to: Option<String>,
    template_id: Option<String>,
    template_category: Option<String>,
}

impl Prepared {
    fn new(kind: &str, object: Value, text: Option<String>) -> Prepared {
        Prepared {
            request: json!({ "type": kind, kind: object }),
            text,
            media: None,
            reacts_to: None,
            template_id: None,
            template_category: None,
        }
    }
}

async fn prepare(
    store: &Store,
    route: &ConversationRoute,
    conversation_id: i64,
    content: &Outgoing,
) -> ServiceResult<Prepared> {
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
            let found = super::templates::approved(
                store,
                route.waba_id.as_deref(),
                &template.name,
                &template.language,
            )
            .await?;
            let components = match &template.components {
                Some(components) => components.clone(),
                None => {
                    let mut components = header_component(
                        store,
                        &route.phone_number_id,
                        &found,
                        template.header_media_id.as_deref(),
                    )
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
            prepared.template_category = Some(found.category.to_ascii_uppercase());
            prepared
        }
        Outgoing::Interactive { interactive } => Prepared::new(
            "interactive",
            interactive_object(interactive),
            Some(interactive.body().to_owned()),
        ),
        Outgoing::Reaction { message_id, emoji } => {
            if !store
                .messages
                .in_conversation(conversation_id, message_id)
                .await?
            {
                return Err(ServiceError::Invalid(
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
    store: &Store,
    route: &ConversationRoute,
    kind: &str,
    media: &MediaContent,
) -> ServiceResult<Prepared> {
    let upload = store
        .media
        .uploaded(&media.media_id)
        .await?
        .ok_or_else(|| {
            ServiceError::Invalid(format!(
                "unknown media_id {}: upload the file with POST /api/v1/media first",
                media.media_id
            ))
        })?;
    if upload.phone_number_id != route.phone_number_id {
        return Err(ServiceError::Invalid(
            "this media was uploaded for another business number".into(),
        ));
    }
    let (types, max_bytes) = media_rules(kind).unwrap_or((&[], 0));
    let essence = upload.mime_type.split(';').next().unwrap_or("").trim();
    if !types.contains(&essence) {
        return Err(ServiceError::Invalid(format!(
            "a {kind} must be one of {}; this file is {essence}",
            types.join(", ")
        )));
    }
    if u64::try_from(upload.size_bytes).unwrap_or(u64::MAX) > max_bytes {
        return Err(ServiceError::Invalid(format!(
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

/// The header component of a template with a media header: the file the agent attached,
/// uploaded for the number it is sent from.
pub(super) async fn header_component(
    store: &Store,
    phone_number_id: &str,
    template: &TemplateView,
    media_id: Option<&str>,
) -> ServiceResult<Vec<Value>> {
    let Some(format) = template.header_media() else {
        return Ok(Vec::new());
    };
    let kind = format.to_ascii_lowercase();
    let media_id = media_id.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "template {} has a{} {kind} header: attach one (header_media_id, from POST /api/v1/media)",
            template.name,
            if kind == "image" { "n" } else { "" }
        ))
    })?;
    let upload = store.media.uploaded(media_id).await?.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "unknown header_media_id {media_id}: upload the file with POST /api/v1/media first"
        ))
    })?;
    if upload.phone_number_id != phone_number_id
        || media_kind_for(&upload.mime_type) != Some(kind.as_str())
    {
        return Err(ServiceError::Invalid(format!(
            "the header of template {} needs a{} {kind} uploaded for the number it is sent from",
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
pub(super) fn body_components(
    template: &TemplateView,
    values: &[String],
) -> ServiceResult<Vec<Value>> {
    let names = template.parameters();
    if names.len() != values.len() {
        return Err(ServiceError::Invalid(format!(
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
