//! The OpenAPI description served at `/api/v1/openapi.json`, generated from the handlers'
//! annotations and the shared types, so it cannot drift from the code.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Parley", description = "Team inbox for the WhatsApp Business Cloud API. Authenticate with the session cookie (state-changing requests must come from Parley's own origin) or `Authorization: Bearer <personal API token>`."),
    paths(
        super::api::me,
        super::api::my_tokens,
        super::api::create_token,
        super::api::revoke_token,
        super::api::team,
        super::conversations::list,
        super::conversations::one,
        super::conversations::messages,
        super::conversations::send,
        super::conversations::retry,
        super::conversations::cancel,
        super::conversations::read,
        super::uploads::upload,
        super::templates::list,
        super::templates::one,
        super::templates::submit,
        super::templates::sync,
        super::templates::sample,
        super::templates::delete,
        super::conversations::media,
        super::conversations::events,
        super::sign_in::sign_in,
        super::sign_in::sign_out,
        super::webhook::verify_subscription,
        super::webhook::receive,
        super::sandbox::customer_writes,
        super::alive,
        super::ready,
    ),
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

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
