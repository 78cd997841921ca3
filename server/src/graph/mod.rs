//! The Graph API client: what Parley asks of Meta's Cloud API (or of the built-in simulator,
//! which speaks the same protocol).

use crate::config::{Secret, WhatsAppConfig};
use bytes::Bytes;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest media file Parley downloads (Meta's own limit is 100 MB for documents).
pub const MAX_MEDIA_BYTES: usize = 100 * 1024 * 1024;

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
    /// Meta's words when it last refused the access token (error 190), until a call succeeds.
    token_problem: Arc<Mutex<Option<String>>>,
}

/// An error as Meta reports it (`{"error": {...}}`), or a failure to get an answer at all.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("Graph API error {code} ({status}): {message}")]
    Api {
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        details: Option<String>,
    },
    #[error("Graph API unreachable: {0}")]
    Transport(String),
    #[error("Graph API answered something unexpected: {0}")]
    Decode(String),
}

impl GraphError {
    /// Whether trying again later may succeed (throttling, Meta-side trouble, network).
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Transport(_) => true,
            GraphError::Decode(_) => false,
            GraphError::Api { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || matches!(code, 1 | 2 | 4 | 80007 | 130429 | 131000 | 131056)
            }
        }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
    error_subcode: Option<i64>,
    error_data: Option<serde_json::Value>,
}

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
struct Paged<T> {
    data: Vec<T>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

/// The id Meta's answer carries at `pointer` (a wamid, a media id).
async fn id_in_answer(response: reqwest::Response, pointer: &str) -> Result<String, GraphError> {
    let answer: serde_json::Value = response
        .json()
        .await
        .map_err(|e| GraphError::Decode(e.to_string()))?;
    answer
        .pointer(pointer)
        .and_then(|id| id.as_str())
        .map(str::to_owned)
        .ok_or_else(|| GraphError::Decode(format!("no id at {pointer} in {answer}")))
}

impl GraphClient {
    /// A client when an access token is configured.
    pub fn from_config(config: &WhatsAppConfig) -> Option<GraphClient> {
        let token = config.access_token.clone()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("parley/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Some(GraphClient {
            http,
            base: format!("{}/{}", config.graph_url, config.api_version),
            token,
            token_problem: Arc::new(Mutex::new(None)),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GraphError> {
        let response = request
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?;
        if response.status().is_success() {
            self.note_token_problem(None);
            return Ok(response);
        }
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        let error = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(envelope) => GraphError::Api {
                status,
                code: envelope.error.code,
                subcode: envelope.error.error_subcode,
                message: envelope.error.message,
                details: envelope
                    .error
                    .error_data
                    .and_then(|d| d.get("details").and_then(|v| v.as_str()).map(str::to_owned)),
            },
            Err(_) => GraphError::Api {
                status,
                code: 0,
                subcode: None,
                message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                details: None,
            },
        };
        if let GraphError::Api {
            code: 190, message, ..
        } = &error
        {
            self.note_token_problem(Some(message.clone()));
        }
        Err(error)
    }

    fn note_token_problem(&self, problem: Option<String>) {
        if let Ok(mut current) = self.token_problem.lock()
            && *current != problem
        {
            if let Some(problem) = &problem {
                tracing::error!(%problem, "Meta refused the access token");
            }
            *current = problem;
        }
    }

    /// Meta's words when it last refused the access token (expired or revoked), if the
    /// latest call failed that way.
    pub fn token_problem(&self) -> Option<String> {
        self.token_problem.lock().ok()?.clone()
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: String) -> Result<T, GraphError> {
        let response = self.send(self.http.get(url)).await?;
        response
            .json()
            .await
            .map_err(|e| GraphError::Decode(e.to_string()))
    }

    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, GraphError> {
        self.get_json(self.url(media_id)).await
    }

    /// Downloads a media URL (short-lived; it needs the bearer token too).
    pub async fn download(&self, url: &str) -> Result<Bytes, GraphError> {
        let mut response = self
            .send(self.http.get(url).timeout(Duration::from_secs(300)))
            .await?;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > MAX_MEDIA_BYTES {
                return Err(GraphError::Decode(format!(
                    "media larger than {MAX_MEDIA_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// Sends a message (`body` is the documented request); returns the new wamid.
    pub async fn send_message(
        &self,
        phone_number_id: &str,
        body: &serde_json::Value,
    ) -> Result<String, GraphError> {
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("{phone_number_id}/messages")))
                    .timeout(Duration::from_secs(20))
                    .json(body),
            )
            .await?;
        id_in_answer(response, "/messages/0/id").await
    }

    /// Uploads a file for a business number; returns Meta's media id.
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        file: Bytes,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let part = reqwest::multipart::Part::stream(file)
            .file_name(filename.to_owned())
            .mime_str(mime_type)
            .map_err(|e| GraphError::Decode(format!("media type {mime_type}: {e}")))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("{phone_number_id}/media")))
                    .timeout(Duration::from_secs(300))
                    .multipart(form),
            )
            .await?;
        id_in_answer(response, "/id").await
    }

