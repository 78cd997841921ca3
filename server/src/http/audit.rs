//! The audit log (admins): read only, there is no route that changes it.

use super::identity::RequireViewer;
use super::{ApiError, AppState};
use crate::service::audit;
use crate::views;
use axum::Json;
use axum::extract::{Query, State};
use parley_app::team::{AuditPage, AuditQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Admin actions and security events, newest first: member changes, password links,
/// passwords set and changed, API tokens, templates, labels, sign-ins and failed sign-ins
/// (with the account locked after repeated failures), each with who, when and from where.
/// `action` takes one action (`member.role_changed`) or a family (`member`, `sign_in`).
#[utoipa::path(get, path = "/api/v1/audit", tag = "team", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let (records, next_before) = audit::page(&app.services, &viewer, &query).await?;
    Ok(Json(AuditPage {
        entries: records.iter().map(views::audit_entry).collect(),
        next_before,
    }))
}
