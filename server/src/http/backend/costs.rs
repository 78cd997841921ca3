//! The server functions' side for costs: thin adapters over the use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::costs;
use parley_app::api::AppError;
use parley_app::api::ssr::CostsBackend;
use parley_app::costs::{CostReport, RateCardView, SpendGrouping};
use parley_app::model::Viewer;

#[async_trait::async_trait]
impl CostsBackend for AppState {
    async fn cost_report(
        &self,
        viewer: &Viewer,
        group_by: SpendGrouping,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<CostReport, AppError> {
        costs::report(
            &self.services,
            viewer,
            group_by,
            from.as_deref(),
            to.as_deref(),
        )
        .await
        .map_err(app_error)
    }

    async fn import_rate_card(
        &self,
        viewer: &Viewer,
        currency: String,
        csv: String,
    ) -> Result<RateCardView, AppError> {
        costs::import_rate_card(&self.services, viewer, &self.origin(), &currency, &csv)
            .await
            .map_err(app_error)
    }

    async fn rate_card(&self, viewer: &Viewer) -> Result<RateCardView, AppError> {
        costs::rate_card(&self.services, viewer)
            .await
            .map_err(app_error)
    }
}
