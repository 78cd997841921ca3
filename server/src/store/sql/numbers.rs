//! Business numbers, their health and its history, and the account's standing.

use super::{Engine, Tx};
use crate::domain::number_update::phone_digits;
use crate::domain::{DomainEvent, Millis};
use crate::store::{
    BusinessNumber, NumberChangeRecord, NumberHealth, NumberStore, StoreError, StoreResult,
    StoredNumber, WebhookTraffic,
};
use async_trait::async_trait;
use parley_app::model::UnixTime;
use parley_app::numbers::{AccountStanding, ChangeSource};

/// The health columns a change may touch: the only names ever written into SQL here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    DisplayPhoneNumber,
    VerifiedName,
    NameStatus,
    QualityRating,
    MessagingLimitTier,
    ThroughputLevel,
    CodeVerificationStatus,
    PlatformType,
    Status,
}

impl Field {
    const ALL: [Field; 9] = [
        Field::DisplayPhoneNumber,
        Field::VerifiedName,
        Field::NameStatus,
        Field::QualityRating,
        Field::MessagingLimitTier,
        Field::ThroughputLevel,
        Field::CodeVerificationStatus,
        Field::PlatformType,
        Field::Status,
    ];

    fn column(self) -> &'static str {
        match self {
            Field::DisplayPhoneNumber => "display_phone_number",
            Field::VerifiedName => "verified_name",
            Field::NameStatus => "name_status",
            Field::QualityRating => "quality_rating",
            Field::MessagingLimitTier => "messaging_limit_tier",
            Field::ThroughputLevel => "throughput_level",
            Field::CodeVerificationStatus => "code_verification_status",
            Field::PlatformType => "platform_type",
            Field::Status => "status",
        }
    }

    fn of(self, health: &NumberHealth) -> &Option<String> {
        match self {
            Field::DisplayPhoneNumber => &health.display_phone_number,
            Field::VerifiedName => &health.verified_name,
            Field::NameStatus => &health.name_status,
            Field::QualityRating => &health.quality_rating,
            Field::MessagingLimitTier => &health.messaging_limit_tier,
            Field::ThroughputLevel => &health.throughput_level,
            Field::CodeVerificationStatus => &health.code_verification_status,
            Field::PlatformType => &health.platform_type,
            Field::Status => &health.status,
        }
    }
}

const HEALTH_COLUMNS: &str = "phone_number_id, waba_id, display_phone_number, verified_name,
    name_status, quality_rating, messaging_limit_tier, throughput_level,
    code_verification_status, platform_type, status, refreshed_at";

type HealthRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn stored(
    (
        id,
        waba,
        display,
        name,
        name_status,
        quality,
        tier,
        throughput,
        code,
        platform,
        status,
        refreshed,
    ): HealthRow,
) -> StoredNumber {
    StoredNumber {
        waba_id: waba,
        health: NumberHealth {
            phone_number_id: id,
            display_phone_number: display,
            verified_name: name,
            name_status,
            quality_rating: quality,
            messaging_limit_tier: tier,
            throughput_level: throughput,
            code_verification_status: code,
            platform_type: platform,
            status,
        },
        refreshed_at: refreshed.map(Millis),
    }
}

async fn stored_in(tx: &mut Tx<'_>, phone_number_id: &str) -> StoreResult<Option<StoredNumber>> {
    let row: Option<HealthRow> = sqlx::query_as(&format!(
        "SELECT {HEALTH_COLUMNS} FROM business_numbers WHERE phone_number_id = $1"
    ))
    .bind(phone_number_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(stored))
}

/// A change to one number (or, with no number, to the account), as the history keeps it.
pub(super) struct Change<'a> {
    pub(super) phone_number_id: Option<&'a str>,
    pub(super) waba_id: Option<&'a str>,
    pub(super) field: &'a str,
    pub(super) old_value: Option<&'a str>,
    pub(super) new_value: Option<&'a str>,
    pub(super) source: ChangeSource,
    pub(super) detail: Option<&'a str>,
}

