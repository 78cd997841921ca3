//! Business numbers.

use super::{Engine, Tx};
use crate::domain::Millis;
use crate::store::{BusinessNumber, NumberStore, StoreResult};
use async_trait::async_trait;

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
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT phone_number_id, waba_id, display_phone_number, verified_name,
               messaging_limit_tier
             FROM business_numbers ORDER BY phone_number_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(phone_number_id, waba_id, display_phone_number, verified_name, tier)| {
                    BusinessNumber {
                        phone_number_id,
                        waba_id,
                        display_phone_number,
                        verified_name,
                        messaging_limit_tier: tier,
                    }
                },
            )
            .collect())
    }
}

/// Records a number inside the caller's transaction (known facts win over absent ones).
pub(super) async fn upsert(
    tx: &mut Tx<'_>,
    number: &BusinessNumber,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO business_numbers (phone_number_id, waba_id, display_phone_number, verified_name,
           messaging_limit_tier, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (phone_number_id) DO UPDATE SET
           waba_id = COALESCE(excluded.waba_id, business_numbers.waba_id),
           display_phone_number = COALESCE(excluded.display_phone_number,
                                           business_numbers.display_phone_number),
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
