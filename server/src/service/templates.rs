//! Message templates: agents read the approved ones (to send them); admins see every template
//! with its approval story, sync them from Meta, submit new ones and delete them.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::{Template, TemplateEntry, TemplateRecord};
use crate::whatsapp::ids::{TemplateId, WabaId};
use parley_app::model::Viewer;
use parley_app::templates::TemplateStatus;
use serde_json::Value;

/// Filters on the template list (empty: any).
#[derive(Clone, Debug, Default)]
pub struct TemplateFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
}

fn account(svc: &Services) -> ServiceResult<&WabaId> {
    svc.config
        .whatsapp
        .waba_id
        .as_ref()
        .ok_or(ServiceError::NotConfigured(
            "no WhatsApp Business Account is configured (set WA_WABA_ID)",
        ))
}

fn visible_to(viewer: &Viewer, template: &Template) -> bool {
    viewer.is_admin() || template.record.status == TemplateStatus::Approved
}

/// Templates: all of them for admins, the approved ones for agents.
pub async fn list(
    svc: &Services,
    viewer: &Viewer,
    filter: &TemplateFilter,
) -> ServiceResult<Vec<Template>> {
    let wanted = |field: &Option<String>, value: &str| {
        field
            .as_deref()
            .filter(|f| !f.is_empty())
            .is_none_or(|f| f.eq_ignore_ascii_case(value))
    };
    Ok(svc
        .store
        .templates
        .list()
        .await?
        .into_iter()
        .filter(|t| visible_to(viewer, t))
        .filter(|t| wanted(&filter.status, t.record.status.as_str()))
        .filter(|t| wanted(&filter.category, &t.record.category))
        .filter(|t| wanted(&filter.language, &t.record.language))
        .collect())
}

/// One template with its timeline (agents: approved templates only).
pub async fn get(
    svc: &Services,
    viewer: &Viewer,
    id: &str,
) -> ServiceResult<(Template, Vec<TemplateEntry>)> {
    svc.store
        .templates
        .get(id)
        .await?
        .filter(|(template, _)| visible_to(viewer, template))
        .ok_or(ServiceError::NotFound("template"))
}

/// Re-reads every template from Meta now; answers how many changed.
pub async fn sync(svc: &Services, viewer: &Viewer) -> ServiceResult<usize> {
    require_admin(viewer)?;
    let waba_id = account(svc)?;
    crate::templates::sync(&svc.store, svc.graph()?, waba_id, &svc.clock)
        .await
        .map_err(|error| match error {
            crate::templates::SyncError::Graph(e) => e.into(),
            crate::templates::SyncError::Store(e) => e.into(),
        })
}

/// A template name as Meta allows it: lowercase letters, digits and underscores.
pub fn check_name(name: &str) -> ServiceResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ServiceError::Invalid(
            "the name may only contain lowercase letters, digits and underscores".into(),
        ))
    }
}

/// Submits a template (Meta's creation body) for review and records it as submitted; Meta's
/// objections come back in Meta's words. Answers its id.
pub async fn submit(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    body: &Value,
) -> ServiceResult<String> {
    require_admin(viewer)?;
    let waba_id = account(svc)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    check_name(text("name"))?;
    let created = svc
        .graph()?
        .create_template(waba_id, body)
        .await
        .map_err(refused_by_meta)?;
    let template = TemplateRecord {
        id: created.id.clone(),
        waba_id: waba_id.to_string(),
        name: text("name").to_owned(),
        language: text("language").to_owned(),
        category: if created.category.is_empty() {
            text("category").to_owned()
        } else {
            created.category
        },
        status: TemplateStatus::from(created.status),
        quality: None,
        rejected_reason: None,
        components: body.get("components").cloned().unwrap_or(Value::Null),
    };
    svc.store
        .templates
        .record_submitted(&template, svc.now())
        .await?;
    let details = serde_json::json!({
        "name": template.name, "language": template.language, "category": template.category,
    });
    let target = format!("template {}", template.name);
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::TemplateSubmitted,
        target,
        details,
    )
    .await;
    Ok(created.id)
}

/// Deletes a template at Meta, then marks it deleted here.
pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: &str,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let (template, _) = svc
        .store
        .templates
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("template"))?;
    let (Ok(waba_id), Ok(template_id)) = (
        WabaId::parse(&template.record.waba_id),
        TemplateId::parse(id),
    ) else {
        return Err(ServiceError::Invalid(
            "this template's ids are not ones Meta gave".into(),
        ));
    };
    svc.graph()?
        .delete_template(&waba_id, &template.record.name, &template_id)
        .await?;
    svc.store.templates.record_deleted(id, svc.now()).await?;
    let details = serde_json::json!({"id": id, "language": template.record.language});
    let target = format!("template {}", template.record.name);
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::TemplateDeleted,
        target,
        details,
    )
    .await;
    Ok(())
}

/// Uploads a media header's sample through the app's resumable upload; answers the handle
/// that goes into the template's `example.header_handle`.
pub async fn upload_sample(
    svc: &Services,
    viewer: &Viewer,
    file: bytes::Bytes,
    mime_type: &str,
    filename: &str,
) -> ServiceResult<String> {
    require_admin(viewer)?;
    let app_id = svc
        .config
        .whatsapp
        .app_id
        .as_ref()
        .ok_or(ServiceError::NotConfigured(
            "media headers need the Meta app's id: set WA_APP_ID",
        ))?;
    Ok(svc
        .graph()?
        .upload_sample(app_id, file, mime_type, filename)
        .await?)
}

/// Templates sent in the last 30 days that Meta has since paused, disabled or rejected.
pub async fn troubled(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<Template>> {
    require_admin(viewer)?;
    let month_ago = svc
        .now()
        .minus(std::time::Duration::from_secs(30 * 24 * 3600));
    Ok(svc.store.templates.troubled(month_ago).await?)
}

/// Meta refusing a submission (400) is the member's to fix: its own words, as invalid input.
fn refused_by_meta(error: crate::graph::GraphError) -> ServiceError {
    match error {
        e @ crate::graph::GraphError::Api { status: 400, .. } => {
            ServiceError::Invalid(e.for_members())
        }
        other => other.into(),
    }
}

/// The template of that name and language on the account (`waba_id`, when known), refused
/// with the reason unless it is APPROVED: the only templates Meta sends.
pub async fn approved(
    store: &crate::store::Store,
    waba_id: Option<&str>,
    name: &str,
    language: &str,
) -> ServiceResult<parley_app::templates::TemplateView> {
    let found = store
        .templates
        .by_name(waba_id, name, language)
        .await?
        .as_ref()
        .map(crate::views::template)
        .ok_or_else(|| {
            ServiceError::Invalid(format!(
                "there is no template {name} in {language}; sync the templates or check its name"
            ))
        })?;
    if found.status != parley_app::templates::TemplateStatus::Approved {
        return Err(ServiceError::Invalid(format!(
            "template {} ({}) is {}: only APPROVED templates can be sent",
            found.name, found.language, found.status
        )));
    }
    Ok(found)
}
