//! A campaign at scale: `recipients` contacts who opted in (bulk SQL fixture), the campaign's
//! recipients fixed in one transaction (timed: the build), then Parley (in this process) sends
//! it into the built-in simulator at `rate` for `seconds` while an agent replies on the same
//! number once a second. Measures the build, the achieved rate against the configured one, and
//! how long an agent's reply takes from the API call to the Graph API during the campaign.

use parley_app::campaigns::{Audience, CampaignState, CampaignTemplate, PauseReason};
use parley_server::config::{Config, DatabaseUrl, Sources};
use parley_server::sandbox::{DEMO_NUMBERS, DEMO_WABA_ID, Simulator, SimulatorConfig};
use parley_server::store::campaigns::{CampaignWrite, Eligibility};
use parley_server::store::{self, ContactQuery, Millis};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-campaign-token";
const SECRET: &str = "bench-campaign-secret";
/// Customers the agent answers during the campaign (outside the campaign's audience).
const AGENT_CUSTOMERS: i64 = 30;

pub async fn run(database_url: String, recipients: i64, rate: u32, seconds: u64) {
    let url = DatabaseUrl::parse(&database_url).expect("a sqlite: or postgres:// URL");
    let store = store::connect(&url).await.expect("migrations");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database_url)
        .await
        .expect("connect");
    let now = Millis::now();
    let number = DEMO_NUMBERS[0].id;
    let label = fixture(&pool, number, recipients, now.0).await;

    let admin = store
        .team
        .create_user(
            store::NewUser {
                email: parley_app::model::Email::parse("bench@example.com").unwrap(),
                name: parley_app::model::DisplayName::parse("Bench").unwrap(),
                role: parley_app::model::Role::Admin,
                password_hash: None,
            },
            now,
        )
        .await
        .unwrap();
    let write = CampaignWrite {
        name: "Bench".into(),
        phone_number_id: number.into(),
        template: CampaignTemplate {
            name: "spring_sale".into(),
            language: "en_US".into(),
            parameters: vec![],
            header_media_id: None,
        },
        template_category: "MARKETING".into(),
        audience: Audience::Labels {
            labels: vec!["crowd".into()],
        },
        state: CampaignState::Draft,
        scheduled_at: None,
    };
    let campaign = store.campaigns.create(&write, admin.id, now).await.unwrap();
    let query = ContactQuery {
        any_labels: vec![label],
        ..ContactQuery::default()
    };
    let rules = Eligibility {
        marketing: true,
        frequency_cap: 4,
        cap_since: Millis(now.0 - 30 * 86_400_000),
    };
    let started = Instant::now();
    let preview = store.campaigns.preview(&query, &rules).await.unwrap();
    let preview_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    store
        .campaigns
        .start(campaign.id, &query, &rules, now)
        .await
        .unwrap();
    let build_seconds = started.elapsed().as_secs_f64();
    let eligible: i64 = preview
        .iter()
        .filter(|(s, _)| s.as_str() == "pending")
        .map(|(_, n)| n)
        .sum();
    // Held until Parley has synced the templates the runner checks.
    store
        .campaigns
        .transition(
            campaign.id,
            &[CampaignState::Sending],
            CampaignState::Paused,
            Some(PauseReason::Member),
            Millis::now(),
        )
        .await
        .unwrap();
    if seconds == 0 {
        println!(
            "{{\"recipients\":{recipients},\"eligible\":{eligible},\"preview_seconds\":{preview_seconds:.2},\"build_seconds\":{build_seconds:.2}}}"
        );
        return;
    }

    let mut sim_config = SimulatorConfig::new(SECRET, TOKEN);
    sim_config.messages_per_second = rate as usize;
    sim_config.speed = 20.0;
    let sim = Simulator::new(sim_config);
    let sim_addr = sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let graph_url = format!("http://{sim_addr}");
    let rate_text = rate.to_string();
    let sources = Sources::from_pairs([
        ("PARLEY_BIND", "127.0.0.1:0"),
        ("DATABASE_URL", database_url.as_str()),
        ("WA_APP_SECRET", SECRET),
        ("WA_ACCESS_TOKEN", TOKEN),
        ("WA_GRAPH_URL", graph_url.as_str()),
        ("WA_WABA_ID", DEMO_WABA_ID),
        ("PARLEY_SEND_RATE", rate_text.as_str()),
        ("RUST_LOG", "warn"),
    ]);
    let config = Config::from_sources(&sources).expect("config");
    let app = parley_server::Application::build(config)
        .await
        .expect("parley");
    let base = format!("http://{}", app.local_addr());
    sim.set_webhook_url(format!("{base}/webhooks/whatsapp"));
    tokio::spawn(app.serve());
    let (token, _) =
        parley_server::auth::token::issue(&store, admin.id, "bench".into(), None, Millis::now())
            .await
            .expect("token");
    let http = reqwest::Client::new();
    let synced = Instant::now() + Duration::from_secs(60);
    while store
        .templates
        .by_name(None, "spring_sale", "en_US")
        .await
        .unwrap()
        .is_none()
    {
        assert!(Instant::now() < synced, "templates never synced");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let conversations = agent_conversations(&store, number).await;
    store
        .campaigns
        .transition(
            campaign.id,
            &[CampaignState::Paused],
            CampaignState::Sending,
            None,
            Millis::now(),
        )
        .await
        .unwrap();

    // Once the campaign is under way (past the start, when the runner fills the outbox and
    // the sender catches up on slots it woke late for), an agent replies once a second.
    while sim.accepted_count() < 3 * rate as usize {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let window_start = Instant::now();
    let mut asked: Vec<(String, Instant)> = Vec::new();
    for (i, (conversation, customer)) in conversations
        .iter()
        .cycle()
        .take(seconds as usize)
        .enumerate()
    {
        let at = window_start + Duration::from_secs(i as u64);
        tokio::time::sleep_until(at.into()).await;
        let reply = serde_json::json!({"type": "template",
            "template": {"name": "hello_world", "language": "en_US", "parameters": []}});
        let sent_at = Instant::now();
        let response = http
            .post(format!(
                "{base}/api/v1/conversations/{conversation}/messages"
            ))
            .bearer_auth(&token)
            .json(&reply)
            .send()
            .await
            .expect("reply");
        assert!(response.status().is_success(), "{}", response.status());
        asked.push((customer.clone(), sent_at));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let window_end = Instant::now() - Duration::from_secs(2);
    store
        .campaigns
        .transition(
            campaign.id,
            &[CampaignState::Sending],
            CampaignState::Paused,
            Some(PauseReason::Member),
            Millis::now(),
        )
        .await
        .unwrap();

    let accepted = sim.accepted();
    let times = sim.accepted_times();
    // The k-th reply to a customer is the k-th send to them the simulator accepted.
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut latencies: Vec<f64> = asked
        .iter()
        .filter_map(|(customer, sent_at)| {
            let nth = seen.entry(customer.as_str()).or_default();
            let index = accepted
                .iter()
                .enumerate()
                .filter(|(_, body)| body["to"].as_str() == Some(customer.as_str()))
                .nth(*nth)?
                .0;
            *nth += 1;
            Some(times[index].duration_since(*sent_at).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let in_window = times
        .iter()
        .filter(|t| **t >= window_start && **t < window_end)
        .count();
    let span = window_end.duration_since(window_start).as_secs_f64();
    let per_second: Vec<usize> = (0..span as u64)
        .map(|n| {
            let from = window_start + Duration::from_secs(n);
            let to = from + Duration::from_secs(1);
            times.iter().filter(|t| **t >= from && **t < to).count()
        })
        .collect();
    eprintln!("sends in each second of the window: {per_second:?}");
    let achieved = in_window as f64 / span;
    let mut busiest = 0;
    let mut first = 0;
    for (end, at) in times.iter().enumerate() {
        while at.duration_since(times[first]) >= Duration::from_secs(1) {
            first += 1;
        }
        busiest = busiest.max(end + 1 - first);
    }
    println!(
        "{{\"recipients\":{recipients},\"eligible\":{eligible},\"preview_seconds\":{preview_seconds:.2},\"build_seconds\":{build_seconds:.2},\"configured_per_s\":{rate},\"window_seconds\":{span:.1},\"sent_in_window\":{in_window},\"achieved_per_s\":{achieved:.1},\"busiest_second\":{busiest},\"throughput_refusals\":{},\"agent_replies\":{},\"agent_p50_ms\":{:.0},\"agent_p99_ms\":{:.0},\"agent_max_ms\":{:.0}}}",
        sim.throughput_refusals(),
        latencies.len(),
        percentile(0.5),
        percentile(0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
}

/// The audience (bulk SQL: a fixture, not how Parley writes): `recipients` contacts of the
/// simulator's crowd (`15557…`), labelled `crowd`, each opted in to marketing by an import.
/// Answers the label's id.
async fn fixture(pool: &sqlx::AnyPool, number: &str, recipients: i64, now: i64) -> i64 {
    sqlx::query(&format!(
        "INSERT INTO business_numbers (phone_number_id, display_phone_number, created_at)
         VALUES ('{number}', '15550100100', {now}) ON CONFLICT DO NOTHING"
    ))
    .execute(pool)
    .await
    .unwrap();
    // Integers only, written into the SQL: one statement both engines run.
    sqlx::query(&format!(
        "INSERT INTO contacts (wa_id, phone_key, name, created_at, updated_at)
         SELECT CAST(15557000000 + i AS TEXT), CAST(15557000000 + i AS TEXT),
           'Customer ' || CAST(i AS TEXT), {now}, {now}
         FROM (WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq
               WHERE i < {recipients} - 1) SELECT i FROM seq) numbers"
    ))
    .execute(pool)
    .await
    .unwrap();
    let label: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO labels (name, name_key, colour, description, created_at)
         VALUES ('crowd', 'crowd', '#2563eb', '', {now}) RETURNING id"
    ))
    .fetch_one(pool)
    .await
    .unwrap();
    for statement in [
        format!(
            "INSERT INTO contact_labels (contact_id, label_id)
             SELECT id, {label} FROM contacts WHERE wa_id LIKE '15557%'"
        ),
        format!(
            "INSERT INTO consent_entries (contact_id, purpose, state, source, recorded_at)
             SELECT id, 'marketing', 'opted_in', 'import', {now} FROM contacts
             WHERE wa_id LIKE '15557%'"
        ),
    ] {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    label
}

/// Conversations the agent answers during the campaign: customers outside its audience.
async fn agent_conversations(store: &store::Store, number: &str) -> Vec<(i64, String)> {
    let mut found = Vec::new();
    for i in 0..AGENT_CUSTOMERS {
        let phone = parley_app::contacts::PhoneNumber::parse(&format!("+1555800{i:04}")).unwrap();
        let contact = store
            .contacts
            .create(&phone, &store::ContactChange::default(), Millis::now())
            .await
            .unwrap();
        let conversation = store
            .contacts
            .start_conversation(contact, number, Millis::now())
            .await
            .unwrap();
        found.push((conversation, format!("1555800{i:04}")));
    }
    found
}
