//! The one place where errors become HTTP responses. Handlers return [`ApiError`]; internal
//! details are logged, never sent.

use crate::auth::AuthError;
use crate::service::ServiceError;
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in or send a bearer token")]
    Unauthorized,
    /// The password was right; send it again with `code` from the authenticator app (or a
    /// recovery code).
    #[error("two-factor sign-in: send the code from your authenticator app as `code`")]
    SecondFactorRequired,
    /// The workspace requires a second factor this member has not set up yet.
    #[error("set up two-factor sign-in first (/settings): your workspace requires it")]
    EnrolmentRequired,
    #[error("you do not have access to this")]
    Forbidden,
    #[error("cross-site request refused")]
    CrossSite,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the 24-hour customer service window is closed; send an approved template instead")]
    WindowClosed {
        window_expires_at: Option<parley_app::model::UnixTime>,
    },
    /// Another member replied after the newest message the sender had seen.
    #[error("{by} replied in the meantime: read their reply, then send yours if it still fits")]
    RepliedMeanwhile { by: String },
    /// Too much of this work is in progress; try again shortly.
    #[error("busy: try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("{0}")]
    StorageFull(String),
    /// Meta's Graph API refused or could not be reached; the message is Meta's own.
    #[error("WhatsApp Cloud API: {0}")]
    Upstream(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::SecondFactorRequired => (StatusCode::UNAUTHORIZED, "second_factor_required"),
            ApiError::EnrolmentRequired => {
                (StatusCode::FORBIDDEN, "second_factor_enrolment_required")
            }
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::WindowClosed { .. } => (StatusCode::CONFLICT, "window_closed"),
            ApiError::RepliedMeanwhile { .. } => (StatusCode::CONFLICT, "replied_meanwhile"),
            ApiError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::StorageFull(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "graph_api_error"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The body of every error response.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code (`unauthorized`, `forbidden`, `not_found`, `invalid`…).
    error: String,
    /// What went wrong, in words.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, code) = self.status_and_code();
        if let ApiError::WindowClosed { window_expires_at } = &self {
            let body = serde_json::json!({ "error": code, "message": self.to_string(), "window_expires_at": window_expires_at });
            return (status, Json(body)).into_response();
        }
        if let ApiError::RepliedMeanwhile { by } = &self {
            let body = serde_json::json!({ "error": code, "message": self.to_string(), "by": by });
            return (status, Json(body)).into_response();
        }
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs }
        | ApiError::Busy { retry_after_secs } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ServiceError::from(error).into()
    }
}

impl ApiError {
    /// The status a service failure answers with, for the server functions (which tell the
    /// browser the failure in their own body but should not call a refusal a 500).
    pub fn from_service_status(error: &ServiceError) -> StatusCode {
        let sample = match error {
            ServiceError::NotFound(what) => ApiError::NotFound(what),
            ServiceError::Forbidden => ApiError::Forbidden,
            ServiceError::Invalid(_) => ApiError::Invalid(String::new()),
            ServiceError::Conflict(_) | ServiceError::NotConfigured(_) => {
                ApiError::Conflict(String::new())
            }
            ServiceError::WindowClosed { .. } => ApiError::WindowClosed {
                window_expires_at: None,
            },
            ServiceError::RepliedMeanwhile { .. } => {
                ApiError::RepliedMeanwhile { by: String::new() }
            }
            ServiceError::Upstream(_) => ApiError::Upstream(String::new()),
            ServiceError::Busy { retry_after_secs } => ApiError::Busy {
                retry_after_secs: *retry_after_secs,
            },
            ServiceError::StorageFull(_) => ApiError::StorageFull(String::new()),
            ServiceError::Internal(_) => ApiError::Internal(String::new()),
        };
        sample.status_and_code().0
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(what) => ApiError::NotFound(what),
            ServiceError::Forbidden => ApiError::Forbidden,
            ServiceError::Invalid(why) => ApiError::Invalid(why),
            ServiceError::Conflict(why) => ApiError::Conflict(why),
            ServiceError::WindowClosed { window_expires_at } => ApiError::WindowClosed {
                window_expires_at: window_expires_at.map(crate::views::time),
            },
            ServiceError::RepliedMeanwhile { by } => ApiError::RepliedMeanwhile { by },
            ServiceError::NotConfigured(why) => ApiError::Conflict(why.to_owned()),
            ServiceError::Upstream(error) => {
                tracing::warn!(%error, "Graph API call failed");
                ApiError::Upstream(error.for_members())
            }
            ServiceError::Busy { retry_after_secs } => ApiError::Busy { retry_after_secs },
            ServiceError::StorageFull(why) => ApiError::StorageFull(why),
            ServiceError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => ApiError::Unauthorized,
            AuthError::Throttled { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            AuthError::Store(e) => e.into(),
            AuthError::Hashing(e) => ApiError::Internal(e),
        }
    }
}

impl From<tower_sessions::session::Error> for ApiError {
    fn from(error: tower_sessions::session::Error) -> Self {
        ApiError::Internal(format!("session store: {error}"))
    }
}
