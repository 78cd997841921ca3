//! The server functions' side for business numbers: thin adapters over the use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::numbers;
use parley_app::api::AppError;
use parley_app::api::ssr::NumbersBackend;
use parley_app::model::Viewer;
use parley_app::numbers::{
    BusinessNumberDetail, BusinessNumberView, BusinessProfile, WebhookSubscription,
};

#[async_trait::async_trait]
impl NumbersBackend for AppState {
    async fn numbers_health(&self, viewer: &Viewer) -> Result<Vec<BusinessNumberView>, AppError> {
        numbers::list(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn refresh_numbers(&self, viewer: &Viewer) -> Result<Vec<BusinessNumberView>, AppError> {
        numbers::refresh_now(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn number_detail(
        &self,
        viewer: &Viewer,
        phone_number_id: String,
    ) -> Result<BusinessNumberDetail, AppError> {
        numbers::get(&self.services, viewer, &phone_number_id)
            .await
            .map_err(app_error)
    }

    async fn number_profile(
        &self,
        viewer: &Viewer,
        phone_number_id: String,
    ) -> Result<BusinessProfile, AppError> {
        numbers::profile(&self.services, viewer, &phone_number_id)
            .await
            .map_err(app_error)
    }

    async fn save_number_profile(
        &self,
        viewer: &Viewer,
        phone_number_id: String,
        profile: BusinessProfile,
    ) -> Result<BusinessProfile, AppError> {
        let origin = self.origin();
        numbers::update_profile(&self.services, viewer, &origin, &phone_number_id, profile)
            .await
            .map_err(app_error)
    }

    async fn webhook_subscription(
        &self,
        viewer: &Viewer,
        subscribe: bool,
    ) -> Result<WebhookSubscription, AppError> {
        let result = if subscribe {
            numbers::subscribe(&self.services, viewer, &self.origin()).await
        } else {
            numbers::subscription(&self.services, viewer).await
        };
        result.map_err(app_error)
    }
}
