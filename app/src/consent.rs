//! Consent, as server and browser both see it: the append-only ledger of a contact's opt-ins
//! and opt-outs per purpose, and the opt-out keywords customers write ("STOP", "退订").
//! Marketing is the only purpose that needs consent: utility and authentication messages do
//! not.

use crate::model::{UnixTime, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::ParseError;

            fn from_str(raw: &str) -> Result<Self, $crate::model::ParseError> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    other => Err($crate::model::ParseError::new(
                        stringify!($name),
                        &format!("{other:?} is not one of {}", [$($wire),+].join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// What a customer agreed to receive.
    ConsentPurpose { Marketing = "marketing" }
);

wire_enum!(
    ConsentState { OptedIn = "opted_in", OptedOut = "opted_out" }
);

wire_enum!(
    /// Where an entry came from. Members and API clients write `api`, `agent` and `import`;
    /// the rest Parley writes itself.
    ConsentSource {
        Import = "import",
        Api = "api",
        Agent = "agent",
        Keyword = "keyword",
        Webhook = "webhook",
        CampaignFailure = "campaign_failure",
    }
);

impl ConsentSource {
    /// Whether a member or API client may claim this source (the others are what Parley saw).
    pub fn written_by_members(self) -> bool {
        matches!(
            self,
            ConsentSource::Import | ConsentSource::Api | ConsentSource::Agent
        )
    }
}

/// One line of the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentEntry {
    pub id: i64,
    pub purpose: ConsentPurpose,
    pub state: ConsentState,
    pub source: ConsentSource,
    /// The member who recorded it, when a member did.
    pub recorded_by: Option<UserId>,
    pub recorded_by_name: Option<String>,
    pub note: Option<String>,
    /// What proves it: `{"message_id", "wamid"}`, `{"file", "line"}`, `{"campaign_id",
    /// "error_code"}`, or Meta's `user_preferences` entry.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub evidence: Option<Value>,
    pub recorded_at: UnixTime,
}

/// A contact's consent for one purpose: the current state (their latest entry; none when
/// nothing was ever recorded) and every entry, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentLedger {
    pub contact_id: i64,
    pub purpose: ConsentPurpose,
    pub state: Option<ConsentState>,
    pub entries: Vec<ConsentEntry>,
}

/// What a member or API client records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentRequest {
    #[serde(default = "marketing")]
    pub purpose: ConsentPurpose,
    pub state: ConsentState,
    /// `api` (the default), `agent` or `import`.
    #[serde(default = "api")]
    pub source: ConsentSource,
    #[serde(default)]
    pub note: Option<String>,
}

fn marketing() -> ConsentPurpose {
    ConsentPurpose::Marketing
}

fn api() -> ConsentSource {
    ConsentSource::Api
}

/// Longest note kept with an entry.
pub const MAX_NOTE_CHARS: usize = 1000;

/// Opt-out keywords in one language and the confirmation sent to whoever writes one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OptOutLanguage {
    /// A language tag (`en`, `zh`, `pt-BR`).
    pub language: String,
    /// Whole messages that opt out, matched ignoring case, width, surrounding spaces and
    /// punctuation.
    pub keywords: Vec<String>,
    pub confirmation: String,
}

/// Longest keyword (in characters, folded); longer messages are never keywords.
pub const MAX_KEYWORD_CHARS: usize = 40;
/// Longest confirmation (WhatsApp's text limit is 4,096; a confirmation should be short).
pub const MAX_CONFIRMATION_CHARS: usize = 1000;

/// A message as keywords compare: case folded, full-width forms as ASCII, spaces collapsed,
/// and the punctuation and spaces around it dropped ("  Stop! " and "ＳＴＯＰ" are "stop").
pub fn fold(text: &str) -> String {
    let narrowed = text.chars().map(|c| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    });
    let lowered: String = narrowed.flat_map(char::to_lowercase).collect();
    let trimmed = lowered.trim_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_punctuation() || "。！？，、…؟".contains(c)
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a keyword set before it is stored; answers it with keywords folded and deduplicated.
pub fn check_opt_out_language(language: &OptOutLanguage) -> Result<OptOutLanguage, String> {
    let tag = language.language.trim();
    if tag.is_empty()
        || tag.len() > 35
        || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "language {:?} is not a language tag (like en, zh or pt-BR)",
            language.language
        ));
    }
    let confirmation = language.confirmation.trim();
    if confirmation.is_empty() {
        return Err(format!("{tag}: the confirmation may not be empty"));
    }
    if confirmation.chars().count() > MAX_CONFIRMATION_CHARS {
        return Err(format!(
            "{tag}: the confirmation may have at most {MAX_CONFIRMATION_CHARS} characters"
        ));
    }
    let mut keywords: Vec<String> = Vec::new();
    for keyword in &language.keywords {
        let folded = fold(keyword);
        if folded.is_empty() {
            return Err(format!("{tag}: keyword {keyword:?} has nothing to match"));
        }
        if folded.chars().count() > MAX_KEYWORD_CHARS {
            return Err(format!(
                "{tag}: keyword {keyword:?} is longer than {MAX_KEYWORD_CHARS} characters"
            ));
        }
        if !keywords.contains(&folded) {
            keywords.push(folded);
        }
    }
    if keywords.is_empty() {
        return Err(format!("{tag}: give at least one keyword"));
    }
    Ok(OptOutLanguage {
        language: tag.to_owned(),
        keywords,
        confirmation: confirmation.to_owned(),
    })
}

