//! Business numbers as admins see them: their health (quality rating, status, messaging limit,
//! throughput), what changed and when, the alerts that warn of a suspension coming, and the
//! business profile customers see in WhatsApp, with Meta's rules for it.

use crate::consent::wire_enum;
use crate::model::UnixTime;
use serde::{Deserialize, Serialize};

wire_enum!(
    /// Meta's quality rating of a number, from the customers' recent blocks and reports.
    QualityRating {
        #[serde(rename = "GREEN")]
        Green = "GREEN",
        #[serde(rename = "YELLOW")]
        Yellow = "YELLOW",
        #[serde(rename = "RED")]
        Red = "RED",
        #[serde(rename = "UNKNOWN")]
        Unknown = "UNKNOWN",
    }
);

impl QualityRating {
    /// Meta's word for it (it also says `NA` for a number not yet rated).
    pub fn from_meta(raw: &str) -> QualityRating {
        raw.parse().unwrap_or(QualityRating::Unknown)
    }
}

wire_enum!(
    /// Where a change in a number's history came from.
    ChangeSource {
        /// A refresh read it from the Graph API.
        Graph = "graph",
        /// Meta announced it in a webhook.
        Webhook = "webhook",
    }
);

/// A business number's state, as Parley last learned it from Meta.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BusinessNumberView {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    /// `APPROVED`, `PENDING_REVIEW`, `DECLINED`, `AVAILABLE_WITHOUT_REVIEW`, `NONE`…
    pub name_status: Option<String>,
    pub quality_rating: QualityRating,
    /// Unique customers the number may start conversations with in a rolling 24 hours
    /// (`None`: unlimited or not known; `messaging_limit_tier` says which).
    pub messaging_limit: Option<i64>,
    /// Meta's `messaging_limit_tier` (`TIER_250` … `TIER_UNLIMITED`).
    pub messaging_limit_tier: Option<String>,
    /// Meta's throughput level: `STANDARD` (80 messages a second) or `HIGH` (1,000).
    pub throughput: Option<String>,
    /// The messages a second Parley's sender allows this number.
    pub send_rate: u32,
    pub code_verification_status: Option<String>,
    /// `CLOUD_API`, `ON_PREMISE` or `NOT_APPLICABLE`.
    pub platform_type: Option<String>,
    /// `CONNECTED`, `FLAGGED`, `RESTRICTED`, `PENDING`, `DISCONNECTED`, `BANNED`…
    pub status: Option<String>,
    /// When Parley last read it from the Graph API.
    pub refreshed_at: Option<UnixTime>,
    /// The team its new conversations join (`PATCH /api/v1/numbers/{id}` sets it).
    pub default_team_id: Option<i64>,
    /// What needs an admin's attention now.
    pub alerts: Vec<HealthAlert>,
}

/// One change in a number's (or the account's) history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NumberChange {
    pub at: UnixTime,
    /// What changed: `quality_rating`, `messaging_limit_tier`, `status`, `verified_name`,
    /// `name_status`, `throughput`, `account`…
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub source: ChangeSource,
    /// Meta's own words (the webhook's event, a rejection reason, a restriction).
    pub detail: Option<String>,
}

/// A number with its history, newest change first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BusinessNumberDetail {
    #[serde(flatten)]
    pub number: BusinessNumberView,
    pub history: Vec<NumberChange>,
}

/// The account's (WABA's) standing, from `account_update` webhooks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountStanding {
    pub waba_id: String,
    /// Restrictions in force (`RESTRICTED_BIZ_INITIATED_MESSAGING`, …) and until when.
    pub restrictions: Vec<Restriction>,
    /// The last policy violation Meta reported (`ADULT`, `SCAM`, …), if any.
    pub violation: Option<String>,
    /// Meta's ban state (`SCHEDULE_FOR_DISABLE`, `DISABLE`, `REINSTATE`).
    pub ban_state: Option<String>,
    pub updated_at: Option<UnixTime>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Restriction {
    pub restriction_type: String,
    pub expiration: Option<UnixTime>,
}

wire_enum!(
    AlertLevel { Warning = "warning", Critical = "critical" }
);

/// Something about a number or the account that an admin must see, in Meta's wording and
/// what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthAlert {
    /// The number concerned (`None`: the whole account).
    pub phone_number_id: Option<String>,
    /// How the number reads, when known.
    #[serde(default)]
    pub display_phone_number: Option<String>,
    pub level: AlertLevel,
    /// Meta's word: `YELLOW`, `RED`, `FLAGGED`, `RESTRICTED`, `RESTRICTED_BIZ_INITIATED_MESSAGING`…
    pub meta: String,
    pub meaning: String,
}

