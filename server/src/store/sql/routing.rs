//! Teams, availability and routing.

use super::{BEGIN_READ_THEN_WRITE, Db, Engine, FOR_UPDATE, NAME_ORDER, Tx};
use crate::domain::routing::{Candidate, route_waiting};
use crate::domain::{DomainEvent, Millis};
use crate::store::routing::{parse_assignment, parse_availability};
use crate::store::sql_support::{conflict_on_unique, push_id_list};
use crate::store::{RoutingStore, StoreError, StoreResult, Team, TeamUpdate};
use async_trait::async_trait;
use parley_app::business_hours::BusinessHours;
use parley_app::model::UserId;
use parley_app::team::{AutoAssignment, Availability};

/// Conversations a team hands out in one go (the rest in the next).
const ROUTE_BATCH: i64 = 500;

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    name: String,
    assignment: String,
    capacity: Option<i64>,
    waiting: i64,
}

fn fk_to_not_found(error: sqlx::Error, what: &'static str) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound(what),
        other => other.into(),
    }
}

async fn read_teams(tx: &mut Tx<'_>, only: Option<i64>) -> StoreResult<Vec<Team>> {
    let rows: Vec<TeamRow> = sqlx::query_as(&format!(
        "SELECT t.id, t.name, t.assignment, t.capacity,
           (SELECT COUNT(*) FROM conversations c
            WHERE c.team_id = t.id AND c.assignee_id IS NULL AND c.status = 'open') AS waiting
         FROM teams t WHERE ($1 IS NULL OR t.id = $1) ORDER BY {NAME_ORDER}, t.id"
    ))
    .bind(only)
    .fetch_all(&mut **tx)
    .await?;
    let members: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT team_id, user_id FROM team_members WHERE ($1 IS NULL OR team_id = $1)
         ORDER BY user_id",
    )
    .bind(only)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Team {
                members: members
                    .iter()
                    .filter(|(team, _)| *team == row.id)
                    .map(|(_, user)| UserId(*user))
                    .collect(),
                assignment: parse_assignment(&row.assignment)?,
                capacity: row.capacity.map(|c| c.clamp(1, u32::MAX as i64) as u32),
                waiting: row.waiting.clamp(0, u32::MAX as i64) as u32,
                id: row.id,
                name: row.name,
            })
        })
        .collect()
}

/// Applies `update` to team `id` inside the caller's transaction.
async fn apply_update(tx: &mut Tx<'_>, id: i64, update: &TeamUpdate) -> StoreResult<()> {
    let capacity = update.capacity.map(|c| c.map(i64::from));
    let changed = sqlx::query(
        "UPDATE teams SET
           name = COALESCE($1, name), name_key = COALESCE($2, name_key),
           assignment = COALESCE($3, assignment),
           capacity = CASE WHEN $4 THEN $5 ELSE capacity END
         WHERE id = $6",
    )
    .bind(update.name.as_deref())
    .bind(update.name.as_deref().map(str::to_lowercase))
    .bind(update.assignment.map(AutoAssignment::as_str))
    .bind(capacity.is_some())
    .bind(capacity.flatten())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(|e| conflict_on_unique(e, "a team with this name"))?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound("team"));
    }
    if let Some(members) = &update.members {
        let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
        let mut gone = sqlx::QueryBuilder::<Db>::new("DELETE FROM team_members WHERE team_id = ");
        gone.push_bind(id);
        if !ids.is_empty() {
            gone.push(" AND user_id NOT IN ");
            push_id_list(&mut gone, &ids);
        }
        gone.build().execute(&mut **tx).await?;
        for user in ids {
            sqlx::query(
                "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)
                 ON CONFLICT (team_id, user_id) DO NOTHING",
            )
            .bind(id)
            .bind(user)
            .execute(&mut **tx)
            .await
            .map_err(|e| fk_to_not_found(e, "member"))?;
        }
    }
    Ok(())
}

#[async_trait]
impl RoutingStore for Engine {
    async fn business_hours(&self) -> StoreResult<Option<BusinessHours>> {
        super::business_hours::workspace_hours(&self.pool).await
    }

    async fn set_business_hours(&self, hours: &BusinessHours, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        super::business_hours::set_workspace_hours(&self.pool, hours, now).await
    }

    async fn team_hours(&self) -> StoreResult<Vec<(i64, BusinessHours)>> {
        super::business_hours::team_hours(&self.pool).await
    }

