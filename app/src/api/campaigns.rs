//! Server functions for campaigns and consent: the campaign list, one campaign with its counts,
//! a draft's preview, writing and driving campaigns (under `/rpc/admin/`), recipients, a
//! contact's consent ledger and the opt-out keywords. The same use cases as the REST API's,
//! through [`ssr::CampaignsBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::campaigns::{Campaign, CampaignDraft, CampaignPreview, RecipientPage};
use crate::consent::{ConsentEntry, ConsentLedger, ConsentRequest, OptOutLanguage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a member does to a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    Start,
    Pause,
    Resume,
    Cancel,
}

/// Every campaign, newest first, with its counts.
#[server(prefix = "/rpc", endpoint = "campaign_list")]
pub async fn campaign_list() -> Result<Vec<Campaign>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.campaign_list(&viewer).await
}

/// One campaign with its counts now.
#[server(prefix = "/rpc", endpoint = "campaign_details")]
pub async fn campaign_details(id: i64) -> Result<Campaign, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.campaign(&viewer, id).await
}

/// What a draft would do: its audience divided, and a sample recipient's message.
#[server(prefix = "/rpc", endpoint = "preview_campaign", input = leptos::server_fn::codec::Json)]
pub async fn preview_campaign(draft: CampaignDraft) -> Result<CampaignPreview, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.campaign_preview(&viewer, draft).await
}

/// Creates a campaign (no `id`) or changes a draft or scheduled one (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_campaign", input = leptos::server_fn::codec::Json)]
pub async fn save_campaign(id: Option<i64>, draft: CampaignDraft) -> Result<Campaign, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.save_campaign(&viewer, id, draft).await
}

/// Starts, pauses, resumes or cancels a campaign (admins).
#[server(prefix = "/rpc", endpoint = "admin/drive_campaign", input = leptos::server_fn::codec::Json)]
pub async fn drive_campaign(id: i64, action: CampaignAction) -> Result<Campaign, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.drive_campaign(&viewer, id, action).await
}

/// Deletes a campaign that never started (admins).
#[server(prefix = "/rpc", endpoint = "admin/delete_campaign")]
pub async fn delete_campaign(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.delete_campaign(&viewer, id).await
}

/// A page of a campaign's recipients, filtered by `state` (as the REST API's).
#[server(prefix = "/rpc", endpoint = "campaign_recipients")]
pub async fn campaign_recipients(
    id: i64,
    state: Option<String>,
    after: Option<i64>,
) -> Result<RecipientPage, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .campaign_recipients(&viewer, id, state, after)
        .await
}

/// A contact's marketing consent and its ledger.
#[server(prefix = "/rpc", endpoint = "contact_consent")]
pub async fn contact_consent(contact_id: i64) -> Result<ConsentLedger, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.consent_ledger(&viewer, contact_id).await
}

/// Records what a customer told a member.
#[server(prefix = "/rpc", endpoint = "record_consent", input = leptos::server_fn::codec::Json)]
pub async fn record_consent(
    contact_id: i64,
    request: ConsentRequest,
) -> Result<ConsentEntry, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .record_consent(&viewer, contact_id, request)
        .await
}

/// The opt-out keywords of every language.
#[server(prefix = "/rpc", endpoint = "opt_out_keywords")]
pub async fn opt_out_keywords() -> Result<Vec<OptOutLanguage>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.opt_out_keywords(&viewer).await
}

/// Replaces the opt-out keywords (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_opt_out_keywords", input = leptos::server_fn::codec::Json)]
pub async fn save_opt_out_keywords(
    languages: Vec<OptOutLanguage>,
) -> Result<Vec<OptOutLanguage>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .save_opt_out_keywords(&viewer, languages)
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::CampaignAction;
    use crate::api::AppError;
    use crate::campaigns::{Campaign, CampaignDraft, CampaignPreview, RecipientPage};
    use crate::consent::{ConsentEntry, ConsentLedger, ConsentRequest, OptOutLanguage};
    use crate::model::Viewer;

    /// The campaign and consent use cases, as server functions reach them.
    #[async_trait::async_trait]
    pub trait CampaignsBackend: Send + Sync {
        async fn campaign_list(&self, viewer: &Viewer) -> Result<Vec<Campaign>, AppError>;
        async fn campaign(&self, viewer: &Viewer, id: i64) -> Result<Campaign, AppError>;
        async fn campaign_preview(
            &self,
            viewer: &Viewer,
            draft: CampaignDraft,
        ) -> Result<CampaignPreview, AppError>;
        async fn save_campaign(
            &self,
            viewer: &Viewer,
            id: Option<i64>,
            draft: CampaignDraft,
        ) -> Result<Campaign, AppError>;
        async fn drive_campaign(
            &self,
            viewer: &Viewer,
            id: i64,
            action: CampaignAction,
        ) -> Result<Campaign, AppError>;
        async fn delete_campaign(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn campaign_recipients(
            &self,
            viewer: &Viewer,
            id: i64,
            state: Option<String>,
            after: Option<i64>,
        ) -> Result<RecipientPage, AppError>;
        async fn consent_ledger(
            &self,
            viewer: &Viewer,
            contact_id: i64,
        ) -> Result<ConsentLedger, AppError>;
        async fn record_consent(
            &self,
            viewer: &Viewer,
            contact_id: i64,
            request: ConsentRequest,
        ) -> Result<ConsentEntry, AppError>;
        async fn opt_out_keywords(&self, viewer: &Viewer) -> Result<Vec<OptOutLanguage>, AppError>;
        async fn save_opt_out_keywords(
            &self,
            viewer: &Viewer,
            languages: Vec<OptOutLanguage>,
        ) -> Result<Vec<OptOutLanguage>, AppError>;
    }
}
