//! How a team works a conversation together, as server and browser both see it: internal
//! notes and mentions, notifications, labels, canned replies, priority and presence. The rules
//! that both sides apply (who a note mentions, what a canned reply says once filled in, when a
//! snooze ends) live here, beside the types, as pure functions.

use crate::model::{MemberRef, ParseError, UnixTime, UserId};
use serde::{Deserialize, Serialize};

/// How urgent a conversation is. Sorts as it reads: `urgent` first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::None,
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::None => "none",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// 0 (none) to 4 (urgent), as stored.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.get(usize::try_from(rank).ok()?).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::None => "No priority",
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParseError::new("priority", "must be none, low, medium, high or urgent"))
    }
}

/// A label's name: trimmed, 1 to 40 characters, no commas (lists of names are comma
/// separated) and no control characters. Names are unique whatever their case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "vip"))]
pub struct LabelName(String);

impl LabelName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = raw.trim();
        let invalid = |why| Err(ParseError::new("label name", why));
        match name.chars().count() {
            0 => invalid("must not be empty"),
            n if n > 40 => invalid("must be at most 40 characters"),
            _ if name.contains(',') => invalid("must not contain commas"),
            _ if name.chars().any(char::is_control) => {
                invalid("must not contain control characters")
            }
            _ => Ok(LabelName(name.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as compared: case folded.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for LabelName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        LabelName::parse(&value)
    }
}

impl From<LabelName> for String {
    fn from(name: LabelName) -> String {
        name.0
    }
}

impl std::fmt::Display for LabelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label's colour: `#rrggbb`, nothing else (it ends up in a style attribute).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "#d97706"))]
pub struct Colour(String);

impl Colour {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        match raw.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Colour(raw.to_ascii_lowercase()))
            }
            _ => Err(ParseError::new("colour", "must look like #d97706")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Colour {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Colour::parse(&value)
    }
}

impl From<Colour> for String {
    fn from(colour: Colour) -> String {
        colour.0
    }
}

/// A label admins defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelView {
    pub id: i64,
    pub name: LabelName,
    pub colour: Colour,
    pub description: String,
}

/// A label to create, or the new state of one (`PATCH` takes any of the fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelDraft {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub description: Option<String>,
}

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

/// A file sent with a canned reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedAttachment {
    /// `POST /api/v1/media`'s id for the file.
    pub media_id: String,
    pub kind: String,
    pub filename: Option<String>,
    pub size_bytes: i64,
}

/// A reply the team (or one member) keeps for common questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedReplyView {
    pub id: i64,
    /// Typed after `/` in the composer.
    pub shortcut: String,
    pub title: String,
    /// May hold placeholders: `{{contact.name}}`, `{{contact.phone}}`, `{{agent.name}}`.
    pub body: String,
    /// `true` for the team's replies (admins manage them), `false` for the member's own.
    pub shared: bool,
    pub attachment: Option<CannedAttachment>,
    pub updated_at: UnixTime,
}

/// A canned reply to create, or what changes about one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CannedReplyDraft {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// Create only: `true` for a team reply (admins), `false` (the default) for one's own.
    #[serde(default)]
    pub shared: bool,
    /// A media id from `POST /api/v1/media`; `""` removes the attachment.
    pub attachment_media_id: Option<String>,
}

/// A shortcut: 1 to 32 letters, digits, `-` or `_`, stored lower case.
pub fn check_shortcut(raw: &str) -> Result<String, ParseError> {
    let shortcut = raw.trim().trim_start_matches('/').to_lowercase();
    let valid = !shortcut.is_empty()
        && shortcut.chars().count() <= 32
        && shortcut
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(shortcut)
    } else {
        Err(ParseError::new(
            "shortcut",
            "must be 1 to 32 letters, digits, - or _",
        ))
    }
}

/// The values a canned reply's placeholders are filled with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceholderValues {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub agent_name: Option<String>,
    /// Further `contact.<key>` values (contact attributes).
    pub contact_attributes: Vec<(String, String)>,
}

/// A canned reply's body with its placeholders filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    /// Placeholders left as written because there is no value for them: the composer says so,
    /// so that nothing goes out silently blank.
    pub missing: Vec<String>,
}

