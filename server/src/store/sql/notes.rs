//! Internal notes and their mentions.

use super::notifications::{NewNotification, notify};
use super::{Db, Engine};
use crate::domain::{DomainEvent, Millis};
use crate::store::notes::{NOTE_SELECT, NoteRow, member};
use crate::store::sql_support::push_id_list;
use crate::store::{NewNote, Note, NoteStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::collaboration::NotificationKind;
use parley_app::model::MemberRef;
use std::collections::HashMap;

impl Engine {
    /// The notes of these rows, with who each mentions (one query for all).
    async fn with_mentions(&self, rows: Vec<NoteRow>) -> StoreResult<Vec<Note>> {
        let mut mentions: HashMap<i64, Vec<MemberRef>> = HashMap::new();
        if !rows.is_empty() {
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let mut sql = sqlx::QueryBuilder::<Db>::new(
                "SELECT m.note_id, u.id, u.name FROM note_mentions m JOIN users u ON u.id = m.user_id
                 WHERE m.note_id IN ",
            );
            push_id_list(&mut sql, &ids);
            sql.push(" ORDER BY u.id");
            let found: Vec<(i64, i64, String)> = sql.build_query_as().fetch_all(&self.pool).await?;
            for (note, user, name) in found {
                mentions.entry(note).or_default().push(member(user, &name)?);
            }
        }
        rows.into_iter()
            .map(|row| {
                let mentioned = mentions.remove(&row.id).unwrap_or_default();
                row.into_note(mentioned)
            })
            .collect()
    }
}

#[async_trait]
impl NoteStore for Engine {
    async fn add(&self, note: &NewNote, now: Millis) -> StoreResult<Note> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = $1")
            .bind(note.conversation_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("conversation"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notes (conversation_id, author_id, body, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(note.conversation_id)
        .bind(note.author.0)
        .bind(&note.body)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?;
        let added = DomainEvent::NoteAdded {
            conversation_id: note.conversation_id,
            note_id: id,
            author: note.author,
        };
        super::events::push(&mut tx, &added, now).await?;
        let mut mentioned = note.mentions.clone();
        mentioned.sort_unstable();
        mentioned.dedup();
        for user in mentioned {
            sqlx::query("INSERT INTO note_mentions (note_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            if user != note.author {
                let mention = NewNotification {
                    user,
                    kind: NotificationKind::Mention,
                    conversation_id: note.conversation_id,
                    note_id: Some(id),
                    actor: Some(note.author),
                    detail: None,
                };
                notify(&mut tx, &mention, now).await?;
            }
        }
        tx.commit().await?;
        self.announce();
        self.by_ids(&[id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound("note"))
    }

    async fn for_conversation(&self, conversation_id: i64, limit: i64) -> StoreResult<Vec<Note>> {
        let mut rows: Vec<NoteRow> = sqlx::query_as(&format!(
            "{NOTE_SELECT} WHERE n.conversation_id = $1 ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        self.with_mentions(rows).await
    }

    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Note>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = sqlx::QueryBuilder::<Db>::new(NOTE_SELECT);
        sql.push(" WHERE n.id IN ");
        push_id_list(&mut sql, ids);
        sql.push(" ORDER BY n.id");
        let rows: Vec<NoteRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        self.with_mentions(rows).await
    }
}
