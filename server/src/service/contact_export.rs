//! Everything Parley holds about a contact, for the contact (a GDPR access request): a ZIP
//! with `contact.json` — the profile, labels, attribute values, the team's note, every
//! conversation with its messages and the team's internal notes — and the media files they
//! sent or received under `media/`. Admins only; audited.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, contacts, require_admin};
use crate::archive::Archive;
use crate::domain::audit::AuditAction;
use crate::views;
use parley_app::model::Viewer;
use serde_json::json;

/// Messages read per page while exporting.
const PAGE: i64 = 500;

pub async fn export(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<Vec<u8>> {
    require_admin(viewer)?;
    let contact = contacts::get(svc, viewer, id).await?;
    let mut archive = Archive::default();
    let mut conversations = Vec::new();
    let mut files = 0;
    for conversation in &contact.history {
        let mut messages = Vec::new();
        let mut before = None;
        loop {
            let page = svc
                .store
                .messages
                .page(conversation.id, before, PAGE)
                .await?;
            let older = page.older;
            let mut chunk = page.messages;
            chunk.extend(messages);
            messages = chunk;
            match older {
                Some(cursor) => before = Some(cursor),
                None => break,
            }
        }
        let mut shown = Vec::with_capacity(messages.len());
        for message in &messages {
            let mut view = serde_json::to_value(views::message(message))
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            if let Some(media) = &message.media
                && let Some(stored) = svc.store.media.file(&media.media_id).await?
                && let Ok(bytes) = tokio::fs::read(&stored.path).await
            {
                let extension = extension_for(&stored.mime_type);
                let name = format!("media/{}-{}.{extension}", message.id, files);
                archive.add(&name, &bytes).map_err(too_large)?;
                view["file"] = json!(name);
                files += 1;
            }
            shown.push(view);
        }
        let notes = svc
            .store
            .notes
            .for_conversation(conversation.id, 10_000)
            .await?;
        conversations.push(json!({
            "id": conversation.id,
            "business_number": conversation.display_phone_number.clone()
                .unwrap_or_else(|| conversation.phone_number_id.clone()),
            "status": conversation.status,
            "opened_at": views::time(conversation.opened_at),
            "messages": shown,
            "internal_notes": notes.iter().map(views::note).collect::<Vec<_>>(),
        }));
    }
    let document = json!({
        "exported_at": views::time(svc.now()),
        "contact": views::contact_details(&contact),
        "conversations": conversations,
    });
    let text =
        serde_json::to_vec_pretty(&document).map_err(|e| ServiceError::Internal(e.to_string()))?;
    archive.add("contact.json", &text).map_err(too_large)?;
    let bytes = archive.finish().map_err(too_large)?;
    let details = json!({"conversations": contact.history.len(), "media_files": files});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactExported,
        format!("contact {id}"),
        details,
    )
    .await;
    Ok(bytes)
}

/// A file name extension for a media type Meta sends.
fn extension_for(mime_type: &str) -> &'static str {
    match mime_type.split(';').next().unwrap_or_default().trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "audio/mp4" => "m4a",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

fn too_large(error: crate::archive::TooLarge) -> ServiceError {
    ServiceError::Invalid(error.to_string())
}
