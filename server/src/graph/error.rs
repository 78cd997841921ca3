//! Graph API failures: as Meta reports them, and as members may read them.

use serde::Deserialize;

/// An error as Meta reports it (`{"error": {...}}`), or a failure to get an answer at all.
/// `Display` is for the log; [`GraphError::for_members`] is what members may read.
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
    /// A URL that must not receive the access token (another host, or plain http).
    #[error("refused to send the access token to {0}")]
    Untrusted(String),
    /// An id that cannot be a Graph object's: no request was made.
    #[error(transparent)]
    InvalidId(#[from] crate::whatsapp::ids::InvalidId),
}

impl GraphError {
    /// Meta's error code, when Meta answered with one.
    pub fn meta_code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (throttling, Meta-side trouble, network).
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Transport(_) => true,
            GraphError::Decode(_) | GraphError::Untrusted(_) | GraphError::InvalidId(_) => false,
            GraphError::Api { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || matches!(code, 1 | 2 | 4 | 80007 | 130429 | 131000 | 131056)
            }
        }
    }

    /// The error as a member may see it: Meta's code and words, never an upstream body.
    pub fn for_members(&self) -> String {
        match self {
            GraphError::Api {
                code,
                message,
                details,
                ..
            } => match details {
                Some(details) if !details.is_empty() => {
                    format!("Meta error {code}: {message} ({details})")
                }
                _ => format!("Meta error {code}: {message}"),
            },
            GraphError::Transport(_) => "the WhatsApp Cloud API could not be reached".into(),
            GraphError::Decode(_) => {
                "the WhatsApp Cloud API answered something Parley cannot read".into()
            }
            GraphError::Untrusted(_) => {
                "Meta pointed Parley at an address it does not trust with the access token".into()
            }
            GraphError::InvalidId(problem) => problem.to_string(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ErrorEnvelope {
    pub(super) error: ErrorBody,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) message: String,
    #[serde(default)]
    pub(super) code: i64,
    pub(super) error_subcode: Option<i64>,
    pub(super) error_data: Option<serde_json::Value>,
}
