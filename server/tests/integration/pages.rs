//! Pages and server functions: who sees what.

use crate::support::{Engine, TestApp};
use parley_app::model::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn health_checks_need_no_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn visitors_are_sent_to_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    let inbox = browser.get(app.url("/inbox/42")).send().await.unwrap();
    assert_eq!(inbox.status(), StatusCode::SEE_OTHER);
    assert_eq!(inbox.headers()["location"], "/login?next=/inbox/42");
    let login = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/login""#),
        "{html}"
    );
}

#[tokio::test]
async fn wrong_password_page_shows_the_reason() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let html = app
        .browser()
        .get(app.url("/login?error=invalid"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong email or password."));
}

#[tokio::test]
async fn admins_see_the_inbox_and_team() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ada@example.com", Role::Admin, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ada@example.com", "correct horse")
        .await;
    let inbox = browser.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(inbox.status(), StatusCode::OK);
    let html = inbox.text().await.unwrap();
    assert!(html.contains("Conversations"));
    assert!(html.contains("ada"), "the member's name is shown");
    let team = browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(team.status(), StatusCode::OK);
    assert!(team.text().await.unwrap().contains("ada@example.com"));
    // A signed-in member who opens /login goes to the inbox.
    let login = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.headers()["location"], "/inbox");
}

#[tokio::test]
async fn agents_get_403_on_admin_pages_and_functions() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("bo@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "bo@example.com", "correct horse")
        .await;
    assert_eq!(
        browser
            .get(app.url("/inbox"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let page = browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("admins only"));
    assert_eq!(
        browser
            .get(app.url("/api/v1/team"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let server_fn = browser
        .post(app.url("/rpc/admin/team_members"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(server_fn.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("bo@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "bo@example.com", "correct horse")
        .await;
    let missing = browser.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_describes_itself() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/events",
        "/webhooks/whatsapp",
        "/login",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/contacts/import",
        "/api/v1/contacts/export.csv",
        "/api/v1/contact-attributes",
        "/api/v1/contact-attributes/{key}",
        "/api/v1/segments",
        "/api/v1/segments/{id}",
        "/api/v1/segments/{id}/contacts",
        "/api/v1/contacts/{id}/merge",
        "/api/v1/contacts/{id}/export",
        "/api/v1/contacts/{id}/conversations",
        "/api/v1/numbers",
        "/api/v1/numbers/refresh",
        "/api/v1/numbers/alerts",
        "/api/v1/numbers/subscription",
        "/api/v1/numbers/{phone_number_id}",
        "/api/v1/numbers/{phone_number_id}/profile",
        "/api/v1/numbers/{phone_number_id}/profile/photo",
        "/api/v1/sandbox/numbers/{phone_number_id}/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is described");
    }
    let number = &doc["paths"]["/api/v1/numbers/{phone_number_id}"];
    assert!(
        number.get("get").is_some() && number.get("patch").is_some(),
        "{number}"
    );
    let view = &doc["components"]["schemas"]["BusinessNumberView"]["properties"];
    for field in [
        "phone_number_id",
        "display_phone_number",
        "verified_name",
        "name_status",
        "quality_rating",
        "messaging_limit",
        "throughput",
        "status",
    ] {
        assert!(view.get(field).is_some(), "a number's {field} is described");
    }
    let contact = &doc["components"]["schemas"]["ContactDetails"]["properties"];
    for field in [
        "name",
        "profile_name",
        "phone",
        "email",
        "labels",
        "attributes",
        "note",
        "conversations",
    ] {
        assert!(contact.get(field).is_some(), "ContactDetails.{field}");
    }
    let condition = &doc["components"]["schemas"]["ConditionOp"];
    assert!(
        condition.to_string().contains("is_empty"),
        "every operator is documented"
    );
    let summary = &doc["components"]["schemas"]["ConversationSummary"];
    for field in [
        "id",
        "contact",
        "phone_number_id",
        "status",
        "window_expires_at",
        "unread_count",
        "awaiting_reply_since",
        "csat",
    ] {
        assert!(
            summary["properties"].get(field).is_some(),
            "ConversationSummary.{field}"
        );
    }
    // Every trigger and action of an automation rule is described.
    let schemas = doc["components"]["schemas"].to_string();
    for name in [
        "conversation_unanswered",
        "window_closing",
        "conversation_idle",
        "label_added",
        "conversation_resolved",
        "send_canned",
        "send_interactive",
        "notify",
        "snooze",
        "ask_csat",
    ] {
        assert!(
            schemas.contains(&format!("\"{name}\"")),
            "automation {name} is described"
        );
    }
    assert!(doc["components"]["schemas"].get("CsatScale").is_some());
    assert!(doc["paths"].get("/api/v1/automations/{id}/runs").is_some());
    let team_hours = &doc["paths"]["/api/v1/teams/{id}/business-hours"];
    for method in ["get", "put", "delete"] {
        assert!(team_hours.get(method).is_some(), "team hours {method}");
    }
    let message = &doc["components"]["schemas"]["MessageView"]["properties"];
    for field in [
        "wamid",
        "direction",
        "type",
        "text",
        "status",
        "created_at",
        "error",
        "media_url",
    ] {
        assert!(message.get(field).is_some(), "MessageView.{field}");
    }
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
}