/// What a number's state warrants: quality YELLOW or RED, FLAGGED, RESTRICTED or worse.
pub fn number_alerts(
    phone_number_id: &str,
    display_phone_number: Option<&str>,
    quality: QualityRating,
    status: Option<&str>,
) -> Vec<HealthAlert> {
    let alert = |level, meta: &str, meaning: &str| HealthAlert {
        phone_number_id: Some(phone_number_id.to_owned()),
        display_phone_number: display_phone_number.map(str::to_owned),
        level,
        meta: meta.to_owned(),
        meaning: meaning.to_owned(),
    };
    let mut alerts = Vec::new();
    match quality {
        QualityRating::Yellow => alerts.push(alert(
            AlertLevel::Warning,
            "YELLOW",
            "Quality is medium: customers have been blocking or reporting this number. Send \
             marketing only to customers who asked for it, and less often.",
        )),
        QualityRating::Red => alerts.push(alert(
            AlertLevel::Critical,
            "RED",
            "Quality is low: if it stays low, Meta flags the number and lowers its messaging \
             limit. Pause campaigns and review what was sent.",
        )),
        QualityRating::Green | QualityRating::Unknown => {}
    }
    match status {
        Some("FLAGGED") => alerts.push(alert(
            AlertLevel::Critical,
            "FLAGGED",
            "Meta flagged the number for low quality: unless quality recovers within 7 days, its \
             messaging limit goes down a tier.",
        )),
        Some("RESTRICTED") | Some("RATE_LIMITED") => alerts.push(alert(
            AlertLevel::Critical,
            status.unwrap_or_default(),
            "The number may not start conversations for now: it can only answer customers who \
             wrote in.",
        )),
        Some("BANNED") | Some("DISCONNECTED") | Some("DELETED") => alerts.push(alert(
            AlertLevel::Critical,
            status.unwrap_or_default(),
            "The number cannot send: reconnect it or appeal in Meta's Business Manager.",
        )),
        _ => {}
    }
    alerts
}

/// What the account's standing warrants, at `now`: restrictions still in force, a violation,
/// a ban scheduled or made.
pub fn account_alerts(standing: &AccountStanding, now: UnixTime) -> Vec<HealthAlert> {
    let alert = |meta: &str, meaning: String| HealthAlert {
        phone_number_id: None,
        display_phone_number: None,
        level: AlertLevel::Critical,
        meta: meta.to_owned(),
        meaning,
    };
    let mut alerts: Vec<HealthAlert> = standing
        .restrictions
        .iter()
        .filter(|r| r.expiration.is_none_or(|until| until > now))
        .map(|r| {
            let what = match r.restriction_type.as_str() {
                "RESTRICTED_BIZ_INITIATED_MESSAGING" => {
                    "The account may not start conversations (templates and campaigns fail)"
                }
                "RESTRICTED_CUSTOMER_INITIATED_MESSAGING" => {
                    "The account may not answer customers who write in"
                }
                "RESTRICTED_ADD_PHONE_NUMBER_ACTION" => "The account may not add phone numbers",
                _ => "Meta restricted the account",
            };
            alert(
                &r.restriction_type,
                format!("{what} until the restriction ends."),
            )
        })
        .collect();
    if let Some(violation) = &standing.violation {
        alerts.push(alert(
            violation,
            "Meta reported a policy violation on the account: repeated violations restrict or \
             disable it."
                .to_owned(),
        ));
    }
    if let Some(ban) = standing
        .ban_state
        .as_deref()
        .filter(|state| *state != "REINSTATE")
    {
        alerts.push(alert(
            ban,
            "Meta disabled (or will disable) the account: no number on it can send. Appeal in \
             Meta's Business Manager."
                .to_owned(),
        ));
    }
    alerts
}

/// The messages a second a number may send: its throughput level's, unless the operator set one.
pub fn send_rate(throughput: Option<&str>, configured: Option<u32>) -> u32 {
    configured.unwrap_or(match throughput {
        Some("HIGH") => 1_000,
        _ => 80,
    })
}