/// Fills `{{contact.name}}`, `{{contact.phone}}`, `{{agent.name}}` and `{{contact.<attribute>}}`
/// (spaces inside the braces allowed). Unknown or empty ones stay in the text, as written.
pub fn fill_placeholders(body: &str, values: &PlaceholderValues) -> Filled {
    let mut text = String::with_capacity(body.len());
    let mut missing = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            break;
        };
        let written = &rest[start..start + 2 + length + 2];
        let key = rest[start + 2..start + 2 + length].trim();
        text.push_str(&rest[..start]);
        let value = match key {
            "contact.name" => values.contact_name.clone(),
            "contact.phone" => values.contact_phone.clone(),
            "agent.name" => values.agent_name.clone(),
            other => other.strip_prefix("contact.").and_then(|attribute| {
                values
                    .contact_attributes
                    .iter()
                    .find(|(k, _)| k == attribute)
                    .map(|(_, v)| v.clone())
            }),
        }
        .filter(|v| !v.trim().is_empty());
        match value {
            Some(value) => text.push_str(&value),
            None => {
                text.push_str(written);
                if !missing.iter().any(|m| m == key) {
                    missing.push(key.to_owned());
                }
            }
        }
        rest = &rest[start + written.len()..];
    }
    text.push_str(rest);
    Filled { text, missing }
}

/// What a member is doing in a conversation they have open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    Viewing,
    /// Typing a reply to the customer.
    Replying,
    /// Typing an internal note.
    Noting,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Viewing => "viewing",
            Activity::Replying => "replying",
            Activity::Noting => "noting",
        }
    }

    /// How long the server keeps it without another word from the browser: a viewer's tab
    /// says so every 20 seconds, a typist every few seconds while typing.
    pub fn lasts_seconds(self) -> i64 {
        match self {
            Activity::Viewing => 45,
            Activity::Replying | Activity::Noting => 8,
        }
    }
}

impl std::str::FromStr for Activity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Activity::Viewing, Activity::Replying, Activity::Noting]
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| ParseError::new("activity", "must be viewing, replying or noting"))
    }
}

/// A member in a conversation, as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresenceView {
    pub conversation_id: i64,
    pub member: MemberRef,
    /// `null`: they left.
    pub activity: Option<Activity>,
    /// Gone by then unless renewed.
    pub expires_at: Option<UnixTime>,
}

/// Who is in a conversation now (the viewer left out), the typists first: "Ana is typing a
/// reply…", "Ben is viewing".
pub fn presence_line(
    present: &[PresenceView],
    viewer: Option<UserId>,
    now: UnixTime,
) -> Option<String> {
    let mut here: Vec<&PresenceView> = present
        .iter()
        .filter(|p| Some(p.member.id) != viewer)
        .filter(|p| p.activity.is_some() && p.expires_at.is_some_and(|until| until > now))
        .collect();
    if here.is_empty() {
        return None;
    }
    here.sort_by_key(|p| {
        (
            p.activity == Some(Activity::Viewing),
            p.member.name.to_string(),
        )
    });
    let parts: Vec<String> = here
        .iter()
        .map(|p| {
            let name = p.member.name.as_str();
            match p.activity {
                Some(Activity::Replying) => format!("{name} is typing a reply…"),
                Some(Activity::Noting) => format!("{name} is writing a note…"),
                _ => format!("{name} is viewing"),
            }
        })
        .collect();
    Some(parts.join(" · "))
}

/// The snooze presets the thread offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnoozePreset {
    OneHour,
    /// 18:00 today, or tomorrow once it is past 17:00.
    Tonight,
    /// 09:00 tomorrow.
    Tomorrow,
    /// 09:00 next Monday.
    NextWeek,
}

