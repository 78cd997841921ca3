//! Running the team: what admins send to add and change members, what a member changes about
//! themselves, one-time set-password links and the audit log, as both sides see them.

use crate::model::{Role, UnixTime, UserId, Viewer};
use serde::{Deserialize, Serialize};

/// The families of audited actions (`<family>.<what>`) and their names, as the audit page's
/// filter offers them; a server test keeps this list and the actions in step.
pub const AUDIT_FAMILIES: [(&str, &str); 14] = [
    ("member", "Members"),
    ("password", "Passwords"),
    ("token", "API tokens"),
    ("template", "Templates"),
    ("label", "Labels"),
    ("contact", "Contacts"),
    ("campaign", "Campaigns"),
    ("consent", "Consent"),
    ("number", "Business numbers"),
    ("team", "Teams"),
    ("automation", "Automations"),
    ("two_factor", "Two-factor sign-in"),
    ("sign_in", "Sign-ins"),
    ("costs", "Costs"),
];

/// A member to add (admins): they get no password, only a one-time link to set one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberDraft {
    pub name: String,
    pub email: String,
    /// `admin` or `agent` (default `agent`).
    #[serde(default)]
    pub role: Option<Role>,
}

/// What changes about a member (admins); an absent field stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// `true` disables the member (their sessions, tokens and event streams end at once);
    /// `false` enables them again.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Why a set-password link was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LinkPurpose {
    /// A new member chooses their first password.
    Invite,
    /// An admin reset the member's password: the old one no longer works.
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "invite" => Some(LinkPurpose::Invite),
            "reset" => Some(LinkPurpose::Reset),
            _ => None,
        }
    }
}

/// A one-time link that lets a member set their password. There is no mail server: the admin
/// hands it over. Shown once; it works once, until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordLink {
    pub member_id: UserId,
    /// The path on this Parley (`/set-password?token=…`); the UI prefixes its own origin.
    pub path: String,
    pub purpose: LinkPurpose,
    pub expires_at: UnixTime,
}

/// A member just added, and the link to hand them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AddedMember {
    pub member: crate::model::TeamMember,
    pub password_link: PasswordLink,
}

/// Which notifications a member wants in their bell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    /// A colleague mentioned them in an internal note.
    pub mention: bool,
    /// A conversation of theirs came back from snooze.
    pub snooze_ended: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            mention: true,
            snooze_ended: true,
        }
    }
}

/// The signed-in member and their own settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    #[serde(flatten)]
    pub viewer: Viewer,
    pub notifications: NotificationSettings,
    pub availability: Availability,
}

/// What a member changes about themselves; an absent field stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub notifications: Option<NotificationSettings>,
}

/// A member changing their own password: the current one is required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// One recorded admin action or security event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: UnixTime,
    /// The member who acted; absent for the command line and for failed sign-ins.
    pub actor_id: Option<UserId>,
    /// Who acted, as they were then (an email, `command line`, or the email tried at sign-in).
    pub actor: String,
    /// Where from: the client's address, `command line` or `sandbox`.
    pub origin: String,
    /// What happened, e.g. `member.added`, `member.role_changed`, `sign_in.failed`.
    pub action: String,
    /// What it happened to, e.g. `member 5`, `label 3`, `template order_update`.
    pub target: String,
    /// What changed.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Which audit entries to show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct AuditQuery {
    /// Only this action, or every action starting with it followed by a dot (`member`).
    #[serde(default)]
    pub action: Option<String>,
    /// Only what this member did.
    #[serde(default)]
    pub actor_id: Option<i64>,
    /// Entries older than this id (the previous page's `next_before`).
    #[serde(default)]
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Whose a set-password link is, shown on the page it opens while it still works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PendingLink {
    pub name: String,
    pub email: String,
    pub purpose: LinkPurpose,
    pub expires_at: UnixTime,
}

/// Whether a member takes new conversations. Members set it; Parley sets `offline` when their
/// last event stream (a tab, an API client) has been closed for a while.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Online,
    Away,
    #[default]
    Offline,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "online" => Some(Availability::Online),
            "away" => Some(Availability::Away),
            "offline" => Some(Availability::Offline),
            _ => None,
        }
    }
}

/// How a team hands out new conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AutoAssignment {
    /// Conversations wait in the team's queue until a member takes one.
    #[default]
    None,
    /// Online members under capacity take turns.
    RoundRobin,
    /// The online member with the fewest open conversations.
    LeastBusy,
}

impl AutoAssignment {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoAssignment::None => "none",
            AutoAssignment::RoundRobin => "round_robin",
            AutoAssignment::LeastBusy => "least_busy",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(AutoAssignment::None),
            "round_robin" => Some(AutoAssignment::RoundRobin),
            "least_busy" => Some(AutoAssignment::LeastBusy),
            _ => None,
        }
    }
}

/// A team as members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub members: Vec<crate::model::MemberRef>,
    pub assignment: AutoAssignment,
    /// Open conversations a member may hold before routing passes them over (none: no limit).
    pub capacity: Option<u32>,
    /// Unassigned open conversations waiting in the team's queue.
    pub waiting: u32,
}

/// A new team, or what changes about one (admins); an absent field stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamDraft {
    #[serde(default)]
    pub name: Option<String>,
    /// Every member of the team afterwards (ids).
    #[serde(default)]
    pub members: Option<Vec<UserId>>,
    #[serde(default)]
    pub assignment: Option<AutoAssignment>,
    /// `null` clears the limit; absent keeps it.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub capacity: Option<Option<u32>>,
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Option<u32>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
        Option::<u32>::deserialize(d).map(Some)
    }
}

/// Which team's queue a conversation list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TeamScope {
    /// Every team the member belongs to.
    MyTeams,
    Team(i64),
}

/// A business number and the team its new conversations join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NumberTeam {
    pub phone_number_id: String,
    pub default_team_id: Option<i64>,
}

/// Who must sign in with a second factor (admins decide).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorPolicy {
    /// Each member chooses.
    #[default]
    Optional,
    Admins,
    Everyone,
}

impl TwoFactorPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorPolicy::Optional => "optional",
            TwoFactorPolicy::Admins => "admins",
            TwoFactorPolicy::Everyone => "everyone",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "optional" => Some(TwoFactorPolicy::Optional),
            "admins" => Some(TwoFactorPolicy::Admins),
            "everyone" => Some(TwoFactorPolicy::Everyone),
            _ => None,
        }
    }

    /// Whether a member with this role must use a second factor.
    pub fn requires(self, role: crate::model::Role) -> bool {
        match self {
            TwoFactorPolicy::Optional => false,
            TwoFactorPolicy::Admins => role == crate::model::Role::Admin,
            TwoFactorPolicy::Everyone => true,
        }
    }
}

/// A member's second factor, as they see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorStatus {
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
    /// Whether the workspace requires it of this member.
    pub required: bool,
}

/// A second factor being set up: shown once, confirmed with a code from the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorEnrolment {
    /// The secret, for typing into an app by hand (base32).
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
    /// The QR code, as an SVG image.
    pub qr_svg: String,
}
