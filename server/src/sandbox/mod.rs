//! The sandbox: a simulator of the WhatsApp Cloud API (the Graph API side Parley calls) and of
//! customers (who write in, read, react and answer), so Parley runs, demos and is tested end to
//! end with no Meta account and no network.
//!
//! It speaks Meta's protocol: the same request validation and error envelopes, status webhooks
//! after each accepted send (with small random delays, sometimes out of order, sometimes
//! twice), signed exactly as Meta signs. Its rules follow Meta's documentation, not Parley's
//! code, so it catches Parley's mistakes.

pub mod audience;
mod demo;
pub mod errors;
mod graph;
pub use graph::{CONTROL_SECRET_HEADER, HealthChange};
mod personas;
pub mod templates;
pub mod validate;
mod webhooks;

pub use demo::{customer_content, seed_conversations, seed_number_history, spawn_traffic};
pub use personas::{PERSONAS, Persona, by_address as personas_by_address};

use rand::Rng as _;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A business number the simulator serves.
#[derive(Clone, Debug)]
pub struct DemoNumber {
    pub id: &'static str,
    pub display: &'static str,
    pub verified_name: &'static str,
    pub messaging_limit_tier: &'static str,
}

pub const DEMO_NUMBERS: [DemoNumber; 2] = [
    DemoNumber {
        id: "1100000000001",
        display: "+1 555-010-0100",
        verified_name: "Parley Demo Sales",
        messaging_limit_tier: "TIER_100K",
    },
    DemoNumber {
        id: "1100000000002",
        display: "+1 555-010-0200",
        verified_name: "Parley Demo Support",
        // A new number's limit: campaigns on it meet the pause at 250 customers a day.
        messaging_limit_tier: "TIER_250",
    },
];

pub const DEMO_WABA_ID: &str = "900000000001";
/// The simulated Meta app (template media samples are uploaded through it).
pub const DEMO_APP_ID: &str = "700000000001";
pub const API_VERSION_PREFIX: char = 'v';

#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// Where status and customer webhooks go (`None`: kept silent until set).
    pub webhook_url: Option<String>,
    pub app_secret: String,
    pub access_token: String,
    pub waba_id: String,
    /// Per-number throughput above which sends get 130429 (Meta's default is 80/s).
    pub messages_per_second: usize,
    /// Messages to one customer within [`SimulatorConfig::pair_window`] before 131056.
    pub pair_burst: usize,
    pub pair_window: Duration,
    /// Multiplies the pace of everything simulated: 1.0 is lifelike, 20.0 a brisk demo or test.
    pub speed: f64,
    /// How long Meta's review of a submitted template takes (before the speed knob).
    pub template_review: Duration,
    /// Required (header `X-Simulator-Secret`) by the `/_simulator/*` controls. Random unless
    /// set: whoever starts the simulator passes it on, it is printed nowhere.
    pub control_secret: String,
}

impl SimulatorConfig {
    pub fn new(app_secret: impl Into<String>, access_token: impl Into<String>) -> Self {
        SimulatorConfig {
            webhook_url: None,
            app_secret: app_secret.into(),
            access_token: access_token.into(),
            waba_id: DEMO_WABA_ID.into(),
            messages_per_second: 80,
            pair_burst: 45,
            pair_window: Duration::from_secs(6),
            speed: 1.0,
            template_review: Duration::from_secs(60),
            control_secret: {
                use rand::RngCore as _;
                let mut bytes = [0u8; 24];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                hex::encode(bytes)
            },
        }
    }
}

/// A fault to inject into the next Graph API calls.
#[derive(Clone, Debug, Default)]
struct Faults {
    /// Remaining calls to fail, and how.
    fail: VecDeque<errors::GraphApiError>,
    /// Remaining calls that never answer.
    hang: usize,
    latency: Duration,
    /// Delay between accepting a send and answering it (a crash in between duplicates it).
    answer_delay: Duration,
}

#[derive(Clone, Debug)]
struct MediaObject {
    bytes: bytes::Bytes,
    mime_type: String,
}

