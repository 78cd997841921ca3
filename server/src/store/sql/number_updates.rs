//! What Meta's webhooks say about a business number or the account, applied in the intake
//! transaction: quality flags and limits, display-name decisions, the account's standing.

use super::Tx;
use super::numbers::{Change, apply_health, record_change};
use crate::domain::number_update::{AccountRestriction, NumberUpdate, phone_digits};
use crate::domain::{DomainEvent, Millis};
use crate::store::{NumberHealth, StoreResult};
use parley_app::model::UnixTime;
use parley_app::numbers::{ChangeSource, Restriction};

/// Applies what a webhook says about a number or the account, in the intake transaction.
pub(super) async fn apply_update(
    tx: &mut Tx<'_>,
    waba_id: &str,
    update: &NumberUpdate,
    field: &str,
    now: Millis,
) -> StoreResult<()> {
    let number = match update.display_phone_number() {
        Some(display) => number_by_display(tx, display).await?,
        None => None,
    };
    let mut health = NumberHealth {
        phone_number_id: number.clone().unwrap_or_default(),
        ..NumberHealth::default()
    };
    let detail: Option<String> = match update {
        NumberUpdate::Quality {
            event,
            current_limit,
            ..
        } => {
            health.status = match event.as_str() {
                "FLAGGED" => Some("FLAGGED".into()),
                "UNFLAGGED" => Some("CONNECTED".into()),
                _ => None,
            };
            health.messaging_limit_tier = current_limit.clone();
            Some(event.clone())
        }
        NumberUpdate::Name {
            decision,
            requested_verified_name,
            rejection_reason,
            ..
        } => {
            health.name_status = Some(match decision.as_str() {
                "REJECTED" => "DECLINED".to_owned(),
                other => other.to_owned(),
            });
            if decision == "APPROVED" {
                health.verified_name = requested_verified_name.clone();
            }
            Some(match rejection_reason {
                Some(reason) => format!("{decision}: {reason}"),
                None => decision.clone(),
            })
        }
        NumberUpdate::Account {
            event,
            restrictions,
            violation,
            ban_state,
        } => {
            apply_standing(
                tx,
                waba_id,
                restrictions.as_deref(),
                violation,
                ban_state,
                now,
            )
            .await?;
            let change = Change {
                phone_number_id: None,
                waba_id: Some(waba_id),
                field: "account",
                old_value: None,
                new_value: Some(event),
                source: ChangeSource::Webhook,
                detail: violation.as_deref().or(ban_state.as_deref()),
            };
            record_change(tx, &change, now).await?;
            return account_news(tx, waba_id, now).await;
        }
    };
    match number {
        Some(_) => {
            let changed = apply_health(
                tx,
                Some(waba_id),
                &health,
                ChangeSource::Webhook,
                detail.as_deref(),
                now,
            )
            .await?;
            if changed == 0 {
                // Meta said something that changed nothing here (a repeat, an ONBOARDING
                // event): still part of the history.
                let change = Change {
                    phone_number_id: Some(&health.phone_number_id),
                    waba_id: Some(waba_id),
                    field,
                    old_value: None,
                    new_value: None,
                    source: ChangeSource::Webhook,
                    detail: detail.as_deref(),
                };
                record_change(tx, &change, now).await?;
            }
        }
        // A number Parley has not met yet: kept as the account's news.
        None => {
            let change = Change {
                phone_number_id: None,
                waba_id: Some(waba_id),
                field,
                old_value: update.display_phone_number(),
                new_value: None,
                source: ChangeSource::Webhook,
                detail: detail.as_deref(),
            };
            record_change(tx, &change, now).await?;
            account_news(tx, waba_id, now).await?;
        }
    }
    Ok(())
}

async fn number_by_display(tx: &mut Tx<'_>, display: &str) -> StoreResult<Option<String>> {
    let wanted = phone_digits(display);
    let numbers: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT phone_number_id, display_phone_number FROM business_numbers")
            .fetch_all(&mut **tx)
            .await?;
    Ok(numbers
        .into_iter()
        .find(|(_, shown)| shown.as_deref().map(phone_digits).as_deref() == Some(wanted.as_str()))
        .map(|(id, _)| id))
}

async fn apply_standing(
    tx: &mut Tx<'_>,
    waba_id: &str,
    restrictions: Option<&[AccountRestriction]>,
    violation: &Option<String>,
    ban_state: &Option<String>,
    now: Millis,
) -> StoreResult<()> {
    let restrictions = restrictions.map(|list| {
        serde_json::to_string(
            &list
                .iter()
                .map(|r| Restriction {
                    restriction_type: r.restriction_type.clone(),
                    expiration: r.expires_at.map(|at| UnixTime(at / 1000)),
                })
                .collect::<Vec<_>>(),
        )
        .expect("restrictions serialise")
    });
    sqlx::query(
        "INSERT INTO account_standing (waba_id, restrictions, violation, ban_state, updated_at)
         VALUES ($1, COALESCE($2, '[]'), $3, $4, $5)
         ON CONFLICT (waba_id) DO UPDATE SET
           restrictions = COALESCE($2, account_standing.restrictions),
           violation = COALESCE($3, account_standing.violation),
           ban_state = COALESCE($4, account_standing.ban_state),
           updated_at = $5",
    )
    .bind(waba_id)
    .bind(restrictions)
    .bind(violation)
    .bind(ban_state)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tells the account's news (not one known number's) to whoever follows the numbers.
async fn account_news(tx: &mut Tx<'_>, waba_id: &str, now: Millis) -> StoreResult<()> {
    let updated = DomainEvent::NumberUpdated {
        waba_id: waba_id.to_owned(),
        phone_number_id: None,
    };
    super::events::push(tx, &updated, now).await
}
