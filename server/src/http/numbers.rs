//! Business numbers (admins): health and history, refresh, business profile and photo, and the
//! WABA's webhook subscription.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::numbers::{self, MAX_PHOTO_BYTES};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use parley_app::numbers::{
    BusinessNumberDetail, BusinessNumberView, BusinessProfile, HealthAlert, WebhookSubscription,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(refresh))
        .routes(routes!(alerts))
        .routes(routes!(subscription, subscribe))
        .routes(routes!(one))
        .routes(routes!(profile, update_profile))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(photo))
                .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 64 * 1024)),
        )
}

/// Every business number with its health as Parley last learned it: quality rating
/// (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`), status (`CONNECTED`, `FLAGGED`, `RESTRICTED`…),
/// messaging limit, throughput and the sender's pace, name status, and its alerts.
#[utoipa::path(get, path = "/api/v1/numbers", tag = "numbers",
    responses((status = 200, body = Vec<BusinessNumberView>), (status = 403, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<BusinessNumberView>>, ApiError> {
    Ok(Json(numbers::list(&app.services, &viewer).await?))
}

/// Reads every number from the Graph API now (Parley also does at start and every 15
/// minutes) and answers them.
#[utoipa::path(post, path = "/api/v1/numbers/refresh", tag = "numbers",
    responses((status = 200, body = Vec<BusinessNumberView>), (status = 403, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn refresh(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<BusinessNumberView>>, ApiError> {
    Ok(Json(numbers::refresh_now(&app.services, &viewer).await?))
}

/// What needs an admin's attention now: numbers whose quality is YELLOW or RED, FLAGGED or
/// RESTRICTED; the account's restrictions, violations and bans; webhooks that stopped
/// arriving while sends are made. Each with Meta's word and what it means.
#[utoipa::path(get, path = "/api/v1/numbers/alerts", tag = "numbers",
    responses((status = 200, body = Vec<HealthAlert>), (status = 403, body = super::error::ErrorBody)))]
async fn alerts(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<HealthAlert>>, ApiError> {
    Ok(Json(numbers::alerts(&app.services, &viewer).await?))
}

/// Whether an app is subscribed to the WABA's webhooks (`GET /{waba-id}/subscribed_apps`),
/// when the last webhook arrived, and a warning when sends were accepted and no webhook came
/// for `PARLEY_WEBHOOK_SILENCE_MINUTES`.
#[utoipa::path(get, path = "/api/v1/numbers/subscription", tag = "numbers",
    responses((status = 200, body = WebhookSubscription), (status = 403, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn subscription(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<WebhookSubscription>, ApiError> {
    Ok(Json(numbers::subscription(&app.services, &viewer).await?))
}

/// Subscribes the app to the WABA's webhooks (`POST /{waba-id}/subscribed_apps`).
#[utoipa::path(post, path = "/api/v1/numbers/subscription", tag = "numbers",
    responses((status = 200, body = WebhookSubscription), (status = 403, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn subscribe(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
) -> Result<Json<WebhookSubscription>, ApiError> {
    Ok(Json(
        numbers::subscribe(&app.services, &viewer, &origin).await?,
    ))
}

/// One number with its `history`: every change to its quality, status, limit, name and
/// throughput (and its account's standing), newest first, with where Parley learned it
/// (`graph` or `webhook`) and Meta's words.
#[utoipa::path(get, path = "/api/v1/numbers/{phone_number_id}", tag = "numbers",
    responses((status = 200, body = BusinessNumberDetail), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(phone_number_id): Path<String>,
) -> Result<Json<BusinessNumberDetail>, ApiError> {
    Ok(Json(
        numbers::get(&app.services, &viewer, &phone_number_id).await?,
    ))
}

/// The number's business profile as Meta has it (`about`, `address`, `description`,
/// `email`, `websites`, `vertical`, `profile_picture_url`).
#[utoipa::path(get, path = "/api/v1/numbers/{phone_number_id}/profile", tag = "numbers",
    responses((status = 200, body = BusinessProfile), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 502, body = super::error::ErrorBody)))]
async fn profile(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(phone_number_id): Path<String>,
) -> Result<Json<BusinessProfile>, ApiError> {
    Ok(Json(
        numbers::profile(&app.services, &viewer, &phone_number_id).await?,
    ))
}

/// Changes the business profile. Checked by Meta's rules first (422 says which field): about
/// 1–139 characters, address ≤ 256, description ≤ 512, email ≤ 128 and an address, at most 2
/// websites (http or https, ≤ 256 each), vertical one of Meta's list. Fields left out stay as
/// they are; `websites` is replaced (an empty list clears it). 502 carries Meta's refusal.
#[utoipa::path(put, path = "/api/v1/numbers/{phone_number_id}/profile", tag = "numbers",
    request_body = BusinessProfile,
    responses((status = 200, body = BusinessProfile), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn update_profile(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(phone_number_id): Path<String>,
    JsonBody(profile): JsonBody<BusinessProfile>,
) -> Result<Json<BusinessProfile>, ApiError> {
    Ok(Json(
        numbers::update_profile(&app.services, &viewer, &origin, &phone_number_id, profile).await?,
    ))
}

/// Sets the profile photo (multipart `file`: JPEG or PNG, at most 5 MB) through the app's
/// resumable upload (needs `WA_APP_ID`).
#[utoipa::path(post, path = "/api/v1/numbers/{phone_number_id}/profile/photo", tag = "numbers",
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 200, body = BusinessProfile), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
async fn photo(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(phone_number_id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Json<BusinessProfile>, ApiError> {
    crate::service::require_admin(&viewer)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let mime_type = field.content_type().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(unreadable)?;
        let profile = numbers::set_photo(
            &app.services,
            &viewer,
            &origin,
            &phone_number_id,
            bytes,
            &mime_type,
        )
        .await?;
        return Ok(Json(profile));
    }
    Err(ApiError::Invalid("the upload needs a `file` field".into()))
}
