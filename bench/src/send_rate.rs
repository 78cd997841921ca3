//! Sending at a business number's limit: Parley (in this process) drains a full outbox into
//! the built-in simulator of the Cloud API. The simulator, like Meta, refuses a send that would
//! exceed the rate in any one-second window (130429): "never above" means none refused. Its
//! admission times give the achieved rate and the most sends in any one-second window.

use parley_server::config::{Config, Sources};
use parley_server::sandbox::{Simulator, SimulatorConfig};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-send-token";
const SECRET: &str = "bench-send-secret";

pub async fn run(rate: u32, seconds: u64) {
    let messages = u64::from(rate) * seconds;
    // Meta's pair limit lets one customer take a burst of 45, then one every 6 seconds. At
    // most 40 messages per customer keep it out of the way: this measures the number's pace.
    let customers = (messages / 40).max(1) as i64 + 10;
    let dir = std::env::temp_dir().join(format!("parley-send-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite:{}", dir.join("send.db").display());
    // `seed` spreads conversations over two numbers; the rate is per number, so send on one.
    crate::seed(&database, customers * 2, customers * 2).await;
    queue(&database, customers, messages).await;

    let mut sim_config = SimulatorConfig::new(SECRET, TOKEN);
    // Meta refuses above the tier (130429): the simulator enforces exactly the rate configured.
    sim_config.messages_per_second = rate as usize;
    let sim = Simulator::new(sim_config);
    let sim_addr = sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let graph_url = format!("http://{sim_addr}");
    let rate_text = rate.to_string();
    let sources = Sources::from_pairs([
        ("PARLEY_BIND", "127.0.0.1:0"),
        ("DATABASE_URL", database.as_str()),
        ("WA_APP_SECRET", SECRET),
        ("WA_ACCESS_TOKEN", TOKEN),
        ("WA_GRAPH_URL", graph_url.as_str()),
        ("PARLEY_SEND_RATE", rate_text.as_str()),
    ]);
    let config = Config::from_sources(&sources).expect("config");
    let started = Instant::now();
    let app = parley_server::Application::build(config)
        .await
        .expect("parley");
    tokio::spawn(app.serve());
    let deadline = started + Duration::from_secs(seconds * 3 + 30);
    while (sim.accepted_count() as u64) < messages && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let times = sim.accepted_times();
    let sent = times.len();
    let span = match (times.first(), times.last()) {
        (Some(first), Some(last)) => last.duration_since(*first).as_secs_f64(),
        _ => f64::NAN,
    };
    let mut busiest = 0;
    let mut window_start = 0;
    for (end, at) in times.iter().enumerate() {
        while at.duration_since(times[window_start]) >= Duration::from_secs(1) {
            window_start += 1;
        }
        busiest = busiest.max(end + 1 - window_start);
    }
    let achieved = (sent.saturating_sub(1)) as f64 / span;
    if let Some(first) = times.first() {
        let mut per = vec![0usize; span as usize + 1];
        for t in &times {
            per[t.duration_since(*first).as_secs() as usize] += 1;
        }
        eprintln!("per second: {per:?}");
    }

    println!(
        "{{\"configured_per_s\":{rate},\"messages\":{messages},\"sent\":{sent},\"customers\":{customers},\"seconds\":{span:.2},\"achieved_per_s\":{achieved:.1},\"busiest_second\":{busiest},\"throughput_refusals\":{}}}",
        sim.throughput_refusals()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fills the outbox (bulk SQL: a fixture, not how Parley queues) with `messages` text sends
/// spread over the seeded customers, whose numbers `seed` chose.
async fn queue(database_url: &str, customers: i64, messages: u64) {
    let pool = sqlx::AnyPool::connect(database_url).await.expect("connect");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let first_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    let route: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT c.id, c.phone_number_id, ct.wa_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.phone_number_id = '1100000000001' ORDER BY c.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(route.len() as i64, customers);
    let mut tx = pool.begin().await.unwrap();
    let all: Vec<u64> = (0..messages).collect();
    for part in all.chunks(2_000) {
        let mut rows = sqlx::QueryBuilder::<sqlx::Any>::new(
            "INSERT INTO messages (id, conversation_id, direction, kind, body, payload, status, status_rank, sent_at, created_at) ",
        );
        rows.push_values(part, |mut row, n| {
            let (conversation, _, _) = &route[(*n as usize) % route.len()];
            row.push_bind(first_id + *n as i64)
                .push_bind(*conversation)
                .push_bind("outbound")
                .push_bind("text")
                .push_bind(format!("Bench message {n}"))
                .push_bind("{}")
                .push_bind("queued")
                .push_bind(1_i64)
                .push_bind(now)
                .push_bind(now);
        });
        rows.build().execute(&mut *tx).await.unwrap();
        let mut jobs = sqlx::QueryBuilder::<sqlx::Any>::new(
            "INSERT INTO outbox (message_id, phone_number_id, recipient, request, state, next_attempt_at, created_at) ",
        );
        jobs.push_values(part, |mut row, n| {
            let (_, number, to) = &route[(*n as usize) % route.len()];
            let request = serde_json::json!({ "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": to, "type": "text", "text": { "body": format!("Bench message {n}") } });
            row.push_bind(first_id + *n as i64)
                .push_bind(number.clone())
                .push_bind(to.clone())
                .push_bind(request.to_string())
                .push_bind("pending")
                .push_bind(now)
                .push_bind(now);
        });
        jobs.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}
