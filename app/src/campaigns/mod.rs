//! Broadcast campaigns, as server and browser both see them: a template sent to an audience of
//! contacts, each parameter filled from the contact; who was left out and why; how far the
//! messages got. The rules (parameter sources, what a state allows, what Meta's errors mean)
//! are pure functions beside the types.

mod parameters;

pub use parameters::*;

use crate::consent::wire_enum;
use crate::model::{DeliveryError, ParseError, UnixTime};
use serde::{Deserialize, Serialize};

wire_enum!(
    /// Where a campaign is. `draft` and `scheduled` may still be edited; `sending` and `paused`
    /// have their recipients fixed.
    CampaignState {
        Draft = "draft",
        Scheduled = "scheduled",
        Sending = "sending",
        Paused = "paused",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

impl CampaignState {
    pub fn editable(self) -> bool {
        matches!(self, CampaignState::Draft | CampaignState::Scheduled)
    }

    pub fn finished(self) -> bool {
        matches!(self, CampaignState::Completed | CampaignState::Cancelled)
    }
}

wire_enum!(
    /// Why a campaign is paused.
    PauseReason {
        /// A member paused it.
        Member = "member",
        /// The number reached its messaging limit (unique customers per rolling 24 hours);
        /// it resumes by itself as the window frees capacity.
        MessagingLimit = "messaging_limit",
        /// It no longer checks out (its template is no longer APPROVED, a label or segment
        /// of its audience is gone): fix that and resume.
        Problem = "problem",
    }
);

wire_enum!(
    /// A recipient's place in the campaign, before Meta's statuses take over.
    RecipientState {
        /// Will be sent.
        Pending = "pending",
        /// Handed to the outbox; its message's status says the rest.
        Queued = "queued",
        SkippedNoConsent = "skipped_no_consent",
        SkippedOptedOut = "skipped_opted_out",
        SkippedFrequencyCap = "skipped_frequency_cap",
        SkippedNoWhatsapp = "skipped_no_whatsapp",
        /// A parameter had nothing to fill it (no name, no attribute value) and no fallback.
        SkippedMissingData = "skipped_missing_data",
        /// The campaign was cancelled before it reached them.
        Cancelled = "cancelled",
    }
);

/// Who a campaign goes to: contacts with any of these labels, a saved segment, or a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Audience {
    Labels { labels: Vec<String> },
    Segment { segment_id: i64 },
    Contacts { contact_ids: Vec<i64> },
}

/// Most contacts named one by one (larger audiences are segments, labels or an import).
pub const MAX_LISTED_CONTACTS: usize = 100_000;

impl Audience {
    pub fn check(&self) -> Result<(), String> {
        match self {
            Audience::Labels { labels } if labels.is_empty() => {
                Err("the audience needs at least one label".into())
            }
            Audience::Contacts { contact_ids } if contact_ids.is_empty() => {
                Err("the audience needs at least one contact".into())
            }
            Audience::Contacts { contact_ids } if contact_ids.len() > MAX_LISTED_CONTACTS => Err(
                format!("list at most {MAX_LISTED_CONTACTS} contacts; use a segment or labels"),
            ),
            _ => Ok(()),
        }
    }
}

/// The template a campaign sends and where each of its body parameters comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignTemplate {
    pub name: String,
    pub language: String,
    /// One per body parameter, in order: `{{contact.name}}`, `{{contact.first_name}}`,
    /// `{{contact.phone}}`, `{{contact.email}}`, `{{contact.company}}`, `{{attr.<key>}}`, or
    /// literal text. `{{contact.name|there}}` falls back to `there` when the contact has none.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// For a template with a media header: the uploaded file (`POST /api/v1/media`).
    #[serde(default)]
    pub header_media_id: Option<String>,
}

/// A campaign as it is created (`POST /api/v1/campaigns`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignDraft {
    pub name: String,
    pub phone_number_id: String,
    pub template: CampaignTemplate,
    pub audience: Audience,
    /// When to start (Unix seconds); absent: a draft, started by hand.
    #[serde(default)]
    pub scheduled_at: Option<UnixTime>,
}

/// What a `PATCH` changes (only while the campaign is a draft or scheduled). `scheduled_at:
/// null` unschedules it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
    #[serde(default)]
    pub template: Option<CampaignTemplate>,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(
        default,
        deserialize_with = "crate::contacts::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub scheduled_at: Option<Option<UnixTime>>,
}

/// Longest campaign name.
pub const MAX_NAME_CHARS: usize = 120;

pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("give the campaign a name".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "a campaign name has at most {MAX_NAME_CHARS} characters"
        ));
    }
    Ok(name.to_owned())
}

