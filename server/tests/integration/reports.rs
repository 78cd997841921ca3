//! Reports over HTTP, on a history made through the API with the injected clock: the figures
//! are the ones worked out by hand; admins see everyone's, an agent their own.

use crate::on_both_engines;
use crate::support::{ApiClient, Engine, TestApp, eventually};
use crate::wa;
use parley_app::model::Role;
use parley_server::domain::{Clock, ManualClock, Millis};
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    summary_agents_and_teams_show_the_history_as_worked_out_by_hand,
    series_heatmap_and_csv_cover_the_period,
    business_hours_set_the_zone_and_count_waits_in_open_hours,
);

const ANN: &str = "15551601";
const BOB: &str = "15551602";

struct Story {
    /// Serving while the story is read.
    _app: TestApp,
    admin: ApiClient,
    ana: ApiClient,
    ana_id: i64,
    ben: ApiClient,
    ben_id: i64,
}

async fn writes(app: &TestApp, clock: &ManualClock, customer: &str, wamid: &str) -> i64 {
    let sent = clock.now().0 / 1000;
    let text = wa::inbound_text(wa::NUMBER_A, customer, customer, wamid, sent, "hello");
    app.deliver(&text).await;
    let admin = app.api().await;
    eventually("the conversation", || async {
        let page = admin.conversations(&format!("search={customer}")).await;
        page["conversations"][0]["id"].as_i64()
    })
    .await
}

/// Ann writes; a minute later Ana is given her conversation, answers two minutes after Ann
/// wrote and resolves it ten minutes after. Bob writes and is never answered.
async fn story(engine: Engine) -> Story {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_on(engine, clock.clone(), |_| {}).await;
    let admin = app.api().await;
    let (ana, ana_id) = app.member("Ana", Role::Agent).await;
    let (ben, ben_id) = app.member("Ben", Role::Agent).await;
    let ann = writes(&app, &clock, ANN, "wamid.ann.1").await;
    writes(&app, &clock, BOB, "wamid.bob.1").await;
    let path = format!("/api/v1/conversations/{ann}");
    clock.advance(Duration::from_secs(60));
    let (status, body) = admin
        .call("PATCH", &path, Some(json!({"assignee_id": ana_id})))
        .await;
    assert_eq!(status, 200, "{body}");
    clock.advance(Duration::from_secs(60));
    let reply = json!({"type": "text", "text": "Hello Ann"});
    let (status, body) = ana
        .call("POST", &format!("{path}/messages"), Some(reply))
        .await;
    assert!(status == 201 || status == 202, "{status} {body}");
    clock.advance(Duration::from_secs(480));
    let (status, body) = ana
        .call("PATCH", &path, Some(json!({"status": "resolved"})))
        .await;
    assert_eq!(status, 200, "{body}");
    Story {
        _app: app,
        admin,
        ana,
        ana_id,
        ben,
        ben_id,
    }
}

fn agent_row(report: &Value, id: i64) -> &Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["agent_id"] == id)
        .unwrap_or_else(|| panic!("member {id} in {report}"))
}

