//! Internal notes: written in the thread, shown to the team, never sent to the customer (no
//! code path from here reaches the outbox or the Graph API).

use super::{ServiceError, ServiceResult, Services, conversations};
use crate::store::{NewNote, Note};
use parley_app::collaboration::{MAX_NOTE_CHARS, NoteDraft, mentioned_in};
use parley_app::model::{MemberRef, Viewer};

/// How many of a conversation's notes a thread shows (its newest).
pub const THREAD_NOTES: i64 = 500;

/// Writes a note; `@Name` mentions and explicit `mentions` notify those members.
pub async fn add(
    svc: &Services,
    viewer: &Viewer,
    conversation_id: i64,
    draft: NoteDraft,
) -> ServiceResult<Note> {
    conversations::get(svc, viewer, conversation_id).await?;
    let body = draft.body.trim().to_owned();
    if body.is_empty() {
        return Err(ServiceError::Invalid("a note needs some text".into()));
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::Invalid(format!(
            "a note may be at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let members: Vec<MemberRef> = svc
        .store
        .team
        .list_users()
        .await?
        .into_iter()
        .filter(|user| !user.disabled)
        .map(|user| MemberRef {
            id: user.id,
            name: user.name,
        })
        .collect();
    let mut mentions = mentioned_in(&body, &members);
    for id in draft.mentions {
        if !members.iter().any(|m| m.id == id) {
            return Err(ServiceError::Invalid(format!(
                "{id} is not an active member of the team"
            )));
        }
        if !mentions.contains(&id) {
            mentions.push(id);
        }
    }
    let note = NewNote {
        conversation_id,
        author: viewer.id,
        body,
        mentions,
    };
    Ok(svc.store.notes.add(&note, svc.now()).await?)
}

/// A conversation's notes, oldest first (its newest [`THREAD_NOTES`]).
pub async fn list(
    svc: &Services,
    viewer: &Viewer,
    conversation_id: i64,
) -> ServiceResult<Vec<Note>> {
    conversations::get(svc, viewer, conversation_id).await?;
    Ok(svc
        .store
        .notes
        .for_conversation(conversation_id, THREAD_NOTES)
        .await?)
}
