//! Server-sent events at scale: how long a webhook takes to reach every connected browser, and
//! what an idle connection costs the server.

use parley_server::whatsapp::signature::{meta_json, sign};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What one stream reports: `None` once it has said `ready`, then (which stream, event
/// number, arrival) for each marked message it sees.
type Report = Option<(usize, usize, Instant)>;

/// Opens `clients` event streams, at `urls` in turn.
async fn connect(
    urls: &[String],
    token: &str,
    clients: usize,
    tag: &str,
) -> mpsc::UnboundedReceiver<Report> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let marker = format!("wamid.sse.{tag}.");
    for client in 0..clients {
        let (http, sender, marker) = (http.clone(), sender.clone(), marker.clone());
        let endpoint = format!("{}/api/v1/events", urls[client % urls.len()]);
        let token = token.to_owned();
        tokio::spawn(async move {
            let Ok(mut response) = http.get(endpoint).bearer_auth(token).send().await else {
                eprintln!("a stream could not connect");
                return;
            };
            let mut pending = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                let arrived = Instant::now();
                pending.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = pending.find("\n\n") {
                    let event: String = pending.drain(..end + 2).collect();
                    if event.contains("event: ready") {
                        let _ = sender.send(None);
                    } else if event.contains("event: message.created")
                        && let Some(at) = event.find(&marker)
                    {
                        let number: String = event[at + marker.len()..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        if let Ok(number) = number.parse() {
                            let _ = sender.send(Some((client, number, arrived)));
                        }
                    }
                }
            }
        });
    }
    receiver
}

async fn wait_ready(receiver: &mut mpsc::UnboundedReceiver<Report>, clients: usize) -> Duration {
    let started = Instant::now();
    let mut ready = 0;
    while ready < clients {
        match tokio::time::timeout(Duration::from_secs(60), receiver.recv()).await {
            Ok(Some(None)) => ready += 1,
            Ok(Some(Some(_))) => {}
            _ => panic!("only {ready} of {clients} streams became ready"),
        }
    }
    started.elapsed()
}

fn webhook(tag: &str, number: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    meta_json(
        &json!({ "object": "whatsapp_business_account", "entry": [{ "id": "900000000001", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": "1100000000001" },
            "contacts": [{ "profile": { "name": "SSE bench 📡" }, "wa_id": "15559990000" }],
            "messages": [{ "from": "15559990000", "id": format!("wamid.sse.{tag}.{number}"),
                "timestamp": now.to_string(), "type": "text", "text": { "body": format!("fan-out {number}") } }] } }] }] }),
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Webhook → browser latency: `clients` streams, spread over `stream_urls` in turn, and
/// `events` webhooks posted to `url` 200 ms apart.
pub struct FanOut<'a> {
    pub url: &'a str,
    pub stream_urls: &'a [String],
    pub token: &'a str,
    pub secret: &'a str,
    pub clients: usize,
    pub events: usize,
    pub tag: &'a str,
}

impl FanOut<'_> {
    /// Reports the latency from each POST to each stream's receipt of the resulting
    /// `message.created` event; with several nodes, also for the streams on the nodes the
    /// webhooks were not posted to.
    pub async fn run(&self) {
        let (clients, events, tag) = (self.clients, self.events, self.tag);
        let mut receiver = connect(self.stream_urls, self.token, clients, tag).await;
        let connect_time = wait_ready(&mut receiver, clients).await;
        let http = reqwest::Client::new();
        let sent: Arc<std::sync::Mutex<Vec<Option<Instant>>>> =
            Arc::new(std::sync::Mutex::new(vec![None; events]));
        for number in 0..events {
            let body = webhook(tag, number);
            let signature = sign(self.secret.as_bytes(), body.as_bytes());
            sent.lock().unwrap()[number] = Some(Instant::now());
            let response = http
                .post(format!("{}/webhooks/whatsapp", self.url))
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .expect("webhook");
            assert!(response.status().is_success(), "webhook refused");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let expected = clients * events;
        let (mut latencies, mut remote) = (Vec::with_capacity(expected), Vec::new());
        let deadline = Instant::now() + Duration::from_secs(30);
        while latencies.len() < expected && Instant::now() < deadline {
            if let Ok(Some(Some((client, number, arrived)))) =
                tokio::time::timeout(Duration::from_secs(1), receiver.recv()).await
                && let Some(Some(at)) = sent.lock().unwrap().get(number).copied()
            {
                let latency = arrived.duration_since(at).as_secs_f64() * 1000.0;
                latencies.push(latency);
                if self.stream_urls[client % self.stream_urls.len()] != self.url {
                    remote.push(latency);
                }
            }
        }
        latencies.sort_by(f64::total_cmp);
        remote.sort_by(f64::total_cmp);
        println!(
            "{{\"clients\":{clients},\"nodes\":{},\"events\":{events},\"deliveries\":{},\"expected\":{expected},\"connect_s\":{:.2},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"remote_deliveries\":{},\"remote_p50_ms\":{:.2},\"remote_p99_ms\":{:.2}}}",
            self.stream_urls.len(),
            latencies.len(),
            connect_time.as_secs_f64(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
            remote.len(),
            percentile(&remote, 0.5),
            percentile(&remote, 0.99),
        );
    }
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Holds `clients` idle streams open and reports the server's memory per connection.
pub async fn idle(url: &str, token: &str, clients: usize, pid: u32) {
    let before = rss_kib(pid);
    let mut receiver = connect(&[url.to_owned()], token, clients, "idle").await;
    let connect_time = wait_ready(&mut receiver, clients).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid);
    println!(
        "{{\"clients\":{clients},\"connect_s\":{:.2},\"rss_before_kib\":{before},\"rss_after_kib\":{after},\"kib_per_connection\":{:.1}}}",
        connect_time.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / clients as f64
    );
}
