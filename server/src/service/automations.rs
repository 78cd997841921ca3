//! Automation rules: admins write, order, switch, test and read the runs of rules; the worker
//! ([`crate::automation`]) judges events with them. Every rule is checked whole on saving.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::domain::automation::{ATTRIBUTE, Facts, Rule};
use crate::store::automations::{AutomationRecord, AutomationRun};
use parley_app::automation::{
    ActionResult, Automation, AutomationDraft, AutomationPatch, AutomationRunView,
    AutomationSample, AutomationVerdict,
};
use parley_app::collaboration::check_shortcut;
use parley_app::model::{UnixTime, Viewer};

/// Most runs a rule's history answers with.
const RUNS_SHOWN: i64 = 100;

pub fn view(record: AutomationRecord) -> Automation {
    Automation {
        id: record.id,
        position: record.position,
        rule: record.draft,
        disabled_reason: record.disabled_reason,
        created_at: UnixTime::from_millis(record.created_at.0),
        updated_at: UnixTime::from_millis(record.updated_at.0),
    }
}

fn run_view(run: AutomationRun) -> AutomationRunView {
    AutomationRunView {
        id: run.id,
        event_id: run.event_id,
        occasion_at: run.occasion_at.map(|at| UnixTime::from_millis(at.0)),
        conversation_id: run.conversation_id,
        matched: run.matched,
        acted: run.acted,
        reasons: run.reasons,
        actions: (run.actions.into_iter())
            .map(|outcome| ActionResult {
                action: outcome.action,
                result: outcome.result,
            })
            .collect(),
        at: UnixTime::from_millis(run.at.0),
    }
}

/// Checks a rule and what it names: its labels, team, members, (shared) canned replies and
/// (approved) templates must exist.
async fn checked(svc: &Services, viewer: &Viewer, draft: AutomationDraft) -> ServiceResult<Rule> {
    use parley_app::automation::AutomationAction as Action;
    let rule = Rule::check(draft).map_err(ServiceError::Invalid)?;
    let labels = svc.store.labels.list().await?;
    let teams = svc.store.routing.teams().await?;
    let users = svc.store.team.list_users().await?;
    let canned = svc.store.canned_replies.visible_to(viewer.id).await?;
    let attributes = svc.store.contacts.attributes().await?;
    for condition in &rule.draft.conditions {
        if let Some(key) = condition.field.strip_prefix(ATTRIBUTE)
            && !attributes.iter().any(|a| a.key.as_str() == key)
        {
            return Err(ServiceError::Invalid(format!(
                "no contact attribute “{key}”"
            )));
        }
    }
    for action in &rule.draft.actions {
        match action {
            Action::AddLabel { label } | Action::RemoveLabel { label } => {
                let wanted = label.trim().to_lowercase();
                if !labels
                    .iter()
                    .any(|l| l.name.as_str().to_lowercase() == wanted)
                {
                    return Err(ServiceError::Invalid(format!(
                        "no label “{}”",
                        label.trim()
                    )));
                }
            }
            Action::AssignTeam { team_id } if !teams.iter().any(|t| t.id == *team_id) => {
                return Err(ServiceError::Invalid(format!("no team {team_id}")));
            }
            Action::SendTemplate {
                name,
                language,
                parameters,
            } => {
                let template =
                    super::templates::approved(&svc.store, None, name.trim(), language.trim())
                        .await?;
                if template.header_media().is_some() {
                    return Err(ServiceError::Invalid(format!(
                        "template {name} needs a header image, video or document: rules send templates without"
                    )));
                }
                let wanted = template.parameters().len();
                if wanted != parameters.len() {
                    return Err(ServiceError::Invalid(format!(
                        "template {name} takes {wanted} parameter(s); {} given",
                        parameters.len()
                    )));
                }
            }
            Action::SendCanned { shortcut } => {
                let wanted =
                    check_shortcut(shortcut).map_err(|e| ServiceError::Invalid(e.to_string()))?;
                if !canned
                    .iter()
                    .any(|c| c.owner.is_none() && c.shortcut == wanted)
                {
                    return Err(ServiceError::Invalid(format!(
                        "no shared canned reply “{wanted}”"
                    )));
                }
            }
            Action::AssignMember { member_id }
            | Action::Notify {
                member_id: Some(member_id),
                ..
            } if !users.iter().any(|u| u.id.0 == *member_id && !u.disabled) => {
                return Err(ServiceError::Invalid(format!(
                    "no member {member_id} (or they are disabled)"
                )));
            }
            _ => {}
        }
    }
    Ok(rule)
}