/// The counts a campaign page and `GET /api/v1/campaigns/{id}` show. Before a campaign starts
/// they are a preview of its audience as it stands; afterwards, of its recipients. The funnel
/// is cumulative: a read message was also sent and delivered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignCounts {
    /// Everyone in the audience.
    pub total: i64,
    /// Those who will be (or were) sent the template.
    pub eligible: i64,
    pub skipped_no_consent: i64,
    pub skipped_opted_out: i64,
    pub skipped_frequency_cap: i64,
    pub skipped_no_whatsapp: i64,
    pub skipped_missing_data: i64,
    /// Eligible, not yet handed to the outbox.
    pub pending: i64,
    /// Handed to the outbox (what follows counts among these).
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub replied: i64,
    /// Left out when the campaign was cancelled, or who opted out while it ran.
    pub cancelled: i64,
}

impl CampaignCounts {
    /// Adds `count` recipients in `state` (whose message, when queued, is at `status`).
    pub fn add(&mut self, state: RecipientState, status: Option<&str>, replied: bool, count: i64) {
        self.total += count;
        match state {
            RecipientState::SkippedNoConsent => self.skipped_no_consent += count,
            RecipientState::SkippedOptedOut => self.skipped_opted_out += count,
            RecipientState::SkippedFrequencyCap => self.skipped_frequency_cap += count,
            RecipientState::SkippedNoWhatsapp => self.skipped_no_whatsapp += count,
            RecipientState::SkippedMissingData => self.skipped_missing_data += count,
            RecipientState::Cancelled => self.cancelled += count,
            RecipientState::Pending => {
                self.eligible += count;
                self.pending += count;
            }
            RecipientState::Queued => {
                self.eligible += count;
                self.queued += count;
                match status {
                    Some("sent" | "accepted") => self.sent += count,
                    Some("delivered") => {
                        self.sent += count;
                        self.delivered += count;
                    }
                    Some("read") => {
                        self.sent += count;
                        self.delivered += count;
                        self.read += count;
                    }
                    Some("failed") => self.failed += count,
                    _ => {}
                }
                if replied {
                    self.replied += count;
                }
            }
        }
    }
}

/// What a draft would do before it is saved: its audience's counts, the message a sample
/// recipient would get, and what sending it would cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignPreview {
    pub counts: CampaignCounts,
    /// Who the sample is (the audience's newest contact).
    pub sample_contact: Option<String>,
    /// The template as they would read it; absent when a parameter has nothing to fill it.
    pub sample_text: Option<String>,
    /// The eligible recipients priced with the rate card.
    pub estimated_cost: crate::costs::CostEstimate,
}

/// Failed messages with one Meta error code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FailureCount {
    pub code: i64,
    /// What it means for the business, in plain words.
    pub meaning: String,
    pub count: i64,
}

/// A campaign with its counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    pub template: CampaignTemplate,
    /// The template's category when the campaign was written: `MARKETING` needs consent.
    pub template_category: String,
    pub audience: Audience,
    pub state: CampaignState,
    pub pause_reason: Option<PauseReason>,
    pub scheduled_at: Option<UnixTime>,
    pub started_at: Option<UnixTime>,
    pub finished_at: Option<UnixTime>,
    pub created_by_name: Option<String>,
    pub created_at: UnixTime,
    pub counts: CampaignCounts,
    /// Failed messages by Meta error code, most first.
    pub failures: Vec<FailureCount>,
}

/// One recipient, as the recipients table shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignRecipient {
    pub contact_id: i64,
    pub name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub state: RecipientState,
    /// The message's status once queued: `queued`, `sent`, `delivered`, `read` or `failed`.
    pub message_status: Option<String>,
    pub conversation_id: Option<i64>,
    pub error: Option<DeliveryError>,
    pub replied_at: Option<UnixTime>,
}

/// A page of recipients, keyset by contact id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecipientPage {
    pub recipients: Vec<CampaignRecipient>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<i64>,
}

/// The filter `GET /api/v1/campaigns/{id}/recipients?state=` takes: a recipient state, or a
/// message status of queued recipients (`sent`, `delivered`, `read`, `failed`), or `replied`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientFilter {
    State(RecipientState),
    Status(&'static str),
    Replied,
    Skipped,
}

impl std::str::FromStr for RecipientFilter {
    type Err = ParseError;

    fn from_str(raw: &str) -> Result<Self, ParseError> {
        Ok(match raw {
            "sent" => RecipientFilter::Status("sent"),
            "delivered" => RecipientFilter::Status("delivered"),
            "read" => RecipientFilter::Status("read"),
            "failed" => RecipientFilter::Status("failed"),
            "replied" => RecipientFilter::Replied,
            "skipped" => RecipientFilter::Skipped,
            other => RecipientFilter::State(other.parse().map_err(|_| {
                ParseError::new(
                    "state",
                    "is not a recipient state (pending, queued, sent, delivered, read, \
                     failed, replied, skipped, skipped_…, cancelled)",
                )
            })?),
        })
    }
}

