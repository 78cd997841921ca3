//! Two-factor sign-in through a running Parley: setting up an app, signing in with a code or
//! a recovery code (each once, throttled like passwords), and a workspace that requires it.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, mint_token};
use parley_app::model::Role;
use parley_server::auth::totp::TotpSecret;
use serde_json::{Value, json};

on_both_engines!(
    a_member_sets_up_an_app_and_signs_in_with_a_code,
    a_workspace_can_require_a_second_factor,
);

fn now_secs() -> i64 {
    parley_server::domain::Millis::now().0 / 1000
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method, app.url(path))
        .header("origin", app.origin());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Sets up a second factor for the token's owner; answers the secret and recovery codes.
async fn enrol(
    app: &TestApp,
    client: &reqwest::Client,
    token: Option<&str>,
) -> (TotpSecret, Vec<String>) {
    let (status, started) = call(app, client, token, "POST", "/api/v1/me/two-factor", None).await;
    assert_eq!(status, 200, "{started}");
    assert!(
        started["qr_svg"].as_str().unwrap().starts_with("<?xml"),
        "an SVG"
    );
    assert!(
        started["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Parley:")
    );
    let secret = TotpSecret::from_base32(started["secret"].as_str().unwrap()).unwrap();
    let (status, _) = call(
        app,
        client,
        token,
        "POST",
        "/api/v1/me/two-factor/confirm",
        Some(json!({"code": "000000"})),
    )
    .await;
    assert_eq!(status, 422, "a wrong code does not confirm");
    let code = secret.code_now(now_secs());
    let (status, confirmed) = call(
        app,
        client,
        token,
        "POST",
        "/api/v1/me/two-factor/confirm",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn a_member_sets_up_an_app_and_signs_in_with_a_code(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let ana = app
        .add_user("ana@example.com", Role::Agent, "ana's password")
        .await;
    let token = mint_token(&app.store, ana.id).await;
    let http = reqwest::Client::new();
    let (secret, codes) = enrol(&app, &http, Some(&token)).await;
    let (_, status) = call(
        &app,
        &http,
        Some(&token),
        "GET",
        "/api/v1/me/two-factor",
        None,
    )
    .await;
    assert_eq!(
        status,
        json!({"enabled": true, "recovery_codes_left": 10, "required": false})
    );

    // JSON clients send the code with the password.
    let sign_in = |code: Option<String>| {
        let mut body = json!({"email": "ana@example.com", "password": "ana's password"});
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        reqwest::Client::new()
            .post(app.url("/login"))
            .header("origin", app.origin())
            .json(&body)
            .send()
    };
    let owed = sign_in(None).await.unwrap();
    assert_eq!(owed.status(), 401);
    assert_eq!(
        owed.json::<Value>().await.unwrap()["error"],
        "second_factor_required"
    );
    // The confirming code's step is spent: the next step's code (one step of drift) works once.
    let next = secret.code_now(now_secs() + 30);
    assert_eq!(sign_in(Some(next.clone())).await.unwrap().status(), 200);
    assert_eq!(
        sign_in(Some(next)).await.unwrap().status(),
        401,
        "a code works once"
    );

    // Browsers get a second page after the password; a recovery code works there, once.
    let browser = app.browser();
    let first = app
        .sign_in(&browser, "ana@example.com", "ana's password")
        .await;
    assert_eq!(first.headers()["location"], "/login/code");
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "not signed in yet"
    );
    let page = browser.get(app.url("/login/code")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Two-factor sign-in"));
    let post_code = |browser: &reqwest::Client, code: &str| {
        browser
            .post(app.url("/login/code"))
            .header("origin", app.origin())
            .form(&[("code", code)])
            .send()
    };
    let done = post_code(&browser, &codes[0].to_uppercase()).await.unwrap();
    assert_eq!(done.headers()["location"], "/inbox");
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (_, status) = call(
        &app,
        &http,
        Some(&token),
        "GET",
        "/api/v1/me/two-factor",
        None,
    )
    .await;
    assert_eq!(status["recovery_codes_left"], 9);
    let again = app.browser();
    app.sign_in(&again, "ana@example.com", "ana's password")
        .await;
    let refused = post_code(&again, &codes[0]).await.unwrap();
    assert_eq!(
        refused.headers()["location"],
        "/login/code?error=invalid",
        "a recovery code works once"
    );
    // Wrong codes are throttled like passwords: four more, then the sixth attempt is refused.
    for _ in 0..4 {
        let wrong = post_code(&again, "999999").await.unwrap();
        assert_eq!(wrong.headers()["location"], "/login/code?error=invalid");
    }
    assert_eq!(post_code(&again, "999999").await.unwrap().status(), 429);

    // Turning it off needs the password.
    let (status, _) = call(
        &app,
        &http,
        Some(&token),
        "DELETE",
        "/api/v1/me/two-factor",
        Some(json!({"password": "wrong"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = call(
        &app,
        &http,
        Some(&token),
        "DELETE",
        "/api/v1/me/two-factor",
        Some(json!({"password": "ana's password"})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        sign_in(None).await.unwrap().status(),
        200,
        "one factor again"
    );
}

async fn a_workspace_can_require_a_second_factor(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let boss = app
        .add_user("boss@example.com", Role::Admin, "boss password")
        .await;
    let admin_token = mint_token(&app.store, boss.id).await;
    let http = reqwest::Client::new();
    let agent = app
        .add_user("bo@example.com", Role::Agent, "bo's password")
        .await;
    let agent_token = mint_token(&app.store, agent.id).await;
    let (status, _) = call(
        &app,
        &http,
        Some(&agent_token),
        "PUT",
        "/api/v1/settings/two-factor",
        Some(json!({"policy": "everyone"})),
    )
    .await;
    assert_eq!(status, 403, "admins decide");
    let (status, set) = call(
        &app,
        &http,
        Some(&admin_token),
        "PUT",
        "/api/v1/settings/two-factor",
        Some(json!({"policy": "everyone"})),
    )
    .await;
    assert_eq!(status, 200, "{set}");

    // Bo signs in: until he sets up an app, that is all his session can do.
    let browser = app.browser();
    let signed_in = app
        .sign_in(&browser, "bo@example.com", "bo's password")
        .await;
    assert_eq!(
        signed_in.headers()["location"],
        "/settings?two_factor=required"
    );
    let inbox = browser.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(inbox.headers()["location"], "/settings?two_factor=required");
    let (status, body) = call(&app, &browser, None, "GET", "/api/v1/conversations", None).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "second_factor_enrolment_required");
    let (status, _) = call(&app, &browser, None, "GET", "/settings", None).await;
    assert_eq!(status, 200);
    let (secret, _) = enrol(&app, &browser, None).await;
    let (status, _) = call(&app, &browser, None, "GET", "/api/v1/conversations", None).await;
    assert_eq!(status, 200, "set up: the session is whole again");
    let (status, body) = call(
        &app,
        &browser,
        None,
        "DELETE",
        "/api/v1/me/two-factor",
        Some(json!({"password": "bo's password"})),
    )
    .await;
    assert_eq!(status, 409, "required: it cannot be turned off ({body})");
    assert!(!secret.as_base32().is_empty());

    // His phone is lost: an admin resets it, and he sets up a new one at his next sign-in.
    let (status, _) = call(
        &app,
        &http,
        Some(&admin_token),
        "POST",
        &format!("/api/v1/team/{}/two-factor-reset", agent.id),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, team) = call(&app, &http, Some(&admin_token), "GET", "/api/v1/team", None).await;
    let bo = team
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "bo@example.com")
        .unwrap()
        .clone();
    assert_eq!(bo["two_factor"], false);
    let again = app.browser();
    let signed_in = app.sign_in(&again, "bo@example.com", "bo's password").await;
    assert_eq!(
        signed_in.headers()["location"],
        "/settings?two_factor=required"
    );

    let (_, log) = call(
        &app,
        &http,
        Some(&admin_token),
        "GET",
        "/api/v1/audit?action=two_factor",
        None,
    )
    .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "two_factor.reset",
            "two_factor.enrolled",
            "two_factor.policy_changed"
        ]
    );
}
