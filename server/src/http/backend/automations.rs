//! The server functions' side for automation rules: thin adapters over the use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::automations;
use parley_app::api::AppError;
use parley_app::api::ssr::AutomationsBackend;
use parley_app::automation::{
    Automation, AutomationDraft, AutomationPatch, AutomationRunView, AutomationSample,
    AutomationVerdict,
};
use parley_app::model::Viewer;

#[async_trait::async_trait]
impl AutomationsBackend for AppState {
    async fn automations(&self, viewer: &Viewer) -> Result<Vec<Automation>, AppError> {
        automations::list(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn create_automation(
        &self,
        viewer: &Viewer,
        draft: AutomationDraft,
    ) -> Result<Automation, AppError> {
        automations::create(&self.services, viewer, &self.origin(), draft)
            .await
            .map_err(app_error)
    }

    async fn update_automation(
        &self,
        viewer: &Viewer,
        id: i64,
        patch: AutomationPatch,
    ) -> Result<Automation, AppError> {
        automations::update(&self.services, viewer, &self.origin(), id, patch)
            .await
            .map_err(app_error)
    }

    async fn delete_automation(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        automations::delete(&self.services, viewer, &self.origin(), id)
            .await
            .map_err(app_error)
    }

    async fn automation_runs(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<Vec<AutomationRunView>, AppError> {
        automations::runs(&self.services, viewer, id)
            .await
            .map_err(app_error)
    }

    async fn test_automation(
        &self,
        viewer: &Viewer,
        id: i64,
        sample: AutomationSample,
    ) -> Result<AutomationVerdict, AppError> {
        let rule = automations::saved(&self.services, viewer, id)
            .await
            .map_err(app_error)?;
        automations::test(&self.services, viewer, rule, sample)
            .await
            .map_err(app_error)
    }
}
