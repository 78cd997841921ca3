//! Campaigns: every member reads them; admins write, start, pause, resume, cancel and delete
//! them (each audited). A campaign is checked when written (an APPROVED template, parameters
//! that fit it, an audience that exists) and again when it starts; its recipients are fixed
//! then, each eligible or left out with the reason (no WhatsApp, no marketing consent, opted
//! out, over the frequency cap). [`super::campaign_runner`] sends them.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, labels, require_admin, segments, sending};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use crate::domain::cost;
use crate::store::campaigns::{CampaignWrite, Eligibility};
use crate::store::{CampaignRecord, ContactQuery};
use parley_app::campaigns::{
    Audience, Campaign, CampaignCounts, CampaignDraft, CampaignPatch, CampaignPreview,
    CampaignState, CampaignTemplate, FailureCount, ParameterSource, PauseReason, RecipientFilter,
    RecipientPage, check_name, error_meaning, fill_parameters, parse_parameters,
};
use parley_app::costs::SpendGrouping;
use parley_app::model::{UnixTime, Viewer};
use parley_app::templates::TemplateView;
use serde_json::{Value, json};
use std::time::Duration;

/// The rolling window the frequency cap counts over.
const CAP_WINDOW: Duration = Duration::from_secs(30 * 86_400);

/// Who may receive a campaign's template now.
pub fn eligibility(svc: &Services, marketing: bool) -> Eligibility {
    Eligibility {
        marketing,
        frequency_cap: svc.config.marketing_frequency_cap,
        cap_since: svc.now().minus(CAP_WINDOW),
    }
}

/// The approved template a campaign sends, as the number's account has it.
pub(super) async fn approved_template(
    svc: &Services,
    phone_number_id: &str,
    template: &CampaignTemplate,
) -> ServiceResult<TemplateView> {
    let numbers = svc.store.numbers.list().await?;
    let number = numbers
        .iter()
        .find(|n| n.phone_number_id == phone_number_id)
        .ok_or_else(|| {
            ServiceError::Invalid(format!(
                "{phone_number_id} is not one of the business numbers"
            ))
        })?;
    super::templates::approved(
        &svc.store,
        number.waba_id.as_deref(),
        &template.name,
        &template.language,
    )
    .await
}

/// A campaign checked against its template, the attributes and its audience: what to store,
/// the template it sends, and the contact query its audience is.
struct Checked {
    write: CampaignWrite,
    template: TemplateView,
    audience: ContactQuery,
}

/// Checks every part of a campaign against the template, the attributes and the audience.
async fn check(svc: &Services, draft: &CampaignDraft) -> ServiceResult<Checked> {
    let name = check_name(&draft.name).map_err(ServiceError::Invalid)?;
    let template = approved_template(svc, &draft.phone_number_id, &draft.template).await?;
    let sources = parse_parameters(&draft.template.parameters).map_err(ServiceError::Invalid)?;
    let expected = template.parameters().len();
    if sources.len() != expected {
        return Err(ServiceError::Invalid(format!(
            "template {} takes {expected} parameter(s); {} given",
            template.name,
            sources.len()
        )));
    }
    let attributes = svc.store.contacts.attributes().await?;
    for key in sources.iter().filter_map(ParameterSource::attribute) {
        if !attributes.iter().any(|a| a.key.as_str() == key) {
            return Err(ServiceError::Invalid(format!(
                "there is no contact attribute {key:?}"
            )));
        }
    }
    sending::header_component(
        &svc.store,
        &draft.phone_number_id,
        &template,
        draft.template.header_media_id.as_deref(),
    )
    .await?;
    draft.audience.check().map_err(ServiceError::Invalid)?;
    let audience = audience_query(svc, &draft.audience).await?;
    let now = svc.now();
    let scheduled_at = draft.scheduled_at.map(|t| Millis(t.millis()));
    if scheduled_at.is_some_and(|at| at <= now) {
        return Err(ServiceError::Invalid(
            "scheduled_at must be in the future (or leave it out and start by hand)".into(),
        ));
    }
    let write = CampaignWrite {
        name,
        phone_number_id: draft.phone_number_id.clone(),
        template: draft.template.clone(),
        template_category: template.category.to_ascii_uppercase(),
        audience: draft.audience.clone(),
        state: if scheduled_at.is_some() {
            CampaignState::Scheduled
        } else {
            CampaignState::Draft
        },
        scheduled_at,
    };
    Ok(Checked {
        write,
        template,
        audience,
    })
}

/// The contacts an audience names, as a contact query.
async fn audience_query(svc: &Services, audience: &Audience) -> ServiceResult<ContactQuery> {
    match audience {
        Audience::Labels { labels: names } => Ok(ContactQuery {
            any_labels: labels::resolve(svc, names).await?,
            ..ContactQuery::default()
        }),
        Audience::Segment { segment_id } => {
            let segment = svc
                .store
                .contacts
                .segment(*segment_id)
                .await?
                .ok_or_else(|| {
                    ServiceError::Invalid(format!("there is no segment {segment_id}"))
                })?;
            let attributes = svc.store.contacts.attributes().await?;
            segments::query_for(svc, &segment.filter, &attributes).await
        }
        Audience::Contacts { contact_ids } => Ok(ContactQuery {
            ids: Some(contact_ids.clone()),
            ..ContactQuery::default()
        }),
    }
}

