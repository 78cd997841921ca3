//! Sign-in, sessions, tokens, throttling, roles and CSRF, through real HTTP.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, session_cookie};
use parley_app::model::Role;
use parley_server::auth::token;
use parley_server::domain::ManualClock;
use reqwest::StatusCode;
use std::time::Duration;

on_both_engines!(
    sign_in_and_out_with_the_form,
    api_tokens_authenticate,
    disabling_a_user_ends_their_sessions
);

async fn sign_in_and_out_with_the_form(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();

    let unauthenticated = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let signed_in = app
        .sign_in(&browser, "Ana@Example.com", "correct horse")
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/inbox");
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP test server: {cookie}"
    );

    let me: serde_json::Value = browser
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["role"], "agent");

    let signed_out = browser
        .post(app.url("/logout"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let after = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

async fn api_tokens_authenticate(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let user = app
        .add_user("ana@example.com", Role::Admin, "correct horse")
        .await;
    let minted = crate::support::mint_token(&app.store, user.id).await;
    let client = reqwest::Client::new();

    let me = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&minted)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let wrong = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token::mint().token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let garbage = client
        .get(app.url("/api/v1/me"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    let team = client
        .get(app.url("/api/v1/team"))
        .bearer_auth(&minted)
        .send()
        .await
        .unwrap();
    assert_eq!(team.status(), StatusCode::OK);
}

async fn disabling_a_user_ends_their_sessions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let user = app
        .add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    app.store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Re-enabling does not resurrect the ended session.
    app.store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(false),
                ..Default::default()
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // And a disabled member cannot sign in again.
    app.store
        .team
        .update_user(
            user.id,
            &parley_server::store::UserChange {
                disabled: Some(true),
                ..Default::default()
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .unwrap();
    let refused = app
        .sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    assert_eq!(
        refused.headers()["location"],
        "/login?error=invalid&next=/inbox"
    );
}

#[tokio::test]
async fn wrong_password_is_refused_with_a_reason() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    let form = app
        .sign_in(&browser, "ana@example.com", "wrong horse")
        .await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        form.headers()["location"],
        "/login?error=invalid&next=/inbox"
    );
    assert!(session_cookie(&form).is_none());

    let json = browser
        .post(app.url("/login"))
        .header("origin", app.origin())
        .json(&serde_json::json!({"email": "ana@example.com", "password": "wrong horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    let unknown = app
        .sign_in(&browser, "nobody@example.com", "whatever1")
        .await;
    assert_eq!(
        unknown.headers()["location"],
        "/login?error=invalid&next=/inbox",
        "unknown accounts look the same"
    );
}

#[tokio::test]
async fn session_id_is_cycled_at_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    let first = session_cookie(
        &app.sign_in(&browser, "ana@example.com", "correct horse")
            .await,
    )
    .unwrap();
    let second = session_cookie(
        &app.sign_in(&browser, "ana@example.com", "correct horse")
            .await,
    )
    .unwrap();
    let id = |cookie: &str| cookie.split(';').next().unwrap().to_owned();
    assert_ne!(id(&first), id(&second));

    // The old id no longer works.
    let stale = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", id(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    for _ in 0..5 {
        let response = app
            .sign_in(&browser, "ana@example.com", "wrong horse")
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let throttled = app
        .sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    assert_eq!(
        throttled.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(
        throttled
            .text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );

    // Another account from the same address is not yet blocked (the address limit is higher).
    app.add_user("bo@example.com", Role::Agent, "correct horse")
        .await;
    let other = app
        .sign_in(&browser, "bo@example.com", "correct horse")
        .await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    assert_eq!(other.headers()["location"], "/inbox");
}

#[tokio::test]
async fn the_address_is_throttled_across_accounts() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    for i in 0..20 {
        app.sign_in(&browser, &format!("guess{i}@example.com"), "wrong horse")
            .await;
    }
    let blocked = app
        .sign_in(&browser, "guess99@example.com", "wrong horse")
        .await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn state_changes_need_our_origin() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;

    let no_origin = browser.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    let foreign = browser
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let cross_site = browser
        .post(app.url("/logout"))
        .header("origin", app.origin())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    // None of those signed us out.
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Login CSRF is refused too.
    let forged_login = browser
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "ana@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_login.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn idle_sessions_expire() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_on(Engine::Sqlite, clock.clone(), |c| {
        c.session.idle_timeout = Duration::from_secs(1800)
    })
    .await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    let cookie = session_cookie(
        &app.sign_in(&browser, "ana@example.com", "correct horse")
            .await,
    )
    .unwrap();
    let id = cookie.split(';').next().unwrap().to_owned();
    let me = |cookie: String| {
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("cookie", cookie)
            .send()
    };
    clock.advance(Duration::from_secs(1000));
    assert_eq!(me(id.clone()).await.unwrap().status(), StatusCode::OK);
    // Idle time counts from when the member was last seen, not from signing in.
    clock.advance(Duration::from_secs(1000));
    assert_eq!(me(id.clone()).await.unwrap().status(), StatusCode::OK);
    clock.advance(Duration::from_secs(1800));
    // Present the cookie by hand: the browser would have dropped it (Max-Age), the server must too.
    assert_eq!(me(id).await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_the_absolute_lifetime() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_on(Engine::Sqlite, clock.clone(), |c| {
        c.session.absolute_timeout = Duration::from_secs(3600)
    })
    .await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| c.session.secure_cookies = true).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let response = app
        .sign_in(&app.browser(), "ana@example.com", "correct horse")
        .await;
    assert!(session_cookie(&response).unwrap().contains("Secure"));
}
