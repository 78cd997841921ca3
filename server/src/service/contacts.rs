//! Contacts: every member reads them, adds them and edits their profile, labels, note and the
//! attributes agents may edit; admins define the custom attributes and edit every value.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, labels, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::{
    AttributeUpdate, ContactChange, ContactConversationRecord, ContactQuery, ContactRecord,
    NewAttribute,
};
use parley_app::contacts::{
    AttributeDefinition, AttributeDraft, AttributeKey, ContactPatch, NewContactRequest,
    PhoneNumber, parse_label, parse_language, parse_line, parse_note, parse_options,
    parse_time_zone,
};
use parley_app::model::{Email, ParseError, Viewer};
use serde_json::json;

/// Contacts a page shows unless asked otherwise, and at most.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// Which contacts to list, as a member asks: free text, label names (all of them),
/// `(attribute key, value)` pairs, a cursor from the previous page.
#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    pub search: Option<String>,
    pub labels: Vec<String>,
    pub attributes: Vec<(String, String)>,
    /// Only the contacts of this segment.
    pub segment_id: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A page of contacts, with the attribute definitions their values are read by.
pub struct ContactList {
    pub contacts: Vec<ContactRecord>,
    pub next_cursor: Option<String>,
    pub attributes: Vec<AttributeDefinition>,
}

/// One contact with its history and the attribute definitions.
pub struct Contact {
    pub record: ContactRecord,
    pub history: Vec<ContactConversationRecord>,
    pub attributes: Vec<AttributeDefinition>,
}

fn invalid(error: ParseError) -> ServiceError {
    ServiceError::Invalid(error.to_string())
}

pub async fn list(
    svc: &Services,
    _viewer: &Viewer,
    filter: ContactFilter,
) -> ServiceResult<ContactList> {
    let attributes = svc.store.contacts.attributes().await?;
    let query = query(svc, &attributes, filter).await?;
    let limit = query.limit;
    let mut contacts = svc
        .store
        .contacts
        .list(&ContactQuery {
            limit: limit + 1,
            ..query
        })
        .await?;
    let next_cursor = if contacts.len() as i64 > limit {
        contacts.truncate(limit as usize);
        contacts.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok(ContactList {
        contacts,
        next_cursor,
        attributes,
    })
}

/// The store's query for a member's filter: labels and attributes must exist, and attribute
/// values are compared in their canonical form.
async fn query(
    svc: &Services,
    attributes: &[AttributeDefinition],
    filter: ContactFilter,
) -> ServiceResult<ContactQuery> {
    let labels = labels::resolve(svc, &filter.labels).await?;
    let definitions = attributes;
    let attributes = filter
        .attributes
        .iter()
        .map(|(key, value)| {
            let definition = definition(attributes, key)?;
            let value = definition
                .value_from_text(value)
                .map_err(invalid)?
                .ok_or_else(|| {
                    ServiceError::Invalid(format!("attr.{key} needs a value to compare with"))
                })?;
            Ok((definition.key.clone(), value))
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    let before =
        match filter.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
                ServiceError::Invalid("cursor is not one this API gave out".into())
            })?),
            None => None,
        };
    let mut query = match filter.segment_id {
        Some(id) => {
            let segment = svc
                .store
                .contacts
                .segment(id)
                .await?
                .ok_or(ServiceError::NotFound("segment"))?;
            super::segments::query_for(svc, &segment.filter, definitions).await?
        }
        None => ContactQuery::default(),
    };
    query.labels.extend(labels);
    query.attributes = attributes;
    query.search = filter.search.filter(|s| !s.trim().is_empty());
    query.before = before;
    query.limit = filter.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    Ok(query)
}

fn definition<'a>(
    attributes: &'a [AttributeDefinition],
    key: &str,
) -> ServiceResult<&'a AttributeDefinition> {
    attributes
        .iter()
        .find(|a| a.key.as_str() == key)
        .ok_or_else(|| ServiceError::Invalid(format!("there is no contact attribute {key:?}")))
}

pub async fn get(svc: &Services, _viewer: &Viewer, id: i64) -> ServiceResult<Contact> {
    let record = svc
        .store
        .contacts
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("contact"))?;
    Ok(Contact {
        history: svc.store.contacts.history(id).await?,
        attributes: svc.store.contacts.attributes().await?,
        record,
    })
}

