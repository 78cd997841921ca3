//! Who has a conversation open, and what they are doing in it.

use crate::model::{MemberRef, ParseError, UnixTime, UserId};
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collaboration::member;

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
