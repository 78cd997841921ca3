//! The Graph API client: what Parley asks of Meta's Cloud API (or of the built-in simulator,
//! which speaks the same protocol).

use crate::config::{Secret, WhatsAppConfig};
use crate::whatsapp::ids::{AppId, MediaId, PhoneNumberId, TemplateId, UploadSession, WabaId};
use bytes::Bytes;
use reqwest::Url;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod error;
mod numbers;
mod origin;
mod resources;

use error::ErrorEnvelope;
pub use error::GraphError;
pub use origin::{is_secure_origin, token_may_go_to};
use resources::Paged;
pub use resources::{CreatedTemplate, GraphTemplate, MediaInfo, PhoneNumber, SubscribedApp};

/// Largest media file Parley downloads (Meta's own limit is 100 MB for documents).
pub const MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `WA_GRAPH_URL`: with Meta's media host, the only place the access token is sent.
    origin: Url,
    version: String,
    token: Secret,
    /// Meta's words when it last refused the access token (error 190), until a call succeeds.
    token_problem: Arc<Mutex<Option<String>>>,
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
        .ok_or_else(|| GraphError::Decode(format!("no id at {pointer} in the answer")))
}

impl GraphClient {
    /// A client when an access token is configured. The configuration has checked that
    /// `WA_GRAPH_URL` is https (or http to this machine).
    pub fn from_config(config: &WhatsAppConfig) -> Option<GraphClient> {
        let token = config.access_token.clone()?;
        let origin = Url::parse(&config.graph_url)
            .ok()
            .filter(is_secure_origin)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("parley/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the token wherever Meta's answer points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the HTTP client builds");
        Some(GraphClient {
            http,
            origin,
            version: config.api_version.clone(),
            token,
            token_problem: Arc::new(Mutex::new(None)),
        })
    }

