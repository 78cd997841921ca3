//! Business numbers as the Graph API serves them: health fields, the business profile (with
//! Meta's validation), the WABA's subscribed apps; and the simulator's side of quality and
//! limit changes, announced by `phone_number_quality_update` webhooks.

use super::super::errors::GraphApiError;
use super::super::{DEMO_NUMBERS, Simulator, demo_number};
use super::{authorize, authorize_account};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use parley_app::numbers::{BusinessProfile, validate_profile};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// A simulated number's health and profile.
#[derive(Clone, Debug)]
pub(in crate::sandbox) struct SimNumber {
    pub quality_rating: &'static str,
    pub status: &'static str,
    pub messaging_limit_tier: String,
    pub profile: BusinessProfile,
}

pub(in crate::sandbox) fn seeded() -> HashMap<String, SimNumber> {
    DEMO_NUMBERS
        .iter()
        .map(|n| {
            let profile = BusinessProfile {
                about: Some(format!("{} — we answer within the hour.", n.verified_name)),
                address: Some("1 Market Street, San Francisco, CA".into()),
                description: Some("Parley's demo business: orders, returns and questions.".into()),
                email: Some("hello@parley.example".into()),
                websites: vec!["https://parley.example".into()],
                vertical: Some("RETAIL".into()),
                profile_picture_url: None,
            };
            let number = SimNumber {
                quality_rating: "GREEN",
                status: "CONNECTED",
                messaging_limit_tier: n.messaging_limit_tier.to_owned(),
                profile,
            };
            (n.id.to_owned(), number)
        })
        .collect()
}

fn number_json(sim: &Simulator, id: &str) -> Option<Value> {
    let demo = demo_number(id)?;
    let state = sim.state();
    let number = state.numbers.get(id)?;
    Some(json!({
        "id": demo.id,
        "display_phone_number": demo.display,
        "verified_name": demo.verified_name,
        "name_status": "APPROVED",
        "quality_rating": number.quality_rating,
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "status": number.status,
        "messaging_limit_tier": number.messaging_limit_tier,
        "throughput": { "level": "STANDARD" },
    }))
}

/// Keeps the fields a client asked for (`fields=`), and the id.
fn only_fields(mut object: Value, fields: Option<&str>) -> Value {
    if let (Some(fields), Value::Object(map)) = (fields, &mut object) {
        let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
        map.retain(|key, _| key == "id" || wanted.contains(&key.as_str()));
    }
    object
}

#[derive(Deserialize)]
pub(super) struct Fields {
    fields: Option<String>,
}

pub(super) async fn phone_numbers(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(query): Query<Fields>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    let data: Vec<Value> = DEMO_NUMBERS
        .iter()
        .filter_map(|n| number_json(&sim, n.id))
        .map(|n| only_fields(n, query.fields.as_deref()))
        .collect();
    Json(
        json!({ "data": data, "paging": { "cursors": { "before": "QVFIUk", "after": "QVFIUl" } } }),
    )
    .into_response()
}

/// `GET /{phone-number-id}`, when the id is a number (other ids are media).
pub(super) fn number(sim: &Simulator, id: &str, fields: Option<&str>) -> Option<Response> {
    let number = number_json(sim, id)?;
    Some(Json(only_fields(number, fields)).into_response())
}

