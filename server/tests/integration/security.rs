//! The holes an audit found, each tried again as an attacker would (issue 16).

use crate::on_both_engines;
use crate::sending::{PNG, app_with_simulator, app_with_simulator_and, open_conversation, upload};
use crate::support::{Engine, EventStream, TestApp, eventually, mint_token};
use parley_app::model::{Email, Role};
use parley_server::sandbox::CONTROL_SECRET_HEADER;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    concurrent_wrong_passwords_get_no_more_checks_than_the_limit,
    a_stream_ends_when_its_member_is_disabled_elsewhere,
    a_stream_ends_when_its_session_signs_out,
    a_stream_ends_when_its_token_is_revoked,
);

/// The limit on a stream's end, from the issue: within 5 seconds.
const ENDS_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn an_upload_cannot_steer_the_graph_api_elsewhere() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    open_conversation(&sim, &api).await;
    let calls_before = sim.calls().len();
    for hostile in [
        "900000000001/message_templates?",
        "../_simulator/faults?",
        "1100000000001/../../x",
        "999999999",
    ] {
        let form = reqwest::multipart::Form::new()
            .text("phone_number_id", hostile)
            .part(
                "file",
                reqwest::multipart::Part::bytes(PNG)
                    .file_name("a.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let response = api
            .http
            .post(app.url("/api/v1/media"))
            .bearer_auth(&api.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{hostile}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid", "{hostile}: {body}");
    }
    assert_eq!(
        sim.calls()[calls_before..].to_vec(),
        Vec::<String>::new(),
        "no Graph call was made"
    );
    // A number Parley knows still works.
    let form = reqwest::multipart::Form::new()
        .text("phone_number_id", "1100000000001")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG)
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let response = api
        .http
        .post(app.url("/api/v1/media"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        sim.calls()[calls_before..],
        ["POST /v23.0/1100000000001/media".to_owned()]
    );
}

async fn concurrent_wrong_passwords_get_no_more_checks_than_the_limit(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let attempts: Vec<_> = (0..30)
        .map(|_| {
            let url = app.url("/login");
            let origin = app.origin();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .header("origin", origin)
                    .json(&json!({"email": "ana@example.com", "password": "wrong horse"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, throttled), (5, 25), "{statuses:?}");
}

#[tokio::test]
async fn sign_in_never_sends_the_browser_to_another_site() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    for (next, expected) in [
        ("/\t/evil.example", "/inbox"),
        ("//evil.example", "/inbox"),
        ("/\\evil.example", "/inbox"),
        ("https://evil.example", "/inbox"),
        ("/inbox/42", "/inbox/42"),
    ] {
        let response = app
            .browser()
            .post(app.url("/login"))
            .header("origin", app.origin())
            .form(&[
                ("email", "ana@example.com"),
                ("password", "correct horse"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(response.headers()["location"], expected, "{next:?}");
    }
}

/// A signed-in browser's event stream, open and past its `ready` event.
async fn open_stream(client: &reqwest::Client, app: &TestApp) -> EventStream {
    let response = client.get(app.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = EventStream::new(response);
    let ready = stream.next(ENDS_WITHIN).await.expect("the ready event");
    assert_eq!(ready.name, "ready");
    stream
}

/// Waits for the stream to end; any events before that must be ordinary ones.
async fn assert_ends(mut stream: EventStream) {
    let ended = tokio::time::timeout(ENDS_WITHIN, async {
        while let Some(event) = stream.next(ENDS_WITHIN).await {
            assert_ne!(
                event.name, "credentials.changed",
                "internal events stay inside"
            );
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its credential");
}

async fn a_stream_ends_when_its_member_is_disabled_elsewhere(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    let stream = open_stream(&browser, &app).await;
    // Another process (the CLI) disables her, with its own connection to the database.
    let cli = parley_server::store::connect(&app.database_url)
        .await
        .unwrap();
    let ana = Email::parse("ana@example.com").unwrap();
    let ana = cli
        .team
        .credentials_by_email(&ana)
        .await
        .unwrap()
        .unwrap()
        .user;
    let disable = parley_server::store::UserChange {
        disabled: Some(true),
        ..Default::default()
    };
    cli.team
        .update_user(ana.id, &disable, parley_server::domain::Millis::now())
        .await
        .unwrap();
    assert_ends(stream).await;
}

async fn a_stream_ends_when_its_session_signs_out(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let (tab, other_tab_session) = (app.browser(), app.browser());
    app.sign_in(&tab, "ana@example.com", "correct horse").await;
    app.sign_in(&other_tab_session, "ana@example.com", "correct horse")
        .await;
    let stream = open_stream(&tab, &app).await;
    let mut other = open_stream(&other_tab_session, &app).await;
    let signed_out = tab
        .post(app.url("/logout"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_ends(stream).await;
    // Her other session is still signed in: its stream goes on with the next message.
    app.deliver(&crate::wa::inbound_text(
        crate::wa::NUMBER_A,
        "15550070",
        "Lena",
        "wamid.after-sign-out",
        crate::wa::now_secs(),
        "still there?",
    ))
    .await;
    let next = other
        .next(ENDS_WITHIN)
        .await
        .expect("the other stream goes on");
    assert_eq!(next.name, "message.created");
}

async fn a_stream_ends_when_its_token_is_revoked(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let ana = app
        .add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let token = mint_token(&app.store, ana.id).await;
    let client = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let stream = open_stream(&client, &app).await;
    let tokens: Value = client
        .get(app.url("/api/v1/me/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = tokens[0]["id"].as_i64().unwrap();
    let revoked = client
        .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_ends(stream).await;
    let after = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "revoked at once");
}

#[tokio::test]
async fn personal_tokens_are_named_listed_and_revoked_by_their_owner_only() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let bo = app
        .add_user("bo@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    let created = browser
        .post(app.url("/api/v1/me/tokens"))
        .header("origin", app.origin())
        .json(&json!({"name": "CI deploys", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "CI deploys");
    assert_eq!(created["state"], "active");
    assert!(created["expires_at"].is_i64());

    let listed: Value = browser
        .get(app.url("/api/v1/me/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("token").is_none(), "never shown again");
    let me = |token: String| {
        let url = app.url("/api/v1/me");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(token.clone()).await, StatusCode::OK);

    // Bo cannot revoke Ana's token.
    let bo_token = mint_token(&app.store, bo.id).await;
    let id = created["id"].as_i64().unwrap();
    let foreign = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
        .bearer_auth(&bo_token)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(me(token.clone()).await, StatusCode::OK);

    let revoked: Value = browser
        .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(me(token).await, StatusCode::UNAUTHORIZED);

    let too_long = browser
        .post(app.url("/api/v1/me/tokens"))
        .header("origin", app.origin())
        .json(&json!({"name": "forever", "expires_in_days": 100000}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_a_bearer_token_that_authenticates_skips_the_origin_check() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    // Cookie-authenticated, cross-site, with some other Authorization scheme.
    let forged = browser
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .header("authorization", "Basic YW5hOmhvcnNl")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn agents_learn_only_who_they_can_assign_to() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    app.add_user("root@example.com", Role::Admin, "correct horse")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    let answer = browser
        .post(app.url("/rpc/assignable_members"))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let members: Value = answer.json().await.unwrap();
    assert_eq!(members.as_array().unwrap().len(), 2);
    for member in members.as_array().unwrap() {
        let mut keys: Vec<&str> = member
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "name"], "{member}");
    }
}

#[tokio::test]
async fn media_is_streamed_with_ranges() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (id, _) = open_conversation(&sim, &api).await;
    let (status, image) = upload(&app, &api, id, PNG, "photo.png", "image/png").await;
    assert_eq!(status, 201, "{image}");
    let media_id = image["media_id"].as_str().unwrap();
    let part = api
        .http
        .get(app.url(&format!("/api/v1/media/{media_id}")))
        .bearer_auth(&api.token)
        .header("range", "bytes=1-3")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-type"], "image/png");
    assert_eq!(part.headers()["x-content-type-options"], "nosniff");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &PNG[1..=3]);
}

#[tokio::test]
async fn threads_are_read_a_page_at_a_time_newest_first() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let api = app.api().await;
    let start = crate::wa::now_secs() - 60;
    for n in 0..7 {
        app.deliver(&crate::wa::inbound_text(
            crate::wa::NUMBER_A,
            "15550072",
            "Pia",
            &format!("wamid.page-{n}"),
            start + n,
            &format!("message {n}"),
        ))
        .await;
    }
    let id = eventually("all seven messages", || async {
        let id = *crate::support::conversation_ids(&api.conversations("").await)?.first()?;
        (api.messages(id).await.len() == 7).then_some(id)
    })
    .await;
    let mut pages = Vec::new();
    let mut before = String::new();
    loop {
        let page = api
            .get(&format!(
                "/api/v1/conversations/{id}/messages?limit=3&before={before}"
            ))
            .await;
        let texts: Vec<String> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        pages.push(texts);
        match page["next_cursor"].as_str() {
            Some(cursor) => before = cursor.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        pages,
        [
            vec!["message 4", "message 5", "message 6"],
            vec!["message 1", "message 2", "message 3"],
            vec!["message 0"],
        ]
    );
    let bad = api
        .http
        .get(app.url(&format!(
            "/api/v1/conversations/{id}/messages?before=nonsense"
        )))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_resume_point_too_far_back_gets_a_reset_not_a_replay() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let api = app.api().await;
    // Adding the API's member wrote an event or two: "now" is at most there.
    let now = app.store.events.latest_id().await.unwrap();
    for far in ["-100000", "999999999"] {
        let response = api
            .http
            .get(app.url("/api/v1/events"))
            .bearer_auth(&api.token)
            .header("last-event-id", far)
            .send()
            .await
            .unwrap();
        let mut stream = EventStream::new(response);
        let first = stream.next(ENDS_WITHIN).await.unwrap();
        assert_eq!(first.name, "reset", "{far}");
        let ready = stream.next(ENDS_WITHIN).await.unwrap();
        assert_eq!(ready.name, "ready");
        let from: i64 = ready.id.parse().unwrap();
        assert!(
            (0..=now).contains(&from),
            "it follows live from now, not from {far}: {from}"
        );
    }
}

#[tokio::test]
async fn the_media_quota_is_kept_with_a_clear_error() {
    let (app, sim) = app_with_simulator_and(|c| c.media_quota_bytes = 16).await;
    let api = app.api().await;
    let (id, _) = open_conversation(&sim, &api).await;
    let (status, body) = upload(&app, &api, id, PNG, "photo.png", "image/png").await;
    assert_eq!(status, 507, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("PARLEY_MEDIA_QUOTA_MB"),
        "{body}"
    );
    // A customer's picture that does not fit is not downloaded, and the thread says why.
    let media_id = sim.store_media(bytes::Bytes::from_static(&[7; 64]), "image/jpeg");
    sim.customer_writes(
        &parley_server::sandbox::PERSONAS[0],
        json!({"type": "image", "image": {"id": media_id, "mime_type": "image/jpeg"}}),
        Duration::ZERO,
    );
    let error = eventually("the download to give up", || async {
        let messages = api.messages(id).await;
        messages
            .iter()
            .find(|m| m["type"] == "image")?
            .get("media_error")?
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert!(error.contains("quota"), "{error}");
}

#[tokio::test]
async fn the_simulators_controls_need_its_secret_and_its_own_host() {
    let (_app, sim) = app_with_simulator().await;
    let base = sim.base_url();
    let client = reqwest::Client::new();
    let faults = format!("{base}/_simulator/faults");
    let without = client
        .post(&faults)
        .json(&json!({"fail_next": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let wrong = client
        .post(&faults)
        .header(CONTROL_SECRET_HEADER, "guess")
        .json(&json!({"fail_next": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let rebound = client
        .get(format!("{base}/_simulator/accepted"))
        .header(CONTROL_SECRET_HEADER, &sim.config().control_secret)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
    let right = client
        .get(format!("{base}/_simulator/accepted"))
        .header(CONTROL_SECRET_HEADER, &sim.config().control_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_admins_in_sandbox_mode_make_customers_write() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let agent = app
        .add_user("bo@example.com", Role::Agent, "correct horse")
        .await;
    let agent_token = mint_token(&app.store, agent.id).await;
    let path = app.url("/api/v1/sandbox/customers/15550100001/messages");
    let body = json!({"type": "text", "text": {"body": "hi"}});
    let as_agent = reqwest::Client::new()
        .post(&path)
        .bearer_auth(&agent_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(as_agent.status(), StatusCode::FORBIDDEN);
    let api = app.api().await;
    let no_sandbox = api
        .http
        .post(&path)
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_sandbox.status(),
        StatusCode::NOT_FOUND,
        "not in sandbox mode"
    );
}

#[tokio::test]
async fn customer_text_is_rendered_inert() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.add_user("ana@example.com", Role::Agent, "correct horse")
        .await;
    let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    app.deliver(&crate::wa::inbound_text(
        crate::wa::NUMBER_A,
        "15550071",
        "<b>Mallory</b>",
        "wamid.hostile",
        crate::wa::now_secs(),
        hostile,
    ))
    .await;
    let api = app.api().await;
    let id = eventually("the conversation", || async {
        crate::support::conversation_ids(&api.conversations("").await)?
            .first()
            .copied()
    })
    .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "correct horse")
        .await;
    let page = browser
        .get(app.url(&format!("/inbox/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "the text is shown"
    );
    assert!(!page.contains("<script>alert(2)"), "but never as markup");
    assert!(!page.contains("<img src=x onerror"), "nor this");
    assert!(!page.contains("<b>Mallory</b>"), "names too");
}

#[tokio::test]
async fn uploads_beyond_four_at_once_are_told_to_come_back() {
    let (app, sim) = app_with_simulator().await;
    let api = app.api().await;
    let (id, _) = open_conversation(&sim, &api).await;
    // Five uploads whose bodies never finish: four hold every slot, the fifth is turned away.
    let slots = parley_server::service::media::MAX_CONCURRENT_UPLOADS;
    let mut held = tokio::task::JoinSet::new();
    let mut senders = Vec::new();
    for _ in 0..=slots {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let head = format!(
            "--x\r\ncontent-disposition: form-data; name=\"conversation_id\"\r\n\r\n{id}\r\n--x\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.png\"\r\ncontent-type: image/png\r\n\r\n"
        );
        sender.send(Ok(head.into_bytes())).await.unwrap();
        senders.push(sender);
        let body =
            reqwest::Body::wrap_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
        let request = api
            .http
            .post(app.url("/api/v1/media"))
            .bearer_auth(&api.token)
            .header("content-type", "multipart/form-data; boundary=x")
            .body(body)
            .send();
        held.spawn(async move { request.await.map(|response| response.status()) });
    }
    let turned_away = held.join_next().await.unwrap().unwrap().unwrap();
    assert_eq!(turned_away, StatusCode::SERVICE_UNAVAILABLE);
    let (status, busy) = upload(&app, &api, id, PNG, "b.png", "image/png").await;
    assert_eq!(status, 503, "{busy}");
    assert_eq!(busy["error"], "busy");
    drop(senders);
    while held.join_next().await.is_some() {}
    let (status, _) = upload(&app, &api, id, PNG, "b.png", "image/png").await;
    assert_eq!(status, 201, "slots are given back");
}
