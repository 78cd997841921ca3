//! Conversations: the list, routes, member actions, and where intake's messages land.

use super::conversation_labels::{labelled, rare_label, set_labels};
use super::notifications::{NewNotification, notify};
use super::{BEGIN_READ_THEN_WRITE, Db, Engine, ID_AMONG, ILIKE, Tx};
use crate::domain::conversation::{
    Conversation, ConversationChange, Landing, StatusChange, landing,
};
use crate::domain::{DomainEvent, Millis};
use crate::store::conversations::{CONVERSATION_SELECT, ConversationRow, parse_status};
use crate::store::sql_support::{conflict_on_unique, escape_like, push_id_list};
use crate::store::{
    Assignment, ConversationOrder, ConversationQuery, ConversationRoute, ConversationStore,
    KeysetCursor, Page, ReadReceipt, StoreError, StoreResult, TeamFilter,
};
use async_trait::async_trait;
use parley_app::collaboration::NotificationKind;
use parley_app::model::{ConversationStatus, UserId};

#[async_trait]
impl ConversationStore for Engine {
    async fn list(&self, query: &ConversationQuery) -> StoreResult<Page<Conversation>> {
        let mut sql = sqlx::QueryBuilder::<Db>::new(CONVERSATION_SELECT);
        sql.push(" WHERE 1 = 1");
        match query.assignment {
            Assignment::All => {}
            Assignment::To(user) => {
                sql.push(" AND c.assignee_id = ").push_bind(user.0);
            }
            Assignment::Unassigned => {
                sql.push(" AND c.assignee_id IS NULL");
            }
        }
        match query.team {
            TeamFilter::Any => {}
            TeamFilter::Is(team) => {
                sql.push(" AND c.team_id = ").push_bind(team);
            }
            TeamFilter::MemberOf(user) => {
                sql.push(
                    " AND c.team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = ",
                )
                .push_bind(user.0)
                .push(")");
            }
        }
        if let Some(status) = query.status {
            sql.push(" AND c.status = ").push_bind(status.as_str());
        }
        if let Some(priority) = query.priority {
            sql.push(" AND c.priority = ").push_bind(priority.rank());
        }
        // A rare label leads: its few conversations are read and sorted. Common ones are
        // checked row by row as the order's index is walked, which finds a page in a few
        // hundred rows, but would walk the whole table looking for a rare one.
        let leading = rare_label(&self.pool, &query.labels).await?;
        for label in &query.labels {
            if Some(*label) == leading {
                sql.push(" AND c.id")
                    .push(ID_AMONG.0)
                    .push("SELECT cl.conversation_id FROM conversation_labels cl WHERE cl.label_id = ")
                    .push_bind(*label)
                    .push(ID_AMONG.1);
            } else {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM conversation_labels cl
                       WHERE cl.conversation_id = c.id AND cl.label_id = ",
                )
                .push_bind(*label)
                .push(")");
            }
        }
        // `+ 0` keeps both engines from walking the order's index when a rare label leads.
        let by = if leading.is_some() { " + 0" } else { "" };
        if let Some(number) = &query.phone_number_id {
            sql.push(" AND c.phone_number_id = ")
                .push_bind(number.clone());
        }
        let search = query.search.as_deref().map(str::trim);
        if let Some(search) = search.filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(search));
            sql.push(format!(" AND (ct.name {ILIKE} "))
                .push_bind(pattern.clone())
                .push(format!(" ESCAPE '\\' OR ct.edited_name {ILIKE} "))
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'")
                .push(format!(" OR ct.username {ILIKE} "))
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR ct.wa_id LIKE ")
                .push_bind(pattern.clone())
                .push(format!(
                    " ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m
                       WHERE m.conversation_id = c.id AND m.body {ILIKE} "
                ))
                .push_bind(pattern)
                .push(" ESCAPE '\\'))");
        }
        match query.order {
            ConversationOrder::LatestActivity => {
                if let Some(cursor) = query.cursor {
                    sql.push(" AND (c.last_message_at < ")
                        .push_bind(cursor.sort_key)
                        .push(" OR (c.last_message_at = ")
                        .push_bind(cursor.sort_key)
                        .push(" AND c.id < ")
                        .push_bind(cursor.id)
                        .push("))");
                }
                sql.push(format!(" ORDER BY c.last_message_at{by} DESC, c.id DESC"));
            }
            ConversationOrder::WindowClosingSoonest => {
                sql.push(" AND c.window_expires_at > ")
                    .push_bind(query.now.0);
                if let Some(cursor) = query.cursor {
                    sql.push(" AND (c.window_expires_at > ")
                        .push_bind(cursor.sort_key)
                        .push(" OR (c.window_expires_at = ")
                        .push_bind(cursor.sort_key)
                        .push(" AND c.id > ")
                        .push_bind(cursor.id)
                        .push("))");
                }
                sql.push(format!(" ORDER BY c.window_expires_at{by} ASC, c.id ASC"));
            }
            ConversationOrder::HighestPriority => {
                if let Some(cursor) = query.cursor {
                    let (rank, at) = cursor.priority_parts();
                    sql.push(" AND (c.priority < ")
                        .push_bind(rank)
                        .push(" OR (c.priority = ")
                        .push_bind(rank)
                        .push(" AND (c.last_message_at < ")
                        .push_bind(at)
                        .push(" OR (c.last_message_at = ")
                        .push_bind(at)
                        .push(" AND c.id < ")
                        .push_bind(cursor.id)
                        .push("))))");
                }
                sql.push(format!(
                    " ORDER BY c.priority{by} DESC, c.last_message_at DESC, c.id DESC"
                ));
            }
        }
        // One row more than asked tells whether another page exists.
        sql.push(" LIMIT ").push_bind(query.limit + 1);
        let mut rows: Vec<ConversationRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > query.limit;
        rows.truncate(query.limit.max(0) as usize);
        let next = match rows.last() {
            Some(row) if more => Some(match query.order {
                ConversationOrder::LatestActivity => KeysetCursor {
                    sort_key: row.last_message_at,
                    id: row.id,
                },
                ConversationOrder::WindowClosingSoonest => KeysetCursor {
                    sort_key: row.window_expires_at.unwrap_or_default(),
                    id: row.id,
                },
                ConversationOrder::HighestPriority => {
                    KeysetCursor::for_priority(row.priority, row.last_message_at, row.id)
                }
            }),
            _ => None,
        };
        let items = labelled(&mut *self.pool.acquire().await?, rows).await?;
        Ok(Page { items, next })
    }

    async fn by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Conversation>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = sqlx::QueryBuilder::<Db>::new(CONVERSATION_SELECT);
        sql.push(" WHERE c.id IN ");
        push_id_list(&mut sql, ids);
        let rows: Vec<ConversationRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        labelled(&mut *self.pool.acquire().await?, rows).await
    }

    async fn route(&self, id: i64) -> StoreResult<Option<ConversationRoute>> {
        type Row = (
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT c.contact_id, c.phone_number_id, ct.wa_id, ct.bsuid, c.window_expires_at,
               b.waba_id
             FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
             LEFT JOIN business_numbers b ON b.phone_number_id = c.phone_number_id
             WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(
            |(contact_id, phone_number_id, wa_id, bsuid, window, waba_id)| {
                Some(ConversationRoute {
                    contact_id,
                    phone_number_id,
                    recipient: wa_id.or(bsuid)?,
                    window_expires_at: window.map(Millis),
                    waba_id,
                })
            },
        ))
    }

    async fn change(
        &self,
        id: i64,
        change: ConversationChange,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Conversation> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN_READ_THEN_WRITE).await?;
        change_in(&mut tx, id, &change, by, now).await?;
        let row: ConversationRow =
            sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE c.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let conversation = labelled(&mut tx, vec![row]).await?.remove(0);
        tx.commit().await?;
        self.announce();
        Ok(conversation)
    }

    async fn wake_snoozed(&self, now: Millis) -> StoreResult<usize> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let due: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "UPDATE conversations SET status = 'open', snoozed_until = NULL
             WHERE id IN (SELECT id FROM conversations
                          WHERE status = 'snoozed' AND snoozed_until <= $1 LIMIT 200)
             RETURNING id, assignee_id",
        )
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?;
        for (id, assignee) in &due {
            woke(&mut tx, *id, assignee.map(UserId), now).await?;
        }
        tx.commit().await?;
        if !due.is_empty() {
            self.announce();
        }
        Ok(due.len())
    }

    async fn mark_read(
        &self,
        id: i64,
        by: Option<UserId>,
        now: Millis,
    ) -> StoreResult<Option<ReadReceipt>> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE conversations SET unread_count = 0 WHERE id = $1 AND unread_count > 0",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let was_unread = updated.rows_affected() > 0;
        if was_unread {
            let read = DomainEvent::ConversationRead {
                conversation_id: id,
                by,
            };
            super::events::push(&mut tx, &read, now).await?;
        }
        let latest: Option<(String, String)> = sqlx::query_as(
            "SELECT c.phone_number_id, m.wamid FROM messages m
             JOIN conversations c ON c.id = m.conversation_id
             WHERE m.conversation_id = $1 AND m.direction = 'inbound' AND m.wamid IS NOT NULL
             ORDER BY m.sent_at DESC, m.id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if was_unread {
            self.announce();
        }
        Ok(latest.map(|(phone_number_id, wamid)| ReadReceipt {
            phone_number_id,
            wamid,
            was_unread,
        }))
    }
}