async fn summary_agents_and_teams_show_the_history_as_worked_out_by_hand(engine: Engine) {
    let story = story(engine).await;
    let summary = story.admin.get("/api/v1/reports/summary").await;
    assert_eq!(summary["conversations_opened"], 2, "{summary}");
    assert_eq!(summary["conversations_resolved"], 1);
    assert_eq!(
        (&summary["messages_in"], &summary["messages_out"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        summary["first_response_seconds"],
        json!({"p50": 120, "p90": 120, "count": 1})
    );
    assert_eq!(summary["resolution_seconds"]["p50"], 600);
    assert_eq!(summary["windows_lapsed_unanswered"], 0);
    assert_eq!(summary["csat"]["count"], 0);
    assert_eq!(summary["csat"]["average"], Value::Null);

    let agents = story.admin.get("/api/v1/reports/agents").await;
    let ana = agent_row(&agents, story.ana_id);
    assert_eq!(ana["name"], "ana");
    assert_eq!((&ana["assigned"], &ana["replies"]), (&json!(1), &json!(1)));
    assert_eq!(ana["first_response_seconds"]["p50"], 120);
    assert_eq!(ana["conversations_resolved"], 1);
    assert_eq!(
        agents["agents"][0]["agent_id"], story.ana_id,
        "busiest first"
    );
    let ben = agent_row(&agents, story.ben_id);
    assert_eq!(
        (&ben["replies"], &ben["conversations_resolved"]),
        (&json!(0), &json!(0))
    );

    // An agent's reports are their own.
    let own = story.ana.get("/api/v1/reports/summary").await;
    assert_eq!(own["scope"]["agent_id"], story.ana_id);
    assert_eq!(own["first_response_seconds"]["count"], 1);
    assert_eq!(own["conversations_opened"], 0, "opened before it was hers");
    assert_eq!(
        own["messages_in"], 1,
        "Ann's conversation is hers; Bob's is nobody's"
    );
    let theirs = story.ben.get("/api/v1/reports/agents").await;
    assert_eq!(theirs["agents"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["agents"][0]["agent_id"], story.ben_id);
    let (status, _) = story
        .ben
        .call(
            "GET",
            &format!("/api/v1/reports/summary?agent_id={}", story.ana_id),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let anas = story
        .admin
        .get(&format!(
            "/api/v1/reports/summary?agent_id={}",
            story.ana_id
        ))
        .await;
    assert_eq!(anas["resolution_seconds"]["count"], 1);

    let no_campaign = story
        .admin
        .get("/api/v1/reports/summary?campaign_id=404")
        .await;
    assert_eq!(no_campaign["scope"]["campaign_id"], 404);
    assert_eq!(no_campaign["messages_in"], 0);
    let teams = story.admin.get("/api/v1/reports/teams").await;
    let no_team = &teams["teams"][0];
    assert_eq!(
        (&no_team["team_id"], &no_team["name"]),
        (&Value::Null, &json!("No team"))
    );
    assert_eq!(no_team["conversations_opened"], 2);

    let (status, bad) = story
        .admin
        .call(
            "GET",
            "/api/v1/reports/summary?from=2026-08-01&to=2026-07-01",
            None,
        )
        .await;
    assert_eq!(
        (status, bad["error"].as_str()),
        (422, Some("invalid")),
        "{bad}"
    );
}

async fn series_heatmap_and_csv_cover_the_period(engine: Engine) {
    let story = story(engine).await;
    let series = story
        .admin
        .get("/api/v1/reports/timeseries?metric=messages_in&bucket=day")
        .await;
    let points = series["points"].as_array().unwrap();
    assert!(
        (30..=31).contains(&points.len()),
        "every day of 30: {}",
        points.len()
    );
    let total: f64 = points.iter().map(|p| p["value"].as_f64().unwrap()).sum();
    assert_eq!(total, 2.0);
    let waits = story
        .admin
        .get("/api/v1/reports/timeseries?metric=first_response_p50&bucket=hour&from=2026-01-01&to=2026-01-02")
        .await;
    assert_eq!(waits["points"].as_array().unwrap().len(), 48);
    assert!(
        waits["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["value"].is_null())
    );
    let (status, _) = story
        .admin
        .call("GET", "/api/v1/reports/timeseries?metric=happiness", None)
        .await;
    assert_eq!(status, 422);
    let (status, _) = story
        .admin
        .call(
            "GET",
            "/api/v1/reports/timeseries?metric=messages_in&bucket=hour&from=2026-01-01&to=2026-03-01",
            None,
        )
        .await;
    assert_eq!(status, 422, "two months by the hour are too many points");

    let heatmap = story.admin.get("/api/v1/reports/heatmap").await;
    let cells: i64 = heatmap["cells"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|day| day.as_array().unwrap().iter().map(|c| c.as_i64().unwrap()))
        .sum();
    assert_eq!(cells, 2);

    let (status, csv) = story
        .admin
        .call_text("GET", "/api/v1/reports/heatmap.csv", None)
        .await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 8, "{csv}");
    assert!(rows[0].starts_with("weekday,00,01,"));
    assert!(rows[1].starts_with("Mon,"));
    let counted: i64 = rows[1..]
        .iter()
        .flat_map(|row| row.split(',').skip(1))
        .map(|cell| cell.parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, 2);
    let (status, csv) = story
        .admin
        .call_text("GET", "/api/v1/reports/agents.csv", None)
        .await;
    assert_eq!(status, 200);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("agent_id,name,assigned,replies,first_responses,")
    );
    let ana = lines
        .find(|line| line.starts_with(&format!("{},ana,", story.ana_id)))
        .unwrap_or_else(|| panic!("Ana's row in {csv}"));
    assert!(
        ana.starts_with(&format!(
            "{},ana,1,1,1,120,120,1,600,600,0,0,",
            story.ana_id
        )),
        "{ana}"
    );
    let (status, csv) = story
        .admin
        .call_text(
            "GET",
            "/api/v1/reports/timeseries.csv?metric=conversations_opened",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        csv.lines().next(),
        Some("start,conversations_opened"),
        "{csv}"
    );
    let (status, csv) = story
        .ana
        .call_text("GET", "/api/v1/reports/teams.csv", None)
        .await;
    assert_eq!(status, 200, "{csv}");
}

/// Tuesday 8 December 2026, 16:30 in Berlin (15:30 UTC).
const TUESDAY_EVENING: i64 = 1_796_743_800_000;

async fn business_hours_set_the_zone_and_count_waits_in_open_hours(engine: Engine) {
    let clock = ManualClock::new(Millis(TUESDAY_EVENING));
    let app = TestApp::spawn_on(engine, clock.clone(), |_| {}).await;
    let admin = app.api().await;
    let (ana, _) = app.member("Ana", Role::Agent).await;
    let before = ana.get("/api/v1/business-hours").await;
    assert_eq!(
        before["time_zone"], "UTC",
        "open around the clock until set"
    );
    let day = json!([{"opens": "09:00", "closes": "17:00"}]);
    let hours = json!({
        "time_zone": "Europe/Berlin",
        "hours": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day},
        "holidays": ["2026-12-25"],
    });
    let (status, _) = ana
        .call("PUT", "/api/v1/business-hours", Some(hours.clone()))
        .await;
    assert_eq!(status, 403, "admins set the hours");
    let mut on_mars = hours.clone();
    on_mars["time_zone"] = json!("Mars/Olympus");
    let (status, body) = admin
        .call("PUT", "/api/v1/business-hours", Some(on_mars))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("time zone"),
        "{body}"
    );
    let (status, body) = admin
        .call("PUT", "/api/v1/business-hours", Some(hours))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ana.get("/api/v1/business-hours").await["time_zone"],
        "Europe/Berlin"
    );

    // Ann writes at 16:30 on Tuesday; the answer comes at 09:30 on Wednesday: 17 hours on
    // the clock, one of them open.
    let ann = writes(&app, &clock, ANN, "wamid.ann.hours").await;
    clock.advance(Duration::from_secs(17 * 3600));
    let reply = json!({"type": "text", "text": "Good morning Ann"});
    let (status, body) = admin
        .call(
            "POST",
            &format!("/api/v1/conversations/{ann}/messages"),
            Some(reply),
        )
        .await;
    assert!(status == 201 || status == 202, "{status} {body}");
    let summary = admin.get("/api/v1/reports/summary").await;
    assert_eq!(
        summary["first_response_seconds"]["p50"],
        17 * 3600,
        "{summary}"
    );
    assert_eq!(summary["scope"]["time_zone"], "Europe/Berlin");
    assert_eq!(summary["scope"]["utc_offset_minutes"], 60);
    let open = admin
        .get("/api/v1/reports/summary?business_hours=true")
        .await;
    assert_eq!(open["first_response_seconds"]["p50"], 3600, "{open}");
    assert_eq!(open["scope"]["business_hours"], true);

    // Days begin at Berlin's midnight (23:00 UTC), dates too.
    let series = admin
        .get("/api/v1/reports/timeseries?metric=messages_in&bucket=day&from=2026-12-08&to=2026-12-09")
        .await;
    let starts: Vec<i64> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| point["start"].as_i64().unwrap())
        .collect();
    assert_eq!(starts, [1_796_684_400, 1_796_770_800], "{series}");
    assert_eq!(series["points"][0]["value"], 1.0);
}
