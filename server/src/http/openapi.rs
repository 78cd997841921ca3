//! The OpenAPI description served at `/api/v1/openapi.json`: this frame, and the paths and
//! schemas utoipa-axum collects from the routes and the shared types, so it cannot drift from
//! the code.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Parley", description = "Team inbox for the WhatsApp Business Cloud API. Authenticate with the session cookie (state-changing requests must come from Parley's own origin) or `Authorization: Bearer <personal API token>`. Timestamps are whole seconds since the Unix epoch (UTC)."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (`POST /api/v1/me/tokens` or `parley token create`)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::session::COOKIE_NAME,
            ))),
        );
    }
}

/// The document's frame: title, description and security schemes. The paths come from the
/// routes themselves (`http::api_routes`).
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