pub(super) async fn record_change(
    tx: &mut Tx<'_>,
    change: &Change<'_>,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO number_changes (phone_number_id, waba_id, field, old_value, new_value,
           source, detail, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change.phone_number_id)
    .bind(change.waba_id)
    .bind(change.field)
    .bind(change.old_value)
    .bind(change.new_value)
    .bind(change.source.as_str())
    .bind(change.detail)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the values of `health` that differ from what is stored, each into the history;
/// answers how many changed.
pub(super) async fn apply_health(
    tx: &mut Tx<'_>,
    waba_id: Option<&str>,
    health: &NumberHealth,
    source: ChangeSource,
    detail: Option<&str>,
    now: Millis,
) -> StoreResult<usize> {
    let before = stored_in(tx, &health.phone_number_id)
        .await?
        .ok_or(StoreError::NotFound("business number"))?;
    let waba_id = waba_id.or(before.waba_id.as_deref());
    let mut changed = 0;
    for field in Field::ALL {
        let (old, new) = (field.of(&before.health), field.of(health));
        let same_number = field == Field::DisplayPhoneNumber
            && old.as_deref().map(phone_digits) == new.as_deref().map(phone_digits);
        if new.is_none() || new == old || (same_number && old.is_some()) {
            // A display number written differently is the same number; the refresh's
            // international form replaces the webhook's digits without a history line.
            if same_number && new.is_some() && new != old {
                sqlx::query(
                    "UPDATE business_numbers SET display_phone_number = $1 WHERE phone_number_id = $2",
                )
                .bind(new)
                .bind(&health.phone_number_id)
                .execute(&mut **tx)
                .await?;
            }
            continue;
        }
        sqlx::query(&format!(
            "UPDATE business_numbers SET {} = $1 WHERE phone_number_id = $2",
            field.column()
        ))
        .bind(new)
        .bind(&health.phone_number_id)
        .execute(&mut **tx)
        .await?;
        let change = Change {
            phone_number_id: Some(&health.phone_number_id),
            waba_id,
            field: field.column(),
            old_value: old.as_deref(),
            new_value: new.as_deref(),
            source,
            detail,
        };
        record_change(tx, &change, now).await?;
        changed += 1;
    }
    if changed > 0 {
        let event = DomainEvent::NumberUpdated {
            waba_id: waba_id.unwrap_or_default().to_owned(),
            phone_number_id: Some(health.phone_number_id.clone()),
        };
        super::events::push(tx, &event, now).await?;
    }
    Ok(changed)
}

