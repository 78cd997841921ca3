//! Labels: admins define them; every member reads them and puts them on conversations
//! (through `conversations::change`).

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::{Label, LabelUpdate, NewLabel};
use parley_app::collaboration::{Colour, LabelDraft, LabelName};
use parley_app::model::Viewer;
use serde_json::json;

/// At most this many characters of description.
const MAX_DESCRIPTION: usize = 200;

pub async fn list(svc: &Services, _viewer: &Viewer) -> ServiceResult<Vec<Label>> {
    Ok(svc.store.labels.list().await?)
}

fn invalid(error: parley_app::model::ParseError) -> ServiceError {
    ServiceError::Invalid(error.to_string())
}

fn description(raw: Option<String>) -> ServiceResult<Option<String>> {
    let description = raw.map(|d| d.trim().to_owned());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(ServiceError::Invalid(format!(
            "a description may be at most {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(description)
}

pub async fn create(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    draft: LabelDraft,
) -> ServiceResult<Label> {
    require_admin(viewer)?;
    let name = LabelName::parse(draft.name.as_deref().unwrap_or_default()).map_err(invalid)?;
    let colour = match draft.colour.as_deref() {
        Some(colour) => Colour::parse(colour).map_err(invalid)?,
        None => Colour::parse("#64748b").expect("a valid colour"),
    };
    let label = NewLabel {
        name,
        colour,
        description: description(draft.description)?.unwrap_or_default(),
    };
    let label = svc.store.labels.create(&label, svc.now()).await?;
    let details = json!({"name": label.name.as_str(), "colour": label.colour.as_str()});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::LabelCreated,
        target(label.id),
        details,
    )
    .await;
    Ok(label)
}

pub async fn update(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
    draft: LabelDraft,
) -> ServiceResult<Label> {
    require_admin(viewer)?;
    let update = LabelUpdate {
        name: draft
            .name
            .as_deref()
            .map(LabelName::parse)
            .transpose()
            .map_err(invalid)?,
        colour: draft
            .colour
            .as_deref()
            .map(Colour::parse)
            .transpose()
            .map_err(invalid)?,
        description: description(draft.description)?,
    };
    let label = svc.store.labels.update(id, &update, svc.now()).await?;
    let details = json!({
        "name": update.name.map(|n| n.as_str().to_owned()),
        "colour": update.colour.map(|c| c.as_str().to_owned()),
        "description": update.description,
    });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::LabelChanged,
        target(id),
        details,
    )
    .await;
    Ok(label)
}

pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let name = svc
        .store
        .labels
        .list()
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .map(|l| l.name);
    svc.store.labels.delete(id, svc.now()).await?;
    let details = json!({"name": name.as_ref().map(|n| n.as_str())});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::LabelDeleted,
        target(id),
        details,
    )
    .await;
    Ok(())
}

fn target(id: i64) -> String {
    format!("label {id}")
}

/// The ids of the labels these names (any case) name; an unknown name is refused.
pub async fn resolve(svc: &Services, names: &[String]) -> ServiceResult<Vec<i64>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let labels = svc.store.labels.list().await?;
    names
        .iter()
        .map(|name| {
            let key = name.trim().to_lowercase();
            labels
                .iter()
                .find(|label| label.name.key() == key)
                .map(|label| label.id)
                .ok_or_else(|| ServiceError::Invalid(format!("there is no label named {name:?}")))
        })
        .collect()
}
