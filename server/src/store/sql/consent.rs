//! The consent ledger and what writes to it besides members: opt-out keywords in customers'
//! messages, Meta's `user_preferences` webhooks and its 131050 error (the customer stopped
//! marketing). Each is written in the transaction that stores what it is evidence of.

use super::{Engine, Tx};
use crate::domain::inbound::Content;
use crate::domain::{DomainEvent, Millis};
use crate::store::consent::NewConsentEntry;
use crate::store::sql_support::conflict_on_unique;
use crate::store::{ConsentStore, StoreError, StoreResult};
use async_trait::async_trait;
use parley_app::campaigns::RecipientState;
use parley_app::consent::{
    ConsentEntry, ConsentPurpose, ConsentSource, ConsentState, OptOutLanguage, keyword_candidate,
    preference_state,
};
use parley_app::model::{UnixTime, UserId};
use serde_json::{Value, json};

/// Meta's error for a customer who stopped marketing messages from the business.
const STOPPED_MARKETING: i64 = 131050;
/// Meta's error for a number that is not on WhatsApp.
const NOT_ON_WHATSAPP: i64 = 131026;

type EntryRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

const ENTRY_SELECT: &str = "SELECT e.id, e.purpose, e.state, e.source, e.actor_id, u.name,
    e.note, e.evidence, e.recorded_at
    FROM consent_entries e LEFT JOIN users u ON u.id = e.actor_id";

fn entry(row: EntryRow) -> StoreResult<ConsentEntry> {
    let (id, purpose, state, source, actor, actor_name, note, evidence, at) = row;
    let corrupt = |e: parley_app::model::ParseError| StoreError::Corrupt(e.to_string());
    Ok(ConsentEntry {
        id,
        purpose: purpose.parse().map_err(corrupt)?,
        state: state.parse().map_err(corrupt)?,
        source: source.parse().map_err(corrupt)?,
        recorded_by: actor.map(UserId),
        recorded_by_name: actor_name,
        note,
        evidence: evidence.and_then(|e| serde_json::from_str(&e).ok()),
        recorded_at: UnixTime::from_millis(at),
    })
}

