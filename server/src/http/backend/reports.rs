//! The server functions' side for reports: a thin adapter over the use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::reports;
use parley_app::api::AppError;
use parley_app::api::ssr::ReportsBackend;
use parley_app::model::Viewer;
use parley_app::reports::{Metric, ReportPage, ReportParams, TimeBucket};

#[async_trait::async_trait]
impl ReportsBackend for AppState {
    async fn report_page(
        &self,
        viewer: &Viewer,
        params: ReportParams,
        metric: Metric,
        bucket: TimeBucket,
    ) -> Result<ReportPage, AppError> {
        reports::page(&self.services, viewer, &params, metric, bucket)
            .await
            .map_err(app_error)
    }
}
