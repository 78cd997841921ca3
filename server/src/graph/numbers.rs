//! Business numbers, their profiles and the WABA's webhook subscription.

use super::{GraphClient, GraphError, PhoneNumber, SubscribedApp};
use crate::whatsapp::ids::{PhoneNumberId, WabaId};
use parley_app::numbers::BusinessProfile;
use std::time::Duration;

/// What Parley reads about a number: its identity and health.
const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,name_status,quality_rating,\
    messaging_limit_tier,throughput,code_verification_status,platform_type,status";

const PROFILE_FIELDS: &str =
    "about,address,description,email,profile_picture_url,websites,vertical";

impl GraphClient {
    /// Every phone number of a WhatsApp Business Account with its health, following paging.
    pub async fn phone_numbers(&self, waba: &WabaId) -> Result<Vec<PhoneNumber>, GraphError> {
        let mut url = self.endpoint(&[waba.as_str(), "phone_numbers"]);
        url.query_pairs_mut().append_pair("fields", NUMBER_FIELDS);
        self.all_pages(url).await
    }

    /// One number with its health.
    pub async fn phone_number(&self, number: &PhoneNumberId) -> Result<PhoneNumber, GraphError> {
        let mut url = self.endpoint(&[number.as_str()]);
        url.query_pairs_mut().append_pair("fields", NUMBER_FIELDS);
        let response = self
            .send(self.http.get(url).timeout(Duration::from_secs(20)))
            .await?;
        response
            .json()
            .await
            .map_err(|e| GraphError::Decode(e.to_string()))
    }

    /// A number's business profile, as customers see it.
    pub async fn business_profile(
        &self,
        number: &PhoneNumberId,
    ) -> Result<BusinessProfile, GraphError> {
        let mut url = self.endpoint(&[number.as_str(), "whatsapp_business_profile"]);
        url.query_pairs_mut().append_pair("fields", PROFILE_FIELDS);
        let response = self
            .send(self.http.get(url).timeout(Duration::from_secs(20)))
            .await?;
        let answer: serde_json::Value = response
            .json()
            .await
            .map_err(|e| GraphError::Decode(e.to_string()))?;
        serde_json::from_value(answer["data"][0].clone())
            .map_err(|e| GraphError::Decode(format!("business profile: {e}")))
    }

    /// Updates a number's business profile: the fields of `profile` (websites included: an
    /// empty list clears them), and the photo by the handle of a resumable upload.
    pub async fn update_business_profile(
        &self,
        number: &PhoneNumberId,
        profile: Option<&BusinessProfile>,
        photo_handle: Option<&str>,
    ) -> Result<(), GraphError> {
        let mut body = serde_json::json!({ "messaging_product": "whatsapp" });
        if let Some(profile) = profile {
            let fields = [
                ("about", &profile.about),
                ("address", &profile.address),
                ("description", &profile.description),
                ("email", &profile.email),
                ("vertical", &profile.vertical),
            ];
            for (field, value) in fields {
                if let Some(value) = value {
                    body[field] = value.clone().into();
                }
            }
            body["websites"] = profile.websites.clone().into();
        }
        if let Some(handle) = photo_handle {
            body["profile_picture_handle"] = handle.into();
        }
        self.send(
            self.http
                .post(self.endpoint(&[number.as_str(), "whatsapp_business_profile"]))
                .timeout(Duration::from_secs(30))
                .json(&body),
        )
        .await?;
        Ok(())
    }

    /// The apps subscribed to the WABA's webhooks.
    pub async fn subscribed_apps(&self, waba: &WabaId) -> Result<Vec<SubscribedApp>, GraphError> {
        self.all_pages(self.endpoint(&[waba.as_str(), "subscribed_apps"]))
            .await
    }

    /// Subscribes the app whose token Parley holds to the WABA's webhooks.
    pub async fn subscribe_app(&self, waba: &WabaId) -> Result<(), GraphError> {
        self.send(
            self.http
                .post(self.endpoint(&[waba.as_str(), "subscribed_apps"]))
                .timeout(Duration::from_secs(20)),
        )
        .await?;
        Ok(())
    }
}