/// Applies `change` to the conversation inside the caller's transaction, with its events.
pub(super) async fn change_in(
    tx: &mut Tx<'_>,
    id: i64,
    change: &ConversationChange,
    by: Option<UserId>,
    now: Millis,
) -> StoreResult<()> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT status FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("conversation"));
    }
    if let Some(assignee) = change.assignee {
        sqlx::query("UPDATE conversations SET assignee_id = $1 WHERE id = $2")
            .bind(assignee.map(|a| a.0))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let assigned = DomainEvent::Assigned {
            conversation_id: id,
            assignee,
            by,
        };
        super::events::push(tx, &assigned, now).await?;
    }
    if let Some(team) = change.team {
        let moved = sqlx::query("UPDATE conversations SET team_id = $1 WHERE id = $2")
            .bind(team)
            .bind(id)
            .execute(&mut **tx)
            .await;
        moved.map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound("team")
            }
            other => other.into(),
        })?;
        let set = DomainEvent::TeamSet {
            conversation_id: id,
            team_id: team,
            by,
        };
        super::events::push(tx, &set, now).await?;
    }
    if let Some(status) = change.status {
        set_status(tx, id, status, by, now).await?;
    }
    if let Some(priority) = change.priority {
        sqlx::query("UPDATE conversations SET priority = $1 WHERE id = $2")
            .bind(priority.rank())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let changed = DomainEvent::PriorityChanged {
            conversation_id: id,
            priority,
            by,
        };
        super::events::push(tx, &changed, now).await?;
    }
    if let Some(labels) = &change.labels {
        set_labels(tx, id, labels, by, now).await?;
    }
    Ok(())
}

