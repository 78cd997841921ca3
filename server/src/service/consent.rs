//! Consent: every member reads a contact's ledger and records what a customer told them
//! (an entry is evidence, so it names who wrote it and is never changed); admins set the
//! opt-out keywords. What Parley records itself (keywords, Meta's preferences and errors)
//! is written by the store in the transaction that saw it.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::NewConsentEntry;
use parley_app::consent::{
    ConsentEntry, ConsentLedger, ConsentPurpose, ConsentRequest, ConsentState, MAX_NOTE_CHARS,
    OptOutLanguage, check_opt_out_language,
};
use parley_app::model::Viewer;
use serde_json::json;

/// A contact's marketing consent now: their latest entry's state.
pub async fn current(svc: &Services, contact_id: i64) -> ServiceResult<Option<ConsentState>> {
    let entries = svc
        .store
        .consent
        .ledger(contact_id, ConsentPurpose::Marketing)
        .await?;
    Ok(entries.first().map(|e| e.state))
}

pub async fn ledger(
    svc: &Services,
    _viewer: &Viewer,
    contact_id: i64,
    purpose: ConsentPurpose,
) -> ServiceResult<ConsentLedger> {
    svc.store
        .contacts
        .get(contact_id)
        .await?
        .ok_or(ServiceError::NotFound("contact"))?;
    let entries = svc.store.consent.ledger(contact_id, purpose).await?;
    Ok(ConsentLedger {
        contact_id,
        purpose,
        state: entries.first().map(|e| e.state),
        entries,
    })
}

/// Appends what a member or API client records (sources `api`, `agent`, `import`).
pub async fn record(
    svc: &Services,
    viewer: &Viewer,
    contact_id: i64,
    request: ConsentRequest,
) -> ServiceResult<ConsentEntry> {
    if !request.source.written_by_members() {
        return Err(ServiceError::Invalid(format!(
            "source {} is what Parley records itself; use api, agent or import",
            request.source.as_str()
        )));
    }
    let note = request
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ServiceError::Invalid(format!(
            "a note may have at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let entry = NewConsentEntry {
        contact_id,
        purpose: request.purpose,
        state: request.state,
        source: request.source,
        actor: Some(viewer.id),
        note,
        evidence: None,
    };
    Ok(svc.store.consent.record(&entry, svc.now()).await?)
}

pub async fn opt_out_languages(
    svc: &Services,
    _viewer: &Viewer,
) -> ServiceResult<Vec<OptOutLanguage>> {
    Ok(svc.store.consent.opt_out_languages().await?)
}

/// Replaces the opt-out keywords of every language (admins).
pub async fn set_opt_out_languages(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    languages: Vec<OptOutLanguage>,
) -> ServiceResult<Vec<OptOutLanguage>> {
    require_admin(viewer)?;
    let checked = languages
        .iter()
        .map(check_opt_out_language)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ServiceError::Invalid)?;
    svc.store.consent.set_opt_out_languages(&checked).await?;
    let details = json!({ "languages": checked.iter().map(|l| &l.language).collect::<Vec<_>>() });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ConsentKeywordsChanged,
        "opt-out keywords".into(),
        details,
    )
    .await;
    opt_out_languages(svc, viewer).await
}