#[async_trait]
impl NumberStore for Engine {
    async fn register(&self, number: &BusinessNumber, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        upsert(&mut tx, number, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list(&self) -> StoreResult<Vec<BusinessNumber>> {
        Ok(self
            .health()
            .await?
            .into_iter()
            .map(|number| BusinessNumber {
                phone_number_id: number.health.phone_number_id,
                waba_id: number.waba_id,
                display_phone_number: number.health.display_phone_number,
                verified_name: number.health.verified_name,
                messaging_limit_tier: number.health.messaging_limit_tier,
            })
            .collect())
    }

    async fn refreshed(
        &self,
        waba_id: &str,
        health: &NumberHealth,
        now: Millis,
    ) -> StoreResult<usize> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let known = BusinessNumber {
            phone_number_id: health.phone_number_id.clone(),
            waba_id: Some(waba_id.to_owned()),
            display_phone_number: None,
            verified_name: None,
            messaging_limit_tier: None,
        };
        upsert(&mut tx, &known, now).await?;
        let changed = apply_health(
            &mut tx,
            Some(waba_id),
            health,
            ChangeSource::Graph,
            None,
            now,
        )
        .await?;
        sqlx::query("UPDATE business_numbers SET refreshed_at = $1 WHERE phone_number_id = $2")
            .bind(now.0)
            .bind(&health.phone_number_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if changed > 0 {
            self.announce();
        }
        Ok(changed)
    }

    async fn health(&self) -> StoreResult<Vec<StoredNumber>> {
        let rows: Vec<HealthRow> = sqlx::query_as(&format!(
            "SELECT {HEALTH_COLUMNS} FROM business_numbers ORDER BY phone_number_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(stored).collect())
    }

    async fn history(
        &self,
        phone_number_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<NumberChangeRecord>> {
        type Row = (
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT phone_number_id, field, old_value, new_value, source, detail, changed_at
             FROM number_changes
             WHERE phone_number_id = $1
                OR (phone_number_id IS NULL AND waba_id IN
                    (SELECT waba_id FROM business_numbers WHERE phone_number_id = $1))
             ORDER BY id DESC LIMIT $2",
        )
        .bind(phone_number_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(number, field, old_value, new_value, source, detail, at)| {
                    Ok(NumberChangeRecord {
                        phone_number_id: number,
                        field,
                        old_value,
                        new_value,
                        source: source
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("number change: {e}")))?,
                        detail,
                        at: Millis(at),
                    })
                },
            )
            .collect()
    }

    async fn standings(&self) -> StoreResult<Vec<AccountStanding>> {
        let rows: Vec<(String, String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT waba_id, restrictions, violation, ban_state, updated_at
             FROM account_standing ORDER BY waba_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(waba_id, restrictions, violation, ban_state, updated_at)| AccountStanding {
                    waba_id,
                    restrictions: serde_json::from_str(&restrictions).unwrap_or_default(),
                    violation,
                    ban_state,
                    updated_at: Some(UnixTime(updated_at / 1000)),
                },
            )
            .collect())
    }

    async fn latest_webhook_change(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) FROM number_changes WHERE source = 'webhook'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn webhook_traffic(&self) -> StoreResult<WebhookTraffic> {
        let last_webhook_at: Option<i64> =
            sqlx::query_scalar("SELECT received_at FROM webhook_events ORDER BY id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        // Recent sends only (the last few thousand messages): enough to tell whether sends
        // are being made now, and cheap however long the history.
        let oldest_send_since: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(created_at) FROM messages
             WHERE id > (SELECT COALESCE(MAX(id), 0) - 5000 FROM messages)
               AND direction = 'outbound' AND wamid IS NOT NULL AND created_at > $1",
        )
        .bind(last_webhook_at.unwrap_or(0))
        .fetch_one(&self.pool)
        .await?;
        Ok(WebhookTraffic {
            last_webhook_at: last_webhook_at.map(Millis),
            oldest_send_since: oldest_send_since.map(Millis),
        })
    }
}

/// Records a number inside the caller's transaction (known facts win over absent ones). The
/// display number is kept once known: webhooks write it in digits only, Meta's number
/// fields (applied by a refresh) in its international form.
pub(super) async fn upsert(
    tx: &mut Tx<'_>,
    number: &BusinessNumber,
    now: Millis,
) -> StoreResult<()> {
    // Nearly every webhook names a number already stored as it says: read first, since the
    // upsert would lock the row until commit, and processing on every node would queue on it.
    type Stored = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let stored: Option<Stored> = sqlx::query_as(
        "SELECT waba_id, display_phone_number, verified_name, messaging_limit_tier
         FROM business_numbers WHERE phone_number_id = $1",
    )
    .bind(&number.phone_number_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((waba_id, display, verified_name, tier)) = stored {
        let news = |given: &Option<String>, kept: &Option<String>| given.is_some() && given != kept;
        let unchanged = !news(&number.waba_id, &waba_id)
            && (display.is_some() || number.display_phone_number.is_none())
            && !news(&number.verified_name, &verified_name)
            && !news(&number.messaging_limit_tier, &tier);
        if unchanged {
            return Ok(());
        }
    }
    sqlx::query(
        "INSERT INTO business_numbers (phone_number_id, waba_id, display_phone_number, verified_name,
           messaging_limit_tier, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (phone_number_id) DO UPDATE SET
           waba_id = COALESCE(excluded.waba_id, business_numbers.waba_id),
           display_phone_number = COALESCE(business_numbers.display_phone_number,
                                           excluded.display_phone_number),
           verified_name = COALESCE(excluded.verified_name, business_numbers.verified_name),
           messaging_limit_tier = COALESCE(excluded.messaging_limit_tier,
                                           business_numbers.messaging_limit_tier)",
    )
    .bind(&number.phone_number_id)
    .bind(&number.waba_id)
    .bind(&number.display_phone_number)
    .bind(&number.verified_name)
    .bind(&number.messaging_limit_tier)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
