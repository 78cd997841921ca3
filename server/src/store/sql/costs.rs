//! The cost ledger and the rate card.

use super::{Db, Engine, Tx};
use crate::domain::Millis;
use crate::domain::cost::{Charge, ChargeCount};
use crate::domain::rate_card::{Rate, RateCard};
use crate::store::{CostStore, StoreResult};
use async_trait::async_trait;
use parley_app::costs::SpendGrouping;

/// Rows written per statement (at most seven bound values each).
const ROWS_PER_INSERT: usize = 200;

/// Records a chunk's charges: the first status that priced a message counts, repeats of it
/// (Meta prices `sent`, `delivered` and `read` alike) change nothing.
pub(super) async fn record_charges(tx: &mut Tx<'_>, charges: &[Charge]) -> StoreResult<()> {
    for group in charges.chunks(ROWS_PER_INSERT) {
        let mut insert = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO message_charges (wamid, phone_number_id, country, category, pricing_type,
               billable, occurred_at) ",
        );
        insert.push_values(group, |mut row, charge| {
            row.push_bind(charge.wamid.clone())
                .push_bind(charge.phone_number_id.clone())
                .push_bind(charge.country.clone())
                .push_bind(charge.category.clone())
                .push_bind(charge.pricing_type.clone())
                .push_bind(charge.billable)
                .push_bind(charge.occurred_at.0);
        });
        insert.push(" ON CONFLICT (wamid) DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// What a grouping counts by: its key, the key's label, and the joins they need (only the
/// campaign and member groupings read the message, by wamid, to learn who sent it).
struct Grouping {
    key: &'static str,
    label: &'static str,
    joins: &'static str,
}

fn grouping_of(grouping: SpendGrouping) -> Grouping {
    let plain = |key| Grouping {
        key,
        label: "NULL",
        joins: "",
    };
    match grouping {
        SpendGrouping::Category => plain("c.category"),
        SpendGrouping::Number => plain("c.phone_number_id"),
        SpendGrouping::Country => plain("c.country"),
        // The day is a column of its own; the report names it.
        SpendGrouping::Day => plain("CAST(NULL AS TEXT)"),
        SpendGrouping::Campaign => Grouping {
            key: "CAST(m.campaign_id AS TEXT)",
            label: "MAX(k.name)",
            joins: "LEFT JOIN messages m ON m.wamid = c.wamid
                    LEFT JOIN campaigns k ON k.id = m.campaign_id",
        },
        SpendGrouping::Agent => Grouping {
            key: "CAST(m.author_id AS TEXT)",
            label: "MAX(u.name)",
            joins: "LEFT JOIN messages m ON m.wamid = c.wamid
                    LEFT JOIN users u ON u.id = m.author_id",
        },
    }
}

type CountRow = (
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    bool,
    i64,
);

#[async_trait]
impl CostStore for Engine {
    async fn rate_card(&self) -> StoreResult<RateCard> {
        let rows: Vec<(String, String, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT country, category, effective_from, volume_from, currency, rate_micros
             FROM rate_card ORDER BY country, category, effective_from, volume_from",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(RateCard {
            currency: rows.first().map(|row| row.4.clone()),
            rates: rows
                .into_iter()
                .map(|(country, category, from, volume_from, _, micros)| Rate {
                    country,
                    category,
                    effective_from: Millis(from),
                    volume_from,
                    micros,
                })
                .collect(),
        })
    }

    async fn replace_rate_card(&self, card: &RateCard) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM rate_card")
            .execute(&mut *tx)
            .await?;
        let currency = card.currency.clone().unwrap_or_default();
        for group in card.rates.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO rate_card (country, category, effective_from, volume_from, currency,
                   rate_micros) ",
            );
            insert.push_values(group, |mut row, rate| {
                row.push_bind(rate.country.clone())
                    .push_bind(rate.category.clone())
                    .push_bind(rate.effective_from.0)
                    .push_bind(rate.volume_from)
                    .push_bind(currency.clone())
                    .push_bind(rate.micros);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count_charges(
        &self,
        grouping: SpendGrouping,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<ChargeCount>> {
        let Grouping { key, label, joins } = grouping_of(grouping);
        let rows: Vec<CountRow> = sqlx::query_as(&format!(
            "SELECT {key} AS spend_key, {label} AS spend_label, c.country, c.category,
                    c.occurred_at / 86400000 AS spend_day, c.billable, COUNT(*) AS messages
             FROM message_charges c {joins}
             WHERE c.occurred_at >= $1 AND c.occurred_at < $2
             GROUP BY {key}, c.country, c.category, c.occurred_at / 86400000, c.billable"
        ))
        .bind(from.0)
        .bind(to.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(key, label, country, category, day, billable, messages)| ChargeCount {
                    key,
                    label,
                    country,
                    category,
                    day,
                    billable,
                    messages,
                },
            )
            .collect())
    }
}
