//! What members see, built from domain records: the shared wire types of `parley_app::model`
//! and `parley_app::templates`, used alike by the REST API, the server functions and the live
//! event stream. Timestamps travel as whole seconds since the epoch; the browser shows them in
//! the member's time zone.

use crate::domain::Millis;
use crate::domain::conversation::{ContactRef, Conversation};
use crate::domain::message::{MediaState, Message};
use crate::store::{
    ApiToken, CannedReply, ContactRecord, Label, Note, Notification, NotificationPage, Page,
    Presence, Template, TemplateEntry, User,
};
use parley_app::collaboration::{
    CannedAttachment, CannedReplyView, LabelView, NoteView, NotificationList, NotificationView,
    PresenceView,
};
use parley_app::compose::media_kind_for;
use parley_app::contacts::{ContactConversation, ContactDetails, ContactSummary, SegmentView};
use parley_app::model::{
    ApiTokenInfo, ContactView, ConversationPage, ConversationSummary, CsatRating, MemberRef,
    MessageView, ReactionView, TeamMember, TokenState, UnixTime,
};
use parley_app::templates::{TemplateChange, TemplateDetail, TemplateView};

pub fn time(at: Millis) -> UnixTime {
    UnixTime::from_millis(at.0)
}

/// Where a signed-in member fetches a stored media file.
pub fn media_route(media_id: &str) -> String {
    format!("/api/v1/media/{media_id}")
}

pub fn contact(contact: &ContactRef) -> ContactView {
    ContactView {
        id: contact.id,
        name: contact.name.clone(),
        username: contact.username.clone(),
        wa_id: contact.wa_id.clone(),
        bsuid: contact.bsuid.clone(),
    }
}

pub fn conversation(conversation: &Conversation) -> ConversationSummary {
    ConversationSummary {
        id: conversation.id,
        contact: contact(&conversation.contact),
        phone_number_id: conversation.phone_number_id.clone(),
        status: conversation.status,
        assignee_id: conversation.assignee,
        last_message_at: time(conversation.last_message_at),
        window_expires_at: conversation.window_expires_at.map(time),
        unread_count: conversation.unread_count,
        last_message_preview: conversation.preview.clone(),
        priority: conversation.priority,
        snoozed_until: conversation.snoozed_until.map(time),
        labels: conversation.labels.clone(),
        team_id: conversation.team_id,
        awaiting_reply_since: conversation.customer_waiting_since.map(time),
        csat: conversation
            .csat
            .clone()
            .map(|(rating, comment)| CsatRating { rating, comment }),
    }
}

pub fn conversation_page(page: &Page<Conversation>) -> ConversationPage {
    ConversationPage {
        conversations: page.items.iter().map(conversation).collect(),
        next_cursor: page.next.map(|cursor| cursor.encode()),
    }
}

pub fn message(message: &Message) -> MessageView {
    let media = message.media.as_ref();
    let (media_url, media_size, media_error) = match media.map(|m| &m.state) {
        Some(MediaState::Stored { size_bytes }) => (
            media.map(|m| media_route(&m.media_id)),
            Some(*size_bytes),
            None,
        ),
        Some(MediaState::Failed { reason }) => (None, None, Some(reason.clone())),
        Some(MediaState::Pending) | None => (None, None, None),
    };
    MessageView {
        id: message.id,
        conversation_id: message.conversation_id,
        wamid: message.wamid.clone(),
        direction: message.direction,
        kind: message.kind.clone(),
        text: message.text.clone(),
        status: message.status,
        created_at: time(message.sent_at),
        error: message.error.clone(),
        media_url,
        media_error,
        media_mime_type: media.and_then(|m| m.mime_type.clone()),
        media_size,
        filename: media.and_then(|m| m.filename.clone()),
        author_name: message.author_name.clone(),
        reply_to_wamid: message.reply_to_wamid.clone(),
        reactions: message
            .reactions
            .iter()
            .map(|r| ReactionView {
                emoji: r.emoji.clone(),
                direction: r.direction,
            })
            .collect(),
        edited: message.edited,
        deleted: message.deleted,
        payload: message.payload.clone(),
    }
}

pub fn messages(messages: &[Message]) -> Vec<MessageView> {
    messages.iter().map(message).collect()
}

pub fn template(template: &Template) -> TemplateView {
    let record = &template.record;
    TemplateView {
        id: record.id.clone(),
        waba_id: record.waba_id.clone(),
        name: record.name.clone(),
        language: record.language.clone(),
        category: record.category.clone(),
        status: record.status.clone(),
        quality: record.quality.clone(),
        rejected_reason: record.rejected_reason.clone(),
        components: record.components.clone(),
        updated_at: time(template.updated_at),
        last_sent_at: template.last_sent_at.map(time),
    }
}