    async fn set_team_hours(
        &self,
        team: i64,
        hours: Option<&BusinessHours>,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        super::business_hours::set_team_hours(&self.pool, team, hours, now).await
    }

    async fn teams(&self) -> StoreResult<Vec<Team>> {
        let mut tx = self.pool.begin().await?;
        let teams = read_teams(&mut tx, None).await?;
        tx.commit().await?;
        Ok(teams)
    }

    async fn create_team(&self, name: &str, update: &TeamUpdate, now: Millis) -> StoreResult<Team> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO teams (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a team with this name"))?;
        apply_update(&mut tx, id, update).await?;
        super::events::push(&mut tx, &DomainEvent::TeamChanged { team_id: id }, now).await?;
        let team = read_teams(&mut tx, Some(id)).await?.remove(0);
        tx.commit().await?;
        self.announce();
        Ok(team)
    }

    async fn update_team(&self, id: i64, update: &TeamUpdate, now: Millis) -> StoreResult<Team> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        apply_update(&mut tx, id, update).await?;
        super::events::push(&mut tx, &DomainEvent::TeamChanged { team_id: id }, now).await?;
        let team = read_teams(&mut tx, Some(id)).await?.remove(0);
        tx.commit().await?;
        self.announce();
        Ok(team)
    }

    async fn delete_team(&self, id: i64, now: Millis) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for leave in [
            "UPDATE conversations SET team_id = NULL WHERE team_id = $1",
            "UPDATE business_numbers SET default_team_id = NULL WHERE default_team_id = $1",
            "DELETE FROM team_members WHERE team_id = $1",
            "DELETE FROM business_hours WHERE team_id = $1",
        ] {
            sqlx::query(leave).bind(id).execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound("team"));
        }
        super::events::push(&mut tx, &DomainEvent::TeamChanged { team_id: id }, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn set_default_team(
        &self,
        phone_number_id: &str,
        team: Option<i64>,
        _now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query(
            "UPDATE business_numbers SET default_team_id = $1 WHERE phone_number_id = $2",
        )
        .bind(team)
        .bind(phone_number_id)
        .execute(&self.pool)
        .await
        .map_err(|e| fk_to_not_found(e, "team"))?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("business number"));
        }
        Ok(())
    }

    async fn default_teams(&self) -> StoreResult<Vec<(String, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT phone_number_id, default_team_id FROM business_numbers ORDER BY phone_number_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn availability(&self, user: UserId) -> StoreResult<Availability> {
        let raw: Option<String> =
            sqlx::query_scalar("SELECT availability FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        parse_availability(&raw.ok_or(StoreError::NotFound("member"))?)
    }

    async fn set_availability(
        &self,
        user: UserId,
        availability: Availability,
        now: Millis,
    ) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let before: Option<String> = sqlx::query_scalar(&format!(
            "SELECT availability FROM users WHERE id = $1 {FOR_UPDATE}"
        ))
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
        let before = parse_availability(&before.ok_or(StoreError::NotFound("member"))?)?;
        sqlx::query("UPDATE users SET availability = $1, last_stream_at = $2 WHERE id = $3")
            .bind(availability.as_str())
            .bind(now.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if before != availability {
            let changed = DomainEvent::AvailabilityChanged {
                user_id: user,
                availability,
            };
            super::events::push(&mut tx, &changed, now).await?;
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn streams_seen(&self, users: &[UserId], now: Millis) -> StoreResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        let mut seen = sqlx::QueryBuilder::<Db>::new("UPDATE users SET last_stream_at = ");
        seen.push_bind(now.0).push(" WHERE id IN ");
        push_id_list(&mut seen, &ids);
        seen.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn go_offline_when_quiet(
        &self,
        quiet_since: Millis,
        now: Millis,
    ) -> StoreResult<Vec<UserId>> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let gone: Vec<i64> = sqlx::query_scalar(
            "UPDATE users SET availability = 'offline'
             WHERE availability <> 'offline' AND (last_stream_at IS NULL OR last_stream_at < $1)
             RETURNING id",
        )
        .bind(quiet_since.0)
        .fetch_all(&mut *tx)
        .await?;
        for user in &gone {
            let changed = DomainEvent::AvailabilityChanged {
                user_id: UserId(*user),
                availability: Availability::Offline,
            };
            super::events::push(&mut tx, &changed, now).await?;
        }
        tx.commit().await?;
        if !gone.is_empty() {
            self.announce();
        }
        Ok(gone.into_iter().map(UserId).collect())
    }

    async fn teams_with_waiting(&self) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT c.team_id FROM conversations c JOIN teams t ON t.id = c.team_id
             WHERE c.assignee_id IS NULL AND c.status = 'open' AND t.assignment <> 'none'
             ORDER BY c.team_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn teams_of(&self, user: UserId) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn route(&self, team: i64, now: Millis) -> StoreResult<Vec<(i64, UserId)>> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let policy: Option<(String, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT assignment, capacity FROM teams WHERE id = $1 {FOR_UPDATE}"
        ))
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((assignment, capacity)) = policy else {
            return Err(StoreError::NotFound("team"));
        };
        let assignment = parse_assignment(&assignment)?;
        if assignment == AutoAssignment::None {
            return Ok(Vec::new());
        }
        let waiting: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM conversations
             WHERE team_id = $1 AND assignee_id IS NULL AND status = 'open'
             ORDER BY last_message_at, id LIMIT $2",
        )
        .bind(team)
        .bind(ROUTE_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if waiting.is_empty() {
            return Ok(Vec::new());
        }
        // The members' rows are held too (in id order, as every routing takes them): a member
        // in two teams is counted once however many teams route at the same moment.
        let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT u.id, u.availability, tm.last_assigned_at
             FROM team_members tm JOIN users u ON u.id = tm.user_id
             WHERE tm.team_id = $1 AND u.disabled_at IS NULL ORDER BY u.id {FOR_UPDATE}"
        ))
        .bind(team)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|(id, ..)| *id).collect();
        let mut count = sqlx::QueryBuilder::<Db>::new(
            "SELECT assignee_id, COUNT(*) FROM conversations
             WHERE status IN ('open', 'pending') AND assignee_id IN ",
        );
        push_id_list(&mut count, &ids);
        count.push(" GROUP BY assignee_id");
        let open: Vec<(i64, i64)> = count.build_query_as().fetch_all(&mut *tx).await?;
        let mut candidates = rows
            .into_iter()
            .map(|(id, availability, last)| {
                Ok(Candidate {
                    user: UserId(id),
                    availability: parse_availability(&availability)?,
                    open: open
                        .iter()
                        .find(|(user, _)| *user == id)
                        .map_or(0, |(_, n)| (*n).clamp(0, u32::MAX as i64) as u32),
                    last_assigned_at: last.map(Millis),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let capacity = capacity.map(|c| c.clamp(1, u32::MAX as i64) as u32);
        let planned = route_waiting(assignment, capacity, &mut candidates, &waiting, now);
        let mut made = Vec::new();
        for (turn, (conversation, user)) in planned.into_iter().enumerate() {
            let given = sqlx::query(
                "UPDATE conversations SET assignee_id = $1 WHERE id = $2 AND assignee_id IS NULL",
            )
            .bind(user.0)
            .bind(conversation)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if given == 0 {
                continue;
            }
            sqlx::query(
                "UPDATE team_members SET last_assigned_at = $1 WHERE team_id = $2 AND user_id = $3",
            )
            .bind(now.0 + turn as i64)
            .bind(team)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            let assigned = DomainEvent::Assigned {
                conversation_id: conversation,
                assignee: Some(user),
                by: None,
            };
            super::events::push(&mut tx, &assigned, now).await?;
            made.push((conversation, user));
        }
        tx.commit().await?;
        if !made.is_empty() {
            self.announce();
        }
        Ok(made)
    }

    async fn requeue_if_assignee_away(&self, conversation: i64, now: Millis) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let away: Option<i64> = sqlx::query_scalar(
            "SELECT c.assignee_id FROM conversations c JOIN users u ON u.id = c.assignee_id
             WHERE c.id = $1 AND c.status = 'open' AND u.availability <> 'online'",
        )
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(assignee) = away else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE conversations SET assignee_id = NULL WHERE id = $1 AND assignee_id = $2",
        )
        .bind(conversation)
        .bind(assignee)
        .execute(&mut *tx)
        .await?;
        let back = DomainEvent::Assigned {
            conversation_id: conversation,
            assignee: None,
            by: None,
        };
        super::events::push(&mut tx, &back, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(true)
    }
}
