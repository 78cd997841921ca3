//! Delivery statuses at a campaign's pace: each send brings back `sent`, `delivered` and
//! `read` webhooks, so a campaign at 1,000/s means 3,000 status webhooks a second. Posts them
//! open loop at `rate` (all messages' `sent` first, then `delivered`, then `read`, as Meta's
//! arrive) and measures how far processing and the browsers' ticks fall behind.

use parley_server::whatsapp::signature::{meta_json, sign};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const STATUSES: [&str; 3] = ["sent", "delivered", "read"];

pub struct Flood<'a> {
    pub url: &'a str,
    pub database_url: &'a str,
    pub token: &'a str,
    pub secret: &'a str,
    pub rate: u64,
    pub seconds: u64,
}

impl Flood<'_> {
    pub async fn run(&self) {
        let total = (self.rate * self.seconds) as usize;
        let messages = self.messages(total.div_ceil(3)).await;
        let bodies: Vec<(String, String, (String, &str))> = (0..total)
            .map(|n| {
                let (wamid, recipient) = &messages[n % messages.len()];
                let status = STATUSES[(n / messages.len()).min(2)];
                let body = status_webhook(wamid, recipient, status);
                let signature = sign(self.secret.as_bytes(), body.as_bytes());
                (body, signature, (wamid.clone(), status))
            })
            .collect();
        let posted: Arc<Mutex<HashMap<(String, &'static str), Instant>>> = Arc::default();
        let ticks = self.watch_ticks(posted.clone(), total);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .unwrap();
        let endpoint = format!("{}/webhooks/whatsapp", self.url);
        let interval = Duration::from_secs_f64(1.0 / self.rate as f64);
        let started = Instant::now();
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
        let bodies = Arc::new(bodies);
        let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut requests = tokio::task::JoinSet::new();
        while let Some((n, scheduled)) = departures.recv().await {
            let (http, endpoint, bodies, posted, errors) = (
                http.clone(),
                endpoint.clone(),
                bodies.clone(),
                posted.clone(),
                errors.clone(),
            );
            requests.spawn(async move {
                let (body, signature, key) = &bodies[n];
                posted.lock().unwrap().insert(key.clone(), scheduled);
                let response = http
                    .post(&endpoint)
                    .header("x-hub-signature-256", signature)
                    .body(body.clone())
                    .send()
                    .await;
                if !matches!(&response, Ok(r) if r.status().is_success()) {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        while requests.join_next().await.is_some() {}
        let posting = started.elapsed();
        let (mut lags, last_tick) = ticks.await.unwrap();
        lags.sort_by(f64::total_cmp);
        let pick = |p: f64| {
            if lags.is_empty() {
                f64::NAN
            } else {
                lags[((lags.len() as f64 - 1.0) * p).round() as usize]
            }
        };
        let processing = last_tick.map_or(f64::NAN, |at| at.duration_since(started).as_secs_f64());
        println!(
            "{{\"statuses\":{total},\"offered_per_s\":{},\"posted_in_s\":{:.2},\"errors\":{},\"ticks\":{},\"processed_per_s\":{:.0},\"tick_p50_ms\":{:.1},\"tick_p99_ms\":{:.1},\"tick_max_ms\":{:.1}}}",
            self.rate,
            posting.as_secs_f64(),
            errors.load(std::sync::atomic::Ordering::Relaxed),
            lags.len(),
            lags.len() as f64 / processing,
            pick(0.5),
            pick(0.99),
            pick(1.0),
        );
    }

    /// `count` outbound messages of the seeded database, put back to `accepted` (the seed
    /// stores them read): their wamids and recipients.
    async fn messages(&self, count: usize) -> Vec<(String, String)> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(self.database_url)
            .await
            .expect("connect");
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT m.id, m.wamid, c.wa_id FROM messages m
             JOIN conversations v ON v.id = m.conversation_id
             JOIN contacts c ON c.id = v.contact_id
             WHERE m.direction = 'outbound' AND m.wamid IS NOT NULL ORDER BY m.id LIMIT $1",
        )
        .bind(count as i64)
        .fetch_all(&pool)
        .await
        .expect("seeded messages");
        assert!(
            rows.len() == count,
            "seed at least {count} outbound messages"
        );
        for part in rows.chunks(1000) {
            let ids: Vec<String> = part.iter().map(|(id, _, _)| id.to_string()).collect();
            sqlx::query(&format!(
                "UPDATE messages SET status = 'accepted', status_rank = 2 WHERE id IN ({})",
                ids.join(",")
            ))
            .execute(&pool)
            .await
            .expect("reset statuses");
        }
        rows.into_iter().map(|(_, wamid, to)| (wamid, to)).collect()
    }

    /// One event stream; for each `message.updated` tick, how long after its status was
    /// posted it arrived. Ends when every status has ticked or 30 s pass without one.
    fn watch_ticks(
        &self,
        posted: Arc<Mutex<HashMap<(String, &'static str), Instant>>>,
        expected: usize,
    ) -> tokio::task::JoinHandle<(Vec<f64>, Option<Instant>)> {
        let (url, token) = (format!("{}/api/v1/events", self.url), self.token.to_owned());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut response = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("stream");
            let (mut lags, mut last) = (Vec::with_capacity(expected), None);
            let mut pending = String::new();
            while lags.len() < expected {
                let Ok(Ok(Some(chunk))) =
                    tokio::time::timeout(Duration::from_secs(30), response.chunk()).await
                else {
                    break;
                };
                let arrived = Instant::now();
                pending.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = pending.find("\n\n") {
                    let event: String = pending.drain(..end + 2).collect();
                    if !event.contains("event: message.updated") {
                        continue;
                    }
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue;
                    };
                    let Ok(update) = serde_json::from_str::<serde_json::Value>(data) else {
                        continue;
                    };
                    let message = &update["message"];
                    let (Some(wamid), Some(status)) =
                        (message["wamid"].as_str(), message["status"].as_str())
                    else {
                        continue;
                    };
                    let Some(status) = STATUSES.iter().find(|s| **s == status) else {
                        continue;
                    };
                    let at = posted
                        .lock()
                        .unwrap()
                        .get(&(wamid.to_owned(), *status))
                        .copied();
                    if let Some(at) = at {
                        lags.push(arrived.duration_since(at).as_secs_f64() * 1000.0);
                        last = Some(arrived);
                    }
                }
            }
            (lags, last)
        })
    }
}

fn status_webhook(wamid: &str, recipient: &str, status: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    meta_json(
        &json!({ "object": "whatsapp_business_account", "entry": [{ "id": "900000000001",
        "changes": [{ "field": "messages", "value": { "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": "1100000000001" },
            "statuses": [{ "id": wamid, "status": status, "timestamp": now.to_string(),
                "recipient_id": recipient }] } }] }] }),
    )
}