    /// `{origin}/{version}/{segments…}`, each segment percent-encoded: an id can never add a
    /// path segment, a query or a fragment.
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.origin.clone();
        url.set_query(None);
        url.set_fragment(None);
        {
            let mut path = url.path_segments_mut().expect("an http(s) URL has a path");
            path.pop_if_empty().push(&self.version);
            for segment in segments {
                path.push(segment);
            }
        }
        url
    }

    /// A URL from one of Meta's answers (a media link, a next page), if the token may go there.
    fn trusted(&self, raw: &str) -> Result<Url, GraphError> {
        let url = Url::parse(raw).map_err(|_| GraphError::Untrusted("an unreadable URL".into()))?;
        if token_may_go_to(&self.origin, &url) {
            Ok(url)
        } else {
            let shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
            tracing::warn!(url = %shown, "refused to send the access token outside the Graph API");
            Err(GraphError::Untrusted(shown))
        }
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
                // Not Meta's envelope: whatever the body says is nobody's business.
                message: format!("HTTP {status} without a Graph API error"),
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

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: Url) -> Result<T, GraphError> {
        let response = self.send(self.http.get(url)).await?;
        response
            .json()
            .await
            .map_err(|e| GraphError::Decode(e.to_string()))
    }

    /// Every item of a paged edge, following `paging.next` on the Graph origin only.
    async fn all_pages<T: for<'de> Deserialize<'de>>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, GraphError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let page: Paged<T> = self.get_json(url).await?;
            items.extend(page.data);
            next = match page.paging.and_then(|p| p.next) {
                Some(raw) => Some(self.trusted(&raw)?),
                None => None,
            };
        }
        Ok(items)
    }

    pub async fn media_info(&self, media_id: &MediaId) -> Result<MediaInfo, GraphError> {
        self.get_json(self.endpoint(&[media_id.as_str()])).await
    }

    /// Starts downloading a media URL (short-lived; it needs the bearer token too, so only
    /// from the Graph origin or Meta's media host); the caller reads the body as it arrives.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response, GraphError> {
        let url = self.trusted(url)?;
        self.send(self.http.get(url).timeout(Duration::from_secs(300)))
            .await
    }

    /// Sends a message (`body` is the documented request); returns the new wamid.
    pub async fn send_message(
        &self,
        number: &PhoneNumberId,
        body: &serde_json::Value,
    ) -> Result<String, GraphError> {
        let response = self
            .send(
                self.http
                    .post(self.endpoint(&[number.as_str(), "messages"]))
                    .timeout(Duration::from_secs(20))
                    .json(body),
            )
            .await?;
        id_in_answer(response, "/messages/0/id").await
    }

    /// Uploads a file for a business number (streamed: `file` yields `length` bytes);
    /// returns Meta's media id.
    pub async fn upload_media(
        &self,
        number: &PhoneNumberId,
        file: reqwest::Body,
        length: u64,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let part = reqwest::multipart::Part::stream_with_length(file, length)
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
                    .post(self.endpoint(&[number.as_str(), "media"]))
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
        app: &AppId,
        file: Bytes,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let length = file.len().to_string();
        let session = self
            .send(
                self.http
                    .post(self.endpoint(&[app.as_str(), "uploads"]))
                    .query(&[
                        ("file_name", filename),
                        ("file_length", length.as_str()),
                        ("file_type", mime_type),
                    ])
                    .timeout(Duration::from_secs(30)),
            )
            .await?;
        let session = id_in_answer(session, "/id").await?;
        let session = UploadSession::parse(&session)
            .map_err(|e| GraphError::Decode(format!("upload session: {e}")))?;
        let mut url = self.endpoint(&[session.segment()]);
        url.set_query(session.query());
        let uploaded = self
            .send(
                self.http
                    .post(url)
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
        number: &PhoneNumberId,
        wamid: &str,
        typing: bool,
    ) -> Result<(), GraphError> {
        let mut body = serde_json::json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        if typing {
            body["typing_indicator"] = serde_json::json!({ "type": "text" });
        }
        self.send(
            self.http
                .post(self.endpoint(&[number.as_str(), "messages"]))
                .timeout(Duration::from_secs(20))
                .json(&body),
        )
        .await?;
        Ok(())
    }

    /// [`GraphClient::mark_read`] for the message a store receipt names.
    pub async fn mark_read_receipt(
        &self,
        receipt: &crate::store::ReadReceipt,
        typing: bool,
    ) -> Result<(), GraphError> {
        let number = PhoneNumberId::parse(&receipt.phone_number_id)?;
        self.mark_read(&number, &receipt.wamid, typing).await
    }

    /// Every message template of a WhatsApp Business Account, following paging.
    pub async fn message_templates(&self, waba: &WabaId) -> Result<Vec<GraphTemplate>, GraphError> {
        let mut first = self.endpoint(&[waba.as_str(), "message_templates"]);
        first
            .query_pairs_mut()
            .append_pair("limit", "100")
            .append_pair(
                "fields",
                "id,name,language,category,status,quality_score,components,rejected_reason",
            );
        self.all_pages(first).await
    }

    /// Submits a template for review; Meta answers with its id, status and category.
    pub async fn create_template(
        &self,
        waba: &WabaId,
        body: &serde_json::Value,
    ) -> Result<CreatedTemplate, GraphError> {
        let response = self
            .send(
                self.http
                    .post(self.endpoint(&[waba.as_str(), "message_templates"]))
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
        waba: &WabaId,
        name: &str,
        id: &TemplateId,
    ) -> Result<(), GraphError> {
        self.send(
            self.http
                .delete(self.endpoint(&[waba.as_str(), "message_templates"]))
                .query(&[("name", name), ("hsm_id", id.as_str())])
                .timeout(Duration::from_secs(30)),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::ids::{MediaId, PhoneNumberId, WabaId};
    use axum::extract::Request;
    use std::sync::Mutex as StdMutex;

    /// A stand-in Graph API that records every request target and answers with `answer`.
    async fn recorder(answer: fn(&str) -> (u16, String)) -> (Url, Arc<StdMutex<Vec<String>>>) {
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let log = log.clone();
            async move {
                let target = request.uri().path_and_query().unwrap().as_str().to_owned();
                log.lock().unwrap().push(target.clone());
                let (status, body) = answer(&target);
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    fn client(origin: &Url) -> GraphClient {
        GraphClient::from_config(&WhatsAppConfig {
            app_secret: None,
            verify_token: None,
            access_token: Some(Secret::new("token")),
            waba_id: None,
            app_id: None,
            graph_url: origin.as_str().trim_end_matches('/').to_owned(),
            api_version: "v23.0".into(),
        })
        .expect("a client")
    }

    #[tokio::test]
    async fn every_call_stays_on_its_edge() {
        let (origin, seen) = recorder(|target| {
            let body = if target.contains("/messages") {
                r#"{"messages":[{"id":"wamid.X"}]}"#
            } else if target.contains("phone_numbers") || target.contains("message_templates") {
                r#"{"data":[]}"#
            } else {
                r#"{"id":"1","url":"http://127.0.0.1:1/x"}"#
            };
            (200, body.to_owned())
        })
        .await;
        let graph = client(&origin);
        let number = PhoneNumberId::parse("1100000000001").unwrap();
        let waba = WabaId::parse("900000000001").unwrap();
        graph
            .send_message(&number, &serde_json::json!({}))
            .await
            .unwrap();
        graph.mark_read(&number, "wamid.A", true).await.unwrap();
        graph
            .media_info(&MediaId::parse("media:1.jpg").unwrap())
            .await
            .unwrap();
        graph.phone_numbers(&waba).await.unwrap();
        graph.message_templates(&waba).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen[0], "/v23.0/1100000000001/messages");
        assert_eq!(seen[1], "/v23.0/1100000000001/messages");
        assert_eq!(seen[2], "/v23.0/media:1.jpg");
        assert!(
            seen[3].starts_with("/v23.0/900000000001/phone_numbers?fields="),
            "{}",
            seen[3]
        );
        assert!(
            seen[4].starts_with("/v23.0/900000000001/message_templates?limit=100&fields="),
            "{}",
            seen[4]
        );
    }

    #[test]
    fn a_segment_can_never_add_a_path_or_a_query() {
        let graph = client(&Url::parse("http://127.0.0.1:9").unwrap());
        for hostile in [
            "900000000001/message_templates?",
            "../_simulator/faults?",
            "%2e%2e",
            "a#b",
        ] {
            let url = graph.endpoint(&[hostile, "messages"]);
            assert_eq!(
                url.path_segments().unwrap().count(),
                3,
                "{hostile:?} became {url}"
            );
            assert_eq!(url.query(), None, "{url}");
            assert!(url.path().starts_with("/v23.0/"), "{url}");
        }
    }

    #[tokio::test]
    async fn the_token_goes_nowhere_else() {
        // A next page on another host is refused, not followed with the token.
        let (origin, seen) = recorder(|_| {
            (
                200,
                r#"{"data":[],"paging":{"next":"http://127.0.0.2:9/v23.0/steal"}}"#.to_owned(),
            )
        })
        .await;
        let graph = client(&origin);
        let error = graph
            .phone_numbers(&WabaId::parse("1").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(error, GraphError::Untrusted(_)), "{error:?}");
        assert_eq!(seen.lock().unwrap().len(), 1);
        // A media URL elsewhere is not fetched at all.
        for elsewhere in [
            "https://evil.example/media",
            "http://lookaside.fbsbx.com/x",
            "ftp://127.0.0.1/x",
        ] {
            let refused = graph.download(elsewhere).await.unwrap_err();
            assert!(matches!(refused, GraphError::Untrusted(_)), "{elsewhere}");
        }
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn meta_media_is_trusted_only_when_talking_to_meta() {
        let meta = Url::parse("https://graph.facebook.com").unwrap();
        let media =
            Url::parse("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1").unwrap();
        assert!(token_may_go_to(&meta, &media));
        assert!(token_may_go_to(
            &meta,
            &Url::parse("https://graph.facebook.com/v23.0/1").unwrap()
        ));
        let local = Url::parse("http://127.0.0.1:4000").unwrap();
        assert!(!token_may_go_to(&local, &media));
        assert!(!token_may_go_to(
            &Url::parse("http://graph.example.com").unwrap(),
            &Url::parse("http://graph.example.com/x").unwrap()
        ));
    }

    #[tokio::test]
    async fn members_see_metas_code_and_words_never_a_raw_body() {
        let (origin, _) = recorder(|target| {
            if target.contains("envelope") {
                (
                    400,
                    r#"{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":{"details":"to is required"}}}"#
                        .to_owned(),
                )
            } else {
                (502, "<html>upstream secret: token=EAAG</html>".to_owned())
            }
        })
        .await;
        let graph = client(&origin);
        let raw = graph
            .media_info(&MediaId::parse("raw").unwrap())
            .await
            .unwrap_err();
        assert!(
            !raw.for_members().contains("secret"),
            "{}",
            raw.for_members()
        );
        assert!(!raw.to_string().contains("secret"), "{raw}");
        let meta = graph
            .media_info(&MediaId::parse("envelope").unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            meta.for_members(),
            "Meta error 100: (#100) Invalid parameter (to is required)"
        );
    }
}