pub(super) async fn profile(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        let profile = sim
            .state()
            .numbers
            .get(&id)
            .map(|n| n.profile.clone())
            .ok_or_else(|| GraphApiError::unknown_object(&id))?;
        let mut data = serde_json::to_value(&profile).expect("a profile serialises");
        data["messaging_product"] = json!("whatsapp");
        if let Value::Object(map) = &mut data {
            map.retain(|_, value| !value.is_null());
        }
        Ok::<_, GraphApiError>(Json(json!({ "data": [data] })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Meta's rules for a profile update, then the update (and the photo, by upload handle).
pub(super) async fn update_profile(
    State(sim): State<Simulator>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authorize(&sim, &headers, &version).await?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| GraphApiError::invalid_parameter("The request body is not valid JSON."))?;
        if body["messaging_product"] != "whatsapp" {
            return Err(GraphApiError::invalid_parameter(
                "The parameter messaging_product is required.",
            ));
        }
        let update: BusinessProfile = serde_json::from_value(body.clone())
            .map_err(|e| GraphApiError::invalid_parameter(format!("Invalid parameter: {e}")))?;
        if let Some(problem) = validate_profile(&update).into_iter().next() {
            return Err(GraphApiError::invalid_parameter(format!(
                "Param {} is invalid: {}",
                problem.field, problem.problem
            )));
        }
        let handle = body["profile_picture_handle"].as_str();
        if handle.is_some_and(|h| !h.starts_with("4:")) {
            return Err(GraphApiError::invalid_parameter(
                "Param profile_picture_handle is not a valid upload handle",
            ));
        }
        let mut state = sim.state();
        let number = state
            .numbers
            .get_mut(&id)
            .ok_or_else(|| GraphApiError::unknown_object(&id))?;
        let profile = &mut number.profile;
        for (field, value) in [
            (&mut profile.about, update.about),
            (&mut profile.address, update.address),
            (&mut profile.description, update.description),
            (&mut profile.email, update.email),
            (&mut profile.vertical, update.vertical),
        ] {
            if value.is_some() {
                *field = value;
            }
        }
        if body.get("websites").is_some() {
            profile.websites = update.websites;
        }
        if handle.is_some() {
            profile.profile_picture_url = Some(format!(
                "https://pps.whatsapp.net/v/t61/{id}_{}.jpg",
                crate::sandbox::now_ms()
            ));
        }
        Ok(Json(json!({ "success": true })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn subscribed_apps(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    let data: Vec<Value> = if sim.state().webhooks_unsubscribed {
        Vec::new()
    } else {
        vec![json!({ "whatsapp_business_api_data": {
            "id": super::super::DEMO_APP_ID, "name": "Parley", "link": "https://parley.example" } })]
    };
    Json(json!({ "data": data })).into_response()
}

pub(super) async fn subscribe_app(
    State(sim): State<Simulator>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = authorize_account(&sim, &headers, &version, &waba_id).await {
        return error.into_response();
    }
    sim.state().webhooks_unsubscribed = false;
    Json(json!({ "success": true })).into_response()
}

/// What Meta changes about a number (each part optional).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct HealthChange {
    /// `GREEN`, `YELLOW` or `RED`. RED flags the number unless `flagged` says otherwise; a
    /// better rating unflags a flagged one.
    pub quality_rating: Option<String>,
    pub flagged: Option<bool>,
    /// A new messaging limit tier (`TIER_1K`…): an UPGRADE or DOWNGRADE webhook.
    pub messaging_limit_tier: Option<String>,
}

/// Tiers in Meta's order, to tell an upgrade from a downgrade.
const TIERS: [&str; 7] = [
    "TIER_50",
    "TIER_250",
    "TIER_1K",
    "TIER_2K",
    "TIER_10K",
    "TIER_100K",
    "TIER_UNLIMITED",
];

/// `POST /_simulator/numbers/{id}`: Meta re-rates, flags or re-limits a number, with the
/// webhooks it would send.
pub(super) async fn change_health(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    Json(change): Json<HealthChange>,
) -> Response {
    match sim.change_health(&id, &change) {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(why) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": why })),
        )
            .into_response(),
    }
}

impl Simulator {
    /// Meta changes a number's quality, flag or messaging limit: the Graph API serves the new
    /// values, and flagging, unflagging and limit changes are announced by
    /// `phone_number_quality_update` webhooks, as Meta does (a rating alone is not).
    pub fn change_health(&self, id: &str, change: &HealthChange) -> Result<(), String> {
        let demo = demo_number(id).ok_or_else(|| format!("{id} is not a simulated number"))?;
        let quality: Option<&'static str> = match change.quality_rating.as_deref() {
            None => None,
            Some("GREEN") => Some("GREEN"),
            Some("YELLOW") => Some("YELLOW"),
            Some("RED") => Some("RED"),
            Some(other) => return Err(format!("{other:?} is not GREEN, YELLOW or RED")),
        };
        if let Some(tier) = change.messaging_limit_tier.as_deref()
            && !TIERS.contains(&tier)
        {
            return Err(format!("{tier:?} is not one of {}", TIERS.join(", ")));
        }
        let mut events = Vec::new();
        let limit = {
            let mut state = self.state();
            let number = state.numbers.get_mut(id).ok_or("no such number")?;
            if let Some(quality) = quality {
                number.quality_rating = quality;
            }
            let flag = change
                .flagged
                .or_else(|| quality.map(|q| q == "RED"))
                .unwrap_or(number.status == "FLAGGED");
            match (flag, number.status) {
                (true, status) if status != "FLAGGED" => {
                    number.status = "FLAGGED";
                    events.push("FLAGGED");
                }
                (false, "FLAGGED") => {
                    number.status = "CONNECTED";
                    events.push("UNFLAGGED");
                }
                _ => {}
            }
            if let Some(tier) = &change.messaging_limit_tier {
                let rank = |t: &str| TIERS.iter().position(|known| *known == t);
                let up = rank(tier) > rank(&number.messaging_limit_tier);
                if *tier != number.messaging_limit_tier {
                    events.push(if up { "UPGRADE" } else { "DOWNGRADE" });
                }
                number.messaging_limit_tier = tier.clone();
            }
            number.messaging_limit_tier.clone()
        };
        let display: String = demo.display.chars().filter(char::is_ascii_digit).collect();
        for event in events {
            let value =
                json!({ "display_phone_number": display, "event": event, "current_limit": limit });
            self.account_webhook("phone_number_quality_update", value, Duration::ZERO);
        }
        Ok(())
    }

    /// [`Simulator::change_health`] for the rating alone; answers whether it was taken.
    pub fn set_quality(&self, id: &str, quality_rating: &str) -> bool {
        let change = HealthChange {
            quality_rating: Some(quality_rating.to_owned()),
            ..HealthChange::default()
        };
        self.change_health(id, &change).is_ok()
    }

    /// The WABA loses (or regains) its app subscription: no webhook reaches Parley meanwhile.
    pub fn set_webhooks_subscribed(&self, subscribed: bool) {
        self.state().webhooks_unsubscribed = !subscribed;
    }
}
