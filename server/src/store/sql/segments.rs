//! Segments: contact filters saved under a name.

use super::Engine;
use crate::domain::{DomainEvent, Millis};
use crate::store::{Segment, StoreError, StoreResult};
use parley_app::contacts::SegmentFilter;
use parley_app::model::UserId;

const SEGMENT_COLUMNS: &str = "id, name, filter, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct SegmentRow {
    id: i64,
    name: String,
    filter: String,
    created_at: i64,
    updated_at: i64,
}

impl SegmentRow {
    fn into_segment(self) -> StoreResult<Segment> {
        Ok(Segment {
            id: self.id,
            name: self.name,
            filter: serde_json::from_str(&self.filter)
                .map_err(|e| StoreError::Corrupt(format!("segment {}: {e}", self.id)))?,
            created_at: Millis(self.created_at),
            updated_at: Millis(self.updated_at),
        })
    }
}

fn filter_json(filter: &SegmentFilter) -> String {
    serde_json::to_string(filter).expect("a filter serialises")
}

impl Engine {
    pub(super) async fn list_segments(&self) -> StoreResult<Vec<Segment>> {
        let rows: Vec<SegmentRow> = sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segments ORDER BY lower(name), id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(SegmentRow::into_segment).collect()
    }

    pub(super) async fn find_segment(&self, id: i64) -> StoreResult<Option<Segment>> {
        let row: Option<SegmentRow> = sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(SegmentRow::into_segment).transpose()
    }

    pub(super) async fn insert_segment(
        &self,
        name: &str,
        filter: &SegmentFilter,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Segment> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: SegmentRow = sqlx::query_as(&format!(
            "INSERT INTO segments (name, filter, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING {SEGMENT_COLUMNS}"
        ))
        .bind(name)
        .bind(filter_json(filter))
        .bind(by.map(|u| u.0))
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?;
        let changed = DomainEvent::SegmentChanged { segment_id: row.id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_segment()
    }

    pub(super) async fn change_segment(
        &self,
        id: i64,
        name: Option<&str>,
        filter: Option<&SegmentFilter>,
        now: Millis,
    ) -> StoreResult<Segment> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row: Option<SegmentRow> = sqlx::query_as(&format!(
            "UPDATE segments SET name = COALESCE($1, name), filter = COALESCE($2, filter),
               updated_at = $3
             WHERE id = $4 RETURNING {SEGMENT_COLUMNS}"
        ))
        .bind(name)
        .bind(filter.map(filter_json))
        .bind(now.0)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or(StoreError::NotFound("segment"))?;
        let changed = DomainEvent::SegmentChanged { segment_id: id };
        super::events::push(&mut tx, &changed, now).await?;
        tx.commit().await?;
        self.announce();
        row.into_segment()
    }

    pub(super) async fn remove_segment(&self, id: i64) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let deleted = sqlx::query("DELETE FROM segments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("segment"));
        }
        Ok(())
    }
}
