//! Server functions for business numbers (admins): the numbers with their health, one with its
//! history, a refresh from Meta, and the business profile. The same use cases as the REST
//! API's, through [`ssr::NumbersBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::numbers::{
    BusinessNumberDetail, BusinessNumberView, BusinessProfile, WebhookSubscription,
};
use leptos::prelude::*;

/// Every business number with its health (admins).
#[server(prefix = "/rpc", endpoint = "admin/numbers_health")]
pub async fn numbers_health() -> Result<Vec<BusinessNumberView>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.numbers_health(&viewer).await
}

/// Reads every number from Meta now (admins).
#[server(prefix = "/rpc", endpoint = "admin/refresh_numbers")]
pub async fn refresh_numbers() -> Result<Vec<BusinessNumberView>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.refresh_numbers(&viewer).await
}

/// One number with its history (admins).
#[server(prefix = "/rpc", endpoint = "admin/number_detail")]
pub async fn number_detail(phone_number_id: String) -> Result<BusinessNumberDetail, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .number_detail(&viewer, phone_number_id)
        .await
}

/// The number's business profile as Meta has it (admins).
#[server(prefix = "/rpc", endpoint = "admin/number_profile")]
pub async fn number_profile(phone_number_id: String) -> Result<BusinessProfile, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .number_profile(&viewer, phone_number_id)
        .await
}

/// Sends a changed business profile to Meta (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_number_profile", input = leptos::server_fn::codec::Json)]
pub async fn save_number_profile(
    phone_number_id: String,
    profile: BusinessProfile,
) -> Result<BusinessProfile, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .save_number_profile(&viewer, phone_number_id, profile)
        .await
}

/// Whether the WABA's webhooks are subscribed, and still arriving (admins).
#[server(prefix = "/rpc", endpoint = "admin/webhook_status")]
pub async fn webhook_status() -> Result<WebhookSubscription, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.webhook_subscription(&viewer, false).await
}

/// Subscribes the app to the WABA's webhooks (admins).
#[server(prefix = "/rpc", endpoint = "admin/subscribe_webhooks")]
pub async fn subscribe_webhooks() -> Result<WebhookSubscription, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.webhook_subscription(&viewer, true).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::api::AppError;
    use crate::model::Viewer;
    use crate::numbers::{
        BusinessNumberDetail, BusinessNumberView, BusinessProfile, WebhookSubscription,
    };

    /// The business-number use cases, as server functions reach them.
    #[async_trait::async_trait]
    pub trait NumbersBackend: Send + Sync {
        async fn numbers_health(
            &self,
            viewer: &Viewer,
        ) -> Result<Vec<BusinessNumberView>, AppError>;
        async fn refresh_numbers(
            &self,
            viewer: &Viewer,
        ) -> Result<Vec<BusinessNumberView>, AppError>;
        async fn number_detail(
            &self,
            viewer: &Viewer,
            phone_number_id: String,
        ) -> Result<BusinessNumberDetail, AppError>;
        async fn number_profile(
            &self,
            viewer: &Viewer,
            phone_number_id: String,
        ) -> Result<BusinessProfile, AppError>;
        async fn save_number_profile(
            &self,
            viewer: &Viewer,
            phone_number_id: String,
            profile: BusinessProfile,
        ) -> Result<BusinessProfile, AppError>;
        /// Reads the subscription, subscribing first when `subscribe`.
        async fn webhook_subscription(
            &self,
            viewer: &Viewer,
            subscribe: bool,
        ) -> Result<WebhookSubscription, AppError>;
    }
}
