//! Server functions for what WhatsApp costs (admins): spend over a period and the rate card.
//! The same use cases as the REST API's, through [`ssr::CostsBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::costs::{CostReport, RateCardView, SpendGrouping};
use leptos::prelude::*;

/// Spend from `from` to `to` (`YYYY-MM-DD`; the last 30 days when empty), grouped (admins).
#[server(prefix = "/rpc", endpoint = "admin/spend_report")]
pub async fn spend_report(
    group_by: SpendGrouping,
    from: Option<String>,
    to: Option<String>,
) -> Result<CostReport, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .cost_report(&viewer, group_by, from, to)
        .await
}

/// The rate card (admins).
#[server(prefix = "/rpc", endpoint = "admin/rate_card")]
pub async fn rate_card() -> Result<RateCardView, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.rate_card(&viewer).await
}

/// Replaces the rate card with a CSV file's rates (admins): `country,category,rate,effective_from`.
#[server(prefix = "/rpc", endpoint = "admin/import_rate_card")]
pub async fn import_rate_card(currency: String, csv: String) -> Result<RateCardView, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .import_rate_card(&viewer, currency, csv)
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::model::Viewer;

    #[async_trait::async_trait]
    pub trait CostsBackend: Send + Sync {
        async fn cost_report(
            &self,
            viewer: &Viewer,
            group_by: SpendGrouping,
            from: Option<String>,
            to: Option<String>,
        ) -> Result<CostReport, AppError>;
        async fn rate_card(&self, viewer: &Viewer) -> Result<RateCardView, AppError>;
        async fn import_rate_card(
            &self,
            viewer: &Viewer,
            currency: String,
            csv: String,
        ) -> Result<RateCardView, AppError>;
    }
}