/// The conversation a customer's new message belongs to (see [`landing`]), reopened or
/// started as needed, with the event that says so.
pub(super) async fn conversation_for(
    tx: &mut Tx<'_>,
    contact_id: i64,
    phone_number_id: &str,
    at: i64,
    now: Millis,
) -> StoreResult<i64> {
    let latest: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM conversations WHERE contact_id = $1 AND phone_number_id = $2
         ORDER BY CASE WHEN status <> 'resolved' THEN 0 ELSE 1 END, last_message_at DESC, id DESC
         LIMIT 1",
    )
    .bind(contact_id)
    .bind(phone_number_id)
    .fetch_optional(&mut **tx)
    .await?;
    let latest = match latest {
        Some((id, status)) => Some((id, parse_status(&status)?)),
        None => None,
    };
    match landing(latest) {
        Landing::Open(id) => Ok(id),
        Landing::Wake { id, was } => {
            let assignee: Option<i64> = sqlx::query_scalar(
                "UPDATE conversations SET status = 'open', snoozed_until = NULL WHERE id = $1
                 RETURNING assignee_id",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            if was == ConversationStatus::Snoozed {
                woke(tx, id, assignee.map(UserId), now).await?;
            } else {
                let open = DomainEvent::StatusChanged {
                    conversation_id: id,
                    status: ConversationStatus::Open,
                    by: None,
                    snoozed_until: None,
                };
                super::events::push(tx, &open, now).await?;
            }
            Ok(id)
        }
        Landing::Reopen(id) => {
            sqlx::query("UPDATE conversations SET status = 'open' WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let reopened = DomainEvent::ConversationReopened {
                conversation_id: id,
            };
            super::events::push(tx, &reopened, now).await?;
            Ok(id)
        }
        Landing::New => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO conversations (contact_id, phone_number_id, status, last_message_at,
                   created_at, team_id)
                 VALUES ($1, $2, 'open', $3, $4,
                   (SELECT default_team_id FROM business_numbers WHERE phone_number_id = $2))
                 RETURNING id",
            )
            .bind(contact_id)
            .bind(phone_number_id)
            .bind(at)
            .bind(now.0)
            .fetch_one(&mut **tx)
            .await?;
            let opened = DomainEvent::ConversationOpened {
                conversation_id: id,
            };
            super::events::push(tx, &opened, now).await?;
            Ok(id)
        }
    }
}