#[derive(Default)]
struct State {
    /// When each customer last wrote to each number (ms): the service window.
    last_inbound: HashMap<(String, String), i64>,
    opted_out_of_marketing: HashSet<String>,
    recent_sends: HashMap<String, VecDeque<Instant>>,
    recent_pair_sends: HashMap<(String, String), VecDeque<Instant>>,
    media: HashMap<String, MediaObject>,
    faults: Faults,
    /// Every send request accepted, in order (tests count Graph calls with it).
    accepted: Vec<Value>,
    /// Resumable upload sessions (template media samples): session id → declared length.
    upload_sessions: HashMap<String, u64>,
    /// When each accepted send was admitted under the throughput limit (for rate checks).
    accepted_times: Vec<std::time::Instant>,
    /// Sends refused with 130429 because the number's throughput was exceeded.
    throughput_refusals: usize,
    /// Every read receipt (mark-as-read request) accepted, in order.
    read_receipts: Vec<Value>,
    /// Every request the simulator received, as `METHOD /path?query`, controls included.
    calls: Vec<String>,
    templates: Vec<templates::Template>,
    /// Each number's health and business profile.
    numbers: HashMap<String, graph::SimNumber>,
    /// The WABA's app subscription was removed: webhooks stop.
    webhooks_unsubscribed: bool,
    next_id: u64,
}

struct Inner {
    config: SimulatorConfig,
    state: Mutex<State>,
    http: reqwest::Client,
    /// The simulator's own base URL (for media download links), once bound.
    base_url: Mutex<String>,
    webhook_url: Mutex<Option<String>>,
}

/// The simulator; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

fn now_ms() -> i64 {
    crate::store::Millis::now().0
}

impl Simulator {
    pub fn new(config: SimulatorConfig) -> Simulator {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        Simulator {
            inner: Arc::new(Inner {
                webhook_url: Mutex::new(config.webhook_url.clone()),
                config,
                state: Mutex::new(State {
                    templates: templates::seeded(),
                    numbers: graph::seeded_numbers(),
                    ..State::default()
                }),
                http,
                base_url: Mutex::new(String::new()),
            }),
        }
    }

