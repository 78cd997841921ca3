//! The store operations both engines run with the same SQL. SQLite and PostgreSQL agree on
//! `$n` parameters, `ON CONFLICT`, `RETURNING` and partial indexes, so the differences reduce
//! to a few [`Dialect`] fragments; the macro instantiates one implementation per engine.

/// SQL fragments where the engines differ.
pub(super) trait Dialect {
    /// Case-insensitive pattern match operator.
    const ILIKE: &'static str;
    /// Row locking for work claiming: lets several PostgreSQL nodes share a queue.
    const SKIP_LOCKED: &'static str;
    /// Case-insensitive ordering of names.
    const NAME_ORDER: &'static str;
    /// Run before writing a live event: makes event ids become visible in id order, so the
    /// event stream never skips an id that commits late (empty where writers are serial).
    const SERIALIZE_LIVE_EVENTS: &'static str;
    /// The row a live event's `INSERT` writes, from parameters `$1` to `$5`; where
    /// [`Self::SERIALIZE_LIVE_EVENTS`] is needed, it takes the same lock itself (one round
    /// trip instead of two).
    const LIVE_EVENT_ROW: &'static str;
    /// Whether this process is the only one working on the database.
    const SINGLE_NODE: bool;
    /// Opens a transaction that reads before it writes. SQLite must take the write lock up
    /// front: a read transaction cannot become a writer once another writer has committed.
    const BEGIN_READ_THEN_WRITE: &'static str;
}

/// Appends `(id, id, …)`, one bound parameter per id.
pub(super) fn push_id_list<'a, DB: sqlx::Database>(
    query: &mut sqlx::QueryBuilder<'a, DB>,
    ids: &[i64],
) where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query.push("(");
    let mut listed = query.separated(", ");
    for id in ids {
        listed.push_bind(*id);
    }
    listed.push_unseparated(")");
}

/// `INSERT`s webhook bodies into the journal, one row each.
pub(super) fn journal_insert<'a, DB: sqlx::Database>(
    bodies: &'a [&'a [u8]],
    received_at: super::Millis,
) -> sqlx::QueryBuilder<'a, DB>
where
    &'a [u8]: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert = sqlx::QueryBuilder::new("INSERT INTO webhook_events (body, received_at) ");
    insert.push_values(bodies, |mut row, body| {
        row.push_bind(*body).push_bind(received_at.0);
    });
    insert
}

/// SQL for when a key with `count` attempts counted (an SQL expression) is blocked until, `$2`
/// being now: NULL under the limit, else now plus the block for that count. The ladder is a
/// handful of constants from the policy, written into the statement.
pub(super) fn block_until_sql(count: &str, limit: &super::AttemptLimit) -> String {
    let max = i64::from(limit.max_attempts);
    let mut sql = format!("CASE WHEN ({count}) < {max} THEN NULL");
    let last = limit.blocks_ms.len().saturating_sub(1);
    for (step, block) in limit.blocks_ms.iter().enumerate() {
        if step == last {
            sql.push_str(&format!(" ELSE $2 + {block}"));
        } else {
            sql.push_str(&format!(
                " WHEN ({count}) = {} THEN $2 + {block}",
                max + step as i64
            ));
        }
    }
    if limit.blocks_ms.is_empty() {
        sql.push_str(" ELSE NULL");
    }
    sql.push_str(" END");
    sql
}

