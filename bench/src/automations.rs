//! Automations under load: `rules` keyword rules enabled, customers' messages applied at `rate`
//! a second for `seconds` (one in ten names a rule's keyword), the automation worker running
//! as in `parley serve`. Measures how long after each message's event its rule acted (the
//! run's time minus the event's), from the database.

use parley_server::config::DatabaseUrl;
use parley_server::domain::{Millis, SharedClock, SystemClock};
use parley_server::store::{self, ParsedWebhook};
use parley_server::whatsapp::webhook::Notification;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) async fn run(database_url: String, rules: usize, rate: u64, seconds: u64) {
    let url = DatabaseUrl::parse(&database_url).expect("a sqlite: or postgres:// URL");
    let store = store::connect(&url).await.expect("migrations");
    for rule in 0..rules {
        let draft = serde_json::from_value(json!({
            "name": format!("Keyword {rule}"),
            "trigger": "message_received",
            "conditions": [{"field": "message.text", "op": "contains_any",
                "value": [format!("topic{rule}x"), format!("sujet{rule}x")]}],
            "actions": [{"type": "set_priority", "priority": "high"}],
            "cooldown_minutes": 1,
        }))
        .expect("a rule");
        store
            .automations
            .create_automation(&draft, Millis::now())
            .await
            .expect("create a rule");
    }
    let clock: SharedClock = Arc::new(SystemClock);
    parley_server::automation::spawn(store.clone(), clock);
    let total = rate * seconds;
    let started = Instant::now();
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let text = if n % 10 == 0 {
            format!(
                "Hello, a question about topic{}x please",
                (n as usize * 7) % rules
            )
        } else {
            "Hello, is anyone there?".to_owned()
        };
        let body = inbound(n, &text);
        let notification = Notification::parse(body.as_bytes()).expect("a webhook");
        let webhook = ParsedWebhook::new(n as i64 + 1, body.as_bytes(), Some(notification));
        store
            .intake
            .apply(&[webhook], Millis::now())
            .await
            .expect("apply");
    }
    let sending = started.elapsed();
    let expected = total.div_ceil(10) as i64;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database_url)
        .await
        .expect("connect");
    let waited = Instant::now();
    loop {
        let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM automation_runs")
            .fetch_one(&pool)
            .await
            .unwrap();
        if runs >= expected || waited.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut latencies: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(r.at - e.created_at AS BIGINT) FROM automation_runs r
         JOIN domain_events e ON e.id = r.event_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    latencies.sort_unstable();
    let at = |share: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * share).round() as usize)
            .copied()
            .unwrap_or(-1)
    };
    println!(
        "{}",
        json!({
            "rules": rules, "rate": rate, "messages": total, "matched": latencies.len(),
            "expected": expected, "sending_seconds": sending.as_secs_f64(),
            "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": latencies.last().copied().unwrap_or(-1),
        })
    );
}

/// A customer's text message as Meta posts it; 500 customers in turn.
fn inbound(n: u64, text: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let customer = format!("1555{:07}", n % 500);
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "900000000001", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": "1100000000001" },
            "contacts": [{ "profile": { "name": format!("Customer {}", n % 500) }, "wa_id": customer }],
            "messages": [{ "from": customer, "id": format!("wamid.automation.{n}"),
                "timestamp": now.to_string(), "type": "text", "text": { "body": text } }] } }] }] })
    .to_string()
}
