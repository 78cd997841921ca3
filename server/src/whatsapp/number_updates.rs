//! Reads `phone_number_quality_update`, `phone_number_name_update` and `account_update`.

use crate::domain::number_update::{AccountRestriction, NumberUpdate};
use serde_json::Value;

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty() && !text.eq_ignore_ascii_case("NONE"))
        .map(str::to_owned)
}

fn seconds_to_millis(value: Option<&Value>) -> Option<i64> {
    let seconds = match value? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    seconds.checked_mul(1000)
}

/// What the change says about a number or the account; `None` for other fields.
pub fn parse(field: &str, value: &Value) -> Option<NumberUpdate> {
    match field {
        "phone_number_quality_update" => Some(NumberUpdate::Quality {
            display_phone_number: text(value, "display_phone_number")?,
            event: text(value, "event")?,
            current_limit: text(value, "current_limit")
                .or_else(|| text(value, "max_daily_conversations_per_business"))
                .or_else(|| text(value, "messaging_limit_tier")),
        }),
        "phone_number_name_update" => Some(NumberUpdate::Name {
            display_phone_number: text(value, "display_phone_number")?,
            decision: text(value, "decision")?,
            requested_verified_name: text(value, "requested_verified_name"),
            rejection_reason: text(value, "rejection_reason"),
        }),
        "account_update" => {
            let event = text(value, "event")?;
            let restrictions = (event == "ACCOUNT_RESTRICTION").then(|| {
                value
                    .get("restriction_info")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|r| {
                        Some(AccountRestriction {
                            restriction_type: text(r, "restriction_type")?,
                            expires_at: seconds_to_millis(r.get("expiration")),
                        })
                    })
                    .collect()
            });
            Some(NumberUpdate::Account {
                violation: value
                    .get("violation_info")
                    .and_then(|v| text(v, "violation_type")),
                ban_state: value
                    .get("ban_info")
                    .and_then(|b| text(b, "waba_ban_state")),
                restrictions,
                event,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// pywa's `account_update` cases (tests/fixtures/pywa/updates/account_update.json).
    fn pywa_case(name: &str) -> (String, Value) {
        let cases: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/pywa/updates/account_update.json"
        ))
        .expect("fixture");
        let change = &cases[name]["entry"][0]["changes"][0];
        (
            change["field"].as_str().unwrap().to_owned(),
            change["value"].clone(),
        )
    }

    #[test]
    fn account_restrictions_violations_and_bans() {
        let (field, value) = pywa_case("account_restriction");
        let Some(NumberUpdate::Account {
            event,
            restrictions: Some(restrictions),
            ..
        }) = parse(&field, &value)
        else {
            panic!("a restriction")
        };
        assert_eq!(event, "ACCOUNT_RESTRICTION");
        assert_eq!(
            restrictions[0],
            AccountRestriction {
                restriction_type: "RESTRICTED_BIZ_INITIATED_MESSAGING".into(),
                expires_at: Some(1_641_330_498_000),
            }
        );
        let (field, value) = pywa_case("account_violation");
        assert!(matches!(
            parse(&field, &value),
            Some(NumberUpdate::Account { violation: Some(v), restrictions: None, .. }) if v == "ADULT"
        ));
        let (field, value) = pywa_case("account_disabled");
        assert!(matches!(
            parse(&field, &value),
            Some(NumberUpdate::Account {
                ban_state: Some(_),
                ..
            })
        ));
    }

    // Meta's documented shapes (no openly licensed fixture exists for these two fields).
    #[test]
    fn quality_and_name_updates() {
        let quality = json!({
            "display_phone_number": "15550100100",
            "event": "DOWNGRADE",
            "current_limit": "TIER_1K"
        });
        assert_eq!(
            parse("phone_number_quality_update", &quality),
            Some(NumberUpdate::Quality {
                display_phone_number: "15550100100".into(),
                event: "DOWNGRADE".into(),
                current_limit: Some("TIER_1K".into()),
            })
        );
        let name = json!({
            "display_phone_number": "15550100100",
            "decision": "REJECTED",
            "requested_verified_name": "Parley Demo",
            "rejection_reason": "NONE"
        });
        assert!(matches!(
            parse("phone_number_name_update", &name),
            Some(NumberUpdate::Name {
                rejection_reason: None,
                ..
            })
        ));
        assert_eq!(parse("phone_number_quality_update", &json!({})), None);
        assert_eq!(parse("messages", &quality), None);
    }
}