/// A contact's current consent for a purpose: their latest entry's state.
pub(super) async fn current(
    tx: &mut Tx<'_>,
    contact_id: i64,
    purpose: ConsentPurpose,
) -> StoreResult<Option<ConsentState>> {
    let state: Option<String> = sqlx::query_scalar(
        "SELECT state FROM consent_entries WHERE contact_id = $1 AND purpose = $2
         ORDER BY id DESC LIMIT 1",
    )
    .bind(contact_id)
    .bind(purpose.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    state
        .map(|s| {
            s.parse()
                .map_err(|e: parley_app::model::ParseError| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
}

/// Appends an entry in the caller's transaction; see [`ConsentStore::record`].
pub(super) async fn append(
    tx: &mut Tx<'_>,
    new: &NewConsentEntry,
    now: Millis,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO consent_entries (contact_id, purpose, state, source, actor_id, note,
           evidence, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.contact_id)
    .bind(new.purpose.as_str())
    .bind(new.state.as_str())
    .bind(new.source.as_str())
    .bind(new.actor.map(|a| a.0))
    .bind(&new.note)
    .bind(new.evidence.as_ref().map(Value::to_string))
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await?;
    if new.purpose == ConsentPurpose::Marketing && new.state == ConsentState::OptedOut {
        withdraw_marketing(tx, new.contact_id, now).await?;
    }
    let recorded = DomainEvent::ConsentRecorded {
        contact_id: new.contact_id,
        purpose: new.purpose,
        state: new.state,
        source: new.source,
    };
    super::events::push(tx, &recorded, now).await?;
    Ok(id)
}

/// Withdraws a contact's marketing campaign messages still waiting in the outbox: they opted
/// out, so they get nothing more.
async fn withdraw_marketing(tx: &mut Tx<'_>, contact_id: i64, now: Millis) -> StoreResult<()> {
    let waiting: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT r.campaign_id, r.contact_id, r.message_id FROM campaign_recipients r
         JOIN campaigns c ON c.id = r.campaign_id
         JOIN outbox o ON o.message_id = r.message_id
         WHERE r.contact_id = $1 AND r.state = 'queued' AND c.template_category = 'MARKETING'
           AND o.state = 'pending'",
    )
    .bind(contact_id)
    .fetch_all(&mut **tx)
    .await?;
    let why = "The customer opted out of marketing before it was sent.";
    let withdrawal = ("Opted out", why, RecipientState::SkippedOptedOut);
    super::campaign_sending::withdraw(tx, &waiting, withdrawal, now).await?;
    Ok(())
}

/// A customer's message: they are on WhatsApp after all; and a whole-message opt-out keyword
/// opts them out of marketing (a repeated STOP adds no entry) and is answered with the
/// confirmation of the keyword's language, each time — their window is open, they just wrote.
pub(super) async fn on_inbound(
    tx: &mut Tx<'_>,
    contact_id: i64,
    conversation_id: i64,
    message_id: i64,
    content: &Content,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE contacts SET unreachable_at = NULL WHERE id = $1 AND unreachable_at IS NOT NULL",
    )
    .bind(contact_id)
    .execute(&mut **tx)
    .await?;
    let text = match content {
        Content::Text { body } => body.as_str(),
        Content::Button { text, .. } => text.as_str(),
        Content::InteractiveReply { title, .. } => title.as_str(),
        _ => return Ok(()),
    };
    let Some(candidate) = keyword_candidate(text) else {
        return Ok(());
    };
    let matched: Option<(String, String)> = sqlx::query_as(
        "SELECT k.language, l.confirmation FROM opt_out_keywords k
         JOIN opt_out_languages l ON l.language = k.language WHERE k.keyword = $1",
    )
    .bind(&candidate)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((language, confirmation)) = matched else {
        return Ok(());
    };
    if current(tx, contact_id, ConsentPurpose::Marketing).await? != Some(ConsentState::OptedOut) {
        let entry = NewConsentEntry {
            contact_id,
            purpose: ConsentPurpose::Marketing,
            state: ConsentState::OptedOut,
            source: ConsentSource::Keyword,
            actor: None,
            note: Some(format!("Wrote “{}”", text.trim())),
            evidence: Some(json!({ "message_id": message_id, "keyword": candidate,
                "language": language })),
        };
        append(tx, &entry, now).await?;
    }
    super::outbox::send_text_in(tx, conversation_id, &confirmation, None, now).await?;
    Ok(())
}

/// Meta refused or failed a message: 131050 records the customer's opt-out from marketing,
/// 131026 marks them unreachable until they write.
pub(super) async fn on_send_failure(
    tx: &mut Tx<'_>,
    message_id: i64,
    code: i64,
    now: Millis,
) -> StoreResult<()> {
    if code != STOPPED_MARKETING && code != NOT_ON_WHATSAPP {
        return Ok(());
    }
    let found: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT c.contact_id, m.campaign_id FROM messages m
         JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1",
    )
    .bind(message_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((contact_id, campaign_id)) = found else {
        return Ok(());
    };
    if code == NOT_ON_WHATSAPP {
        sqlx::query("UPDATE contacts SET unreachable_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(contact_id)
            .execute(&mut **tx)
            .await?;
        return Ok(());
    }
    if current(tx, contact_id, ConsentPurpose::Marketing).await? == Some(ConsentState::OptedOut) {
        return Ok(());
    }
    let entry = NewConsentEntry {
        contact_id,
        purpose: ConsentPurpose::Marketing,
        state: ConsentState::OptedOut,
        source: ConsentSource::CampaignFailure,
        actor: None,
        note: Some("Meta: the customer stopped marketing messages (131050)".into()),
        evidence: Some(
            json!({ "message_id": message_id, "campaign_id": campaign_id,
            "error_code": code }),
        ),
    };
    append(tx, &entry, now).await?;
    Ok(())
}

/// Meta's `user_preferences` entry: the customer stopped or resumed marketing messages (or
/// signed up through a link) in WhatsApp itself.
pub(super) async fn on_preference(
    tx: &mut Tx<'_>,
    preference: &Value,
    now: Millis,
) -> StoreResult<()> {
    let Some(state) = preference_state(preference) else {
        return Ok(());
    };
    let Some(wa_id) = preference.get("wa_id").and_then(Value::as_str) else {
        return Ok(());
    };
    let contact: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM contacts WHERE wa_id = $1 OR phone_key = $2 ORDER BY id LIMIT 1",
    )
    .bind(wa_id)
    .bind(parley_app::contacts::phone_key(wa_id))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(contact_id) = contact else {
        return Ok(());
    };
    let entry = NewConsentEntry {
        contact_id,
        purpose: ConsentPurpose::Marketing,
        state,
        source: ConsentSource::Webhook,
        actor: None,
        note: preference
            .get("detail")
            .and_then(Value::as_str)
            .map(str::to_owned),
        evidence: Some(preference.clone()),
    };
    append(tx, &entry, now).await?;
    Ok(())
}

#[async_trait]
impl ConsentStore for Engine {
    async fn ledger(
        &self,
        contact_id: i64,
        purpose: ConsentPurpose,
    ) -> StoreResult<Vec<ConsentEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE e.contact_id = $1 AND e.purpose = $2 ORDER BY e.id DESC"
        ))
        .bind(contact_id)
        .bind(purpose.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(entry).collect()
    }

    async fn record(&self, new: &NewConsentEntry, now: Millis) -> StoreResult<ConsentEntry> {
        let id = {
            let _turn = self.write_turn().await;
            let mut tx = self.pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM contacts WHERE id = $1")
                .bind(new.contact_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound("contact"));
            }
            let id = append(&mut tx, new, now).await?;
            tx.commit().await?;
            id
        };
        self.announce();
        let row: EntryRow = sqlx::query_as(&format!("{ENTRY_SELECT} WHERE e.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        entry(row)
    }

    async fn record_many(&self, entries: &[NewConsentEntry], now: Millis) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for new in entries {
            append(&mut tx, new, now).await?;
        }
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    async fn opt_out_languages(&self) -> StoreResult<Vec<OptOutLanguage>> {
        let languages: Vec<(String, String)> = sqlx::query_as(
            "SELECT language, confirmation FROM opt_out_languages ORDER BY language",
        )
        .fetch_all(&self.pool)
        .await?;
        let keywords: Vec<(String, String)> =
            sqlx::query_as("SELECT language, keyword FROM opt_out_keywords ORDER BY keyword")
                .fetch_all(&self.pool)
                .await?;
        Ok(languages
            .into_iter()
            .map(|(language, confirmation)| OptOutLanguage {
                keywords: keywords
                    .iter()
                    .filter(|(of, _)| *of == language)
                    .map(|(_, keyword)| keyword.clone())
                    .collect(),
                language,
                confirmation,
            })
            .collect())
    }

    async fn set_opt_out_languages(&self, languages: &[OptOutLanguage]) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM opt_out_keywords")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM opt_out_languages")
            .execute(&mut *tx)
            .await?;
        for language in languages {
            sqlx::query("INSERT INTO opt_out_languages (language, confirmation) VALUES ($1, $2)")
                .bind(&language.language)
                .bind(&language.confirmation)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, "that language"))?;
            for keyword in &language.keywords {
                sqlx::query("INSERT INTO opt_out_keywords (keyword, language) VALUES ($1, $2)")
                    .bind(keyword)
                    .bind(&language.language)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "a keyword in two languages"))?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
