//! Server functions for automation rules (admins, under `/rpc/admin/`): the same use cases as
//! the REST API's, through [`ssr::AutomationsBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::automation::{
    Automation, AutomationDraft, AutomationPatch, AutomationRunView, AutomationSample,
    AutomationVerdict,
};
use leptos::prelude::*;

/// Every rule, in the order they are judged.
#[server(prefix = "/rpc", endpoint = "admin/automations")]
pub async fn automation_list() -> Result<Vec<Automation>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.automations(&viewer).await
}

/// A new rule (the keyword form writes one).
#[server(prefix = "/rpc", endpoint = "admin/create_automation", input = leptos::server_fn::codec::Json)]
pub async fn create_automation(draft: AutomationDraft) -> Result<Automation, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.create_automation(&viewer, draft).await
}

/// Switches, moves or rewrites a rule.
#[server(prefix = "/rpc", endpoint = "admin/update_automation", input = leptos::server_fn::codec::Json)]
pub async fn update_automation(id: i64, patch: AutomationPatch) -> Result<Automation, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.update_automation(&viewer, id, patch).await
}

#[server(prefix = "/rpc", endpoint = "admin/delete_automation")]
pub async fn delete_automation(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.delete_automation(&viewer, id).await
}

/// A rule's latest runs, newest first.
#[server(prefix = "/rpc", endpoint = "admin/automation_runs")]
pub async fn automation_runs(id: i64) -> Result<Vec<AutomationRunView>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.automation_runs(&viewer, id).await
}

/// What a saved rule would do with a sample, without acting.
#[server(prefix = "/rpc", endpoint = "admin/test_automation", input = leptos::server_fn::codec::Json)]
pub async fn test_automation(
    id: i64,
    sample: AutomationSample,
) -> Result<AutomationVerdict, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.test_automation(&viewer, id, sample).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::model::Viewer;

    #[async_trait::async_trait]
    pub trait AutomationsBackend: Send + Sync {
        async fn automations(&self, viewer: &Viewer) -> Result<Vec<Automation>, AppError>;
        async fn create_automation(
            &self,
            viewer: &Viewer,
            draft: AutomationDraft,
        ) -> Result<Automation, AppError>;
        async fn update_automation(
            &self,
            viewer: &Viewer,
            id: i64,
            patch: AutomationPatch,
        ) -> Result<Automation, AppError>;
        async fn delete_automation(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn automation_runs(
            &self,
            viewer: &Viewer,
            id: i64,
        ) -> Result<Vec<AutomationRunView>, AppError>;
        async fn test_automation(
            &self,
            viewer: &Viewer,
            id: i64,
            sample: AutomationSample,
        ) -> Result<AutomationVerdict, AppError>;
    }
}
