//! Internal notes, who they mention, and the notifications members get.

use crate::model::{MemberRef, UnixTime, UserId};
use serde::{Deserialize, Serialize};

/// Longest note or canned reply body, in characters.
pub const MAX_NOTE_CHARS: usize = 4096;

/// An internal note: the team talking about a customer, never sent to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NoteView {
    pub id: i64,
    pub conversation_id: i64,
    pub author: MemberRef,
    pub body: String,
    /// The members the note mentions (each was notified).
    pub mentions: Vec<MemberRef>,
    pub created_at: UnixTime,
}

/// A note as a member writes it. `@Name` in the body mentions that member; `mentions` adds
/// members by id (an API client's explicit choice).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NoteDraft {
    pub body: String,
    #[serde(default)]
    pub mentions: Vec<UserId>,
}

/// The members `@Name` mentions in `body`: for each `@`, the longest member name that follows
/// it (case-insensitive, ending at a word boundary), so that `@Ana Lima` is Ana Lima, not Ana,
/// when both exist. Each member once, in the order first mentioned.
pub fn mentioned_in(body: &str, members: &[MemberRef]) -> Vec<UserId> {
    let mut by_length: Vec<(&MemberRef, String)> = members
        .iter()
        .map(|m| (m, m.name.as_str().to_lowercase()))
        .collect();
    by_length.sort_by_key(|(_, name)| std::cmp::Reverse(name.chars().count()));
    let lower = body.to_lowercase();
    let mut found = Vec::new();
    // Lower-casing can change byte lengths: work on the lowered text throughout.
    for (at, _) in lower.match_indices('@') {
        // An address (`mail@ben.example`) is not a mention.
        if lower[..at]
            .chars()
            .next_back()
            .is_some_and(|before| before.is_alphanumeric() || before == '.')
        {
            continue;
        }
        let after = &lower[at + 1..];
        let hit = by_length.iter().find(|(_, name)| {
            after.starts_with(name.as_str())
                && after[name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|next| !next.is_alphanumeric())
        });
        if let Some((member, _)) = hit
            && !found.contains(&member.id)
        {
            found.push(member.id);
        }
    }
    found
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A note mentions the member.
    Mention,
    /// A conversation assigned to the member came back from snooze.
    SnoozeEnded,
    /// An automation rule asks the member to look (its text is the excerpt).
    Automation,
}

/// Something a member should look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationView {
    pub id: i64,
    pub kind: NotificationKind,
    pub conversation_id: i64,
    /// The customer the conversation is with, as the inbox names them.
    pub contact_name: String,
    pub note_id: Option<i64>,
    /// Who caused it (the note's author); `null` when the clock did.
    pub actor: Option<MemberRef>,
    /// The start of the note, for a mention.
    pub excerpt: Option<String>,
    pub created_at: UnixTime,
    pub unread: bool,
}

impl NotificationView {
    /// Where the notification leads.
    pub fn href(&self) -> String {
        match self.note_id {
            Some(note) => format!("/inbox/{}#note-{note}", self.conversation_id),
            None => format!("/inbox/{}", self.conversation_id),
        }
    }

    /// One line for the bell's list and the desktop notification.
    pub fn headline(&self) -> String {
        match self.kind {
            NotificationKind::Mention => format!(
                "{} mentioned you on {}",
                self.actor.as_ref().map_or("Someone", |a| a.name.as_str()),
                self.contact_name
            ),
            NotificationKind::SnoozeEnded => {
                format!("{}'s conversation is back from snooze", self.contact_name)
            }
            NotificationKind::Automation => format!(
                "{}: {}",
                self.contact_name,
                self.excerpt
                    .as_deref()
                    .unwrap_or("an automation asks you to look")
            ),
        }
    }
}

/// A member's notifications, newest first, and how many are unread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::collaboration::member;

    #[test]
    fn mentions_take_the_longest_name_and_need_a_word_boundary() {
        let team = [member(1, "Ana"), member(2, "Ana Lima"), member(3, "Ben")];
        assert_eq!(
            mentioned_in("@ana lima can you check? cc @Ben", &team),
            vec![UserId(2), UserId(3)]
        );
        assert_eq!(mentioned_in("@Ana, thanks", &team), vec![UserId(1)]);
        assert!(mentioned_in("@Anaïs and mail@ben.example", &team).is_empty());
        assert_eq!(mentioned_in("@Ben @ben @BEN", &team), vec![UserId(3)]);
        assert!(mentioned_in("no mentions", &team).is_empty());
    }

    #[test]
    fn mentions_survive_text_whose_case_changes_length() {
        let team = [member(1, "Ana")];
        assert_eq!(mentioned_in("İİİ @Ana", &team), vec![UserId(1)]);
    }
}
