//! Business hours, kept as the API takes them (checked before saving): the workspace's row,
//! and a row per team that keeps its own.

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

/// Teams' own hours, by team.
pub(super) async fn team_hours(pool: &sqlx::Pool<Db>) -> StoreResult<Vec<(i64, BusinessHours)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT team_id, settings FROM business_hours WHERE team_id <> $1 ORDER BY team_id",
    )
    .bind(WORKSPACE)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(team, json)| {
            let hours = serde_json::from_str(&json).map_err(|error| {
                StoreError::Corrupt(format!("team {team}'s business hours: {error}"))
            })?;
            Ok((team, hours))
        })
        .collect()
}

/// Gives the team its own hours, or (`None`) the workspace's again.
pub(super) async fn set_team_hours(
    pool: &sqlx::Pool<Db>,
    team: i64,
    hours: Option<&BusinessHours>,
    now: Millis,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("team"));
    }
    match hours {
        Some(hours) => {
            sqlx::query(
                "INSERT INTO business_hours (team_id, settings, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (team_id) DO UPDATE SET settings = excluded.settings,
                   updated_at = excluded.updated_at",
            )
            .bind(team)
            .bind(serde_json::to_string(hours).expect("business hours serialise"))
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM business_hours WHERE team_id = $1")
                .bind(team)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
