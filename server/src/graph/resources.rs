//! The Graph objects Parley reads, as Meta describes them.

use serde::Deserialize;

/// What `GET /{media-id}` says about a media object.
#[derive(Clone, Debug, Deserialize)]
pub struct MediaInfo {
    pub url: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub file_size: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PhoneNumber {
    pub id: String,
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub verified_name: Option<String>,
    /// `TIER_250` … `TIER_UNLIMITED`: unique customers per rolling 24 hours.
    #[serde(default)]
    pub messaging_limit_tier: Option<String>,
    #[serde(default)]
    pub name_status: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN` (or `NA`).
    #[serde(default)]
    pub quality_rating: Option<String>,
    #[serde(default)]
    pub throughput: Option<Throughput>,
    #[serde(default)]
    pub code_verification_status: Option<String>,
    #[serde(default)]
    pub platform_type: Option<String>,
    /// `CONNECTED`, `FLAGGED`, `RESTRICTED`…
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Throughput {
    /// `STANDARD` (80 messages a second) or `HIGH` (1,000).
    pub level: Option<String>,
}

/// One app subscribed to a WABA's webhooks (`GET /{waba}/subscribed_apps`).
#[derive(Clone, Debug, Deserialize)]
pub struct SubscribedApp {
    pub whatsapp_business_api_data: SubscribedAppData,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscribedAppData {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A template as `GET /{waba}/message_templates` describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct GraphTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub category: String,
    pub status: String,
    #[serde(default)]
    pub quality_score: Option<serde_json::Value>,
    #[serde(default)]
    pub components: serde_json::Value,
    #[serde(default)]
    pub rejected_reason: Option<String>,
}

impl GraphTemplate {
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`, from `quality_score.score`.
    pub fn quality(&self) -> Option<String> {
        self.quality_score
            .as_ref()?
            .get("score")?
            .as_str()
            .map(str::to_owned)
    }
}

/// Meta's answer to a template submission.
#[derive(Clone, Debug, Deserialize)]
pub struct CreatedTemplate {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Deserialize)]
pub(super) struct Paged<T> {
    pub(super) data: Vec<T>,
    #[serde(default)]
    pub(super) paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(super) struct Paging {
    pub(super) next: Option<String>,
}