/// The folded form to look up, when the message could be a keyword at all.
pub fn keyword_candidate(text: &str) -> Option<String> {
    if text.chars().count() > MAX_KEYWORD_CHARS * 2 {
        return None;
    }
    let folded = fold(text);
    (!folded.is_empty() && folded.chars().count() <= MAX_KEYWORD_CHARS).then_some(folded)
}

/// The state Meta's `user_preferences` entry reports (`stop` / `resume` of marketing).
pub fn preference_state(preference: &Value) -> Option<ConsentState> {
    if preference.get("category").and_then(Value::as_str) != Some("marketing_messages") {
        return None;
    }
    match preference.get("value").and_then(Value::as_str) {
        Some("stop") => Some(ConsentState::OptedOut),
        // `signup`: they signed up through a marketing signup link.
        Some("resume" | "signup") => Some(ConsentState::OptedIn),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folding_ignores_case_width_spacing_and_punctuation() {
        assert_eq!(fold("  Stop! "), "stop");
        assert_eq!(fold("ＳＴＯＰ"), "stop");
        assert_eq!(fold("Stop   ALL."), "stop all");
        assert_eq!(fold("退订。"), "退订");
        assert_eq!(fold("إلغاء"), "إلغاء");
        assert_eq!(fold("BAJA"), "baja");
        assert_eq!(fold("Désabonner"), "désabonner");
        assert_eq!(fold("¿?"), "¿");
    }

    #[test]
    fn only_short_messages_are_candidates() {
        assert_eq!(keyword_candidate("STOP").as_deref(), Some("stop"));
        assert_eq!(keyword_candidate("!!!"), None);
        let long = "please stop sending me these messages, I am not interested at all";
        assert_eq!(keyword_candidate(long), None);
    }

    #[test]
    fn keyword_sets_are_checked_and_folded() {
        let set = OptOutLanguage {
            language: "en".into(),
            keywords: vec!["STOP".into(), "stop".into(), " Unsubscribe ".into()],
            confirmation: "Done.".into(),
        };
        let checked = check_opt_out_language(&set).unwrap();
        assert_eq!(checked.keywords, ["stop", "unsubscribe"]);
        let no_keywords = OptOutLanguage {
            keywords: vec![],
            ..set.clone()
        };
        assert!(check_opt_out_language(&no_keywords).is_err());
        let bad_tag = OptOutLanguage {
            language: "en us".into(),
            ..set.clone()
        };
        assert!(check_opt_out_language(&bad_tag).is_err());
        let silent = OptOutLanguage {
            confirmation: " ".into(),
            ..set
        };
        assert!(check_opt_out_language(&silent).is_err());
    }

    #[test]
    fn sources_members_may_claim() {
        assert!(ConsentSource::Agent.written_by_members());
        assert!(!ConsentSource::Keyword.written_by_members());
        assert_eq!(
            "campaign_failure".parse::<ConsentSource>().unwrap(),
            ConsentSource::CampaignFailure
        );
        assert!("nope".parse::<ConsentSource>().is_err());
    }

    #[test]
    fn meta_preferences_map_to_states() {
        let stop = json!({"wa_id": "1", "category": "marketing_messages", "value": "stop"});
        assert_eq!(preference_state(&stop), Some(ConsentState::OptedOut));
        let resume = json!({"category": "marketing_messages", "value": "resume"});
        assert_eq!(preference_state(&resume), Some(ConsentState::OptedIn));
        assert_eq!(preference_state(&json!({"category": "other"})), None);
    }
}