macro_rules! portable_store {
    ($engine:ident, $db:ty) => {
        #[async_trait]
        impl Store for $engine {
            async fn migrate(&self) -> StoreResult<()> {
                self.run_migrations().await
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn session_store(&self) -> crate::auth::session::DbSessionStore {
                self.sessions()
            }

            fn with_own_connections(&self, connections: u32) -> SharedStore {
                std::sync::Arc::new(self.own_connections(connections))
            }

            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                let _turn = self.write_turn().await;
                let sql = format!(
                    "INSERT INTO users (email, name, role, password_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
                );
                sqlx::query_as::<_, UserRow>(&sql)
                    .bind(user.email.as_str())
                    .bind(user.name.as_str())
                    .bind(user.role.as_str())
                    .bind(&user.password_hash)
                    .bind(Millis::now().0)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| conflict_on_unique(e, "a user with this email"))?
                    .into_user()
            }

            async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = sqlx::query_as::<_, UserRow>(&sql).bind(id.0).fetch_optional(&self.pool).await?;
                row.map(UserRow::into_user).transpose()
            }

            async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
                let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
                let row = sqlx::query_as::<_, CredentialsRow>(&sql)
                    .bind(email.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(CredentialsRow::into_credentials).transpose()
            }

            async fn list_users(&self) -> StoreResult<Vec<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY {}, id", <$engine>::NAME_ORDER);
                let rows = sqlx::query_as::<_, UserRow>(&sql).fetch_all(&self.pool).await?;
                rows.into_iter().map(UserRow::into_user).collect()
            }

            async fn set_user_disabled(&self, email: &Email, disabled: bool) -> StoreResult<User> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let sql = format!(
                    "UPDATE users SET disabled_at = CASE WHEN $1 THEN COALESCE(disabled_at, $2) END
                     WHERE email = $3 RETURNING {USER_COLUMNS}"
                );
                let now = Millis::now();
                let row = sqlx::query_as::<_, UserRow>(&sql)
                    .bind(disabled)
                    .bind(now.0)
                    .bind(email.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                let user = row.ok_or(StoreError::NotFound("user"))?.into_user()?;
                <$engine>::push_credentials_changed(&mut tx, user.id, now).await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn create_api_token(&self, token: &NewApiToken, now: Millis) -> StoreResult<ApiToken> {
                let _turn = self.write_turn().await;
                let sql = format!(
                    "INSERT INTO api_tokens (user_id, token_digest, name, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {API_TOKEN_COLUMNS}"
                );
                let row = sqlx::query_as::<_, ApiTokenRow>(&sql)
                    .bind(token.user.0)
                    .bind(&token.digest)
                    .bind(&token.name)
                    .bind(now.0)
                    .bind(token.expires_at.map(|at| at.0))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| conflict_on_unique(e, "this token"))?;
                Ok(row.into())
            }

            async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
                let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC");
                let rows = sqlx::query_as::<_, ApiTokenRow>(&sql).bind(user.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(ApiToken::from).collect())
            }

            async fn revoke_api_token(&self, owner: UserId, id: i64, now: Millis) -> StoreResult<ApiToken> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let sql = format!(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1)
                     WHERE id = $2 AND user_id = $3 RETURNING {API_TOKEN_COLUMNS}"
                );
                let row = sqlx::query_as::<_, ApiTokenRow>(&sql)
                    .bind(now.0)
                    .bind(id)
                    .bind(owner.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("token"))?;
                <$engine>::push_credentials_changed(&mut tx, owner, now).await?;
                tx.commit().await?;
                Ok(row.into())
            }

            async fn user_by_api_token(&self, token_digest: &str, now: Millis) -> StoreResult<Option<TokenOwner>> {
                let Some(row) = sqlx::query_as::<_, TokenUserRow>(
                    "SELECT u.id, u.email, u.name, u.role, u.disabled_at, u.created_at,
                       t.id AS token_id, t.last_used_at, t.expires_at
                     FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_digest = $1 AND u.disabled_at IS NULL AND t.revoked_at IS NULL
                       AND (t.expires_at IS NULL OR t.expires_at > $2)",
                )
                    .bind(token_digest)
                    .bind(now.0)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                // Last use is informational: refresh it at most once a minute, not per call (an
                // UPDATE takes SQLite's one writer even when it changes nothing).
                if row.last_used_at.is_none_or(|at| at < now.0 - 60_000) {
                    let _turn = self.write_turn().await;
                    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                        .bind(now.0)
                        .bind(row.token_id)
                        .execute(&self.pool)
                        .await?;
                }
                Ok(Some(TokenOwner {
                    token_id: row.token_id,
                    expires_at: row.expires_at.map(Millis),
                    user: row.user.into_user()?,
                }))
            }

            async fn credentials_changed(&self, user: UserId, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                <$engine>::push_credentials_changed(&mut tx, user, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn throttle_record(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
                let row = sqlx::query_as::<_, ThrottleRow>(
                    "SELECT failures, window_started_at, blocked_until FROM login_throttle WHERE throttle_key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(ThrottleRecord::from))
            }

            async fn reserve_attempt(&self, key: &str, limit: &AttemptLimit, now: Millis) -> StoreResult<Reservation> {
                let _turn = self.write_turn().await;
                // The count after this attempt, from the row as it stood ($3: the window's start).
                let counted = "CASE WHEN login_throttle.window_started_at <= $3 THEN 1 ELSE login_throttle.failures + 1 END";
                let sql = format!(
                    "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until)
                     VALUES ($1, 1, $2, {first})
                     ON CONFLICT (throttle_key) DO UPDATE SET
                       failures = {counted},
                       window_started_at = CASE WHEN login_throttle.window_started_at <= $3 THEN $2
                                                ELSE login_throttle.window_started_at END,
                       blocked_until = {block}
                     WHERE login_throttle.blocked_until IS NULL OR login_throttle.blocked_until <= $2
                     RETURNING failures, window_started_at, blocked_until",
                    first = super::portable::block_until_sql("1", limit),
                    block = super::portable::block_until_sql(counted, limit),
                );
                let counted: Option<ThrottleRow> = sqlx::query_as(&sql)
                    .bind(key)
                    .bind(now.0)
                    .bind(now.0 - limit.window_ms)
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(row) = counted {
                    return Ok(Reservation::Counted(row.into()));
                }
                let blocking = self.throttle_record(key).await?;
                let until = blocking.and_then(|record| record.blocked_until).unwrap_or(now);
                Ok(Reservation::Blocked { until })
            }

            async fn refund_attempt(&self, key: &str, limit: &AttemptLimit) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "UPDATE login_throttle SET failures = failures - 1,
                       blocked_until = CASE WHEN failures - 1 < $1 THEN NULL ELSE blocked_until END
                     WHERE throttle_key = $2 AND failures > 0",
                )
                .bind(i64::from(limit.max_attempts))
                .bind(key)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn clear_throttle_record(&self, key: &str) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn append_webhooks(&self, bodies: &[&[u8]], received_at: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                // Each statement is a round trip to the database: a batch that fits in one
                // commits on its own, without the round trips of BEGIN and COMMIT.
                const ROWS_PER_INSERT: usize = 512;
                let insert = |rows| super::portable::journal_insert::<$db>(rows, received_at);
                if bodies.len() <= ROWS_PER_INSERT {
                    insert(bodies).build().execute(&self.pool).await?;
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                for rows in bodies.chunks(ROWS_PER_INSERT) {
                    insert(rows).build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_webhooks(
                &self,
                now: Millis,
                lease_until: Millis,
                limit: i64,
            ) -> StoreResult<Vec<PendingWebhook>> {
                let _turn = self.write_turn().await;
                let sql = format!(
                    "UPDATE webhook_events SET lease_until = $1, attempts = attempts + 1
                     WHERE id IN (SELECT id FROM webhook_events
                                  WHERE processed_at IS NULL AND (lease_until IS NULL OR lease_until <= $2)
                                  ORDER BY id LIMIT $3 {})
                     RETURNING id, body, attempts, received_at",
                    <$engine>::SKIP_LOCKED
                );
                // One statement, committed on its own: a claim is a derived write.
                let mut rows: Vec<(i64, Vec<u8>, i64, i64)> = sqlx::query_as(&sql)
                    .bind(lease_until.0)
                    .bind(now.0)
                    .bind(limit)
                    .fetch_all(&self.derived)
                    .await?;
                rows.sort_by_key(|row| row.0);
                Ok(rows
                    .into_iter()
                    .map(|(id, body, attempts, received_at)| PendingWebhook { id, body, attempts, received_at: Millis(received_at) })
                    .collect())
            }

            async fn release_orphaned_claims(&self) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                if <$engine>::SINGLE_NODE {
                    sqlx::query(
                        "UPDATE webhook_events SET lease_until = NULL WHERE processed_at IS NULL AND last_error IS NULL",
                    )
                    .execute(&self.pool)
                    .await?;
                    // Sends in flight when the process died go out again now, not after the lease.
                    sqlx::query("UPDATE outbox SET lease_until = NULL WHERE state = 'pending'")
                        .execute(&self.pool)
                        .await?;
                }
                Ok(())
            }

            async fn webhook_backlog(&self) -> StoreResult<i64> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE processed_at IS NULL")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count)
            }

            async fn fail_webhook(&self, id: i64, error: &str, retry_at: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query("UPDATE webhook_events SET lease_until = $1, last_error = $2 WHERE id = $3")
                    .bind(retry_at.0)
                    .bind(error)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn apply_webhooks(
                &self,
                events: &[ParsedWebhook],
                now: Millis,
            ) -> StoreResult<Vec<(i64, StoreError)>> {
                let _turn = self.write_turn().await;
                // Usually every event applies: one transaction, no savepoints, one mark.
                let mut tx = self.begin_derived().await?;
                let first = <$engine>::first_deliveries(&mut tx, events).await?;
                let mut written = AppliedInBatch::default();
                let mut all_applied = true;
                let to_apply = events.iter().filter(|event| first.contains(&event.id));
                for notification in to_apply.filter_map(|event| event.notification.as_ref()) {
                    if <$engine>::apply_notification(&mut tx, notification, &mut written, now).await.is_err() {
                        all_applied = false;
                        break;
                    }
                }
                if all_applied {
                    let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
                    <$engine>::mark_processed(&mut tx, &ids, now).await?;
                    tx.commit().await?;
                    return Ok(Vec::new());
                }
                tx.rollback().await?;
                // One failed: again, each event isolated by a savepoint, to find which.
                let mut tx = self.begin_derived().await?;
                let first = <$engine>::first_deliveries(&mut tx, events).await?;
                let mut processed_ids = Vec::new();
                let mut failures = Vec::new();
                for event in events {
                    if !first.contains(&event.id) {
                        processed_ids.push(event.id); // a redelivery: nothing to apply
                        continue;
                    }
                    let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
                    let mut written = AppliedInBatch::default();
                    let applied = match &event.notification {
                        Some(notification) => {
                            <$engine>::apply_notification(&mut savepoint, notification, &mut written, now).await
                        }
                        None => Ok(()),
                    };
                    match applied {
                        Ok(()) => {
                            savepoint.commit().await?;
                            processed_ids.push(event.id);
                        }
                        Err(error) => {
                            savepoint.rollback().await?;
                            failures.push((event.id, error));
                        }
                    }
                }
                <$engine>::mark_processed(&mut tx, &processed_ids, now).await?;
                tx.commit().await?;
                Ok(failures)
            }

            async fn register_business_number(&self, number: &BusinessNumber, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                <$engine>::upsert_business_number(&mut tx, number, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn business_numbers(&self) -> StoreResult<Vec<BusinessNumber>> {
                let rows: Vec<(String, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT phone_number_id, waba_id, display_phone_number, verified_name
                     FROM business_numbers ORDER BY phone_number_id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(phone_number_id, waba_id, display_phone_number, verified_name)| BusinessNumber {
                        phone_number_id,
                        waba_id,
                        display_phone_number,
                        verified_name,
                    })
                    .collect())
            }

            async fn set_conversation_status(&self, id: i64, status: ConversationStatus, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query("UPDATE conversations SET status = $1 WHERE id = $2")
                    .bind(status.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "an open conversation with this customer on this number"))?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound("conversation"));
                }
                <$engine>::push_live_event(&mut tx, "conversation.updated", Some(id), None, None, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn assign_conversation(&self, id: i64, assignee: Option<UserId>, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query("UPDATE conversations SET assignee_id = $1 WHERE id = $2")
                    .bind(assignee.map(|a| a.0))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound("conversation"));
                }
                <$engine>::push_live_event(&mut tx, "conversation.updated", Some(id), None, None, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn mark_conversation_read(&self, id: i64, now: Millis) -> StoreResult<Option<ReadReceipt>> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1 AND unread_count > 0")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let was_unread = updated.rows_affected() > 0;
                if was_unread {
                    <$engine>::push_live_event(&mut tx, "conversation.updated", Some(id), None, None, now).await?;
                }
                let latest: Option<(String, String)> = sqlx::query_as(
                    "SELECT c.phone_number_id, m.wamid FROM messages m JOIN conversations c ON c.id = m.conversation_id
                     WHERE m.conversation_id = $1 AND m.direction = 'inbound' AND m.wamid IS NOT NULL
                     ORDER BY m.sent_at DESC, m.id DESC LIMIT 1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(latest.map(|(phone_number_id, wamid)| ReadReceipt { phone_number_id, wamid, was_unread }))
            }

            async fn list_conversations(&self, query: &ConversationQuery) -> StoreResult<ConversationPage> {
                let mut sql = sqlx::QueryBuilder::<$db>::new(CONVERSATION_SELECT);
                sql.push(" WHERE 1 = 1");
                match query.assignment {
                    Assignment::All => {}
                    Assignment::Mine(user) => {
                        sql.push(" AND c.assignee_id = ").push_bind(user.0);
                    }
                    Assignment::Unassigned => {
                        sql.push(" AND c.assignee_id IS NULL");
                    }
                }
                if let Some(status) = query.status {
                    sql.push(" AND c.status = ").push_bind(status.as_str());
                }
                if let Some(number) = &query.phone_number_id {
                    sql.push(" AND c.phone_number_id = ").push_bind(number.clone());
                }
                if let Some(search) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    let pattern = format!("%{}%", escape_like(search));
                    let ilike = <$engine>::ILIKE;
                    sql.push(format!(" AND (ct.name {ilike} "))
                        .push_bind(pattern.clone())
                        .push(" ESCAPE '\\'")
                        .push(format!(" OR ct.username {ilike} "))
                        .push_bind(pattern.clone())
                        .push(" ESCAPE '\\' OR ct.wa_id LIKE ")
                        .push_bind(pattern.clone())
                        .push(format!(
                            " ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.body {ilike} "
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
                        sql.push(" ORDER BY c.last_message_at DESC, c.id DESC");
                    }
                    ConversationOrder::WindowClosingSoonest => {
                        sql.push(" AND c.window_expires_at > ").push_bind(query.now.0);
                        if let Some(cursor) = query.cursor {
                            sql.push(" AND (c.window_expires_at > ")
                                .push_bind(cursor.sort_key)
                                .push(" OR (c.window_expires_at = ")
                                .push_bind(cursor.sort_key)
                                .push(" AND c.id > ")
                                .push_bind(cursor.id)
                                .push("))");
                        }
                        sql.push(" ORDER BY c.window_expires_at ASC, c.id ASC");
                    }
                }
                // One row more than asked tells whether another page exists.
                sql.push(" LIMIT ").push_bind(query.limit + 1);
                let mut rows: Vec<ConversationRow> = sql.build_query_as().fetch_all(&self.pool).await?;
                let more = rows.len() as i64 > query.limit;
                rows.truncate(query.limit.max(0) as usize);
                let next_cursor = if more {
                    rows.last().map(|row| {
                        let sort_key = match query.order {
                            ConversationOrder::LatestActivity => row.last_message_at,
                            ConversationOrder::WindowClosingSoonest => row.window_expires_at.unwrap_or_default(),
                        };
                        KeysetCursor { sort_key, id: row.id }.encode()
                    })
                } else {
                    None
                };
                let conversations = rows.into_iter().map(ConversationRow::into_summary).collect::<StoreResult<_>>()?;
                Ok(ConversationPage { conversations, next_cursor })
            }

            async fn conversations_by_id(&self, ids: &[i64]) -> StoreResult<Vec<ConversationSummary>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut sql = sqlx::QueryBuilder::<$db>::new(CONVERSATION_SELECT);
                sql.push(" WHERE c.id IN ");
                super::portable::push_id_list(&mut sql, ids);
                let rows: Vec<ConversationRow> = sql.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(ConversationRow::into_summary).collect()
            }

            async fn conversation_messages(
                &self,
                conversation_id: i64,
                before: Option<KeysetCursor>,
                limit: i64,
            ) -> StoreResult<MessagePage> {
                let mut sql = sqlx::QueryBuilder::<$db>::new(MESSAGE_SELECT);
                sql.push(" WHERE m.conversation_id = ").push_bind(conversation_id);
                if let Some(cursor) = before {
                    sql.push(" AND (m.sent_at < ")
                        .push_bind(cursor.sort_key)
                        .push(" OR (m.sent_at = ")
                        .push_bind(cursor.sort_key)
                        .push(" AND m.id < ")
                        .push_bind(cursor.id)
                        .push("))");
                }
                // One row more than asked tells whether an older page exists.
                sql.push(" ORDER BY m.sent_at DESC, m.id DESC LIMIT ").push_bind(limit + 1);
                let mut rows: Vec<MessageRow> = sql.build_query_as().fetch_all(&self.pool).await?;
                let more = rows.len() as i64 > limit;
                rows.truncate(limit.max(0) as usize);
                let next_cursor = if more {
                    rows.last().map(|row| KeysetCursor { sort_key: row.sent_at, id: row.id }.encode())
                } else {
                    None
                };
                rows.reverse();
                let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                let reactions = Self::reactions_of(&self.pool, &ids).await?;
                let messages = rows.into_iter().map(|row| row.into_view(&reactions)).collect::<StoreResult<_>>()?;
                Ok(MessagePage { messages, next_cursor })
            }

            async fn messages_by_id(&self, ids: &[i64]) -> StoreResult<Vec<MessageView>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut sql = sqlx::QueryBuilder::<$db>::new(MESSAGE_SELECT);
                sql.push(" WHERE m.id IN ");
                super::portable::push_id_list(&mut sql, ids);
                let rows: Vec<MessageRow> = sql.build_query_as().fetch_all(&self.pool).await?;
                let reactions = Self::reactions_of(&self.pool, ids).await?;
                rows.into_iter().map(|row| row.into_view(&reactions)).collect()
            }

            async fn conversation_route(&self, id: i64) -> StoreResult<Option<ConversationRoute>> {
                let row: Option<(String, Option<String>, Option<String>, Option<i64>, Option<String>)> = sqlx::query_as(
                    "SELECT c.phone_number_id, ct.wa_id, ct.bsuid, c.window_expires_at, b.waba_id
                     FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
                     LEFT JOIN business_numbers b ON b.phone_number_id = c.phone_number_id WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.and_then(|(phone_number_id, wa_id, bsuid, window, waba_id)| {
                    Some(ConversationRoute {
                        phone_number_id,
                        recipient: wa_id.or(bsuid)?,
                        window_expires_at: window.map(Millis),
                        waba_id,
                    })
                }))
            }

            async fn message_in_conversation(&self, conversation_id: i64, wamid: &str) -> StoreResult<bool> {
                let found: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE wamid = $1 AND conversation_id = $2")
                    .bind(wamid)
                    .bind(conversation_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(found.is_some())
            }

            async fn enqueue_outbound(&self, message: &NewOutbound, now: Millis) -> StoreResult<i64> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let status = MessageStatus::Queued;
                let media = message.media.as_ref();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO messages (conversation_id, direction, kind, body, payload, status, status_rank,
                       sent_at, created_at, author_id, media_id, media_mime_type, filename, reply_to_wamid)
                     VALUES ($1, 'outbound', $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(message.conversation_id)
                .bind(&message.kind)
                .bind(&message.text)
                .bind(message.request.to_string())
                .bind(status.as_str())
                .bind(status.rank())
                .bind(now.0)
                .bind(message.author.0)
                .bind(media.map(|m| &m.media_id))
                .bind(media.map(|m| &m.mime_type))
                .bind(media.and_then(|m| m.filename.as_ref()))
                .bind(&message.reply_to_wamid)
                .fetch_one(&mut *tx)
                .await?;
                if let Some(target) = &message.reacts_to {
                    let emoji = message.text.as_deref().filter(|e| !e.is_empty());
                    <$engine>::apply_reaction(&mut tx, &WaMessageId(target.clone()), emoji, Direction::Outbound, now.0, now).await?;
                }
                if let Some(template_id) = &message.template_id {
                    sqlx::query("UPDATE templates SET last_sent_at = $1 WHERE id = $2")
                        .bind(now.0)
                        .bind(template_id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO outbox (message_id, phone_number_id, recipient, request, state, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
                )
                .bind(id)
                .bind(&message.phone_number_id)
                .bind(&message.recipient)
                .bind(message.request.to_string())
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE conversations SET last_message_at = $1, last_message_preview = $2 WHERE id = $3")
                    .bind(now.0)
                    .bind(message.text.clone().unwrap_or_else(|| format!("[{}]", message.kind)).chars().take(160).collect::<String>())
                    .bind(message.conversation_id)
                    .execute(&mut *tx)
                    .await?;
                <$engine>::push_live_event(&mut tx, "message.created", Some(message.conversation_id), Some(id), None, now).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn claim_outbox(&self, now: Millis, lease_until: Millis, limit: i64) -> StoreResult<Vec<OutboxJob>> {
                // Due jobs, except those queued behind a customer's job in flight or held back;
                // `now` and `limit` name the query's parameters.
                let due = |now: &str, limit: &str| {
                    format!(
                        "SELECT message_id FROM outbox o
                         WHERE state = 'pending' AND next_attempt_at <= {now}
                           AND (lease_until IS NULL OR lease_until <= {now})
                           AND NOT EXISTS (
                             SELECT 1 FROM outbox earlier
                             WHERE earlier.state = 'pending'
                               AND earlier.phone_number_id = o.phone_number_id
                               AND earlier.recipient = o.recipient
                               AND earlier.message_id < o.message_id
                               AND (earlier.next_attempt_at > {now} OR earlier.lease_until > {now}))
                         ORDER BY next_attempt_at, message_id LIMIT {limit} {}",
                        <$engine>::SKIP_LOCKED
                    )
                };
                const LEASED: &str = "RETURNING message_id, phone_number_id, request, attempts";
                let mut rows: Vec<(i64, String, String, i64)> = if <$engine>::SINGLE_NODE {
                    // Finding them scans the outbox: done as a read, it does not hold the one
                    // writer (SQLite) that sends being recorded are waiting for. Nobody else
                    // claims here; the lease still checks that a job was not cancelled since.
                    let ids: Vec<i64> =
                        sqlx::query_scalar(&due("$1", "$2")).bind(now.0).bind(limit).fetch_all(&self.pool).await?;
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let _turn = self.write_turn().await;
                    let mut lease = sqlx::QueryBuilder::<$db>::new("UPDATE outbox SET lease_until = ");
                    lease.push_bind(lease_until.0).push(", attempts = attempts + 1 WHERE message_id IN ");
                    super::portable::push_id_list(&mut lease, &ids);
                    lease.push(" AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ");
                    lease.push_bind(now.0).push(") ").push(LEASED);
                    lease.build_query_as().fetch_all(&self.pool).await?
                } else {
                    let _turn = self.write_turn().await;
                    let claim = format!(
                        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE message_id IN ({}) {LEASED}",
                        due("$2", "$3")
                    );
                    sqlx::query_as(&claim).bind(lease_until.0).bind(now.0).bind(limit).fetch_all(&self.pool).await?
                };
                rows.sort_by_key(|row| row.0);
                Ok(rows
                    .into_iter()
                    .map(|(message_id, phone_number_id, request, attempts)| OutboxJob {
                        message_id,
                        phone_number_id,
                        request: serde_json::from_str(&request).unwrap_or_default(),
                        attempts,
                    })
                    .collect())
            }

            async fn outbox_accepted(&self, accepted: &[(i64, String)], now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                for (message_id, wamid) in accepted {
                    sqlx::query("UPDATE outbox SET state = 'done', lease_until = NULL, last_error = NULL WHERE message_id = $1")
                        .bind(message_id)
                        .execute(&mut *tx)
                        .await?;
                    let status = MessageStatus::Accepted;
                    // Sends are recorded in batches: one missing row must not fail the others.
                    let conversation_id: Option<i64> = sqlx::query_scalar(
                        "UPDATE messages SET wamid = $1, status = $2, status_rank = $3 WHERE id = $4 RETURNING conversation_id",
                    )
                    .bind(wamid)
                    .bind(status.as_str())
                    .bind(status.rank())
                    .bind(message_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(conversation_id) = conversation_id else {
                        tracing::warn!(message_id, "an accepted send's message is gone");
                        continue;
                    };
                    <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(*message_id), None, now).await?;
                    // Statuses can arrive before the send's response.
                    <$engine>::apply_recorded_statuses(&mut tx, &WaMessageId(wamid.clone())).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn outbox_retry(&self, message_id: i64, error: &str, retry_at: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query("UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE message_id = $3")
                    .bind(retry_at.0)
                    .bind(error)
                    .bind(message_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outbox_defer(&self, message_id: i64, until: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, attempts = attempts - 1
                     WHERE message_id = $2 AND state = 'pending'",
                )
                .bind(until.0)
                .bind(message_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbox_failed(&self, message_id: i64, error: &DeliveryError, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1 WHERE message_id = $2")
                    .bind(&error.title)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                let status = MessageStatus::Failed;
                let conversation_id: i64 = sqlx::query_scalar(
                    "UPDATE messages SET status = $1, status_rank = $2, error_code = $3, error_title = $4, error_details = $5
                     WHERE id = $6 RETURNING conversation_id",
                )
                .bind(status.as_str())
                .bind(status.rank())
                .bind(error.code)
                .bind(&error.title)
                .bind(&error.details)
                .bind(message_id)
                .fetch_one(&mut *tx)
                .await?;
                <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(message_id), None, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn retry_message(&self, message_id: i64, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                let queued = MessageStatus::Queued;
                let conversation_id: Option<i64> = sqlx::query_scalar(
                    "UPDATE messages SET status = $1, status_rank = $2, wamid = NULL, error_code = NULL,
                       error_title = NULL, error_details = NULL
                     WHERE id = $3 AND direction = 'outbound' AND status = 'failed'
                       AND EXISTS (SELECT 1 FROM outbox WHERE outbox.message_id = messages.id)
                     RETURNING conversation_id",
                )
                .bind(queued.as_str())
                .bind(queued.rank())
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(conversation_id) = conversation_id else {
                    return Err(StoreError::WrongState("only a failed message sent from Parley can be retried"));
                };
                sqlx::query(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL,
                       last_error = NULL WHERE message_id = $2",
                )
                .bind(now.0)
                .bind(message_id)
                .execute(&mut *tx)
                .await?;
                <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(message_id), None, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn cancel_message(&self, message_id: i64, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                // Only while no sender holds it: once handed to Meta it cannot be called back.
                let withdrawn = sqlx::query(
                    "UPDATE outbox SET state = 'failed', last_error = 'cancelled'
                     WHERE message_id = $1 AND state = 'pending' AND (lease_until IS NULL OR lease_until <= $2)",
                )
                .bind(message_id)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                if withdrawn.rows_affected() == 0 {
                    return Err(StoreError::WrongState("only a message still waiting in the queue can be cancelled"));
                }
                let failed = MessageStatus::Failed;
                let conversation_id: i64 = sqlx::query_scalar(
                    "UPDATE messages SET status = $1, status_rank = $2, error_code = 0, error_title = 'Cancelled',
                       error_details = 'Cancelled by an agent before it was sent.' WHERE id = $3 RETURNING conversation_id",
                )
                .bind(failed.as_str())
                .bind(failed.rank())
                .bind(message_id)
                .fetch_one(&mut *tx)
                .await?;
                <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(message_id), None, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn live_events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredLiveEvent>> {
                let rows: Vec<(i64, String, Option<i64>, Option<i64>, Option<String>)> = sqlx::query_as(
                    "SELECT id, kind, conversation_id, message_id, payload FROM live_events
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, kind, conversation_id, message_id, payload)| StoredLiveEvent {
                        id,
                        kind,
                        conversation_id,
                        message_id,
                        payload,
                    })
                    .collect())
            }

            async fn latest_live_event_id(&self) -> StoreResult<i64> {
                let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM live_events").fetch_one(&self.pool).await?;
                Ok(id.unwrap_or(0))
            }

            async fn due_media(&self, now: Millis, limit: i64) -> StoreResult<Vec<MediaJob>> {
                let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
                    "SELECT media_id, mime_type, sha256, attempts FROM media_files
                     WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
                )
                .bind(now.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(media_id, mime_type, sha256, attempts)| MediaJob { media_id, mime_type, sha256, attempts })
                    .collect())
            }

            async fn media_stored(&self, media_id: &str, path: &str, size_bytes: i64, mime_type: &str) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE media_files SET state = 'stored', path = $1, size_bytes = $2, mime_type = $3,
                       last_error = NULL WHERE media_id = $4",
                )
                .bind(path)
                .bind(size_bytes)
                .bind(mime_type)
                .bind(media_id)
                .execute(&mut *tx)
                .await?;
                // Threads showing this media learn that it can now be displayed.
                let messages: Vec<(i64, i64)> =
                    sqlx::query_as("SELECT id, conversation_id FROM messages WHERE media_id = $1")
                        .bind(media_id)
                        .fetch_all(&mut *tx)
                        .await?;
                for (message_id, conversation_id) in messages {
                    <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(message_id), None, Millis::now()).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn media_failed(&self, media_id: &str, error: &str, retry_at: Option<Millis>, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE media_files SET attempts = attempts + 1, last_error = $1,
                       state = CASE WHEN $2 THEN 'pending' ELSE 'failed' END,
                       next_attempt_at = COALESCE($3, next_attempt_at)
                     WHERE media_id = $4",
                )
                .bind(error)
                .bind(retry_at.is_some())
                .bind(retry_at.map(|m| m.0))
                .bind(media_id)
                .execute(&mut *tx)
                .await?;
                if retry_at.is_none() {
                    // Threads showing this media learn that it will not come, and why.
                    let messages: Vec<(i64, i64)> =
                        sqlx::query_as("SELECT id, conversation_id FROM messages WHERE media_id = $1")
                            .bind(media_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    for (message_id, conversation_id) in messages {
                        <$engine>::push_live_event(&mut tx, "message.updated", Some(conversation_id), Some(message_id), None, now).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn stored_media_bytes(&self) -> StoreResult<i64> {
                let total: Option<i64> =
                    sqlx::query_scalar("SELECT CAST(SUM(size_bytes) AS BIGINT) FROM media_files WHERE state = 'stored'")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(total.unwrap_or(0))
            }

            async fn media_file(&self, media_id: &str) -> StoreResult<Option<StoredMedia>> {
                let row: Option<(String, String, i64)> = sqlx::query_as(
                    "SELECT path, mime_type, size_bytes FROM media_files WHERE media_id = $1 AND state = 'stored'",
                )
                .bind(media_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(path, mime_type, size_bytes)| StoredMedia { path, mime_type, size_bytes }))
            }

            async fn record_upload(&self, upload: &UploadedMedia, sha256: &str, path: &str, now: Millis) -> StoreResult<()> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "INSERT INTO media_files (media_id, mime_type, sha256, state, next_attempt_at, path, size_bytes,
                       created_at, uploaded_for, filename)
                     VALUES ($1, $2, $3, 'stored', $4, $5, $6, $4, $7, $8)
                     ON CONFLICT (media_id) DO NOTHING",
                )
                .bind(&upload.media_id)
                .bind(&upload.mime_type)
                .bind(sha256)
                .bind(now.0)
                .bind(path)
                .bind(upload.size_bytes)
                .bind(&upload.phone_number_id)
                .bind(&upload.filename)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn reusable_upload(&self, sha256: &str, phone_number_id: &str, uploaded_since: Millis) -> StoreResult<Option<UploadedMedia>> {
                let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
                    "SELECT media_id, mime_type, size_bytes, filename FROM media_files
                     WHERE sha256 = $1 AND uploaded_for = $2 AND created_at >= $3 AND state = 'stored'
                     ORDER BY created_at DESC LIMIT 1",
                )
                .bind(sha256)
                .bind(phone_number_id)
                .bind(uploaded_since.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(media_id, mime_type, size_bytes, filename)| UploadedMedia {
                    media_id, mime_type, size_bytes, filename, phone_number_id: phone_number_id.to_owned(),
                }))
            }

            async fn uploaded_media(&self, media_id: &str) -> StoreResult<Option<UploadedMedia>> {
                let row: Option<(String, String, i64, Option<String>, String)> = sqlx::query_as(
                    "SELECT media_id, mime_type, size_bytes, filename, uploaded_for FROM media_files
                     WHERE media_id = $1 AND uploaded_for IS NOT NULL AND state = 'stored'",
                )
                .bind(media_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(media_id, mime_type, size_bytes, filename, phone_number_id)| UploadedMedia {
                    media_id, mime_type, size_bytes, filename, phone_number_id,
                }))
            }
        }

        /// Steps of applying a webhook, each inside the caller's transaction.
        impl $engine {
            /// The reactions on these messages: (target wamid, direction, emoji) rows.
            async fn reactions_of(
                pool: &sqlx::Pool<$db>,
                message_ids: &[i64],
            ) -> StoreResult<Vec<(String, String, String)>> {
                if message_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut reactions = sqlx::QueryBuilder::<$db>::new(
                    "SELECT target_wamid, direction, emoji FROM reactions
                     WHERE target_wamid IN (SELECT wamid FROM messages WHERE id IN ",
                );
                super::portable::push_id_list(&mut reactions, message_ids);
                reactions.push(")");
                Ok(reactions.build_query_as().fetch_all(pool).await?)
            }

            /// A transaction for writes derived from the journal (see the store's `derived`).
            async fn begin_derived(&self) -> StoreResult<sqlx::Transaction<'static, $db>> {
                Ok(self.derived.begin_with(<$engine>::BEGIN_READ_THEN_WRITE).await?)
            }

            /// The ids of the events in `events` that are not byte-identical redeliveries of an
            /// earlier event. The first event with a body owns its digest; a later one (in this
            /// chunk or since) is a redelivery. One statement: the upsert's no-op update makes
            /// it return the owner of every digest, old or new.
            async fn first_deliveries(
                tx: &mut sqlx::Transaction<'_, $db>,
                events: &[ParsedWebhook],
            ) -> StoreResult<Vec<i64>> {
                // Events come in id order; the same digest twice in one upsert is an error.
                let mut distinct: Vec<&ParsedWebhook> = Vec::with_capacity(events.len());
                for event in events {
                    if !distinct.iter().any(|seen| seen.body_digest == event.body_digest) {
                        distinct.push(event);
                    }
                }
                if distinct.is_empty() {
                    return Ok(Vec::new());
                }
                let mut upsert = sqlx::QueryBuilder::<$db>::new("INSERT INTO webhook_digests (digest, event_id) ");
                upsert.push_values(&distinct, |mut row, event| {
                    row.push_bind(&event.body_digest[..]).push_bind(event.id);
                });
                upsert.push(
                    " ON CONFLICT (digest) DO UPDATE SET event_id = webhook_digests.event_id RETURNING event_id",
                );
                Ok(upsert.build_query_scalar().fetch_all(&mut **tx).await?)
            }

            async fn mark_processed(tx: &mut sqlx::Transaction<'_, $db>, ids: &[i64], now: Millis) -> StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                let mut update = sqlx::QueryBuilder::<$db>::new("UPDATE webhook_events SET processed_at = ");
                update.push_bind(now.0).push(", lease_until = NULL, last_error = NULL WHERE id IN ");
                super::portable::push_id_list(&mut update, ids);
                update.build().execute(&mut **tx).await?;
                Ok(())
            }

            async fn apply_notification(
                tx: &mut sqlx::Transaction<'_, $db>,
                notification: &Notification,
                written: &mut AppliedInBatch,
                now: Millis,
            ) -> StoreResult<()> {
                for change in &notification.changes {
                    match change {
                        Change::Messages(change) => Self::apply_messages_change(tx, change, written, now).await?,
                        Change::Account { waba_id, field, value } => {
                            Self::record_account_event(tx, waba_id, field, value, now).await?
                        }
                    }
                }
                Ok(())
            }

            async fn apply_messages_change(
                tx: &mut sqlx::Transaction<'_, $db>,
                change: &MessagesChange,
                written: &mut AppliedInBatch,
                now: Millis,
            ) -> StoreResult<()> {
                let routable = !change.phone_number_id.is_empty();
                if routable {
                    let number = BusinessNumber {
                        phone_number_id: change.phone_number_id.clone(),
                        waba_id: Some(change.waba_id.clone()).filter(|w| !w.is_empty()),
                        display_phone_number: change.display_phone_number.clone(),
                        verified_name: None,
                    };
                    if written.numbers.insert(number.clone()) {
                        Self::upsert_business_number(tx, &number, now).await?;
                    }
                }
                for profile in &change.contacts {
                    if !profile.key.is_empty() {
                        Self::resolve_contact(tx, &profile.key, profile, written, now).await?;
                    }
                }
                for message in change.messages.iter().filter(|_| routable) {
                    let key = if message.from.is_empty() && change.contacts.len() == 1 {
                        change.contacts[0].key.clone()
                    } else {
                        message.from.clone()
                    };
                    if key.is_empty() {
                        continue;
                    }
                    let profile = profile_for(&change.contacts, &key);
                    let contact_id = Self::resolve_contact(tx, &key, &profile, written, now).await?;
                    Self::apply_inbound(tx, change, message, contact_id, now).await?;
                }
                for echo in change.echoes.iter().filter(|_| routable) {
                    if echo.to.is_empty() {
                        continue;
                    }
                    let profile = profile_for(&change.contacts, &echo.to);
                    let contact_id = Self::resolve_contact(tx, &echo.to, &profile, written, now).await?;
                    Self::apply_echo(tx, change, echo, contact_id, now).await?;
                }
                for status in &change.statuses {
                    Self::apply_status(tx, status, now).await?;
                }
                for preference in &change.user_preferences {
                    Self::record_account_event(tx, &change.waba_id, "user_preferences", preference, now).await?;
                }
                if !change.errors.is_empty() {
                    let errors = serde_json::json!(change
                        .errors
                        .iter()
                        .map(|e| serde_json::json!({"code": e.code, "title": e.title, "details": e.details}))
                        .collect::<Vec<_>>());
                    Self::record_account_event(tx, &change.waba_id, "messages.errors", &errors, now).await?;
                }
                Ok(())
            }

            async fn upsert_business_number(
                tx: &mut sqlx::Transaction<'_, $db>,
                number: &BusinessNumber,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO business_numbers (phone_number_id, waba_id, display_phone_number, verified_name, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (phone_number_id) DO UPDATE SET
                       waba_id = COALESCE(excluded.waba_id, business_numbers.waba_id),
                       display_phone_number = COALESCE(excluded.display_phone_number, business_numbers.display_phone_number),
                       verified_name = COALESCE(excluded.verified_name, business_numbers.verified_name)",
                )
                .bind(&number.phone_number_id)
                .bind(&number.waba_id)
                .bind(&number.display_phone_number)
                .bind(&number.verified_name)
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// The contact for `key`, created if new, merged when the phone and the
            /// business-scoped id turn out to be two records of one person.
            async fn resolve_contact(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &CustomerKey,
                profile: &ContactProfile,
                written: &mut AppliedInBatch,
                now: Millis,
            ) -> StoreResult<i64> {
                if let Some(known) = written.contacts.get(key) {
                    let id = known.id;
                    if !known.covers(profile) {
                        Self::update_profile(tx, id, profile, now).await?;
                        written.remember_contact(key, id, profile);
                    }
                    return Ok(id);
                }
                let by_phone: Option<(i64, Option<String>, Option<String>)> = match &key.wa_id {
                    Some(wa_id) => sqlx::query_as("SELECT id, name, username FROM contacts WHERE wa_id = $1")
                        .bind(wa_id)
                        .fetch_optional(&mut **tx)
                        .await?,
                    None => None,
                };
                let by_bsuid: Option<(i64, Option<String>, Option<String>)> = match &key.bsuid {
                    Some(bsuid) => sqlx::query_as("SELECT id, name, username FROM contacts WHERE bsuid = $1")
                        .bind(bsuid)
                        .fetch_optional(&mut **tx)
                        .await?,
                    None => None,
                };
                // Whether the stored record already says what `profile` says.
                let profile_stored = by_phone.as_ref().or(by_bsuid.as_ref()).is_some_and(|(_, name, username)| {
                    (profile.name.is_none() || &profile.name == name)
                        && (profile.username.is_none() || &profile.username == username)
                });
                let id = match (by_phone.as_ref().map(|row| row.0), by_bsuid.as_ref().map(|row| row.0)) {
                    (Some(a), Some(b)) if a == b => {
                        if !profile_stored {
                            Self::update_profile(tx, a, profile, now).await?;
                        }
                        a
                    }
                    (Some(keep), Some(merged)) => {
                        // The merged record's open conversations give way where the kept one
                        // already has one open on the same number (one open per number).
                        sqlx::query(
                            "UPDATE conversations SET status = 'resolved'
                             WHERE contact_id = $1 AND status = 'open' AND phone_number_id IN
                               (SELECT phone_number_id FROM conversations WHERE contact_id = $2 AND status = 'open')",
                        )
                        .bind(merged)
                        .bind(keep)
                        .execute(&mut **tx)
                        .await?;
                        sqlx::query("UPDATE conversations SET contact_id = $1 WHERE contact_id = $2")
                            .bind(keep)
                            .bind(merged)
                            .execute(&mut **tx)
                            .await?;
                        sqlx::query("DELETE FROM contacts WHERE id = $1").bind(merged).execute(&mut **tx).await?;
                        sqlx::query("UPDATE contacts SET bsuid = $1 WHERE id = $2")
                            .bind(&key.bsuid)
                            .bind(keep)
                            .execute(&mut **tx)
                            .await?;
                        // Keys remembered for the merged record now lead to a deleted row.
                        written.contacts.clear();
                        Self::update_profile(tx, keep, profile, now).await?;
                        keep
                    }
                    (Some(id), None) | (None, Some(id)) => {
                        // Learns the other id when this key brings it, and the current profile.
                        let learns_id = (by_phone.is_none() && key.wa_id.is_some())
                            || (by_bsuid.is_none() && key.bsuid.is_some());
                        if learns_id || !profile_stored {
                            sqlx::query(
                                "UPDATE contacts SET wa_id = COALESCE($1, wa_id), bsuid = COALESCE($2, bsuid),
                                   name = COALESCE($3, name), username = COALESCE($4, username), updated_at = $5
                                 WHERE id = $6",
                            )
                            .bind(&key.wa_id)
                            .bind(&key.bsuid)
                            .bind(&profile.name)
                            .bind(&profile.username)
                            .bind(now.0)
                            .bind(id)
                            .execute(&mut **tx)
                            .await?;
                        }
                        id
                    }
                    (None, None) => {
                        sqlx::query_scalar(
                            "INSERT INTO contacts (wa_id, bsuid, name, username, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                        )
                        .bind(&key.wa_id)
                        .bind(&key.bsuid)
                        .bind(&profile.name)
                        .bind(&profile.username)
                        .bind(now.0)
                        .fetch_one(&mut **tx)
                        .await?
                    }
                };
                written.remember_contact(key, id, profile);
                Ok(id)
            }

            /// Keeps the profile current: a name or username Meta sent replaces the stored one.
            async fn update_profile(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                profile: &ContactProfile,
                now: Millis,
            ) -> StoreResult<()> {
                if profile.name.is_some() || profile.username.is_some() {
                    sqlx::query(
                        "UPDATE contacts SET name = COALESCE($1, name), username = COALESCE($2, username), updated_at = $3
                         WHERE id = $4",
                    )
                    .bind(&profile.name)
                    .bind(&profile.username)
                    .bind(now.0)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// The conversation a new message belongs to: the open one, else the latest one
            /// reopened, else a new one.
            async fn conversation_for(
                tx: &mut sqlx::Transaction<'_, $db>,
                contact_id: i64,
                phone_number_id: &str,
                at: i64,
                now: Millis,
            ) -> StoreResult<i64> {
                let latest: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, status FROM conversations WHERE contact_id = $1 AND phone_number_id = $2
                     ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, last_message_at DESC, id DESC LIMIT 1",
                )
                .bind(contact_id)
                .bind(phone_number_id)
                .fetch_optional(&mut **tx)
                .await?;
                match latest {
                    Some((id, status)) => {
                        if status != "open" {
                            sqlx::query("UPDATE conversations SET status = 'open' WHERE id = $1")
                                .bind(id)
                                .execute(&mut **tx)
                                .await?;
                        }
                        Ok(id)
                    }
                    None => Ok(sqlx::query_scalar(
                        "INSERT INTO conversations (contact_id, phone_number_id, status, last_message_at, created_at)
                         VALUES ($1, $2, 'open', $3, $4) RETURNING id",
                    )
                    .bind(contact_id)
                    .bind(phone_number_id)
                    .bind(at)
                    .bind(now.0)
                    .fetch_one(&mut **tx)
                    .await?),
                }
            }

            async fn message_exists(tx: &mut sqlx::Transaction<'_, $db>, wamid: &WaMessageId) -> StoreResult<bool> {
                let found: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE wamid = $1")
                    .bind(&wamid.0)
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(found.is_some())
            }

            /// Applies a message that changes another (reaction, edit, revoke) rather than
            /// standing on its own; `false` when `content` is an ordinary message.
            async fn apply_amendment(
                tx: &mut sqlx::Transaction<'_, $db>,
                content: &Content,
                direction: Direction,
                at: i64,
                now: Millis,
            ) -> StoreResult<bool> {
                match content {
                    Content::Reaction { target, emoji } => {
                        Self::apply_reaction(tx, target, emoji.as_deref(), direction, at, now).await?
                    }
                    Content::Edit { original, replacement } => Self::apply_edit(tx, original, replacement, at, now).await?,
                    Content::Revoke { original } => Self::apply_revoke(tx, original, at, now).await?,
                    _ => return Ok(false),
                }
                Ok(true)
            }

            async fn apply_inbound(
                tx: &mut sqlx::Transaction<'_, $db>,
                change: &MessagesChange,
                message: &InboundMessage,
                contact_id: i64,
                now: Millis,
            ) -> StoreResult<()> {
                if Self::apply_amendment(tx, &message.content, Direction::Inbound, message.timestamp_ms, now).await? {
                    return Ok(());
                }
                if Self::message_exists(tx, &message.wamid).await? {
                    return Ok(()); // a redelivery: already stored, nothing changes
                }
                let conversation_id =
                    Self::conversation_for(tx, contact_id, &change.phone_number_id, message.timestamp_ms, now).await?;
                let message_id = Self::insert_message(
                    tx,
                    conversation_id,
                    &message.wamid,
                    Direction::Inbound,
                    &message.content,
                    &message.raw,
                    MessageStatus::Received,
                    message.timestamp_ms,
                    message.reply_to.as_ref(),
                    now,
                )
                .await?;
                let Some(message_id) = message_id else { return Ok(()) };
                // System notices (number changes and the like) do not open a service window.
                let window = match (&message.content, message.referral.is_some()) {
                    (Content::System { .. }, _) => None,
                    (_, true) => Some(message.timestamp_ms + FREE_ENTRY_WINDOW_MS),
                    (_, false) => Some(message.timestamp_ms + SERVICE_WINDOW_MS),
                };
                sqlx::query(
                    "UPDATE conversations SET
                       last_message_at = CASE WHEN last_message_at > $1 THEN last_message_at ELSE $1 END,
                       window_expires_at = CASE WHEN $2 IS NULL THEN window_expires_at
                                                WHEN window_expires_at IS NULL OR window_expires_at < $2 THEN $2
                                                ELSE window_expires_at END,
                       unread_count = unread_count + 1,
                       last_message_preview = CASE WHEN last_message_at > $1 THEN last_message_preview ELSE $3 END
                     WHERE id = $4",
                )
                .bind(message.timestamp_ms)
                .bind(window)
                .bind(preview(&message.content))
                .bind(conversation_id)
                .execute(&mut **tx)
                .await?;
                Self::push_live_event(tx, "message.created", Some(conversation_id), Some(message_id), None, now).await
            }

            async fn apply_echo(
                tx: &mut sqlx::Transaction<'_, $db>,
                change: &MessagesChange,
                echo: &EchoMessage,
                contact_id: i64,
                now: Millis,
            ) -> StoreResult<()> {
                if Self::apply_amendment(tx, &echo.content, Direction::Outbound, echo.timestamp_ms, now).await? {
                    return Ok(());
                }
                if Self::message_exists(tx, &echo.wamid).await? {
                    return Ok(());
                }
                let conversation_id =
                    Self::conversation_for(tx, contact_id, &change.phone_number_id, echo.timestamp_ms, now).await?;
                let message_id = Self::insert_message(
                    tx,
                    conversation_id,
                    &echo.wamid,
                    Direction::Outbound,
                    &echo.content,
                    &echo.raw,
                    MessageStatus::Sent,
                    echo.timestamp_ms,
                    None,
                    now,
                )
                .await?;
                let Some(message_id) = message_id else { return Ok(()) };
                sqlx::query(
                    "UPDATE conversations SET
                       last_message_at = CASE WHEN last_message_at > $1 THEN last_message_at ELSE $1 END,
                       last_message_preview = CASE WHEN last_message_at > $1 THEN last_message_preview ELSE $2 END
                     WHERE id = $3",
                )
                .bind(echo.timestamp_ms)
                .bind(preview(&echo.content))
                .bind(conversation_id)
                .execute(&mut **tx)
                .await?;
                // A status may have arrived before its echo.
                Self::apply_recorded_statuses(tx, &echo.wamid).await?;
                Self::push_live_event(tx, "message.created", Some(conversation_id), Some(message_id), None, now).await
            }

            #[allow(clippy::too_many_arguments)]
            async fn insert_message(
                tx: &mut sqlx::Transaction<'_, $db>,
                conversation_id: i64,
                wamid: &WaMessageId,
                direction: Direction,
                content: &Content,
                raw: &serde_json::Value,
                status: MessageStatus,
                sent_at: i64,
                reply_to: Option<&WaMessageId>,
                now: Millis,
            ) -> StoreResult<Option<i64>> {
                let media = content.media();
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO messages (conversation_id, wamid, direction, kind, body, payload, status, status_rank,
                       sent_at, created_at, reply_to_wamid, media_id, media_mime_type, filename)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                     ON CONFLICT (wamid) DO NOTHING RETURNING id",
                )
                .bind(conversation_id)
                .bind(&wamid.0)
                .bind(direction_str(direction))
                .bind(content.type_name())
                .bind(content.text())
                .bind(raw.to_string())
                .bind(status.as_str())
                .bind(status.rank())
                .bind(sent_at)
                .bind(now.0)
                .bind(reply_to.map(|r| r.0.clone()))
                .bind(media.and_then(|m| m.media_id.clone()))
                .bind(media.and_then(|m| m.mime_type.clone()))
                .bind(media.and_then(|m| m.filename.clone()))
                .fetch_optional(&mut **tx)
                .await?;
                if let (Some(_), Some(media)) = (id, media) {
                    if let Some(media_id) = &media.media_id {
                        sqlx::query(
                            "INSERT INTO media_files (media_id, mime_type, sha256, state, next_attempt_at, created_at)
                             VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT (media_id) DO NOTHING",
                        )
                        .bind(media_id)
                        .bind(&media.mime_type)
                        .bind(&media.sha256)
                        .bind(now.0)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                Ok(id)
            }

            async fn apply_reaction(
                tx: &mut sqlx::Transaction<'_, $db>,
                target: &WaMessageId,
                emoji: Option<&str>,
                direction: Direction,
                reacted_at: i64,
                now: Millis,
            ) -> StoreResult<()> {
                let side = direction_str(direction);
                let current: Option<i64> = sqlx::query_scalar(
                    "SELECT reacted_at FROM reactions WHERE target_wamid = $1 AND direction = $2",
                )
                .bind(&target.0)
                .bind(side)
                .fetch_optional(&mut **tx)
                .await?;
                if current.is_some_and(|at| at > reacted_at) {
                    return Ok(()); // an older reaction arriving late does not replace a newer one
                }
                match emoji {
                    Some(emoji) => {
                        sqlx::query(
                            "INSERT INTO reactions (target_wamid, direction, emoji, reacted_at) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (target_wamid, direction) DO UPDATE SET emoji = excluded.emoji,
                               reacted_at = excluded.reacted_at",
                        )
                        .bind(&target.0)
                        .bind(side)
                        .bind(emoji)
                        .bind(reacted_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM reactions WHERE target_wamid = $1 AND direction = $2")
                            .bind(&target.0)
                            .bind(side)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
                Self::touch_message(tx, target, now).await
            }

            async fn apply_edit(
                tx: &mut sqlx::Transaction<'_, $db>,
                original: &WaMessageId,
                replacement: &Content,
                edited_at: i64,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE messages SET body = $1, edited_at = $2 WHERE wamid = $3 AND deleted_at IS NULL")
                    .bind(replacement.text())
                    .bind(edited_at)
                    .bind(&original.0)
                    .execute(&mut **tx)
                    .await?;
                Self::touch_message(tx, original, now).await
            }

            async fn apply_revoke(
                tx: &mut sqlx::Transaction<'_, $db>,
                original: &WaMessageId,
                deleted_at: i64,
                now: Millis,
            ) -> StoreResult<()> {
                // The customer withdrew it: keep the record, drop what it said.
                sqlx::query("UPDATE messages SET body = NULL, deleted_at = $1 WHERE wamid = $2")
                    .bind(deleted_at)
                    .bind(&original.0)
                    .execute(&mut **tx)
                    .await?;
                Self::touch_message(tx, original, now).await
            }

            /// Tells browsers a stored message changed (if it is stored).
            async fn touch_message(tx: &mut sqlx::Transaction<'_, $db>, wamid: &WaMessageId, now: Millis) -> StoreResult<()> {
                let found: Option<(i64, i64)> =
                    sqlx::query_as("SELECT id, conversation_id FROM messages WHERE wamid = $1")
                        .bind(&wamid.0)
                        .fetch_optional(&mut **tx)
                        .await?;
                if let Some((message_id, conversation_id)) = found {
                    Self::push_live_event(tx, "message.updated", Some(conversation_id), Some(message_id), None, now).await?;
                }
                Ok(())
            }

            async fn apply_status(tx: &mut sqlx::Transaction<'_, $db>, status: &StatusUpdate, now: Millis) -> StoreResult<()> {
                let error = status.errors.first();
                sqlx::query(
                    "INSERT INTO message_statuses (wamid, status, occurred_at, error_code, error_title, error_details,
                       conversation, pricing, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (wamid, status) DO NOTHING",
                )
                .bind(&status.wamid.0)
                .bind(status.status.as_str())
                .bind(status.timestamp_ms)
                .bind(error.map(|e| e.code))
                .bind(error.map(|e| e.title.clone()))
                .bind(error.and_then(|e| e.details.clone().or_else(|| e.message.clone())))
                .bind(status.conversation.as_ref().map(|v| v.to_string()))
                .bind(status.pricing.as_ref().map(|v| v.to_string()))
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                Self::apply_recorded_statuses(tx, &status.wamid).await
            }

            /// Moves a stored message to the furthest status recorded for it (forward only).
            ///
            /// A status can race the transaction that gives its message the wamid (a send's
            /// record, an echo). Under PostgreSQL's read committed each could miss the other's
            /// uncommitted row and the status would be lost. Both call this after their write
            /// (the status recorded, the wamid set) and it takes one lock before reading, so
            /// whichever takes it second sees the other's commit.
            async fn apply_recorded_statuses(tx: &mut sqlx::Transaction<'_, $db>, wamid: &WaMessageId) -> StoreResult<()> {
                Self::serialize_live_events(tx).await?;
                let recorded: Vec<(String, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT status, error_code, error_title, error_details FROM message_statuses WHERE wamid = $1",
                )
                .bind(&wamid.0)
                .fetch_all(&mut **tx)
                .await?;
                let best = recorded
                    .into_iter()
                    .filter_map(|(status, code, title, details)| {
                        status.parse::<MessageStatus>().ok().map(|s| (s, code, title, details))
                    })
                    .max_by_key(|(status, ..)| status.rank());
                let Some((status, code, title, details)) = best else { return Ok(()) };
                let updated: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE messages SET status = $1, status_rank = $2, error_code = $3, error_title = $4, error_details = $5
                     WHERE wamid = $6 AND status_rank < $2 RETURNING id, conversation_id",
                )
                .bind(status.as_str())
                .bind(status.rank())
                .bind(code)
                .bind(title)
                .bind(details)
                .bind(&wamid.0)
                .fetch_optional(&mut **tx)
                .await?;
                if let Some((message_id, conversation_id)) = updated {
                    Self::push_live_event(tx, "message.updated", Some(conversation_id), Some(message_id), None, Millis::now()).await?;
                }
                Ok(())
            }

            async fn record_account_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                waba_id: &str,
                field: &str,
                value: &serde_json::Value,
                now: Millis,
            ) -> StoreResult<()> {
                sqlx::query("INSERT INTO account_events (waba_id, field, payload, received_at) VALUES ($1, $2, $3, $4)")
                    .bind(waba_id)
                    .bind(field)
                    .bind(value.to_string())
                    .bind(now.0)
                    .execute(&mut **tx)
                    .await?;
                if let Some(update) = TemplateWebhook::parse(field, value) {
                    Self::apply_template_webhook(tx, waba_id, &update, now).await?;
                }
                Ok(())
            }

            /// Takes [`Dialect::SERIALIZE_LIVE_EVENTS`]' lock (held until commit). Applying
            /// recorded statuses takes it too: see [`Self::apply_recorded_statuses`].
            async fn serialize_live_events(tx: &mut sqlx::Transaction<'_, $db>) -> StoreResult<()> {
                if !<$engine>::SERIALIZE_LIVE_EVENTS.is_empty() {
                    sqlx::query(<$engine>::SERIALIZE_LIVE_EVENTS).execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn push_credentials_changed(
                tx: &mut sqlx::Transaction<'_, $db>,
                user: UserId,
                now: Millis,
            ) -> StoreResult<()> {
                let payload = serde_json::json!({ "user_id": user.0 }).to_string();
                Self::push_live_event(tx, CREDENTIALS_CHANGED, None, None, Some(payload), now).await
            }

            async fn push_live_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: &str,
                conversation_id: Option<i64>,
                message_id: Option<i64>,
                payload: Option<String>,
                now: Millis,
            ) -> StoreResult<()> {
                let insert = format!(
                    "INSERT INTO live_events (kind, conversation_id, message_id, payload, created_at) {}",
                    <$engine>::LIVE_EVENT_ROW
                );
                sqlx::query(&insert)
                .bind(kind)
                .bind(conversation_id)
                .bind(message_id)
                .bind(payload)
                .bind(now.0)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }
    };
}
