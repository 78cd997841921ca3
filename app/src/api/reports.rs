//! Server functions for reports: admins see everyone's figures, an agent their own (the
//! service decides). The same use cases as the REST API's, through [`ssr::ReportsBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::reports::{Metric, ReportPage, ReportParams, TimeBucket};
use leptos::prelude::*;

/// The whole reports page for `params`, with `metric` charted per `bucket`.
#[server(prefix = "/rpc", endpoint = "reports/page")]
pub async fn read_reports(
    params: ReportParams,
    metric: Metric,
    bucket: TimeBucket,
) -> Result<ReportPage, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .report_page(&viewer, params, metric, bucket)
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::model::Viewer;

    #[async_trait::async_trait]
    pub trait ReportsBackend: Send + Sync {
        async fn report_page(
            &self,
            viewer: &Viewer,
            params: ReportParams,
            metric: Metric,
            bucket: TimeBucket,
        ) -> Result<ReportPage, AppError>;
    }
}
