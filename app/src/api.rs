//! Server functions: the browser's typed door into the server. Each one checks who is asking
//! before it touches data; the data itself comes from the [`ssr::Backend`] the server provides.

use crate::model::{TeamMember, Viewer};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a server function failed, in terms the UI can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    #[error("Only admins can do this.")]
    Forbidden,
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// The signed-in team member, or `None` for a visitor.
#[server(prefix = "/rpc", endpoint = "current_viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(ssr::viewer())
}

/// Everyone on the team, for the admin team page.
#[server(prefix = "/rpc/admin", endpoint = "team_members")]
pub async fn team_members() -> Result<Vec<TeamMember>, AppError> {
    ssr::require_admin()?;
    ssr::backend()?.team_members().await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What server functions need from the server, without depending on it: the server crate
    //! implements [`Backend`] and provides it (and the request's [`Viewer`]) as context.

    use super::AppError;
    use crate::model::{TeamMember, Viewer};
    use leptos::prelude::*;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait Backend: Send + Sync {
        async fn team_members(&self) -> Result<Vec<TeamMember>, AppError>;
    }

    /// The backend as it travels through Leptos context.
    pub type SharedBackend = Arc<dyn Backend>;

    /// The authenticated team member the server attached to this request, if any.
    pub fn viewer() -> Option<Viewer> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<Viewer>()
            .cloned()
    }

    fn fail_with(status: http::StatusCode, error: AppError) -> AppError {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
        error
    }

    pub fn require_viewer() -> Result<Viewer, AppError> {
        viewer().ok_or_else(|| fail_with(http::StatusCode::UNAUTHORIZED, AppError::Unauthorized))
    }

    pub fn require_admin() -> Result<Viewer, AppError> {
        let viewer = require_viewer()?;
        if viewer.is_admin() {
            Ok(viewer)
        } else {
            Err(fail_with(http::StatusCode::FORBIDDEN, AppError::Forbidden))
        }
    }

    pub fn backend() -> Result<SharedBackend, AppError> {
        use_context::<SharedBackend>().ok_or(AppError::Internal)
    }
}
