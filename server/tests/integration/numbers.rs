//! Business numbers through the API, against the simulated Graph API: health and its history,
//! alerts, the business profile and photo, the webhook subscription; admins only.

use crate::sending::{PNG, app_with_simulator};
use crate::support::{ApiClient, eventually};
use parley_app::model::Role;
use serde_json::{Value, json};

const SALES: &str = "1100000000001";
const SUPPORT: &str = "1100000000002";

async fn numbers_when_refreshed(api: &ApiClient) -> Vec<Value> {
    eventually("the numbers refreshed at start", || async {
        let numbers = api.get("/api/v1/numbers").await;
        let numbers = numbers.as_array()?.clone();
        (numbers.len() == 2 && numbers.iter().all(|n| !n["refreshed_at"].is_null()))
            .then_some(numbers)
    })
    .await
}

#[tokio::test]
async fn numbers_show_their_health_and_a_quality_drop_raises_an_alert() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let numbers = numbers_when_refreshed(&api).await;
    let sales = &numbers[0];
    assert_eq!(sales["phone_number_id"], SALES);
    assert_eq!(sales["display_phone_number"], "+1 555-010-0100");
    assert_eq!(sales["verified_name"], "Parley Demo Sales");
    assert_eq!(sales["name_status"], "APPROVED");
    assert_eq!(sales["quality_rating"], "GREEN");
    assert_eq!(sales["messaging_limit"], 100_000);
    assert_eq!(sales["throughput"], "STANDARD");
    assert_eq!(sales["send_rate"], 80);
    assert_eq!(sales["status"], "CONNECTED");
    assert_eq!(sales["platform_type"], "CLOUD_API");
    assert_eq!(numbers[1]["messaging_limit"], 250);
    assert_eq!(api.get("/api/v1/numbers/alerts").await, json!([]));

    // Meta rates the support number RED and flags it: the webhook moves its status at once,
    // the next refresh learns the rating.
    assert!(sim.set_quality(SUPPORT, "RED"));
    let alerts = eventually("the flag's alert", || async {
        let alerts = api.get("/api/v1/numbers/alerts").await;
        (alerts.as_array()?.len() == 1).then_some(alerts)
    })
    .await;
    assert_eq!(alerts[0]["meta"], "FLAGGED");
    assert_eq!(alerts[0]["phone_number_id"], SUPPORT);
    assert_eq!(alerts[0]["level"], "critical");
    let refreshed = api.call("POST", "/api/v1/numbers/refresh", None).await.1;
    assert_eq!(refreshed[1]["quality_rating"], "RED");
    let metas: Vec<Value> = api
        .get("/api/v1/numbers/alerts")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["meta"].clone())
        .collect();
    assert_eq!(metas, [json!("RED"), json!("FLAGGED")]);

    let detail = api.get(&format!("/api/v1/numbers/{SUPPORT}")).await;
    assert_eq!(detail["status"], "FLAGGED");
    let history: Vec<(Value, Value, Value)> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|c| (c["field"].clone(), c["to"].clone(), c["source"].clone()))
        .collect();
    assert_eq!(
        history,
        [
            (json!("quality_rating"), json!("RED"), json!("graph")),
            (json!("status"), json!("FLAGGED"), json!("webhook")),
        ]
    );
    // Back to GREEN: unflagged by webhook, and the alerts go once a refresh reads the rating.
    assert!(sim.set_quality(SUPPORT, "GREEN"));
    eventually("unflagged", || async {
        let detail = api.get(&format!("/api/v1/numbers/{SUPPORT}")).await;
        (detail["status"] == "CONNECTED").then_some(())
    })
    .await;
    api.call("POST", "/api/v1/numbers/refresh", None).await;
    assert_eq!(api.get("/api/v1/numbers/alerts").await, json!([]));
    let (status, _) = api.call("GET", "/api/v1/numbers/4930000000", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_admins_manage_numbers() {
    let (app, _sim) = app_with_simulator().await;
    let (agent, _) = app.member("Agnes Agent", Role::Agent).await;
    for (method, path) in [
        ("GET", "/api/v1/numbers".to_owned()),
        ("POST", "/api/v1/numbers/refresh".to_owned()),
        ("GET", "/api/v1/numbers/alerts".to_owned()),
        ("GET", format!("/api/v1/numbers/{SALES}")),
        ("GET", format!("/api/v1/numbers/{SALES}/profile")),
        ("PUT", format!("/api/v1/numbers/{SALES}/profile")),
        ("GET", "/api/v1/numbers/subscription".to_owned()),
        ("POST", "/api/v1/numbers/subscription".to_owned()),
    ] {
        let body = (method == "PUT").then(|| json!({"about": "Hijacked"}));
        let (status, _) = agent.call(method, &path, body).await;
        assert_eq!(status, 403, "{method} {path}");
    }
}

#[tokio::test]
async fn the_business_profile_is_checked_by_meta_rules_and_updated() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    numbers_when_refreshed(&api).await;
    let path = format!("/api/v1/numbers/{SALES}/profile");
    let profile = api.get(&path).await;
    assert_eq!(profile["vertical"], "RETAIL");
    assert_eq!(profile["websites"], json!(["https://parley.example"]));

    let update = json!({"about": "Open 9–18, 周一至周五", "description": "Shoes and bags",
        "email": "shop@example.com", "websites": ["https://shop.example", "https://example.org/shop"],
        "vertical": "APPAREL"});
    let (status, saved) = api.call("PUT", &path, Some(update)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["about"], "Open 9–18, 周一至周五");
    assert_eq!(saved["vertical"], "APPAREL");
    assert_eq!(
        saved["address"], "1 Market Street, San Francisco, CA",
        "left out, kept"
    );
    assert_eq!(api.get(&path).await, saved);

    // Broken rules are refused before any call to Meta.
    let calls_before = sim.calls().len();
    let too_long = json!({"about": "a".repeat(140), "websites": ["ftp://x", "https://a", "https://b"],
        "vertical": "CASINO"});
    let (status, refused) = api.call("PUT", &path, Some(too_long)).await;
    assert_eq!(status, 422);
    let said = refused["message"].as_str().unwrap();
    assert!(
        said.contains("about") && said.contains("websites") && said.contains("vertical"),
        "{said}"
    );
    assert_eq!(sim.calls().len(), calls_before);
    // Meta's own refusal comes back with its words.
    sim.fail_next(1, 100, 400);
    let (status, failed) = api.call("PUT", &path, Some(json!({"about": "Fine"}))).await;
    assert_eq!(status, 502, "{failed}");

    // The photo goes through the resumable upload, then onto the profile.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PNG)
            .file_name("logo.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let response = api
        .http
        .post(format!("{}{path}/photo", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let with_photo: Value = response.json().await.unwrap();
    assert!(
        with_photo["profile_picture_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let calls = sim.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("POST /v") && c.contains("/uploads?")),
        "{calls:?}"
    );
    let text = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(&b"GIF89a"[..])
            .file_name("a.gif")
            .mime_str("image/gif")
            .unwrap(),
    );
    let response = api
        .http
        .post(format!("{}{path}/photo", api.base))
        .bearer_auth(&api.token)
        .multipart(text)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let audit = api.get("/api/v1/audit?action=number.profile_changed").await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
}

#[tokio::test]
async fn the_webhook_subscription_is_checked_and_made() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let subscription = api.get("/api/v1/numbers/subscription").await;
    assert_eq!(subscription["subscribed"], true);
    assert_eq!(subscription["apps"], json!(["Parley"]));
    assert_eq!(subscription["warning"], Value::Null);
    sim.set_webhooks_subscribed(false);
    assert_eq!(
        api.get("/api/v1/numbers/subscription").await["subscribed"],
        false
    );
    let (status, subscribed) = api.call("POST", "/api/v1/numbers/subscription", None).await;
    assert_eq!(status, 200);
    assert_eq!(subscribed["subscribed"], true);
    assert!(
        sim.calls()
            .iter()
            .any(|c| c.starts_with("POST ") && c.ends_with("/subscribed_apps"))
    );
}