/// Whether the WABA sends Parley its webhooks: the apps subscribed to it, and whether Meta
/// still calls while sends are made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookSubscription {
    pub waba_id: String,
    /// Whether any app is subscribed to the WABA's webhooks (Parley's, when the token is the
    /// app's own).
    pub subscribed: bool,
    /// The subscribed apps' names (or ids).
    pub apps: Vec<String>,
    pub last_webhook_at: Option<UnixTime>,
    /// Why Parley suspects webhooks are not arriving, when it does.
    pub warning: Option<String>,
}

/// Meta accepted a send `silence` or longer ago and no webhook came since (not even its
/// `sent` status): the subscription or the callback URL is likely broken. Times in
/// milliseconds.
pub fn webhook_silence_warning(
    oldest_send_since_last_webhook: Option<i64>,
    now: i64,
    silence_millis: i64,
) -> Option<String> {
    let sent_at = oldest_send_since_last_webhook?;
    let waited = now - sent_at;
    (waited >= silence_millis).then(|| {
        format!(
            "Meta accepted messages {} minutes ago and no webhook has arrived since (not even their \
             delivery statuses): check that the app is subscribed to the WABA and that Meta can \
             reach the callback URL.",
            waited / 60_000
        )
    })
}

/// A messaging limit as admins read it: "100,000 customers / 24 h", "Unlimited", or Meta's
/// tier when Parley does not know it.
pub fn limit_words(limit: Option<i64>, tier: Option<&str>) -> String {
    match (limit, tier) {
        (Some(limit), _) => {
            let digits = limit.to_string();
            let mut grouped = String::new();
            for (i, digit) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(digit);
            }
            format!("{grouped} customers / 24 h")
        }
        (None, Some("TIER_UNLIMITED")) => "Unlimited".into(),
        (None, Some(tier)) => tier.to_owned(),
        (None, None) => "—".into(),
    }
}

/// Meta's business verticals (`vertical` in the business profile).
pub const VERTICALS: &[&str] = &[
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "NOT_A_BIZ",
];

pub const ABOUT_MAX: usize = 139;
pub const ADDRESS_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 512;
pub const EMAIL_MAX: usize = 128;
pub const WEBSITE_MAX: usize = 256;
pub const WEBSITES_MAX: usize = 2;

/// A number's business profile, as customers see it in WhatsApp.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BusinessProfile {
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub websites: Vec<String>,
    #[serde(default)]
    pub vertical: Option<String>,
    /// Where Meta serves the profile photo (read only).
    #[serde(default)]
    pub profile_picture_url: Option<String>,
}

/// A field of a profile that Meta would refuse, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileProblem {
    pub field: String,
    pub problem: String,
}

