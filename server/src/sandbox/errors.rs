//! Meta's Graph API error envelope, as the simulator answers it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error the simulator answers with, in Meta's words and codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphApiError {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    pub error_type: &'static str,
    pub message: String,
    pub details: String,
}

impl GraphApiError {
    /// 100: a parameter is missing or invalid.
    pub fn invalid_parameter(details: impl Into<String>) -> Self {
        GraphApiError {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: None,
            error_type: "OAuthException",
            message: "(#100) Invalid parameter".into(),
            details: details.into(),
        }
    }

    /// 190: the access token is missing, wrong or expired.
    pub fn invalid_token() -> Self {
        GraphApiError {
            status: StatusCode::UNAUTHORIZED,
            code: 190,
            subcode: Some(463),
            error_type: "OAuthException",
            message: "Error validating access token: Session has expired or the token is invalid."
                .into(),
            details: "Invalid OAuth access token".into(),
        }
    }

    /// 100 / 33: the object (phone number, media, template) does not exist.
    pub fn unknown_object(id: &str) -> Self {
        GraphApiError {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: Some(33),
            error_type: "GraphMethodException",
            message: format!(
                "Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
            details: format!("Object with ID '{id}' does not exist"),
        }
    }

    /// 130429: the business number's throughput was exceeded.
    pub fn rate_limited() -> Self {
        GraphApiError {
            status: StatusCode::BAD_REQUEST,
            code: 130429,
            subcode: None,
            error_type: "OAuthException",
            message: "(#130429) Rate limit hit".into(),
            details: "Cloud API message throughput has been reached.".into(),
        }
    }

    /// 131056: too many messages to the same customer in a short time.
    pub fn pair_rate_limited() -> Self {
        GraphApiError {
            status: StatusCode::BAD_REQUEST,
            code: 131056,
            subcode: None,
            error_type: "OAuthException",
            message: "(#131056) (Business Account, Consumer Account) pair rate limit hit".into(),
            details: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.".into(),
        }
    }

    /// 132xxx: the template cannot be sent (missing, paused, disabled).
    pub fn template(code: i64, title: &str, name: &str, language: &str) -> Self {
        GraphApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            subcode: None,
            error_type: "OAuthException",
            message: format!("(#{code}) {title}"),
            details: format!("template name ({name}) in {language}: {title}"),
        }
    }

    /// Any code, for fault injection.
    pub fn injected(code: i64, status: u16) -> Self {
        GraphApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            subcode: None,
            error_type: if code == 190 {
                "OAuthException"
            } else {
                "GraphMethodException"
            },
            message: format!("(#{code}) Injected failure"),
            details: "The simulator was asked to fail this call.".into(),
        }
    }
}

impl IntoResponse for GraphApiError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "error_data": { "messaging_product": "whatsapp", "details": self.details },
            "fbtrace_id": fbtrace_id(),
        });
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

fn fbtrace_id() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..11)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