pub fn template_detail(found: &Template, timeline: &[TemplateEntry]) -> TemplateDetail {
    TemplateDetail {
        template: template(found),
        timeline: timeline
            .iter()
            .map(|entry| TemplateChange {
                kind: entry.kind.clone(),
                value: entry.value.clone(),
                reason: entry.reason.clone(),
                source: entry.source.clone(),
                occurred_at: time(entry.occurred_at),
            })
            .collect(),
    }
}

pub fn team_member(user: &User) -> TeamMember {
    TeamMember {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        disabled: user.disabled,
        created_at: time(user.created_at),
        two_factor: user.two_factor,
    }
}

pub fn member_ref(user: &User) -> MemberRef {
    MemberRef {
        id: user.id,
        name: user.name.clone(),
    }
}

/// Whether a stored token works at `now`.
pub fn token_state(token: &ApiToken, now: Millis) -> TokenState {
    if token.revoked_at.is_some() {
        TokenState::Revoked
    } else if token.expires_at.is_some_and(|at| at <= now) {
        TokenState::Expired
    } else {
        TokenState::Active
    }
}

pub fn api_token(token: &ApiToken, now: Millis) -> ApiTokenInfo {
    ApiTokenInfo {
        id: token.id,
        name: token.name.clone(),
        state: token_state(token, now),
        created_at: time(token.created_at),
        last_used_at: token.last_used_at.map(time),
        expires_at: token.expires_at.map(time),
        revoked_at: token.revoked_at.map(time),
    }
}

pub fn upload(uploaded: crate::service::media::Uploaded) -> parley_app::compose::Upload {
    parley_app::compose::Upload {
        media_id: uploaded.media.media_id,
        kind: uploaded.kind.to_owned(),
        mime_type: uploaded.media.mime_type,
        size_bytes: uploaded.media.size_bytes,
        filename: uploaded.media.filename,
        phone_number_id: uploaded.media.phone_number_id,
        reused: uploaded.reused,
    }
}

pub fn label(label: &Label) -> LabelView {
    LabelView {
        id: label.id,
        name: label.name.clone(),
        colour: label.colour.clone(),
        description: label.description.clone(),
    }
}

pub fn note(note: &Note) -> NoteView {
    NoteView {
        id: note.id,
        conversation_id: note.conversation_id,
        author: note.author.clone(),
        body: note.body.clone(),
        mentions: note.mentions.clone(),
        created_at: time(note.created_at),
    }
}

/// The first line of a note, cut to a notification's length.
fn excerpt(body: &str) -> String {
    const LENGTH: usize = 120;
    let line = body.lines().next().unwrap_or_default();
    match line.char_indices().nth(LENGTH) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < body.trim_end().len() => format!("{line}…"),
        None => line.to_owned(),
    }
}

pub fn notification(notification: &Notification) -> NotificationView {
    NotificationView {
        id: notification.id,
        kind: notification.kind,
        conversation_id: notification.conversation_id,
        contact_name: contact(&notification.contact).display_name(),
        note_id: notification.note_id,
        actor: notification.actor.clone(),
        excerpt: notification.note_body.as_deref().map(excerpt),
        created_at: time(notification.created_at),
        unread: notification.read_at.is_none(),
    }
}

pub fn notification_list(page: &NotificationPage) -> NotificationList {
    NotificationList {
        notifications: page.notifications.iter().map(notification).collect(),
        unread: page.unread,
    }
}

pub fn canned_reply(reply: &CannedReply) -> CannedReplyView {
    CannedReplyView {
        id: reply.id,
        shortcut: reply.shortcut.clone(),
        title: reply.title.clone(),
        body: reply.body.clone(),
        shared: reply.owner.is_none(),
        attachment: reply.attachment.as_ref().map(|file| CannedAttachment {
            media_id: file.media_id.clone(),
            kind: media_kind_for(&file.mime_type)
                .unwrap_or("document")
                .to_owned(),
            filename: file.filename.clone(),
            size_bytes: file.size_bytes,
        }),
        updated_at: time(reply.updated_at),
    }
}

pub fn presence(presence: &Presence) -> PresenceView {
    PresenceView {
        conversation_id: presence.conversation_id,
        member: presence.member.clone(),
        activity: Some(presence.activity),
        expires_at: Some(time(presence.expires_at)),
    }
}

pub fn password_link(link: &crate::service::team::IssuedLink) -> parley_app::team::PasswordLink {
    parley_app::team::PasswordLink {
        member_id: link.member,
        path: link.path.clone(),
        purpose: link.purpose,
        expires_at: time(link.expires_at),
    }
}

pub fn pending_link(link: &crate::store::PendingPasswordLink) -> parley_app::team::PendingLink {
    parley_app::team::PendingLink {
        name: link.user.name.to_string(),
        email: link.user.email.to_string(),
        purpose: link.purpose,
        expires_at: time(link.expires_at),
    }
}

pub fn me(user: &User) -> parley_app::team::Me {
    parley_app::team::Me {
        viewer: crate::auth::viewer_of(user),
        notifications: user.notifications,
        availability: user.availability,
    }
}

