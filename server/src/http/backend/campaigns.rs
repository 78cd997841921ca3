//! The server functions' side for campaigns and consent: thin adapters over the use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::{ServiceError, campaigns, consent};
use parley_app::api::ssr::CampaignsBackend;
use parley_app::api::{AppError, CampaignAction};
use parley_app::campaigns::{
    Campaign, CampaignDraft, CampaignPatch, CampaignPreview, RecipientFilter, RecipientPage,
};
use parley_app::consent::{
    ConsentEntry, ConsentLedger, ConsentPurpose, ConsentRequest, OptOutLanguage,
};
use parley_app::model::Viewer;

/// Recipients a page of the campaign page shows.
const RECIPIENT_PAGE: i64 = 50;

#[async_trait::async_trait]
impl CampaignsBackend for AppState {
    async fn campaign_list(&self, viewer: &Viewer) -> Result<Vec<Campaign>, AppError> {
        campaigns::list(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn campaign(&self, viewer: &Viewer, id: i64) -> Result<Campaign, AppError> {
        campaigns::get(&self.services, viewer, id)
            .await
            .map_err(app_error)
    }

    async fn campaign_preview(
        &self,
        viewer: &Viewer,
        draft: CampaignDraft,
    ) -> Result<CampaignPreview, AppError> {
        campaigns::preview(&self.services, viewer, &draft)
            .await
            .map_err(app_error)
    }

    async fn save_campaign(
        &self,
        viewer: &Viewer,
        id: Option<i64>,
        draft: CampaignDraft,
    ) -> Result<Campaign, AppError> {
        let origin = self.origin();
        let saved = match id {
            None => campaigns::create(&self.services, viewer, &origin, draft).await,
            Some(id) => {
                let patch = CampaignPatch {
                    name: Some(draft.name),
                    phone_number_id: Some(draft.phone_number_id),
                    template: Some(draft.template),
                    audience: Some(draft.audience),
                    scheduled_at: Some(draft.scheduled_at),
                };
                campaigns::update(&self.services, viewer, &origin, id, patch).await
            }
        };
        saved.map_err(app_error)
    }

    async fn drive_campaign(
        &self,
        viewer: &Viewer,
        id: i64,
        action: CampaignAction,
    ) -> Result<Campaign, AppError> {
        let (svc, origin) = (&self.services, self.origin());
        let driven = match action {
            CampaignAction::Start => campaigns::start(svc, viewer, &origin, id).await,
            CampaignAction::Pause => campaigns::pause(svc, viewer, &origin, id).await,
            CampaignAction::Resume => campaigns::resume(svc, viewer, &origin, id).await,
            CampaignAction::Cancel => campaigns::cancel(svc, viewer, &origin, id).await,
        };
        driven.map_err(app_error)
    }

    async fn delete_campaign(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        campaigns::delete(&self.services, viewer, &self.origin(), id)
            .await
            .map_err(app_error)
    }

    async fn campaign_recipients(
        &self,
        viewer: &Viewer,
        id: i64,
        state: Option<String>,
        after: Option<i64>,
    ) -> Result<RecipientPage, AppError> {
        let filter = state
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<RecipientFilter>())
            .transpose()
            .map_err(|e| app_error(ServiceError::Invalid(e.to_string())))?;
        campaigns::recipients(&self.services, viewer, id, filter, after, RECIPIENT_PAGE)
            .await
            .map_err(app_error)
    }

    async fn consent_ledger(
        &self,
        viewer: &Viewer,
        contact_id: i64,
    ) -> Result<ConsentLedger, AppError> {
        consent::ledger(
            &self.services,
            viewer,
            contact_id,
            ConsentPurpose::Marketing,
        )
        .await
        .map_err(app_error)
    }

    async fn record_consent(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        request: ConsentRequest,
    ) -> Result<ConsentEntry, AppError> {
        consent::record(&self.services, viewer, contact_id, request)
            .await
            .map_err(app_error)
    }

    async fn opt_out_keywords(&self, viewer: &Viewer) -> Result<Vec<OptOutLanguage>, AppError> {
        consent::opt_out_languages(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn save_opt_out_keywords(
        &self,
        viewer: &Viewer,
        languages: Vec<OptOutLanguage>,
    ) -> Result<Vec<OptOutLanguage>, AppError> {
        consent::set_opt_out_languages(&self.services, viewer, &self.origin(), languages)
            .await
            .map_err(app_error)
    }
}