/// A campaign with its counts: its recipients once started, else its audience as it stands.
async fn with_counts(svc: &Services, record: CampaignRecord) -> ServiceResult<Campaign> {
    let mut counts = CampaignCounts::default();
    let mut failures = Vec::new();
    if record.state.editable() {
        if let Ok(query) = audience_query(svc, &record.audience).await {
            let rules = eligibility(svc, record.marketing());
            for (state, count) in svc.store.campaigns.preview(&query, &rules).await? {
                counts.add(state, None, false, count);
            }
        }
    } else {
        for (state, status, replied, count) in svc.store.campaigns.counts(record.id).await? {
            counts.add(state, status.as_deref(), replied, count);
        }
        failures = svc
            .store
            .campaigns
            .failures(record.id)
            .await?
            .into_iter()
            .map(|(code, count)| FailureCount {
                code,
                meaning: error_meaning(code).to_owned(),
                count,
            })
            .collect();
    }
    Ok(Campaign {
        id: record.id,
        name: record.name,
        phone_number_id: record.phone_number_id,
        display_phone_number: record.display_phone_number,
        template: record.template,
        template_category: record.template_category,
        audience: record.audience,
        state: record.state,
        pause_reason: record.pause_reason,
        scheduled_at: record.scheduled_at.map(|t| UnixTime::from_millis(t.0)),
        started_at: record.started_at.map(|t| UnixTime::from_millis(t.0)),
        finished_at: record.finished_at.map(|t| UnixTime::from_millis(t.0)),
        created_by_name: record.created_by_name,
        created_at: UnixTime::from_millis(record.created_at.0),
        counts,
        failures,
    })
}

pub(super) async fn record(svc: &Services, id: i64) -> ServiceResult<CampaignRecord> {
    svc.store
        .campaigns
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("campaign"))
}

pub async fn list(svc: &Services, _viewer: &Viewer) -> ServiceResult<Vec<Campaign>> {
    let mut campaigns = Vec::new();
    for record in svc.store.campaigns.list().await? {
        campaigns.push(with_counts(svc, record).await?);
    }
    Ok(campaigns)
}

pub async fn get(svc: &Services, _viewer: &Viewer, id: i64) -> ServiceResult<Campaign> {
    with_counts(svc, record(svc, id).await?).await
}

pub async fn preview(
    svc: &Services,
    _viewer: &Viewer,
    draft: &CampaignDraft,
) -> ServiceResult<CampaignPreview> {
    let Checked {
        write,
        template,
        audience: query,
    } = check(svc, draft).await?;
    let rules = eligibility(svc, write.template_category == "MARKETING");
    let mut counts = CampaignCounts::default();
    for (state, count) in svc.store.campaigns.preview(&query, &rules).await? {
        counts.add(state, None, false, count);
    }
    let sources = parse_parameters(&draft.template.parameters).map_err(ServiceError::Invalid)?;
    let sample = match svc.store.campaigns.eligible_sample(&query, &rules).await? {
        Some(id) => svc.store.contacts.get(id).await?,
        None => None,
    };
    let (sample_contact, sample_text) = match sample {
        Some(contact) => {
            let fields = parley_app::campaigns::RecipientFields {
                name: contact.name().map(str::to_owned),
                phone: contact.wa_id.as_ref().map(|w| format!("+{w}")),
                email: contact.email.clone(),
                company: contact.company.clone(),
                attributes: contact.attributes.clone(),
            };
            let text = fill_parameters(&sources, &fields).map(|values| template.render(&values));
            let who = contact.name().map(str::to_owned).or(fields.phone.clone());
            (who, text)
        }
        None => (None, None),
    };
    let prefixes = svc
        .store
        .campaigns
        .eligible_by_prefix(&query, &rules)
        .await?;
    let card = svc.store.costs.rate_card().await?;
    let category = write.template_category.to_ascii_lowercase();
    let now = svc.now();
    let this_month = svc
        .store
        .costs
        .count_charges(SpendGrouping::Category, cost::month_start(now), now)
        .await?;
    Ok(CampaignPreview {
        counts,
        sample_contact,
        sample_text,
        estimated_cost: cost::estimate(&prefixes, &category, &card, now, &this_month),
    })
}

async fn audit_campaign(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    action: AuditAction,
    id: i64,
    details: Value,
) {
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        action,
        format!("campaign {id}"),
        details,
    )
    .await;
}

pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: CampaignDraft,
) -> ServiceResult<Campaign> {
    require_admin(viewer)?;
    let checked = check(svc, &draft).await?;
    let created = svc
        .store
        .campaigns
        .create(&checked.write, viewer.id, svc.now())
        .await?;
    let details = json!({"name": created.name, "template": created.template.name});
    audit_campaign(
        svc,
        viewer,
        origin,
        AuditAction::CampaignSaved,
        created.id,
        details,
    )
    .await;
    with_counts(svc, created).await
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
    patch: CampaignPatch,
) -> ServiceResult<Campaign> {
    require_admin(viewer)?;
    let current = record(svc, id).await?;
    if !current.state.editable() {
        return Err(ServiceError::Conflict(
            "only a draft or scheduled campaign can be changed".into(),
        ));
    }
    let draft = CampaignDraft {
        name: patch.name.unwrap_or(current.name),
        phone_number_id: patch.phone_number_id.unwrap_or(current.phone_number_id),
        template: patch.template.unwrap_or(current.template),
        audience: patch.audience.unwrap_or(current.audience),
        scheduled_at: match patch.scheduled_at {
            Some(at) => at,
            None => current.scheduled_at.map(|t| UnixTime::from_millis(t.0)),
        },
    };
    let checked = check(svc, &draft).await?.write;
    svc.store.campaigns.update(id, &checked, svc.now()).await?;
    let details = json!({"name": checked.name, "template": checked.template.name});
    audit_campaign(svc, viewer, origin, AuditAction::CampaignSaved, id, details).await;
    get(svc, viewer, id).await
}

pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let current = record(svc, id).await?;
    svc.store.campaigns.delete(id).await?;
    let details = json!({"name": current.name});
    audit_campaign(
        svc,
        viewer,
        origin,
        AuditAction::CampaignDeleted,
        id,
        details,
    )
    .await;
    Ok(())
}

/// Fixes the recipients and starts sending (a member's start, or a schedule's).
pub(super) async fn start_now(svc: &Services, current: &CampaignRecord) -> ServiceResult<()> {
    let draft = CampaignDraft {
        name: current.name.clone(),
        phone_number_id: current.phone_number_id.clone(),
        template: current.template.clone(),
        audience: current.audience.clone(),
        scheduled_at: None,
    };
    // The template or the audience may have changed since the campaign was written.
    let checked = check(svc, &draft).await?;
    let rules = eligibility(svc, checked.write.template_category == "MARKETING");
    svc.store
        .campaigns
        .start(current.id, &checked.audience, &rules, svc.now())
        .await?;
    svc.store.wakeups.sends_queued();
    Ok(())
}

pub async fn start(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<Campaign> {
    require_admin(viewer)?;
    let current = record(svc, id).await?;
    start_now(svc, &current).await?;
    audit_campaign(
        svc,
        viewer,
        origin,
        AuditAction::CampaignStarted,
        id,
        json!({}),
    )
    .await;
    get(svc, viewer, id).await
}

pub async fn pause(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<Campaign> {
    let (from, to) = (CampaignState::Sending, CampaignState::Paused);
    let action = AuditAction::CampaignPaused;
    move_by_member(
        svc,
        viewer,
        origin,
        id,
        (from, to, Some(PauseReason::Member)),
        action,
    )
    .await
}

pub async fn resume(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<Campaign> {
    let (from, to) = (CampaignState::Paused, CampaignState::Sending);
    let action = AuditAction::CampaignResumed;
    move_by_member(svc, viewer, origin, id, (from, to, None), action).await
}

/// An admin moves a campaign from one state to another (with why, for a pause), audited.
async fn move_by_member(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
    (from, to, reason): (CampaignState, CampaignState, Option<PauseReason>),
    action: AuditAction,
) -> ServiceResult<Campaign> {
    require_admin(viewer)?;
    svc.store
        .campaigns
        .transition(id, &[from], to, reason, svc.now())
        .await?;
    audit_campaign(svc, viewer, origin, action, id, json!({})).await;
    get(svc, viewer, id).await
}

pub async fn cancel(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<Campaign> {
    require_admin(viewer)?;
    svc.store.campaigns.cancel(id, svc.now()).await?;
    audit_campaign(
        svc,
        viewer,
        origin,
        AuditAction::CampaignCancelled,
        id,
        json!({}),
    )
    .await;
    get(svc, viewer, id).await
}

/// Most recipients a page holds.
pub const MAX_RECIPIENT_PAGE: i64 = 500;

pub async fn recipients(
    svc: &Services,
    _viewer: &Viewer,
    id: i64,
    filter: Option<RecipientFilter>,
    after: Option<i64>,
    limit: i64,
) -> ServiceResult<RecipientPage> {
    record(svc, id).await?;
    let limit = limit.clamp(1, MAX_RECIPIENT_PAGE);
    let recipients = svc
        .store
        .campaigns
        .recipients(id, filter, after, limit)
        .await?;
    let next_after = (recipients.len() as i64 == limit)
        .then(|| recipients.last().map(|r| r.contact_id))
        .flatten();
    Ok(RecipientPage {
        recipients,
        next_after,
    })
}