/// The store's change for a member's patch, every value checked; attributes agents may not
/// edit are refused to agents.
async fn change(
    svc: &Services,
    viewer: &Viewer,
    patch: ContactPatch,
) -> ServiceResult<ContactChange> {
    let line = |field: &str, value: Option<Option<String>>, max: usize| {
        value
            .map(|v| parse_line(field, v.as_deref().unwrap_or_default(), max))
            .transpose()
            .map_err(invalid)
    };
    let email = match patch.email {
        Some(Some(email)) if !email.trim().is_empty() => Some(Some(
            Email::parse(&email).map_err(invalid)?.as_str().to_owned(),
        )),
        Some(_) => Some(None),
        None => None,
    };
    let optional = |value: Option<Option<String>>,
                    parse: fn(&str) -> Result<Option<String>, ParseError>| {
        value
            .map(|v| parse(v.as_deref().unwrap_or_default()))
            .transpose()
            .map_err(invalid)
    };
    let labels = match patch.labels {
        Some(names) => Some(labels::resolve(svc, &names).await?),
        None => None,
    };
    let mut attributes = std::collections::BTreeMap::new();
    if let Some(values) = patch.attributes.filter(|v| !v.is_empty()) {
        let definitions = svc.store.contacts.attributes().await?;
        for (key, value) in values {
            let definition = definition(&definitions, &key)?;
            if !definition.agent_editable {
                require_admin(viewer)?;
            }
            let stored = definition.value_from_json(&value).map_err(invalid)?;
            attributes.insert(definition.key.clone(), stored);
        }
    }
    Ok(ContactChange {
        edited_name: line("name", patch.name, 100)?,
        email,
        company: line("company", patch.company, 100)?,
        language: optional(patch.language, parse_language)?,
        time_zone: optional(patch.time_zone, parse_time_zone)?,
        note: patch
            .note
            .as_deref()
            .map(parse_note)
            .transpose()
            .map_err(invalid)?,
        labels,
        attributes,
    })
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    patch: ContactPatch,
) -> ServiceResult<Contact> {
    let change = change(svc, viewer, patch).await?;
    svc.store.contacts.update(id, &change, svc.now()).await?;
    get(svc, viewer, id).await
}

/// A contact added by hand (no conversation is opened): one per phone, however spelt.
pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    request: NewContactRequest,
) -> ServiceResult<Contact> {
    let phone = PhoneNumber::parse(&request.phone).map_err(invalid)?;
    let change = change(svc, viewer, request.details).await?;
    let id = svc
        .store
        .contacts
        .create(&phone, &change, svc.now())
        .await?;
    get(svc, viewer, id).await
}

pub async fn attributes(
    svc: &Services,
    _viewer: &Viewer,
) -> ServiceResult<Vec<AttributeDefinition>> {
    Ok(svc.store.contacts.attributes().await?)
}

pub async fn create_attribute(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: AttributeDraft,
) -> ServiceResult<AttributeDefinition> {
    require_admin(viewer)?;
    let key = AttributeKey::parse(draft.key.as_deref().unwrap_or_default()).map_err(invalid)?;
    let label = parse_label(draft.label.as_deref().unwrap_or(key.as_str())).map_err(invalid)?;
    let kind = draft
        .kind
        .ok_or_else(|| ServiceError::Invalid("type is required".into()))?;
    let options =
        parse_options(kind, draft.options.as_deref().unwrap_or_default()).map_err(invalid)?;
    let attribute = NewAttribute {
        key,
        label,
        kind,
        options,
        agent_editable: draft.agent_editable.unwrap_or(true),
    };
    let created = svc
        .store
        .contacts
        .create_attribute(&attribute, svc.now())
        .await?;
    let details = json!({"key": created.key, "label": created.label, "type": created.kind});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactAttributeCreated,
        target(&created.key),
        details,
    )
    .await;
    Ok(created)
}

