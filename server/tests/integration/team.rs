//! Running the team through the REST API of a running Parley: adding members with one-time
//! set-password links, changing and disabling them (never the last admin away), members'
//! own settings and passwords, and the audit log of it all.

use crate::on_both_engines;
use crate::support::{ApiClient as Api, Engine, TestApp, eventually};
use crate::wa;
use parley_app::model::Role;
use serde_json::{Value, json};

on_both_engines!(
    an_admin_adds_a_member_who_sets_a_password_through_the_link,
    the_last_admin_cannot_be_demoted_or_disabled,
    a_reset_link_ends_the_members_sessions_and_password,
    members_change_their_own_name_settings_and_password,
    the_audit_log_says_who_did_what_from_where,
    new_conversations_are_routed_to_whoever_is_online,
);

/// An API client with a member's bearer token.
/// The secret in a link path (`/set-password?token=…`).
fn secret(link: &Value) -> String {
    let path = link["path"].as_str().unwrap();
    path.strip_prefix("/set-password?token=")
        .unwrap()
        .to_owned()
}

async fn set_password(
    app: &TestApp,
    browser: &reqwest::Client,
    token: &str,
    password: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/set-password"))
        .header("origin", app.origin())
        .form(&[
            ("token", token),
            ("password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn me_status(app: &TestApp, browser: &reqwest::Client) -> u16 {
    let response = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    response.status().as_u16()
}

async fn an_admin_adds_a_member_who_sets_a_password_through_the_link(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.client_for("boss@example.com", Role::Admin).await;
    let (status, added) = admin
        .call(
            "POST",
            "/api/v1/team",
            Some(json!({"name": "Nia Okafor", "email": "Nia@Example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["member"]["email"], "nia@example.com");
    assert_eq!(added["member"]["role"], "agent", "agent unless said");
    assert_eq!(added["password_link"]["purpose"], "invite");
    let token = secret(&added["password_link"]);
    let (_, team) = admin.call("GET", "/api/v1/team", None).await;
    assert!(
        team.as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "nia@example.com")
    );
    let (status, again) = admin
        .call(
            "POST",
            "/api/v1/team",
            Some(json!({"name": "Nia", "email": "nia@example.com"})),
        )
        .await;
    assert_eq!(status, 409, "{again}");
    let (status, bad) = admin
        .call(
            "POST",
            "/api/v1/team",
            Some(json!({"name": "", "email": "not an email"})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");

    // She cannot sign in before she sets a password.
    let browser = app.browser();
    let refused = app.sign_in(&browser, "nia@example.com", "").await;
    assert!(
        refused.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=invalid")
    );

    // The page the link opens greets her by name, signed in or not.
    let page = browser
        .get(app.url(&format!("/set-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Welcome to Parley, Nia Okafor")
    );

    let short = set_password(&app, &browser, &token, "short").await;
    assert!(
        short.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("error=weak")
    );
    let done = set_password(&app, &browser, &token, "nia's long password").await;
    assert_eq!(done.status(), 303, "signed in and sent to the inbox");
    assert_eq!(done.headers()["location"], "/inbox");
    let (_, me) = {
        let response = browser.get(app.url("/api/v1/me")).send().await.unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(me["email"], "nia@example.com");
    assert_eq!(
        me["notifications"],
        json!({"mention": true, "snooze_ended": true})
    );

    // The link works once.
    let reused = set_password(&app, &app.browser(), &token, "another long password").await;
    assert!(
        reused.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("error=gone")
    );
    let json_reuse = reqwest::Client::new()
        .post(app.url("/set-password"))
        .header("origin", app.origin())
        .json(&json!({"token": token, "password": "another long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_reuse.status(), 404);
    // And her password is the one she chose.
    let signed_in = app
        .sign_in(&app.browser(), "nia@example.com", "nia's long password")
        .await;
    assert_eq!(signed_in.headers()["location"], "/inbox");

    // Agents cannot run the team.
    let (agent, _) = app.client_for("agent@example.com", Role::Agent).await;
    let (status, _) = agent
        .call(
            "POST",
            "/api/v1/team",
            Some(json!({"name": "X", "email": "x@example.com"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = agent.call("GET", "/api/v1/team", None).await;
    assert_eq!(status, 403);
}

async fn the_last_admin_cannot_be_demoted_or_disabled(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, admin_id) = app.client_for("boss@example.com", Role::Admin).await;
    let path = format!("/api/v1/team/{admin_id}");
    for change in [json!({"role": "agent"}), json!({"disabled": true})] {
        let (status, body) = admin.call("PATCH", &path, Some(change)).await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("last active admin"),
            "{body}"
        );
    }
    let (_, agent_id) = app.client_for("ana@example.com", Role::Agent).await;
    let (status, promoted) = admin
        .call(
            "PATCH",
            &format!("/api/v1/team/{agent_id}"),
            Some(json!({"role": "admin", "name": "Ana Lima"})),
        )
        .await;
    assert_eq!(status, 200, "{promoted}");
    assert_eq!(
        (promoted["role"].as_str(), promoted["name"].as_str()),
        (Some("admin"), Some("Ana Lima"))
    );
    let (status, stepped_down) = admin
        .call("PATCH", &path, Some(json!({"role": "agent"})))
        .await;
    assert_eq!(status, 200, "{stepped_down}");
    // Now an agent, the former admin can no longer change anyone.
    let (status, _) = admin
        .call(
            "PATCH",
            &format!("/api/v1/team/{agent_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = admin
        .call("PATCH", "/api/v1/team/99999", Some(json!({"name": "X"})))
        .await;
    assert_eq!(status, 403);
}

async fn a_reset_link_ends_the_members_sessions_and_password(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.client_for("boss@example.com", Role::Admin).await;
    let ana = app
        .add_user("ana@example.com", Role::Agent, "ana's old password")
        .await;
    let browser = app.browser();
    app.sign_in(&browser, "ana@example.com", "ana's old password")
        .await;
    assert_eq!(me_status(&app, &browser).await, 200);

    let (status, link) = admin
        .call(
            "POST",
            &format!("/api/v1/team/{}/password-link", ana.id),
            None,
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["purpose"], "reset");
    assert_eq!(me_status(&app, &browser).await, 401, "her session ended");
    let old = app
        .sign_in(&app.browser(), "ana@example.com", "ana's old password")
        .await;
    assert!(
        old.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=invalid")
    );

    // A newer link replaces this one.
    let (_, newer) = admin
        .call(
            "POST",
            &format!("/api/v1/team/{}/password-link", ana.id),
            None,
        )
        .await;
    let stale = set_password(&app, &app.browser(), &secret(&link), "ana's new password").await;
    assert!(
        stale.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("error=gone")
    );
    let fresh = set_password(&app, &app.browser(), &secret(&newer), "ana's new password").await;
    assert_eq!(fresh.headers()["location"], "/inbox");

    // A disabled member gets no link.
    let (status, _) = admin
        .call(
            "PATCH",
            &format!("/api/v1/team/{}", ana.id),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = admin
        .call(
            "POST",
            &format!("/api/v1/team/{}/password-link", ana.id),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
}

async fn members_change_their_own_name_settings_and_password(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (ana, _) = app.client_for("ana@example.com", Role::Agent).await;
    let (status, me) = ana
        .call(
            "PATCH",
            "/api/v1/me",
            Some(json!({"name": "Ana Lima", "notifications": {"mention": false, "snooze_ended": true}})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Ana Lima");
    assert_eq!(me["notifications"]["mention"], false);
    let (status, _) = ana
        .call("PATCH", "/api/v1/me", Some(json!({"name": "  "})))
        .await;
    assert_eq!(status, 422);

    // Two browsers signed in; the password is changed in the first.
    let first = app.browser();
    let second = app.browser();
    for browser in [&first, &second] {
        app.sign_in(browser, "ana@example.com", "a long password")
            .await;
    }
    let change = |current: &str, new: &str| {
        first
            .post(app.url("/api/v1/me/password"))
            .header("origin", app.origin())
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    let wrong = change("not my password", "a brand new password")
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let short = change("a long password", "short").await.unwrap();
    assert_eq!(short.status(), 422);
    let changed = change("a long password", "a brand new password")
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert_eq!(
        me_status(&app, &first).await,
        200,
        "the session that changed it continues"
    );
    assert_eq!(
        me_status(&app, &second).await,
        401,
        "every other session ends"
    );
    let signed_in = app
        .sign_in(&app.browser(), "ana@example.com", "a brand new password")
        .await;
    assert_eq!(signed_in.headers()["location"], "/inbox");
}

async fn the_audit_log_says_who_did_what_from_where(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, admin_id) = app.client_for("boss@example.com", Role::Admin).await;
    let (_, added) = admin
        .call(
            "POST",
            "/api/v1/team",
            Some(json!({"name": "Nia", "email": "nia@example.com", "role": "admin"})),
        )
        .await;
    let nia = added["member"]["id"].as_i64().unwrap();
    admin
        .call(
            "PATCH",
            &format!("/api/v1/team/{nia}"),
            Some(json!({"role": "agent"})),
        )
        .await;
    admin
        .call(
            "POST",
            "/api/v1/labels",
            Some(json!({"name": "=HYPERLINK(\"x\")"})),
        )
        .await;
    app.sign_in(&app.browser(), "boss@example.com", "wrong password")
        .await;

    let (status, log) = admin.call("GET", "/api/v1/audit", None).await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "sign_in.failed",
            "label.created",
            "member.role_changed",
            "password.link_created",
            "member.added"
        ],
        "newest first"
    );
    let role_change = &entries[2];
    assert_eq!(role_change["actor"], "boss@example.com");
    assert_eq!(role_change["actor_id"], admin_id);
    assert_eq!(role_change["origin"], "127.0.0.1");
    assert_eq!(role_change["target"], format!("member {nia}"));
    assert_eq!(
        role_change["details"],
        json!({"from": "admin", "to": "agent"})
    );
    assert_eq!(
        entries[0]["actor"], "boss@example.com",
        "the email that was tried"
    );
    assert_eq!(entries[0]["actor_id"], Value::Null);

    let (_, members) = admin.call("GET", "/api/v1/audit?action=member", None).await;
    assert_eq!(members["entries"].as_array().unwrap().len(), 2);
    let (_, page) = admin.call("GET", "/api/v1/audit?limit=2", None).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let before = page["next_before"].as_i64().unwrap();
    let (_, older) = admin
        .call(
            "GET",
            &format!("/api/v1/audit?limit=2&before={before}"),
            None,
        )
        .await;
    assert_eq!(older["entries"][0]["action"], "member.role_changed");

    let (agent, _) = app.client_for("agent@example.com", Role::Agent).await;
    let (status, _) = agent.call("GET", "/api/v1/audit", None).await;
    assert_eq!(status, 403);
}

async fn new_conversations_are_routed_to_whoever_is_online(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.client_for("boss@example.com", Role::Admin).await;
    let (ana, ana_id) = app.client_for("ana@example.com", Role::Agent).await;
    let (ben, ben_id) = app.client_for("ben@example.com", Role::Agent).await;
    let write = |customer: &str, n: i64| {
        wa::inbound_text(
            wa::NUMBER_A,
            customer,
            "Customer",
            &format!("wamid.route.{customer}.{n}"),
            wa::now_secs(),
            "hi",
        )
    };
    // A first customer makes the number known.
    app.deliver(&write("15550100", 1)).await;
    let (status, team) = admin
        .call(
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "Support", "members": [ana_id, ben_id], "assignment": "round_robin", "capacity": 5})),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_i64().unwrap();
    assert_eq!(team["members"].as_array().unwrap().len(), 2);
    let (status, _) = agent_call_refused(&ana, team_id).await;
    assert_eq!(status, 403, "agents do not make teams");
    // Webhooks are processed after they are acknowledged.
    eventually("the number is known", || async {
        let (_, numbers) = admin.call("GET", "/api/v1/numbers", None).await;
        (numbers[0]["phone_number_id"] == wa::NUMBER_A).then_some(())
    })
    .await;
    let (status, _) = admin
        .call(
            "PATCH",
            &format!("/api/v1/numbers/{}", wa::NUMBER_A),
            Some(json!({"default_team_id": team_id})),
        )
        .await;
    assert_eq!(status, 204);

    // Ana is online, Ben away: the next conversation is Ana's.
    for (api, availability) in [(&ana, "online"), (&ben, "away")] {
        let (status, _) = api
            .call(
                "PUT",
                "/api/v1/me/availability",
                Some(json!({"availability": availability})),
            )
            .await;
        assert_eq!(status, 204);
    }
    let (_, me) = ben.call("GET", "/api/v1/me", None).await;
    assert_eq!(me["availability"], "away");
    app.deliver(&write("15550101", 1)).await;
    let routed = eventually("routed to Ana", || async {
        let (_, page) = admin
            .call(
                "GET",
                &format!("/api/v1/conversations?team_id={team_id}"),
                None,
            )
            .await;
        let first = page["conversations"].as_array()?.first()?.clone();
        (first["assignee_id"] == ana_id).then_some(first)
    })
    .await;
    assert_eq!(routed["team_id"], team_id);

    // Ana goes away too: the next one waits in the queue until Ben comes online.
    ana.call(
        "PUT",
        "/api/v1/me/availability",
        Some(json!({"availability": "away"})),
    )
    .await;
    app.deliver(&write("15550102", 1)).await;
    eventually("waiting in the queue", || async {
        let (_, teams) = admin.call("GET", "/api/v1/teams", None).await;
        (teams[0]["waiting"] == 1).then_some(())
    })
    .await;
    ben.call(
        "PUT",
        "/api/v1/me/availability",
        Some(json!({"availability": "online"})),
    )
    .await;
    eventually("routed to Ben once he is online", || async {
        let (_, page) = ben
            .call(
                "GET",
                "/api/v1/conversations?team_id=mine&filter=mine",
                None,
            )
            .await;
        (page["conversations"].as_array()?.len() == 1).then_some(())
    })
    .await;

    // Moving a conversation to no team takes it out of the team's list.
    let id = routed["id"].as_i64().unwrap();
    let (status, moved) = ana
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"team_id": null})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["team_id"], Value::Null);
    let (status, _) = ana
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"team_id": 9999})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, bad) = admin
        .call("GET", "/api/v1/conversations?team_id=sales", None)
        .await;
    assert_eq!(status, 422, "{bad}");
}

async fn agent_call_refused(agent: &Api, team_id: i64) -> (u16, Value) {
    agent
        .call(
            "PATCH",
            &format!("/api/v1/teams/{team_id}"),
            Some(json!({"capacity": null})),
        )
        .await
}