pub async fn list(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<Automation>> {
    require_admin(viewer)?;
    let records = svc.store.automations.automations().await?;
    Ok(records.into_iter().map(view).collect())
}

pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: AutomationDraft,
) -> ServiceResult<Automation> {
    require_admin(viewer)?;
    let rule = checked(svc, viewer, draft).await?;
    let record = svc
        .store
        .automations
        .create_automation(&rule.draft, svc.now())
        .await?;
    record_change(svc, viewer, origin, AuditAction::AutomationCreated, &record).await;
    Ok(view(record))
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
    patch: AutomationPatch,
) -> ServiceResult<Automation> {
    require_admin(viewer)?;
    let mut draft = svc.store.automations.automation(id).await?.draft;
    if let Some(name) = patch.name {
        draft.name = name;
    }
    if let Some(enabled) = patch.enabled {
        draft.enabled = enabled;
    }
    if let Some(trigger) = patch.trigger {
        draft.trigger = trigger;
    }
    if let Some(match_) = patch.match_ {
        draft.match_ = match_;
    }
    if let Some(conditions) = patch.conditions {
        draft.conditions = conditions;
    }
    if let Some(actions) = patch.actions {
        draft.actions = actions;
    }
    if let Some(once) = patch.once_per_closed_period {
        draft.once_per_closed_period = once;
    }
    if let Some(cooldown) = patch.cooldown_minutes {
        draft.cooldown_minutes = (cooldown > 0).then_some(cooldown);
    }
    let rule = checked(svc, viewer, draft).await?;
    let record = svc
        .store
        .automations
        .update_automation(id, &rule.draft, patch.position, svc.now())
        .await?;
    record_change(svc, viewer, origin, AuditAction::AutomationChanged, &record).await;
    Ok(view(record))
}

pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let record = svc.store.automations.automation(id).await?;
    svc.store.automations.delete_automation(id).await?;
    record_change(svc, viewer, origin, AuditAction::AutomationDeleted, &record).await;
    Ok(())
}

pub async fn runs(
    svc: &Services,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<Vec<AutomationRunView>> {
    require_admin(viewer)?;
    svc.store.automations.automation(id).await?;
    let runs = svc
        .store
        .automations
        .automation_runs(id, RUNS_SHOWN)
        .await?;
    Ok(runs.into_iter().map(run_view).collect())
}

/// Judges a sample with a rule, saved or not, without acting.
pub async fn test(
    svc: &Services,
    viewer: &Viewer,
    draft: AutomationDraft,
    sample: AutomationSample,
) -> ServiceResult<AutomationVerdict> {
    require_admin(viewer)?;
    let rule = Rule::check(draft).map_err(ServiceError::Invalid)?;
    let open = match sample.business_hours_open {
        Some(open) => open,
        None => super::business_hours::schedule(svc)
            .await?
            .is_open(svc.now()),
    };
    let facts = Facts {
        text: sample.text,
        contact_labels: sample.contact_labels,
        contact_attributes: sample.contact_attributes.into_iter().collect(),
        phone_number_id: sample.business_number.unwrap_or_default(),
        team_id: sample.team_id,
        open,
        first_message: sample.first_message,
        ..Facts::default()
    };
    let verdict = rule.judge(&facts);
    Ok(AutomationVerdict {
        matched: verdict.matched,
        reasons: verdict.reasons,
        actions: if verdict.matched {
            rule.draft.actions
        } else {
            Vec::new()
        },
    })
}

/// A saved rule's draft, to test it.
pub async fn saved(svc: &Services, viewer: &Viewer, id: i64) -> ServiceResult<AutomationDraft> {
    require_admin(viewer)?;
    Ok(svc.store.automations.automation(id).await?.draft)
}

async fn record_change(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    action: AuditAction,
    record: &AutomationRecord,
) {
    let details = serde_json::to_value(&record.draft).expect("automation rules serialise");
    let target = format!("automation {}", record.id);
    audit::record(svc, Actor::Member(viewer), origin, action, target, details).await;
}
