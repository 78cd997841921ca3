//! Load generators for Parley's benchmarks. Every request is a unique webhook payload (emoji,
//! right-to-left text, batches), serialised and signed exactly as Meta does.
//!
//!   parley-bench ingest --url URL --secret S --rate 4000 --seconds 10   open loop: ack latency
//!   parley-bench ingest --url URL --secret S --concurrency 64 --seconds 10   closed loop: throughput
//!   parley-bench seed --database-url sqlite:big.db --conversations 100000 --messages 1000000
//!   parley-bench ceiling --bind 127.0.0.1:3901 --secret S   verify + parse, store nothing
//!   parley-bench sse-fan-out --url URL --token T --secret S --clients 1000
//!   parley-bench sse-idle --url URL --token T --clients 10000 --pid PID
//!   parley-bench send-rate --rate 80 --seconds 60
//!   parley-bench status-flood --url URL --database-url D --token T --secret S --rate 5000
//!
//! `bench/run` runs them all and writes BENCHMARKS.md.

mod automations;
mod campaign;
mod ceiling;
mod reports;
mod send_rate;
mod sse;
mod statuses;

use clap::Parser;
use parley_server::whatsapp::signature::{meta_json, sign};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Parley load generators")]
enum Command {
    /// Signed webhook POSTs against /webhooks/whatsapp.
    Ingest {
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        #[arg(long, env = "WA_APP_SECRET")]
        secret: String,
        /// Requests per second, open loop (latency measured from each request's scheduled time).
        #[arg(long)]
        rate: Option<u64>,
        /// Concurrent senders, closed loop (throughput), when no --rate is given.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Messages per webhook POST.
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Distinguishes runs so that bodies never repeat across them.
        #[arg(long, default_value = "run")]
        tag: String,
    },
    /// The ingest ceiling: Parley's HTTP stack verifying and parsing, storing nothing.
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:3901")]
        bind: std::net::SocketAddr,
        #[arg(long, env = "WA_APP_SECRET")]
        secret: String,
    },
    /// Webhook → browser latency with `clients` event streams connected.
    SseFanOut {
        /// Where webhooks are posted.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// Where the streams connect, in turn (default: `url`): other nodes on the same
        /// database measure webhook on one node → browser on another.
        #[arg(long, value_delimiter = ',')]
        stream_urls: Vec<String>,
        /// A personal API token (`parley token create`).
        #[arg(long)]
        token: String,
        #[arg(long, env = "WA_APP_SECRET")]
        secret: String,
        #[arg(long, default_value_t = 100)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        events: usize,
        #[arg(long, default_value = "run")]
        tag: String,
    },
    /// Memory per idle event stream: holds `clients` streams open against the server `pid`.
    SseIdle {
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long)]
        pid: u32,
    },
    /// The achieved send rate against the configured one (in-process Parley and simulator).
    SendRate {
        #[arg(long, default_value_t = 80)]
        rate: u32,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// A campaign at scale: its build, its send rate, and agents' replies during it.
    /// Keyword rules judging customers' messages: how long after each message its rule acts.
    Automation {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1000)]
        rules: usize,
        #[arg(long, default_value_t = 100)]
        rate: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    Campaign {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        recipients: i64,
        #[arg(long, default_value_t = 80)]
        rate: u32,
        /// How long to send (0: only build it).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Delivery-status webhooks at `rate` for `seconds` against a seeded database: processing
    /// rate and how far behind the browsers' ticks arrive.
    StatusFlood {
        #[arg(long)]
        url: String,
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        token: String,
        #[arg(long, env = "WA_APP_SECRET")]
        secret: String,
        #[arg(long, default_value_t = 5000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Spreads a `seed`ed database's messages over 90 days and writes their conversations'
    /// history, for the reports measurements.
    SeedHistory {
        #[arg(long)]
        database_url: String,
    },
    /// Waits until every stored webhook is processed (between measures).
    WaitIdle {
        #[arg(long)]
        database_url: String,
    },
    /// Fills a database with conversations and messages for the inbox-at-scale measurements
    /// (bulk SQL: this is a fixture generator, not how Parley writes).
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        conversations: i64,
        #[arg(long, default_value_t = 1_000_000)]
        messages: i64,
    },
}

const SAMPLES: &[&str] = &[
    "Hello! Is my order on its way? 📦",
    "مرحبا، أريد تغيير عنوان التوصيل",
    "שלום, ההזמנה שלי לא הגיעה 😕",
    "Olá! Vocês entregam no sábado? 🙏🏽",
    "您好，我想退货 🧾",
    "नमस्ते, मेरा रिफंड कब आएगा?",
];