impl SnoozePreset {
    pub const ALL: [SnoozePreset; 4] = [
        SnoozePreset::OneHour,
        SnoozePreset::Tonight,
        SnoozePreset::Tomorrow,
        SnoozePreset::NextWeek,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SnoozePreset::OneHour => "1 hour",
            SnoozePreset::Tonight => "Tonight (18:00)",
            SnoozePreset::Tomorrow => "Tomorrow (09:00)",
            SnoozePreset::NextWeek => "Next week (Monday 09:00)",
        }
    }

    /// When the snooze ends, for a member whose clock is `now_ms` at `offset_minutes` east of
    /// UTC (their wall clock decides what "tomorrow at nine" means).
    pub fn until(self, now_ms: i64, offset_minutes: i32) -> UnixTime {
        const DAY: i64 = 86_400;
        let now = now_ms.div_euclid(1000);
        let offset = i64::from(offset_minutes) * 60;
        let local = now + offset;
        let midnight = local - local.rem_euclid(DAY);
        let at = |day_start: i64, hour: i64| UnixTime(day_start + hour * 3600 - offset);
        match self {
            SnoozePreset::OneHour => UnixTime(now + 3600),
            SnoozePreset::Tonight => {
                if local - midnight < 17 * 3600 {
                    at(midnight, 18)
                } else {
                    at(midnight + DAY, 18)
                }
            }
            SnoozePreset::Tomorrow => at(midnight + DAY, 9),
            SnoozePreset::NextWeek => {
                // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
                let weekday = (midnight.div_euclid(DAY) + 3).rem_euclid(7);
                at(midnight + (7 - weekday) * DAY, 9)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DisplayName;

    fn member(id: i64, name: &str) -> MemberRef {
        MemberRef {
            id: UserId(id),
            name: DisplayName::parse(name).unwrap(),
        }
    }

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

    #[test]
    fn placeholders_are_filled_or_left_visible() {
        let values = PlaceholderValues {
            contact_name: Some("Noa".into()),
            contact_phone: None,
            agent_name: Some("Ana".into()),
            contact_attributes: vec![("plan".into(), "Gold".into())],
        };
        let filled = fill_placeholders(
            "Hi {{contact.name}}, {{ agent.name }} here. Plan: {{contact.plan}}. Call {{contact.phone}} or {{contact.phone}}",
            &values,
        );
        assert_eq!(
            filled.text,
            "Hi Noa, Ana here. Plan: Gold. Call {{contact.phone}} or {{contact.phone}}"
        );
        assert_eq!(filled.missing, vec!["contact.phone".to_owned()]);
        let unclosed = fill_placeholders("Hi {{contact.name", &values);
        assert_eq!(unclosed.text, "Hi {{contact.name");
        let blank = PlaceholderValues {
            contact_name: Some("  ".into()),
            ..PlaceholderValues::default()
        };
        assert_eq!(
            fill_placeholders("{{contact.name}}", &blank).missing,
            vec!["contact.name".to_owned()]
        );
    }

    #[test]
    fn label_names_and_colours_are_checked() {
        assert_eq!(LabelName::parse("  VIP ").unwrap().as_str(), "VIP");
        assert_eq!(LabelName::parse("VIP").unwrap().key(), "vip");
        for bad in ["", "a,b", &"x".repeat(41), "tab\there"] {
            assert!(LabelName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Colour::parse("#D97706").unwrap().as_str(), "#d97706");
        for bad in ["d97706", "#d9770", "#d97706;x", "red", "#gggggg"] {
            assert!(Colour::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shortcuts_are_single_words() {
        assert_eq!(check_shortcut("/Refund").unwrap(), "refund");
        assert_eq!(check_shortcut("opening-hours").unwrap(), "opening-hours");
        assert!(check_shortcut("two words").is_err());
        assert!(check_shortcut("").is_err());
    }

    #[test]
    fn priorities_round_trip_through_their_rank() {
        for priority in Priority::ALL {
            assert_eq!(Priority::from_rank(priority.rank()), Some(priority));
            assert_eq!(priority.as_str().parse::<Priority>().unwrap(), priority);
        }
        assert!(Priority::Urgent > Priority::High);
        assert_eq!(Priority::from_rank(5), None);
    }

    #[test]
    fn snooze_presets_follow_the_members_wall_clock() {
        // Thursday 2026-12-03 10:30 UTC; the member is at UTC+1 (11:30 their time).
        let now = 1_796_293_800_000;
        let offset = 60;
        let hour = |h: i64| 1_796_256_000 + h * 3600 - 3600; // their midnight + h
        assert_eq!(
            SnoozePreset::OneHour.until(now, offset),
            UnixTime(1_796_297_400)
        );
        assert_eq!(SnoozePreset::Tonight.until(now, offset), UnixTime(hour(18)));
        assert_eq!(
            SnoozePreset::Tomorrow.until(now, offset),
            UnixTime(hour(24 + 9))
        );
        // Monday 2026-12-07 09:00 their time.
        assert_eq!(
            SnoozePreset::NextWeek.until(now, offset),
            UnixTime(hour(4 * 24 + 9))
        );
        // Past 17:00, "tonight" is tomorrow evening.
        let evening = now + 7 * 3_600_000; // 18:30 their time
        assert_eq!(
            SnoozePreset::Tonight.until(evening, offset),
            UnixTime(hour(24 + 18))
        );
    }

    #[test]
    fn presence_names_the_others_typists_first() {
        let now = UnixTime(1_000);
        let at = |id, name, activity, until| PresenceView {
            conversation_id: 1,
            member: member(id, name),
            activity,
            expires_at: Some(UnixTime(until)),
        };
        let present = [
            at(1, "Me", Some(Activity::Replying), 1_010),
            at(2, "Ben", Some(Activity::Viewing), 1_040),
            at(3, "Ana", Some(Activity::Replying), 1_005),
            at(4, "Gone", Some(Activity::Viewing), 999),
            at(5, "Left", None, 1_040),
        ];
        assert_eq!(
            presence_line(&present, Some(UserId(1)), now).as_deref(),
            Some("Ana is typing a reply… · Ben is viewing")
        );
        assert_eq!(presence_line(&present[..1], Some(UserId(1)), now), None);
    }
}
