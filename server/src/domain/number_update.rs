//! What Meta's webhooks say about a business number or the account behind it.

/// A restriction Meta put on the account, and when it ends (milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRestriction {
    pub restriction_type: String,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberUpdate {
    /// `phone_number_quality_update`: the number was flagged or unflagged for low quality, or
    /// its messaging limit went up or down. Meta names the number by its display form.
    Quality {
        display_phone_number: String,
        /// `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `ONBOARDING`…
        event: String,
        /// The messaging limit tier now in force (`TIER_1K`…), when Meta says.
        current_limit: Option<String>,
    },
    /// `phone_number_name_update`: Meta's decision on a requested display name.
    Name {
        display_phone_number: String,
        /// `APPROVED`, `REJECTED`, `DEFERRED`…
        decision: String,
        requested_verified_name: Option<String>,
        rejection_reason: Option<String>,
    },
    /// `account_update`: the account's standing changed (restrictions, a violation, a ban),
    /// or something else happened to it (`event` says what).
    Account {
        event: String,
        /// Restrictions in force (`ACCOUNT_RESTRICTION` only).
        restrictions: Option<Vec<AccountRestriction>>,
        violation: Option<String>,
        ban_state: Option<String>,
    },
}

impl NumberUpdate {
    pub fn display_phone_number(&self) -> Option<&str> {
        match self {
            NumberUpdate::Quality {
                display_phone_number,
                ..
            }
            | NumberUpdate::Name {
                display_phone_number,
                ..
            } => Some(display_phone_number),
            NumberUpdate::Account { .. } => None,
        }
    }
}

/// The digits of a phone number: Meta writes display numbers with and without `+`, spaces and
/// dashes.
pub fn phone_digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}