/// Checks a profile against Meta's rules before any call. Lengths count characters, as
/// Meta's do.
pub fn validate_profile(profile: &BusinessProfile) -> Vec<ProfileProblem> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, text: String| {
        problems.push(ProfileProblem {
            field: field.to_owned(),
            problem: text,
        })
    };
    let too_long = |value: &Option<String>, max: usize| {
        value
            .as_deref()
            .is_some_and(|text| text.chars().count() > max)
    };
    if profile
        .about
        .as_deref()
        .is_some_and(|about| about.trim().is_empty())
    {
        problem(
            "about",
            "cannot be blank (leave it out to keep Meta's)".into(),
        );
    }
    for (field, value, max) in [
        ("about", &profile.about, ABOUT_MAX),
        ("address", &profile.address, ADDRESS_MAX),
        ("description", &profile.description, DESCRIPTION_MAX),
        ("email", &profile.email, EMAIL_MAX),
    ] {
        if too_long(value, max) {
            problem(field, format!("at most {max} characters"));
        }
    }
    if let Some(email) = profile.email.as_deref().filter(|e| !e.is_empty())
        && !looks_like_email(email)
    {
        problem("email", "is not an email address".into());
    }
    if profile.websites.len() > WEBSITES_MAX {
        problem("websites", format!("at most {WEBSITES_MAX} websites"));
    }
    for website in &profile.websites {
        if !(website.starts_with("https://") || website.starts_with("http://"))
            || website.len() <= "https://".len()
            || website.chars().any(char::is_whitespace)
        {
            problem(
                "websites",
                format!("{website:?} is not a web address (http:// or https://)"),
            );
        } else if website.chars().count() > WEBSITE_MAX {
            problem("websites", format!("at most {WEBSITE_MAX} characters each"));
        }
    }
    if let Some(vertical) = profile.vertical.as_deref()
        && !VERTICALS.contains(&vertical)
    {
        problem(
            "vertical",
            format!("{vertical:?} is not one of Meta's verticals"),
        );
    }
    problems
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_and_status_raise_alerts_in_order_of_trouble() {
        assert!(number_alerts("1", None, QualityRating::Green, Some("CONNECTED")).is_empty());
        assert!(number_alerts("1", None, QualityRating::Unknown, None).is_empty());
        let yellow = number_alerts("1", None, QualityRating::Yellow, Some("CONNECTED"));
        assert_eq!(yellow.len(), 1);
        assert_eq!(
            (yellow[0].level, yellow[0].meta.as_str()),
            (AlertLevel::Warning, "YELLOW")
        );
        let flagged = number_alerts("1", None, QualityRating::Red, Some("FLAGGED"));
        assert_eq!(
            flagged.iter().map(|a| a.meta.as_str()).collect::<Vec<_>>(),
            ["RED", "FLAGGED"]
        );
        assert!(flagged.iter().all(|a| a.level == AlertLevel::Critical));
        assert_eq!(QualityRating::from_meta("NA"), QualityRating::Unknown);
    }

    #[test]
    fn account_alerts_last_while_restrictions_are_in_force() {
        let standing = AccountStanding {
            waba_id: "9".into(),
            restrictions: vec![Restriction {
                restriction_type: "RESTRICTED_BIZ_INITIATED_MESSAGING".into(),
                expiration: Some(UnixTime(2_000)),
            }],
            ..AccountStanding::default()
        };
        assert_eq!(account_alerts(&standing, UnixTime(1_000)).len(), 1);
        assert!(account_alerts(&standing, UnixTime(2_000)).is_empty());
        let reinstated = AccountStanding {
            ban_state: Some("REINSTATE".into()),
            ..AccountStanding::default()
        };
        assert!(account_alerts(&reinstated, UnixTime(0)).is_empty());
    }

    #[test]
    fn limits_read_as_customers_a_day() {
        assert_eq!(
            limit_words(Some(100_000), Some("TIER_100K")),
            "100,000 customers / 24 h"
        );
        assert_eq!(
            limit_words(Some(250), Some("TIER_250")),
            "250 customers / 24 h"
        );
        assert_eq!(limit_words(None, Some("TIER_UNLIMITED")), "Unlimited");
        assert_eq!(limit_words(None, None), "—");
    }

    #[test]
    fn silence_after_sends_is_suspicious() {
        let minute = 60_000;
        assert_eq!(
            webhook_silence_warning(None, 100 * minute, 10 * minute),
            None
        );
        assert_eq!(
            webhook_silence_warning(Some(95 * minute), 100 * minute, 10 * minute),
            None
        );
        let warning = webhook_silence_warning(Some(80 * minute), 100 * minute, 10 * minute);
        assert!(warning.unwrap().contains("20 minutes"));
    }

    #[test]
    fn throughput_sets_the_pace_unless_configured() {
        assert_eq!(send_rate(Some("HIGH"), None), 1_000);
        assert_eq!(send_rate(Some("STANDARD"), None), 80);
        assert_eq!(send_rate(None, None), 80);
        assert_eq!(send_rate(Some("HIGH"), Some(20)), 20);
    }

    #[test]
    fn profiles_are_checked_by_meta_rules() {
        let fine = BusinessProfile {
            about: Some("你好 — we answer within the hour".into()),
            email: Some("help@example.com".into()),
            websites: vec!["https://example.com".into()],
            vertical: Some("RETAIL".into()),
            description: Some("é".repeat(DESCRIPTION_MAX)),
            ..BusinessProfile::default()
        };
        assert_eq!(validate_profile(&fine), []);
        let bad = BusinessProfile {
            about: Some("a".repeat(ABOUT_MAX + 1)),
            email: Some("not an email".into()),
            websites: vec![
                "https://a.example".into(),
                "ftp://b.example".into(),
                "https://c.example".into(),
            ],
            vertical: Some("CASINO".into()),
            ..BusinessProfile::default()
        };
        let fields: Vec<_> = validate_profile(&bad)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            ["about", "email", "websites", "websites", "vertical"]
        );
        let blank = BusinessProfile {
            about: Some("  ".into()),
            ..BusinessProfile::default()
        };
        assert_eq!(validate_profile(&blank)[0].field, "about");
    }
}
