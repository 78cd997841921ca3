//! Applying webhooks: a chunk per transaction, each event isolated by a savepoint only when one
//! of them fails.

use super::{BEGIN_READ_THEN_WRITE, Engine, Tx};
use crate::domain::contact::profile_for;
use crate::domain::cost::Charge;
use crate::domain::inbound::{
    Change, EchoMessage, InboundMessage, MessagesChange, Notification, StatusUpdate, TemplateUpdate,
};
use crate::domain::message::preview_of;
use crate::domain::number_update::NumberUpdate;
use crate::domain::{DomainEvent, Millis, window};
use crate::store::intake::AppliedInChunk;
use crate::store::{BusinessNumber, IntakeStore, ParsedWebhook, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::model::{Direction, MessageStatus};

use super::conversations::{Activity, Waiting, conversation_for, record_activity};
use super::costs::record_charges;
use super::messages::{Delivered, apply_amendment, exists};
use super::statuses::{apply_recorded_statuses, apply_statuses};

#[async_trait]
impl IntakeStore for Engine {
    async fn apply(
        &self,
        events: &[ParsedWebhook],
        now: Millis,
    ) -> StoreResult<Vec<(i64, StoreError)>> {
        let _turn = self.write_turn().await;
        // Usually every event applies: one transaction, no savepoints, one mark.
        let mut tx = self.derived.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let first = super::journal::first_deliveries(&mut tx, events).await?;
        let mut written = AppliedInChunk::default();
        let mut all_applied = true;
        let mut deliveries = Deliveries::default();
        let to_apply = events.iter().filter(|event| first.contains(&event.id));
        for notification in to_apply.filter_map(|event| event.notification.as_ref()) {
            if apply_notification(&mut tx, notification, &mut written, &mut deliveries, now)
                .await
                .is_err()
            {
                all_applied = false;
                break;
            }
        }
        // The chunk's statuses last, together: their messages are all stored by now.
        if all_applied && deliveries.apply(&mut tx, now).await.is_err() {
            all_applied = false;
        }
        if all_applied {
            let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
            super::journal::mark_processed(&mut tx, &ids, now).await?;
            tx.commit().await?;
            self.announce();
            return Ok(Vec::new());
        }
        tx.rollback().await?;
        // One failed: again, each event isolated by a savepoint, to find which.
        let mut tx = self.derived.begin_with(BEGIN_READ_THEN_WRITE).await?;
        let first = super::journal::first_deliveries(&mut tx, events).await?;
        let mut processed_ids = Vec::new();
        let mut failures = Vec::new();
        for event in events {
            if !first.contains(&event.id) {
                processed_ids.push(event.id); // a redelivery: nothing to apply
                continue;
            }
            let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
            let mut written = AppliedInChunk::default();
            let applied = match &event.notification {
                Some(notification) => {
                    let mut deliveries = Deliveries::default();
                    let applied = apply_notification(
                        &mut savepoint,
                        notification,
                        &mut written,
                        &mut deliveries,
                        now,
                    )
                    .await;
                    match applied {
                        Ok(()) => deliveries.apply(&mut savepoint, now).await,
                        Err(error) => Err(error),
                    }
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
        super::journal::mark_processed(&mut tx, &processed_ids, now).await?;
        tx.commit().await?;
        self.announce();
        Ok(failures)
    }
}

/// A chunk's delivery statuses and the charges they report, applied together after
/// everything else in the chunk.
#[derive(Default)]
struct Deliveries<'a> {
    statuses: Vec<&'a StatusUpdate>,
    charges: Vec<Charge>,
}

impl<'a> Deliveries<'a> {
    fn add(&mut self, change: &'a MessagesChange) {
        self.statuses.extend(&change.statuses);
        if change.phone_number_id.is_empty() {
            return; // no business number: nothing to charge it to
        }
        let charges = (change.statuses.iter())
            .filter_map(|status| Charge::of_status(&change.phone_number_id, status));
        self.charges.extend(charges);
    }

    async fn apply(&self, tx: &mut Tx<'_>, now: Millis) -> StoreResult<()> {
        apply_statuses(tx, &self.statuses, now).await?;
        record_charges(tx, &self.charges).await
    }
}

/// Applies one notification, except its delivery statuses, which it adds to `deliveries`
/// (they are applied for a whole chunk at once).
async fn apply_notification<'a>(
    tx: &mut Tx<'_>,
    notification: &'a Notification,
    written: &mut AppliedInChunk,
    deliveries: &mut Deliveries<'a>,
    now: Millis,
) -> StoreResult<()> {
    for change in &notification.changes {
        match change {
            Change::Messages(change) => {
                apply_messages_change(tx, change, written, now).await?;
                deliveries.add(change);
            }
            Change::Account {
                waba_id,
                field,
                value,
                template,
                number,
            } => {
                let (template, number) = (template.as_ref(), number.as_ref());
                record_account_event(tx, waba_id, field, value, template, number, now).await?
            }
        }
    }
    Ok(())
}

async fn apply_messages_change(
    tx: &mut Tx<'_>,
    change: &MessagesChange,
    written: &mut AppliedInChunk,
    now: Millis,
) -> StoreResult<()> {
    let routable = !change.phone_number_id.is_empty();
    if routable {
        let number = BusinessNumber {
            phone_number_id: change.phone_number_id.clone(),
            waba_id: Some(change.waba_id.clone()).filter(|w| !w.is_empty()),
            display_phone_number: change.display_phone_number.clone(),
            verified_name: None,
            messaging_limit_tier: None,
        };
        if written.numbers.insert(number.clone()) {
            super::numbers::upsert(tx, &number, now).await?;
        }
    }
    for profile in &change.contacts {
        if !profile.key.is_empty() {
            super::contact_identity::resolve(tx, &profile.key, profile, written, now).await?;
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
        let contact_id = super::contact_identity::resolve(tx, &key, &profile, written, now).await?;
        apply_inbound(tx, change, message, contact_id, now).await?;
    }
    for echo in change.echoes.iter().filter(|_| routable) {
        if echo.to.is_empty() {
            continue;
        }
        let profile = profile_for(&change.contacts, &echo.to);
        let contact_id =
            super::contact_identity::resolve(tx, &echo.to, &profile, written, now).await?;
        apply_echo(tx, change, echo, contact_id, now).await?;
    }
    for preference in &change.user_preferences {
        record_account_event(
            tx,
            &change.waba_id,
            "user_preferences",
            preference,
            None,
            None,
            now,
        )
        .await?;
        let changed = DomainEvent::PreferenceChanged {
            waba_id: change.waba_id.clone(),
            preference: preference.clone(),
        };
        super::events::push(tx, &changed, now).await?;
        super::consent::on_preference(tx, preference, now).await?;
    }
    if !change.errors.is_empty() {
        let errors = serde_json::json!(
            change
                .errors
                .iter()
                .map(
                    |e| serde_json::json!({"code": e.code, "title": e.title, "details": e.details})
                )
                .collect::<Vec<_>>()
        );
        record_account_event(
            tx,
            &change.waba_id,
            "messages.errors",
            &errors,
            None,
            None,
            now,
        )
        .await?;
    }
    Ok(())
}

async fn apply_inbound(
    tx: &mut Tx<'_>,
    change: &MessagesChange,
    message: &InboundMessage,
    contact_id: i64,
    now: Millis,
) -> StoreResult<()> {
    let at = message.timestamp_ms;
    if apply_amendment(tx, &message.content, Direction::Inbound, at, now).await? {
        return Ok(());
    }
    if exists(tx, &message.wamid).await? {
        return Ok(()); // a redelivery: already stored, nothing changes
    }
    // A rating (or its comment) lands in the resolved conversation it answers.
    let answer = super::csat::answered(
        tx,
        contact_id,
        &change.phone_number_id,
        &message.content,
        at,
        now,
    )
    .await?;
    let conversation_id = match answer {
        Some(answered) => answered,
        None => conversation_for(tx, contact_id, &change.phone_number_id, at, now).await?,
    };
    let delivered = Delivered {
        conversation_id,
        wamid: &message.wamid,
        direction: Direction::Inbound,
        content: &message.content,
        raw: &message.raw,
        status: MessageStatus::Received,
        sent_at: at,
        reply_to: message.reply_to.as_ref(),
    };
    let Some(message_id) = super::messages::insert(tx, delivered, now).await? else {
        return Ok(());
    };
    let activity = Activity {
        at,
        preview: &preview_of(&message.content),
        window: window::opened_by(message),
        unread: answer.is_none(),
        waiting: if answer.is_none() {
            Waiting::Starts
        } else {
            Waiting::Unchanged
        },
    };
    record_activity(tx, conversation_id, activity).await?;
    let received = DomainEvent::MessageReceived {
        conversation_id,
        message_id,
    };
    super::events::push(tx, &received, now).await?;
    super::campaign_sending::note_reply(tx, conversation_id, at, now).await?;
    super::consent::on_inbound(
        tx,
        contact_id,
        conversation_id,
        message_id,
        &message.content,
        now,
    )
    .await
}

async fn apply_echo(
    tx: &mut Tx<'_>,
    change: &MessagesChange,
    echo: &EchoMessage,
    contact_id: i64,
    now: Millis,
) -> StoreResult<()> {
    let at = echo.timestamp_ms;
    if apply_amendment(tx, &echo.content, Direction::Outbound, at, now).await? {
        return Ok(());
    }
    if exists(tx, &echo.wamid).await? {
        return Ok(());
    }
    let conversation_id =
        conversation_for(tx, contact_id, &change.phone_number_id, at, now).await?;
    let delivered = Delivered {
        conversation_id,
        wamid: &echo.wamid,
        direction: Direction::Outbound,
        content: &echo.content,
        raw: &echo.raw,
        status: MessageStatus::Sent,
        sent_at: at,
        reply_to: None,
    };
    let Some(message_id) = super::messages::insert(tx, delivered, now).await? else {
        return Ok(());
    };
    let activity = Activity {
        at,
        preview: &preview_of(&echo.content),
        window: None,
        unread: false,
        waiting: Waiting::Ends,
    };
    record_activity(tx, conversation_id, activity).await?;
    // A status may have arrived before its echo.
    apply_recorded_statuses(tx, &echo.wamid, now).await?;
    let echoed = DomainEvent::MessageEchoed {
        conversation_id,
        message_id,
    };
    super::events::push(tx, &echoed, now).await
}

/// Keeps an account-level change as it came (the features that read them come later), and
/// applies what it says about a template.
async fn record_account_event(
    tx: &mut Tx<'_>,
    waba_id: &str,
    field: &str,
    value: &serde_json::Value,
    template: Option<&TemplateUpdate>,
    number: Option<&NumberUpdate>,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO account_events (waba_id, field, payload, received_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(waba_id)
    .bind(field)
    .bind(value.to_string())
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    if let Some(update) = template {
        super::templates::apply_update(tx, waba_id, update, now).await?;
    }
    if let Some(update) = number {
        super::number_updates::apply_update(tx, waba_id, update, field, now).await?;
    }
    Ok(())
}