    /// Binds `addr` and serves the Graph API there; returns the bound address.
    pub async fn start(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        *self.inner.base_url.lock().unwrap() = format!("http://{bound}");
        let router = graph::router(self.clone(), bound);
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "simulator stopped");
            }
        });
        Ok(bound)
    }

    /// Points the simulator's webhooks at `url` (e.g. once Parley knows its own address).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        *self.inner.webhook_url.lock().unwrap() = Some(url.into());
    }

    pub fn base_url(&self) -> String {
        self.inner.base_url.lock().unwrap().clone()
    }

    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the next `count` Graph API calls fail with `code` (HTTP `status`).
    pub fn fail_next(&self, count: usize, code: i64, status: u16) {
        let mut state = self.state();
        for _ in 0..count {
            state
                .faults
                .fail
                .push_back(errors::GraphApiError::injected(code, status));
        }
    }

    /// Makes the next `count` calls never answer.
    pub fn hang_next(&self, count: usize) {
        self.state().faults.hang += count;
    }

    /// Adds latency to every call.
    pub fn set_latency(&self, latency: Duration) {
        self.state().faults.latency = latency;
    }

    /// Answers accepted sends only after `delay`: the window in which a crash of the caller
    /// leaves a message sent but unrecorded.
    pub fn set_answer_delay(&self, delay: Duration) {
        self.state().faults.answer_delay = delay;
    }

    /// How long accepted sends wait for their answer.
    fn answer_delay(&self) -> Duration {
        self.state().faults.answer_delay
    }

    /// Every send request accepted so far.
    pub fn accepted(&self) -> Vec<Value> {
        self.state().accepted.clone()
    }

    /// How many send requests were accepted so far (without copying them).
    pub fn accepted_count(&self) -> usize {
        self.state().accepted.len()
    }

    /// When each accepted send was admitted, earliest first.
    pub fn accepted_times(&self) -> Vec<std::time::Instant> {
        let mut times = self.state().accepted_times.clone();
        times.sort_unstable();
        times
    }

    /// How many sends were refused for exceeding the number's throughput (130429).
    pub fn throughput_refusals(&self) -> usize {
        self.state().throughput_refusals
    }

    /// Every request received so far (`METHOD /path?query`), answered or not.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    fn record_call(&self, call: String) {
        self.state().calls.push(call);
    }

    /// Every read receipt accepted so far.
    pub fn read_receipts(&self) -> Vec<Value> {
        self.state().read_receipts.clone()
    }

    pub fn opt_out_of_marketing(&self, address: &str) {
        self.state()
            .opted_out_of_marketing
            .insert(address.to_owned());
    }

    fn next_id(&self, prefix: &str) -> String {
        let mut state = self.state();
        state.next_id += 1;
        let n = state.next_id;
        let noise: u64 = rand::thread_rng().r#gen();
        format!("{prefix}{:016X}{n:08X}", noise)
    }

    /// A Graph-style numeric object id (templates, media).
    fn numeric_id(&self) -> String {
        let mut state = self.state();
        state.next_id += 1;
        format!(
            "{}{:06}",
            rand::thread_rng().gen_range(1_000_000_000u64..9_999_999_999),
            state.next_id % 1_000_000
        )
    }

    /// Scales a lifelike delay by the speed knob.
    fn paced(&self, lifelike: Duration) -> Duration {
        lifelike.div_f64(self.inner.config.speed.max(0.01))
    }

    /// Applies injected faults before a call is answered.
    async fn before_call(&self) -> Result<(), errors::GraphApiError> {
        let (latency, hang, failure) = {
            let mut state = self.state();
            let hang = if state.faults.hang > 0 {
                state.faults.hang -= 1;
                true
            } else {
                false
            };
            (state.faults.latency, hang, state.faults.fail.pop_front())
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if hang {
            std::future::pending::<()>().await;
        }
        failure.map_or(Ok(()), Err)
    }

    /// Enforces the per-number throughput and the per-customer pair limit; answers the
    /// instant the send was admitted at.
    fn admit(&self, number: &str, to: &str) -> Result<Instant, errors::GraphApiError> {
        let now = Instant::now();
        let config = &self.inner.config;
        let mut state = self.state();
        let sends = state.recent_sends.entry(number.to_owned()).or_default();
        while sends
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            sends.pop_front();
        }
        if sends.len() >= config.messages_per_second {
            state.throughput_refusals += 1;
            return Err(errors::GraphApiError::rate_limited());
        }
        let pair = state
            .recent_pair_sends
            .entry((number.to_owned(), to.to_owned()))
            .or_default();
        while pair
            .front()
            .is_some_and(|t| now.duration_since(*t) >= config.pair_window)
        {
            pair.pop_front();
        }
        if pair.len() >= config.pair_burst {
            return Err(errors::GraphApiError::pair_rate_limited());
        }
        pair.push_back(now);
        state
            .recent_sends
            .get_mut(number)
            .expect("inserted above")
            .push_back(now);
        Ok(now)
    }

    fn window_open(&self, number: &str, address: &str) -> bool {
        let last = self
            .state()
            .last_inbound
            .get(&(number.to_owned(), address.to_owned()))
            .copied();
        last.is_some_and(|at| now_ms() - at < 24 * 3600 * 1000)
    }
}

/// Why Meta could not deliver an accepted message, as its status webhook says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryFailure {
    pub code: i64,
    pub title: &'static str,
    pub details: &'static str,
}

/// Not a WhatsApp user (or has not accepted the terms).
pub const NOT_ON_WHATSAPP: DeliveryFailure = DeliveryFailure {
    code: 131026,
    title: "Message undeliverable",
    details: "Unable to deliver message. The recipient is not a WhatsApp user or cannot receive this message.",
};

/// The customer stopped marketing messages from the business.
pub const STOPPED_MARKETING: DeliveryFailure = DeliveryFailure {
    code: 131050,
    title: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
    details: "The user has stopped marketing messages.",
};

/// One of the demo numbers by id.
pub fn demo_number(id: &str) -> Option<&'static DemoNumber> {
    DEMO_NUMBERS.iter().find(|n| n.id == id)
}
