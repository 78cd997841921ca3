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
pub(super) async fn number(sim: &Simulator, id: &str, fields: Option<&str>) -> Option<Response> {
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

impl Simulator {
    /// Meta re-rates a number: RED flags it (and says so in a `FLAGGED` webhook); back to
    /// GREEN or YELLOW from flagged unflags it (`UNFLAGGED`). Answers whether the number exists.
    pub fn set_quality(&self, id: &str, quality_rating: &str) -> bool {
        let quality: &'static str = match quality_rating {
            "GREEN" => "GREEN",
            "YELLOW" => "YELLOW",
            "RED" => "RED",
            _ => return false,
        };
        let Some(demo) = demo_number(id) else {
            return false;
        };
        let event = {
            let mut state = self.state();
            let Some(number) = state.numbers.get_mut(id) else {
                return false;
            };
            number.quality_rating = quality;
            match (quality, number.status) {
                ("RED", status) if status != "FLAGGED" => {
                    number.status = "FLAGGED";
                    Some("FLAGGED")
                }
                ("GREEN" | "YELLOW", "FLAGGED") => {
                    number.status = "CONNECTED";
                    Some("UNFLAGGED")
                }
                _ => None,
            }
        };
        if let Some(event) = event {
            let limit = self.state().numbers[id].messaging_limit_tier.clone();
            let value = json!({ "display_phone_number": demo.display.chars().filter(char::is_ascii_digit).collect::<String>(),
                "event": event, "current_limit": limit });
            self.account_webhook("phone_number_quality_update", value, Duration::ZERO);
        }
        true
    }

    /// Meta moves a number's messaging limit (`UPGRADE` or `DOWNGRADE` webhook).
    pub fn set_messaging_limit(&self, id: &str, tier: &str, upgrade: bool) -> bool {
        let Some(demo) = demo_number(id) else {
            return false;
        };
        match self.state().numbers.get_mut(id) {
            Some(number) => number.messaging_limit_tier = tier.to_owned(),
            None => return false,
        }
        let value = json!({ "display_phone_number": demo.display.chars().filter(char::is_ascii_digit).collect::<String>(),
            "event": if upgrade { "UPGRADE" } else { "DOWNGRADE" }, "current_limit": tier });
        self.account_webhook("phone_number_quality_update", value, Duration::ZERO);
        true
    }

    /// The WABA loses (or regains) its app subscription: no webhook reaches Parley meanwhile.
    pub fn set_webhooks_subscribed(&self, subscribed: bool) {
        self.state().webhooks_unsubscribed = !subscribed;
    }
}