pub fn audit_entry(record: &crate::store::AuditRecord) -> parley_app::team::AuditEntry {
    parley_app::team::AuditEntry {
        id: record.id,
        at: time(record.at),
        actor_id: record.entry.actor_id,
        actor: record.entry.actor.clone(),
        origin: record.entry.origin.clone(),
        action: record.entry.action.as_str().to_owned(),
        target: record.entry.target.clone(),
        details: record.entry.details.clone(),
    }
}

/// A team, its members named from `users` (members no longer listed are left out).
pub fn team(team: &crate::store::Team, users: &[User]) -> parley_app::team::TeamView {
    parley_app::team::TeamView {
        id: team.id,
        name: team.name.clone(),
        members: team
            .members
            .iter()
            .filter_map(|id| users.iter().find(|u| u.id == *id).map(member_ref))
            .collect(),
        assignment: team.assignment,
        capacity: team.capacity,
        waiting: team.waiting,
    }
}

/// Attribute values as the API shows them: typed by their definitions (a value whose
/// attribute is gone is not shown).
fn attribute_values(
    values: &std::collections::BTreeMap<String, String>,
    definitions: &[parley_app::contacts::AttributeDefinition],
) -> std::collections::BTreeMap<String, serde_json::Value> {
    definitions
        .iter()
        .filter_map(|d| {
            values
                .get(d.key.as_str())
                .map(|v| (d.key.as_str().to_owned(), d.value_to_json(v)))
        })
        .collect()
}

fn phone(wa_id: &Option<String>) -> Option<String> {
    wa_id.as_ref().map(|w| format!("+{w}"))
}

pub fn contact_summary(
    record: &ContactRecord,
    definitions: &[parley_app::contacts::AttributeDefinition],
) -> ContactSummary {
    ContactSummary {
        id: record.id,
        name: record.name().map(str::to_owned),
        phone: phone(&record.wa_id),
        username: record.username.clone(),
        email: record.email.clone(),
        company: record.company.clone(),
        labels: record.labels.clone(),
        attributes: attribute_values(&record.attributes, definitions),
        last_message_at: record.last_message_at.map(time),
        conversation_count: record.conversation_count,
    }
}

pub fn segment(counted: &crate::service::segments::CountedSegment) -> SegmentView {
    let segment = &counted.segment;
    SegmentView {
        id: segment.id,
        name: segment.name.clone(),
        filter: segment.filter.clone(),
        count: counted.count.as_ref().ok().copied(),
        problem: counted.count.as_ref().err().cloned(),
        created_at: time(segment.created_at),
        updated_at: time(segment.updated_at),
    }
}

pub fn contact_details(contact: &crate::service::contacts::Contact) -> ContactDetails {
    let record = &contact.record;
    ContactDetails {
        id: record.id,
        name: record.name().map(str::to_owned),
        profile_name: record.profile_name.clone(),
        phone: phone(&record.wa_id),
        bsuid: record.bsuid.clone(),
        username: record.username.clone(),
        email: record.email.clone(),
        company: record.company.clone(),
        language: record.language.clone(),
        time_zone: record.time_zone.clone(),
        note: record.note.clone(),
        labels: record.labels.clone(),
        attributes: attribute_values(&record.attributes, &contact.attributes),
        created_at: time(record.created_at),
        updated_at: time(record.updated_at),
        last_message_at: record.last_message_at.map(time),
        conversations: contact
            .history
            .iter()
            .map(|c| ContactConversation {
                id: c.id,
                phone_number_id: c.phone_number_id.clone(),
                display_phone_number: c.display_phone_number.clone(),
                status: c.status,
                assignee_id: c.assignee.as_ref().map(|(id, _)| *id),
                assignee_name: c.assignee.as_ref().map(|(_, name)| name.clone()),
                opened_at: time(c.opened_at),
                last_message_at: time(c.last_message_at),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_app::model::UserId;
    #[test]
    fn excerpts_are_one_line_cut_to_length() {
        assert_eq!(excerpt("Short"), "Short");
        assert_eq!(excerpt("First line\nsecond"), "First line…");
        let long = "é".repeat(130);
        assert_eq!(excerpt(&long), format!("{}…", "é".repeat(120)));
    }

    #[test]
    fn a_token_is_active_until_it_expires_or_is_revoked() {
        let token = ApiToken {
            id: 1,
            user: UserId(1),
            name: "ci".into(),
            created_at: Millis(0),
            last_used_at: None,
            expires_at: Some(Millis(1_000)),
            revoked_at: None,
        };
        assert_eq!(token_state(&token, Millis(999)), TokenState::Active);
        assert_eq!(token_state(&token, Millis(1_000)), TokenState::Expired);
        let revoked = ApiToken {
            revoked_at: Some(Millis(500)),
            ..token
        };
        assert_eq!(token_state(&revoked, Millis(600)), TokenState::Revoked);
        assert_eq!(time(Millis(1_999)), UnixTime(1));
        assert_eq!(time(Millis(-1)), UnixTime(-1));
    }
}