/// What a newly stored message does to its conversation's row: the latest activity and its
/// preview (unless an older message arrived late), the window, the unread count.
pub(super) struct Activity<'a> {
    pub(super) at: i64,
    pub(super) preview: &'a str,
    /// The window this message opens, for a customer's message.
    pub(super) window: Option<Millis>,
    pub(super) unread: bool,
    /// Whether the customer now waits for a reply (their message) or has one (a member's).
    pub(super) waiting: Waiting,
}

/// What a message does to the customer's wait for a reply.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Waiting {
    /// The customer wrote: they wait, since this message unless they already did.
    Starts,
    /// A member (or the business phone) answered.
    Ends,
    /// Automated, campaign and Parley's own messages answer nobody.
    Unchanged,
}

pub(super) async fn record_activity(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    activity: Activity<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE conversations SET
           last_message_preview = CASE WHEN last_message_at > $1 THEN last_message_preview
                                       ELSE $2 END,
           last_message_at = CASE WHEN last_message_at > $1 THEN last_message_at ELSE $1 END,
           window_expires_at = CASE WHEN $3 IS NULL THEN window_expires_at
                                    WHEN window_expires_at IS NULL OR window_expires_at < $3 THEN $3
                                    ELSE window_expires_at END,
           unread_count = unread_count + $4,
           customer_waiting_since = CASE $6 WHEN 1 THEN COALESCE(customer_waiting_since, $1)
                                            WHEN 2 THEN NULL
                                            ELSE customer_waiting_since END,
           customer_wrote_at = CASE WHEN $6 <> 1 OR customer_wrote_at > $1 THEN customer_wrote_at
                                    ELSE $1 END
         WHERE id = $5",
    )
    .bind(activity.at)
    .bind(activity.preview)
    .bind(activity.window.map(|w| w.0))
    .bind(i64::from(activity.unread))
    .bind(conversation_id)
    .bind(match activity.waiting {
        Waiting::Starts => 1_i64,
        Waiting::Ends => 2,
        Waiting::Unchanged => 0,
    })
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a conversation to `status`, with its event. Leaving `snoozed` clears the time.
async fn set_status(
    tx: &mut Tx<'_>,
    id: i64,
    status: StatusChange,
    by: Option<UserId>,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query("UPDATE conversations SET status = $1, snoozed_until = $2 WHERE id = $3")
        .bind(status.status().as_str())
        .bind(status.snoozed_until().map(|t| t.0))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            conflict_on_unique(
                e,
                "an unresolved conversation with this customer on this number",
            )
        })?;
    let changed = DomainEvent::StatusChanged {
        conversation_id: id,
        status: status.status(),
        by,
        snoozed_until: status.snoozed_until(),
    };
    super::events::push(tx, &changed, now).await
}

/// A snoozed conversation is open again (its time came, or the customer wrote): the event,
/// and a notification for its assignee.
async fn woke(tx: &mut Tx<'_>, id: i64, assignee: Option<UserId>, now: Millis) -> StoreResult<()> {
    let open = DomainEvent::StatusChanged {
        conversation_id: id,
        status: ConversationStatus::Open,
        by: None,
        snoozed_until: None,
    };
    super::events::push(tx, &open, now).await?;
    if let Some(assignee) = assignee {
        let ended = NewNotification {
            user: assignee,
            kind: NotificationKind::SnoozeEnded,
            conversation_id: id,
            note_id: None,
            actor: None,
            detail: None,
        };
        notify(tx, &ended, now).await?;
    }
    Ok(())
}