fn body(tag: &str, n: u64, batch: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let customer = format!("1555{:07}", n % 5000);
    let messages: Vec<_> = (0..batch)
        .map(|i| {
            json!({ "from": customer, "id": format!("wamid.bench.{tag}.{n}.{i}"), "timestamp": now.to_string(),
                    "type": "text", "text": { "body": SAMPLES[(n as usize + i) % SAMPLES.len()] } })
        })
        .collect();
    meta_json(
        &json!({ "object": "whatsapp_business_account", "entry": [{ "id": "900000000001", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": if n.is_multiple_of(2) { "1100000000001" } else { "1100000000002" } },
            "contacts": [{ "profile": { "name": format!("Customer {} 🌍", n % 5000) }, "wa_id": customer }],
            "messages": messages } }] }] }),
    )
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let (url, secret, rate, concurrency, seconds, batch, tag) = match Command::parse() {
        Command::Ingest {
            url,
            secret,
            rate,
            concurrency,
            seconds,
            batch,
            tag,
        } => (url, secret, rate, concurrency, seconds, batch, tag),
        Command::Seed {
            database_url,
            conversations,
            messages,
        } => {
            return seed(&database_url, conversations, messages).await;
        }
        Command::SeedHistory { database_url } => {
            return reports::seed_history(&database_url).await;
        }
        Command::WaitIdle { database_url } => {
            let url =
                parley_server::config::DatabaseUrl::parse(&database_url).expect("database URL");
            let store = parley_server::store::connect(&url).await.expect("connect");
            let started = Instant::now();
            while store.journal.backlog().await.expect("backlog") > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            println!(
                "{{\"drained_in_s\":{:.2}}}",
                started.elapsed().as_secs_f64()
            );
            return;
        }
        Command::Ceiling { bind, secret } => return ceiling::serve(bind, secret).await,
        Command::StatusFlood {
            url,
            database_url,
            token,
            secret,
            rate,
            seconds,
        } => {
            let flood = statuses::Flood {
                url: &url,
                database_url: &database_url,
                token: &token,
                secret: &secret,
                rate,
                seconds,
            };
            return flood.run().await;
        }
        Command::SseFanOut {
            url,
            stream_urls,
            token,
            secret,
            clients,
            events,
            tag,
        } => {
            let stream_urls = if stream_urls.is_empty() {
                vec![url.clone()]
            } else {
                stream_urls
            };
            let fan_out = sse::FanOut {
                url: &url,
                stream_urls: &stream_urls,
                token: &token,
                secret: &secret,
                clients,
                events,
                tag: &tag,
            };
            return fan_out.run().await;
        }
        Command::SseIdle {
            url,
            token,
            clients,
            pid,
        } => return sse::idle(&url, &token, clients, pid).await,
        Command::SendRate { rate, seconds } => return send_rate::run(rate, seconds).await,
        Command::Campaign {
            database_url,
            recipients,
            rate,
            seconds,
        } => return campaign::run(database_url, recipients, rate, seconds).await,
        Command::Automation {
            database_url,
            rules,
            rate,
            seconds,
        } => return automations::run(database_url, rules, rate, seconds).await,
    };
    let endpoint = format!("{}/webhooks/whatsapp", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap();
    let duration = Duration::from_secs(seconds);
    let total = match rate {
        Some(rate) => rate * seconds,
        None => u64::MAX,
    };
    // Bodies are prepared up front (open loop) so the generator's own work stays off the clock.
    let prepared: Option<Arc<Vec<(String, String)>>> = rate.map(|_| {
        Arc::new(
            (0..total)
                .map(|n| {
                    let body = body(&tag, n, batch);
                    let signature = sign(secret.as_bytes(), body.as_bytes());
                    (body, signature)
                })
                .collect(),
        )
    });
    let started = Instant::now();
    let outcome = match (rate, prepared) {
        (Some(rate), Some(prepared)) => {
            let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
            let interval = Duration::from_secs_f64(1.0 / rate as f64);
            // Latency counts from each request's scheduled time, so the requests must leave on
            // time: tokio's timer ticks in whole milliseconds, which would send them in bunches
            // up to a millisecond late (adding 0.5-1 ms to every latency, even against the
            // ceiling server). A thread sleeping with the kernel's precise timers paces them.
            let (due, mut departures) = tokio::sync::mpsc::unbounded_channel();
            std::thread::spawn(move || {
                for n in 0..total {
                    let scheduled = started + interval.mul_f64(n as f64);
                    std::thread::sleep(scheduled.saturating_duration_since(Instant::now()));
                    if due.send((n, scheduled)).is_err() {
                        break;
                    }
                }
            });
            while let Some((n, scheduled)) = departures.recv().await {
                let (client, endpoint, prepared, sender) = (
                    client.clone(),
                    endpoint.clone(),
                    prepared.clone(),
                    sender.clone(),
                );
                tokio::spawn(async move {
                    let (body, signature) = &prepared[n as usize];
                    let response = client
                        .post(&endpoint)
                        .header("x-hub-signature-256", signature)
                        .body(body.clone())
                        .send()
                        .await;
                    let ok = matches!(&response, Ok(r) if r.status().is_success());
                    let _ = sender.send((ok, scheduled.elapsed()));
                });
            }
            drop(sender);
            let mut outcome = Outcome {
                latencies: Vec::new(),
                errors: 0,
            };
            while let Some((ok, latency)) = receiver.recv().await {
                if ok {
                    outcome.latencies.push(latency)
                } else {
                    outcome.errors += 1
                }
            }
            outcome
        }
        _ => {
            let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let workers: Vec<_> = (0..concurrency)
                .map(|_| {
                    let (client, endpoint, secret, tag, counter) = (
                        client.clone(),
                        endpoint.clone(),
                        secret.clone(),
                        tag.clone(),
                        counter.clone(),
                    );
                    tokio::spawn(async move {
                        let mut outcome = Outcome {
                            latencies: Vec::new(),
                            errors: 0,
                        };
                        while started.elapsed() < duration {
                            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let body = body(&tag, n, batch);
                            let signature = sign(secret.as_bytes(), body.as_bytes());
                            let sent = Instant::now();
                            match client
                                .post(&endpoint)
                                .header("x-hub-signature-256", signature)
                                .body(body)
                                .send()
                                .await
                            {
                                Ok(r) if r.status().is_success() => {
                                    outcome.latencies.push(sent.elapsed())
                                }
                                _ => outcome.errors += 1,
                            }
                        }
                        outcome
                    })
                })
                .collect();
            let mut outcome = Outcome {
                latencies: Vec::new(),
                errors: 0,
            };
            for worker in workers {
                let part = worker.await.unwrap();
                outcome.latencies.extend(part.latencies);
                outcome.errors += part.errors;
            }
            outcome
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = outcome.latencies;
    latencies.sort();
    let acked = latencies.len() as f64;
    println!(
        "{{\"requests_ok\":{},\"errors\":{},\"seconds\":{:.2},\"requests_per_s\":{:.0},\"messages_per_s\":{:.0},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
        latencies.len(),
        outcome.errors,
        elapsed,
        acked / elapsed,
        acked * batch as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
}

/// Bulk-inserts `conversations` conversations (one customer each, spread over two numbers and
/// the last 60 days) with `messages` messages in total. SQLite or PostgreSQL.
pub(crate) async fn seed(database_url: &str, conversations: i64, messages: i64) {
    use parley_server::config::DatabaseUrl;
    let url = DatabaseUrl::parse(database_url).expect("a sqlite: or postgres:// URL");
    parley_server::store::connect(&url)
        .await
        .expect("migrations");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.expect("connect");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let started = Instant::now();
    sqlx::query("INSERT INTO business_numbers (phone_number_id, display_phone_number, created_at) VALUES ('1100000000001', '15550100', $1), ('1100000000002', '15550200', $1) ON CONFLICT DO NOTHING")
        .bind(now).execute(&pool).await.unwrap();
    let per = (messages / conversations.max(1)).max(1);
    if database_url.starts_with("postgres") {
        seed_postgres(&pool, conversations, per, now).await;
        seed_triage(&pool, now).await;
        println!(
            "{{\"conversations\":{conversations},\"messages\":{},\"seconds\":{:.1}}}",
            conversations * per,
            started.elapsed().as_secs_f64()
        );
        return;
    }
    const CHUNK: i64 = 2_000;
    for start in (0..conversations).step_by(CHUNK as usize) {
        let end = (start + CHUNK).min(conversations);
        let mut tx = pool.begin().await.unwrap();
        let mut contacts = sqlx::QueryBuilder::<sqlx::Any>::new(
            "INSERT INTO contacts (wa_id, bsuid, name, created_at, updated_at) ",
        );
        contacts.push_values(start..end, |mut row, i| {
            row.push_bind(format!("1999{i:08}"))
                .push_bind(format!("US.SEED{i}"))
                .push_bind(format!("Customer {i} 🌍"))
                .push_bind(now)
                .push_bind(now);
        });
        contacts.build().execute(&mut *tx).await.unwrap();
        let first_contact: i64 = sqlx::query_scalar("SELECT id FROM contacts WHERE wa_id = $1")
            .bind(format!("1999{start:08}"))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let mut convs = sqlx::QueryBuilder::<sqlx::Any>::new(
            "INSERT INTO conversations (contact_id, phone_number_id, status, last_message_at, window_expires_at, unread_count, last_message_preview, created_at) ",
        );
        convs.push_values(start..end, |mut row, i| {
            let last = now - (i * 51_840) % (60 * 86_400_000);
            row.push_bind(first_contact + (i - start))
                .push_bind(if i % 2 == 0 {
                    "1100000000001"
                } else {
                    "1100000000002"
                })
                .push_bind(if i % 5 == 0 { "resolved" } else { "open" })
                .push_bind(last)
                .push_bind(last + 86_400_000)
                .push_bind(i % 3)
                .push_bind(SAMPLES[(i as usize) % SAMPLES.len()])
                .push_bind(now);
        });
        convs.build().execute(&mut *tx).await.unwrap();
        let first_conversation: i64 =
            sqlx::query_scalar("SELECT id FROM conversations WHERE contact_id = $1")
                .bind(first_contact)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        for part in (0..(end - start) * per).collect::<Vec<_>>().chunks(3_000) {
            let mut rows = sqlx::QueryBuilder::<sqlx::Any>::new(
                "INSERT INTO messages (conversation_id, wamid, direction, kind, body, payload, status, status_rank, sent_at, created_at) ",
            );
            rows.push_values(part, |mut row, n| {
                let conversation = first_conversation + n / per;
                row.push_bind(conversation)
                    .push_bind(format!("wamid.seed.{conversation}.{}", n % per))
                    .push_bind(if n % 2 == 0 { "inbound" } else { "outbound" })
                    .push_bind("text")
                    .push_bind(SAMPLES[(*n as usize) % SAMPLES.len()])
                    .push_bind("{}")
                    .push_bind(if n % 2 == 0 { "received" } else { "read" })
                    .push_bind(if n % 2 == 0 { 0 } else { 6 })
                    .push_bind(now - (n % per) * 60_000)
                    .push_bind(now);
            });
            rows.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    seed_triage(&pool, now).await;
    println!(
        "{{\"conversations\":{conversations},\"messages\":{},\"seconds\":{:.1}}}",
        conversations * per,
        started.elapsed().as_secs_f64()
    );
}

/// Labels and priorities, as a working team leaves them: eight labels, three on every
/// conversation (each label on 3 in 8, `vip` and `refund` together on 1 in 8), one rare label
/// on 1 in 100, and every priority.
async fn seed_triage(pool: &sqlx::AnyPool, now: i64) {
    let names = [
        "vip",
        "refund",
        "delivery",
        "sales-lead",
        "complaint",
        "wholesale",
        "returning",
        "spam",
    ];
    for name in names.iter().chain(["rare"].iter()) {
        sqlx::query(
            "INSERT INTO labels (name, name_key, colour, description, created_at)
             VALUES ($1, $1, '#2563eb', '', $2)",
        )
        .bind(*name)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    }
    let statements = [
        "INSERT INTO conversation_labels (conversation_id, label_id)
         SELECT c.id, l.id FROM conversations c, labels l
         WHERE l.name_key <> 'rare' AND (c.id - l.id + 8) % 8 IN (0, 1, 3)",
        "INSERT INTO conversation_labels (conversation_id, label_id)
         SELECT c.id, l.id FROM conversations c, labels l
         WHERE l.name_key = 'rare' AND c.id % 100 = 0",
        "UPDATE conversations SET priority = id % 5",
    ];
    for statement in statements {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
}

/// The same fixture on PostgreSQL, generated server-side (`generate_series`).
async fn seed_postgres(pool: &sqlx::AnyPool, conversations: i64, per: i64, now: i64) {
    let statements = [
        format!(
            "INSERT INTO contacts (wa_id, bsuid, name, created_at, updated_at)
             SELECT '1999' || lpad(i::text, 8, '0'), 'US.SEED' || i, 'Customer ' || i || ' 🌍', {now}, {now}
             FROM generate_series(0, {conversations} - 1) AS i"
        ),
        format!(
            "INSERT INTO conversations (contact_id, phone_number_id, status, last_message_at, window_expires_at,
               unread_count, last_message_preview, created_at)
             SELECT c.id, CASE WHEN c.id % 2 = 0 THEN '1100000000001' ELSE '1100000000002' END,
               CASE WHEN c.id % 5 = 0 THEN 'resolved' ELSE 'open' END,
               {now} - (c.id * 51840) % (60 * 86400000::bigint), {now} - (c.id * 51840) % (60 * 86400000::bigint) + 86400000,
               c.id % 3, 'Hello! Is my order on its way? 📦', {now}
             FROM contacts c WHERE c.bsuid LIKE 'US.SEED%'"
        ),
        format!(
            "INSERT INTO messages (conversation_id, wamid, direction, kind, body, payload, status, status_rank, sent_at, created_at)
             SELECT v.id, 'wamid.seed.' || v.id || '.' || n, CASE WHEN n % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
               'text', 'Hello! Is my order on its way? 📦', '{{}}', CASE WHEN n % 2 = 0 THEN 'received' ELSE 'read' END,
               CASE WHEN n % 2 = 0 THEN 0 ELSE 6 END, {now} - n * 60000, {now}
             FROM conversations v, generate_series(0, {per} - 1) AS n"
        ),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
}
