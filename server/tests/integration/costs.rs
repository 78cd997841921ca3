//! The cost ledger over HTTP: admins keep a rate card (JSON or CSV) and read spend grouped
//! every way the API offers; agents may do neither.

use crate::on_both_engines;
use crate::support::{ApiClient, Engine, TestApp, eventually};
use crate::wa;
use parley_app::model::Role;
use serde_json::{Value, json};

on_both_engines!(
    spend_is_priced_from_the_rate_card_and_free_messages_counted_apart,
    a_rate_card_comes_from_csv_and_a_bad_one_changes_nothing,
);

/// 2026-07-01 12:00 UTC.
const NOON: i64 = 1_782_907_200;

fn priced(wamid: &str, to: &str, category: &str, kind: &str, billable: bool) -> Value {
    let mut status = wa::status(wamid, "delivered", NOON, to);
    status["pricing"] =
        json!({"billable": billable, "pricing_model": "PMP", "category": category, "type": kind});
    status
}

async fn spend_is_priced_from_the_rate_card_and_free_messages_counted_apart(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = app.api().await;
    let (agent, _) = app.member("Agnes", Role::Agent).await;
    let card = json!({"currency": "usd", "rates": [
        {"country": "IN", "category": "marketing", "rate": "0.0107", "effective_from": "2026-07-01"},
        {"country": "*", "category": "marketing", "rate": "0.05", "effective_from": "2026-01-01"},
        {"country": "*", "category": "utility", "rate": "0.004", "effective_from": "2026-01-01"}]});
    let (status, saved) = admin
        .call("PUT", "/api/v1/rate_card", Some(card.clone()))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["currency"], "USD");
    assert_eq!(saved["rates"].as_array().unwrap().len(), 3);
    let (status, _) = agent.call("PUT", "/api/v1/rate_card", Some(card)).await;
    assert_eq!(status, 403);

    app.deliver(&wa::statuses(
        wa::NUMBER_A,
        vec![
            priced("wamid.c1", "919876543210", "marketing", "regular", true),
            priced("wamid.c2", "919876543211", "marketing", "regular", true),
            priced("wamid.c3", "447700900123", "marketing", "regular", true),
            priced("wamid.c4", "447700900123", "utility", "regular", true),
            priced(
                "wamid.c5",
                "447700900123",
                "service",
                "free_customer_service",
                false,
            ),
            priced(
                "wamid.c6",
                "5511987654321",
                "authentication",
                "regular",
                true,
            ),
        ],
    ))
    .await;
    // Meta says `read` with the same price: counted once.
    app.deliver(&wa::statuses(
        wa::NUMBER_A,
        vec![priced(
            "wamid.c1",
            "919876543210",
            "marketing",
            "regular",
            true,
        )],
    ))
    .await;

    let path = "/api/v1/reports/costs?group_by=category&from=2026-07-01&to=2026-07-01";
    let report = eventually("the charges counted", || async {
        let report = admin.get(path).await;
        (report["total"]["messages"] == 6).then_some(report)
    })
    .await;
    assert_eq!(report["currency"], "USD");
    assert_eq!(report["group_by"], "category");
    let total = &report["total"];
    assert_eq!(
        (total["billable"].as_i64(), total["free"].as_i64()),
        (Some(5), Some(1))
    );
    // 2 × 0.0107 (India) + 0.05 (the UK, any country's rate) + 0.004; authentication unpriced.
    assert_eq!(total["cost_micros"], 10_700 * 2 + 50_000 + 4_000);
    assert_eq!(total["unpriced"], 1);
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(
        groups[0]["key"], "marketing",
        "most expensive first: {report}"
    );
    assert_eq!(groups[0]["messages"], 3);
    assert!((groups[0]["cost"].as_f64().unwrap() - 0.0714).abs() < 1e-9);

    let by_country = admin
        .get("/api/v1/reports/costs?group_by=country&from=2026-07-01&to=2026-07-02")
        .await;
    let keys: Vec<&str> = by_country["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["GB", "IN", "BR"]);
    let by_day = admin
        .get(&format!(
            "/api/v1/reports/costs?group_by=day&from={}&to={}",
            NOON - 60,
            NOON + 60
        ))
        .await;
    assert_eq!(by_day["groups"][0]["key"], "2026-07-01");
    let by_number = admin
        .get("/api/v1/reports/costs?group_by=phone_number_id&from=2026-07-01")
        .await;
    assert_eq!(by_number["groups"][0]["key"], wa::NUMBER_A);
    // Outside the period nothing; nonsense refused with the reason.
    let before = admin
        .get("/api/v1/reports/costs?from=2026-06-01&to=2026-06-30")
        .await;
    assert_eq!(before["total"]["messages"], 0);
    let (status, body) = admin
        .call("GET", "/api/v1/reports/costs?group_by=colour", None)
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("phone_number_id"),
        "{body}"
    );
    let (status, body) = admin
        .call("GET", "/api/v1/reports/costs?from=last+week", None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    let (status, _) = agent.call("GET", "/api/v1/reports/costs", None).await;
    assert_eq!(status, 403);

    let (status, csv) = admin
        .call_text(
            "GET",
            "/api/v1/reports/costs.csv?group_by=category&from=2026-07-01",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "category,name,messages,billable,free,unpriced,cost,currency"
    );
    assert_eq!(lines[1], "marketing,,3,3,0,0,0.071400,USD");
    assert_eq!(lines.last().unwrap(), &"total,,6,5,1,1,0.075400,USD");
    let (status, _) = agent
        .call_text("GET", "/api/v1/reports/costs.csv", None)
        .await;
    assert_eq!(status, 403);
}

async fn a_rate_card_comes_from_csv_and_a_bad_one_changes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = app.api().await;
    let (status, card) = import(
        &admin,
        "country;category;rate;effective_from;note\nBR;marketing;0,0625;2026-07-01;x\n",
    )
    .await;
    assert_eq!(
        status, 422,
        "a decimal comma is refused, not misread: {card}"
    );
    let (status, card) = import(&admin,
        "country,category,rate,effective_from,note\nBR,marketing,0.0625,2026-07-01,from Meta's sheet\n*,utility,0.008,2026-07-01,\n",
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["currency"], "BRL");
    assert_eq!(card["rates"][0]["rate"], "0.0625");
    let (status, body) = import(
        &admin,
        "country,category,rate,effective_from\nBrazil,marketing,1,2026-07-01\n",
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("rate 1"),
        "{body}"
    );
    let kept = admin.get("/api/v1/rate_card").await;
    assert_eq!(
        kept["rates"].as_array().unwrap().len(),
        2,
        "the bad file changed nothing"
    );
    let audit = admin
        .get("/api/v1/audit?action=costs.rate_card_changed")
        .await;
    assert!(audit.to_string().contains("rate card"), "{audit}");
}

async fn import(admin: &ApiClient, csv: &'static str) -> (u16, Value) {
    let response = admin
        .http
        .post(format!(
            "{}/api/v1/rate_card/import?currency=BRL",
            admin.base
        ))
        .bearer_auth(&admin.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap())
}