    /// Uploads a template's media sample through the app's resumable upload; returns the
    /// handle that `example.header_handle` carries.
    pub async fn upload_sample(
        &self,
        app_id: &str,
        file: Bytes,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let length = file.len().to_string();
        let session = self
            .send(
                self.http
                    .post(self.url(&format!("{app_id}/uploads")))
                    .query(&[
                        ("file_name", filename),
                        ("file_length", length.as_str()),
                        ("file_type", mime_type),
                    ])
                    .timeout(Duration::from_secs(30)),
            )
            .await?;
        let session = id_in_answer(session, "/id").await?;
        let uploaded = self
            .send(
                self.http
                    .post(self.url(&session))
                    .header("file_offset", "0")
                    .timeout(Duration::from_secs(300))
                    .body(file),
            )
            .await?;
        id_in_answer(uploaded, "/h").await
    }

    /// Marks an inbound message read (blue ticks for the customer), optionally showing the
    /// typing indicator until the agent's reply or 25 seconds pass.
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        wamid: &str,
        typing: bool,
    ) -> Result<(), GraphError> {
        let mut body = serde_json::json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        if typing {
            body["typing_indicator"] = serde_json::json!({ "type": "text" });
        }
        self.send(
            self.http
                .post(self.url(&format!("{phone_number_id}/messages")))
                .timeout(Duration::from_secs(20))
                .json(&body),
        )
        .await?;
        Ok(())
    }

    /// Every message template of a WhatsApp Business Account, following paging.
    pub async fn message_templates(&self, waba_id: &str) -> Result<Vec<GraphTemplate>, GraphError> {
        let mut templates = Vec::new();
        let mut next = Some(self.url(&format!(
            "{waba_id}/message_templates?limit=100&fields=id,name,language,category,status,quality_score,components,rejected_reason"
        )));
        while let Some(url) = next.take() {
            let page: Paged<GraphTemplate> = self.get_json(url).await?;
            templates.extend(page.data);
            next = page.paging.and_then(|p| p.next);
        }
        Ok(templates)
    }

    /// Submits a template for review; Meta answers with its id, status and category.
    pub async fn create_template(
        &self,
        waba_id: &str,
        body: &serde_json::Value,
    ) -> Result<CreatedTemplate, GraphError> {
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("{waba_id}/message_templates")))
                    .timeout(Duration::from_secs(30))
                    .json(body),
            )
            .await?;
        response
            .json()
            .await
            .map_err(|e| GraphError::Decode(e.to_string()))
    }

    /// Deletes one template (by id and name, so other languages of the name survive).
    pub async fn delete_template(
        &self,
        waba_id: &str,
        name: &str,
        id: &str,
    ) -> Result<(), GraphError> {
        self.send(
            self.http
                .delete(self.url(&format!("{waba_id}/message_templates")))
                .query(&[("name", name), ("hsm_id", id)])
                .timeout(Duration::from_secs(30)),
        )
        .await?;
        Ok(())
    }

    /// Every phone number of a WhatsApp Business Account, following paging.
    pub async fn phone_numbers(&self, waba_id: &str) -> Result<Vec<PhoneNumber>, GraphError> {
        let mut numbers = Vec::new();
        let mut next = Some(self.url(&format!("{waba_id}/phone_numbers")));
        while let Some(url) = next.take() {
            let page: Paged<PhoneNumber> = self.get_json(url).await?;
            numbers.extend(page.data);
            next = page.paging.and_then(|p| p.next);
        }
        Ok(numbers)
    }
}