/// Unique customers a number may reach with business-initiated messages per rolling 24 hours,
/// by Meta's `messaging_limit_tier`: `Some(None)` unlimited, `None` a tier Parley does not
/// know (treated as no limit Parley can enforce).
pub fn messaging_limit(tier: &str) -> Option<Option<i64>> {
    Some(Some(match tier {
        "TIER_50" => 50,
        "TIER_250" => 250,
        "TIER_1K" => 1_000,
        "TIER_2K" => 2_000,
        "TIER_10K" => 10_000,
        "TIER_100K" => 100_000,
        "TIER_UNLIMITED" => return Some(None),
        _ => return None,
    }))
}

/// How many more customers a campaign may reach now: `None` when nothing limits it.
pub fn room_under_limit(limit: Option<i64>, reached: i64) -> Option<i64> {
    limit.map(|limit| (limit - reached).max(0))
}

/// What one of Meta's send errors means for a campaign, in words a marketer reads.
pub fn error_meaning(code: i64) -> &'static str {
    match code {
        131026 => "Not on WhatsApp, or has not accepted WhatsApp's terms",
        131047 => "Outside the 24-hour window (only templates can be sent)",
        131049 => "Meta held it back: the customer already got enough marketing lately",
        131050 => "The customer stopped marketing messages from this business",
        131048 => "Held back for spam: the number is being reported or blocked",
        131056 => "Too many messages to this customer in a short time",
        130429 | 80007 => "The number's throughput limit was exceeded",
        131042 => "A payment problem on the WhatsApp Business account",
        131031 => "The account is locked or restricted",
        132000 => "The number of template parameters does not match",
        132001 => "The template does not exist in this language",
        132005 => "The filled-in template text is too long",
        132007 => "The template's content breaks WhatsApp's policy",
        132012 => "A template parameter has the wrong format",
        132015 => "The template is paused for low quality",
        132016 => "The template is disabled for low quality",
        368 => "The number is temporarily blocked for policy violations",
        130472 => "Part of a Meta experiment: marketing not delivered to this customer",
        131000 => "Something went wrong at Meta",
        0 => "Cancelled, or refused before it reached Meta",
        _ => "See Meta's error codes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_a_cumulative_funnel() {
        let mut counts = CampaignCounts::default();
        counts.add(RecipientState::Queued, Some("read"), true, 2);
        counts.add(RecipientState::Queued, Some("delivered"), false, 3);
        counts.add(RecipientState::Queued, Some("failed"), false, 1);
        counts.add(RecipientState::Queued, Some("queued"), false, 1);
        counts.add(RecipientState::Pending, None, false, 4);
        counts.add(RecipientState::SkippedOptedOut, None, false, 5);
        assert_eq!(counts.total, 16);
        assert_eq!(counts.eligible, 11);
        assert_eq!(counts.queued, 7);
        assert_eq!(counts.sent, 5);
        assert_eq!(counts.delivered, 5);
        assert_eq!(counts.read, 2);
        assert_eq!(counts.failed, 1);
        assert_eq!(counts.replied, 2);
        assert_eq!(counts.pending, 4);
        assert_eq!(counts.skipped_opted_out, 5);
    }

    #[test]
    fn audiences_parse_by_shape() {
        let labels: Audience = serde_json::from_str(r#"{"labels": ["vip"]}"#).unwrap();
        assert_eq!(
            labels,
            Audience::Labels {
                labels: vec!["vip".into()]
            }
        );
        let segment: Audience = serde_json::from_str(r#"{"segment_id": 3}"#).unwrap();
        assert_eq!(segment, Audience::Segment { segment_id: 3 });
        let listed: Audience = serde_json::from_str(r#"{"contact_ids": [1, 2]}"#).unwrap();
        assert!(listed.check().is_ok());
        assert!(Audience::Labels { labels: vec![] }.check().is_err());
    }

    #[test]
    fn messaging_limits_leave_room_for_the_rest_of_the_day() {
        assert_eq!(messaging_limit("TIER_250"), Some(Some(250)));
        assert_eq!(messaging_limit("TIER_UNLIMITED"), Some(None));
        assert_eq!(messaging_limit("TIER_NEW"), None);
        assert_eq!(room_under_limit(Some(250), 100), Some(150));
        assert_eq!(room_under_limit(Some(250), 300), Some(0));
        assert_eq!(room_under_limit(None, 1_000_000), None);
    }

    #[test]
    fn recipient_filters_take_states_statuses_and_replies() {
        assert_eq!(
            "failed".parse::<RecipientFilter>().unwrap(),
            RecipientFilter::Status("failed")
        );
        assert_eq!(
            "skipped_opted_out".parse::<RecipientFilter>().unwrap(),
            RecipientFilter::State(RecipientState::SkippedOptedOut)
        );
        assert!("bogus".parse::<RecipientFilter>().is_err());
    }
}