pub async fn update_attribute(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    key: &str,
    draft: AttributeDraft,
) -> ServiceResult<AttributeDefinition> {
    require_admin(viewer)?;
    let attributes = svc.store.contacts.attributes().await?;
    let current = attributes
        .iter()
        .find(|a| a.key.as_str() == key)
        .ok_or(ServiceError::NotFound("contact attribute"))?;
    if draft.key.as_deref().is_some_and(|k| k != key) {
        return Err(ServiceError::Invalid(
            "an attribute's key cannot change: filters, imports and campaigns name it".into(),
        ));
    }
    if draft.kind.is_some_and(|kind| kind != current.kind) {
        return Err(ServiceError::Invalid(
            "an attribute's type cannot change: its stored values were checked against it".into(),
        ));
    }
    let update = AttributeUpdate {
        label: draft
            .label
            .as_deref()
            .map(parse_label)
            .transpose()
            .map_err(invalid)?,
        options: draft
            .options
            .as_deref()
            .map(|o| parse_options(current.kind, o))
            .transpose()
            .map_err(invalid)?,
        agent_editable: draft.agent_editable,
        position: draft.position,
    };
    let updated = svc
        .store
        .contacts
        .update_attribute(&current.key, &update, svc.now())
        .await?;
    let details = json!({
        "label": update.label, "options": update.options,
        "agent_editable": update.agent_editable, "position": update.position,
    });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactAttributeChanged,
        target(&updated.key),
        details,
    )
    .await;
    Ok(updated)
}

/// Deletes an attribute and every contact's value of it (admins).
pub async fn delete_attribute(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    key: &str,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let key = AttributeKey::parse(key).map_err(|_| ServiceError::NotFound("contact attribute"))?;
    svc.store.contacts.delete_attribute(&key, svc.now()).await?;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactAttributeDeleted,
        target(&key),
        json!({}),
    )
    .await;
    Ok(())
}

fn target(key: &AttributeKey) -> String {
    format!("contact attribute {key}")
}

/// Merges contact `absorb` into `keep` (admins): every conversation, label, attribute value and
/// note of both is kept (`keep`'s values win where both have one); `absorb` is deleted.
pub async fn merge(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    keep: i64,
    absorb: i64,
) -> ServiceResult<Contact> {
    require_admin(viewer)?;
    if keep == absorb {
        return Err(ServiceError::Invalid(
            "a contact cannot be merged into itself".into(),
        ));
    }
    let absorbed = svc
        .store
        .contacts
        .get(absorb)
        .await?
        .ok_or(ServiceError::NotFound("contact"))?;
    svc.store.contacts.merge(keep, absorb, svc.now()).await?;
    // Ids and counts only: the audit log outlives an erasure, so it holds no one's name.
    let details = json!({"merged": absorb, "conversations": absorbed.conversation_count});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactsMerged,
        format!("contact {keep}"),
        details,
    )
    .await;
    get(svc, viewer, keep).await
}

/// Erases what Parley holds about a contact (admins; a GDPR request): their names, phone, user
/// id, profile, labels, values and note, the text and media of every message with them, the
/// team's notes on their conversations and Meta's raw webhooks that name them. Conversations and
/// messages stay as anonymous rows, so reports keep their counts. Audited, without the data.
pub async fn erase(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<crate::store::Erased> {
    require_admin(viewer)?;
    let erased = svc.store.contacts.erase(id, svc.now()).await?;
    for path in &erased.media_paths {
        match tokio::fs::remove_file(path).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::error!(%error, path, "an erased contact's media file stays on disk")
            }
        }
    }
    let details = json!({
        "conversations": erased.conversations, "messages": erased.messages,
        "webhooks": erased.webhooks, "media_files": erased.media_paths.len(),
    });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactErased,
        format!("contact {id}"),
        details,
    )
    .await;
    Ok(erased)
}

/// Starts (or reopens) a conversation with the contact on a business number — any member may;
/// the number defaults to the one they last wrote to, else the only one. Answers the
/// conversation's id. No message is sent: outside the 24-hour window the composer offers
/// approved templates.
pub async fn start_conversation(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
    phone_number_id: Option<String>,
) -> ServiceResult<i64> {
    let contact = get(svc, viewer, id).await?;
    if contact.record.wa_id.is_none() {
        return Err(ServiceError::Invalid(
            "this contact has no phone number to write to".into(),
        ));
    }
    let number = match phone_number_id.filter(|n| !n.is_empty()) {
        Some(number) => number,
        None => match contact.history.first() {
            Some(latest) => latest.phone_number_id.clone(),
            None => {
                let numbers = svc.store.numbers.list().await?;
                match numbers.as_slice() {
                    [only] => only.phone_number_id.clone(),
                    [] => {
                        return Err(ServiceError::Invalid(
                            "Parley knows no business number yet".into(),
                        ));
                    }
                    _ => {
                        return Err(ServiceError::Invalid(
                            "say which business number to write from (phone_number_id)".into(),
                        ));
                    }
                }
            }
        },
    };
    Ok(svc
        .store
        .contacts
        .start_conversation(id, &number, svc.now())
        .await?)
}
