//! The workspace's business hours, kept as the API takes them (checked before saving).

use super::Db;
use crate::domain::Millis;
use crate::store::{StoreError, StoreResult};
use parley_app::business_hours::BusinessHours;

/// The whole workspace's row (teams' ids start at 1).
const WORKSPACE: i64 = 0;

pub(super) async fn workspace_hours(pool: &sqlx::Pool<Db>) -> StoreResult<Option<BusinessHours>> {
    let settings: Option<String> =
        sqlx::query_scalar("SELECT settings FROM business_hours WHERE team_id = $1")
            .bind(WORKSPACE)
            .fetch_optional(pool)
            .await?;
    settings
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|error| StoreError::Corrupt(format!("business hours: {error}")))
        })
        .transpose()
}

pub(super) async fn set_workspace_hours(
    pool: &sqlx::Pool<Db>,
    hours: &BusinessHours,
    now: Millis,
) -> StoreResult<()> {
    let settings = serde_json::to_string(hours).expect("business hours serialise");
    sqlx::query(
        "INSERT INTO business_hours (team_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (team_id) DO UPDATE SET settings = excluded.settings,
           updated_at = excluded.updated_at",
    )
    .bind(WORKSPACE)
    .bind(settings)
    .bind(now.0)
    .execute(pool)
    .await?;
    Ok(())
}
