//! Segments: every member reads them and the contacts in them; admins save, change and delete
//! them. A segment's filter is checked when saved and again each time it runs (an attribute
//! or label it names may have gone since): one that no longer holds says why instead of
//! selecting the wrong contacts.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, labels, require_admin};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use crate::store::{ContactQuery, Segment};
use parley_app::contacts::{AttributeDefinition, SegmentDraft, SegmentFilter, parse_segment_name};
use parley_app::model::Viewer;
use serde_json::json;

/// A segment and its count now, or why it cannot be counted.
pub struct CountedSegment {
    pub segment: Segment,
    pub count: Result<i64, String>,
}

/// The store's query for a segment's filter; refused when a label or attribute it names is
/// gone or a condition does not fit its attribute.
pub async fn query_for(
    svc: &Services,
    filter: &SegmentFilter,
    attributes: &[AttributeDefinition],
) -> ServiceResult<ContactQuery> {
    let conditions = filter
        .conditions
        .iter()
        .map(|c| c.check(attributes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if filter
        .phone_number_id
        .as_deref()
        .is_some_and(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ServiceError::Invalid(
            "phone_number_id must be a business number's id (digits)".into(),
        ));
    }
    Ok(ContactQuery {
        labels: labels::resolve(svc, &filter.labels).await?,
        conditions,
        last_message_after: filter.last_message_after.map(|t| Millis(t.millis())),
        last_message_before: filter.last_message_before.map(|t| Millis(t.millis())),
        open_conversation: filter.open_conversation,
        phone_number_id: filter.phone_number_id.clone(),
        ..ContactQuery::default()
    })
}

pub async fn list(svc: &Services, _viewer: &Viewer) -> ServiceResult<Vec<CountedSegment>> {
    let attributes = svc.store.contacts.attributes().await?;
    let mut counted = Vec::new();
    for segment in svc.store.contacts.segments().await? {
        counted.push(count(svc, segment, &attributes).await?);
    }
    Ok(counted)
}

async fn count(
    svc: &Services,
    segment: Segment,
    attributes: &[AttributeDefinition],
) -> ServiceResult<CountedSegment> {
    let count = match query_for(svc, &segment.filter, attributes).await {
        Ok(query) => Ok(svc.store.contacts.count(&query).await?),
        Err(ServiceError::Invalid(why)) => Err(why),
        Err(other) => return Err(other),
    };
    Ok(CountedSegment { segment, count })
}

pub async fn get(svc: &Services, _viewer: &Viewer, id: i64) -> ServiceResult<CountedSegment> {
    let segment = svc
        .store
        .contacts
        .segment(id)
        .await?
        .ok_or(ServiceError::NotFound("segment"))?;
    let attributes = svc.store.contacts.attributes().await?;
    count(svc, segment, &attributes).await
}

/// Saves a new segment (no `id`) or changes one (admins).
pub async fn save(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: Option<i64>,
    draft: SegmentDraft,
) -> ServiceResult<CountedSegment> {
    require_admin(viewer)?;
    let name = draft
        .name
        .as_deref()
        .map(parse_segment_name)
        .transpose()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let attributes = svc.store.contacts.attributes().await?;
    if let Some(filter) = &draft.filter {
        query_for(svc, filter, &attributes).await?;
    }
    let segment = match id {
        None => {
            let name = name.ok_or_else(|| ServiceError::Invalid("name is required".into()))?;
            let filter = draft.filter.clone().unwrap_or_default();
            svc.store
                .contacts
                .create_segment(&name, &filter, Some(viewer.id), svc.now())
                .await?
        }
        Some(id) => {
            svc.store
                .contacts
                .update_segment(id, name.as_deref(), draft.filter.as_ref(), svc.now())
                .await?
        }
    };
    let details = json!({"name": segment.name, "filter": segment.filter});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::SegmentSaved,
        format!("segment {}", segment.id),
        details,
    )
    .await;
    count(svc, segment, &attributes).await
}

pub async fn delete(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    id: i64,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    svc.store.contacts.delete_segment(id).await?;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::SegmentDeleted,
        format!("segment {id}"),
        json!({}),
    )
    .await;
    Ok(())
}
