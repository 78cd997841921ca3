//! Parley's domain: the facts it keeps and the rules that govern them, free of storage, HTTP
//! and rendering. Rules are pure functions with the time passed in, tested beside their types.
//!
//! - [`time`]: `Millis` and the injected [`Clock`](time::Clock).
//! - [`inbound`]: what Meta tells Parley (messages, statuses, customers, account changes).
//! - [`contact`]: one person is one contact; identity and merges.
//! - [`conversation`]: where a customer's message lands; conversation records.
//! - [`message`]: message records, previews, forward-only statuses.
//! - [`routing`]: which team member a waiting conversation goes to.
//! - [`window`]: the 24-hour (72 after an ad) customer-service window.
//! - [`cost`]: what Meta charges per message, the rate card, and spend.
//! - [`period`]: the period a report covers.
//! - [`report`]: reports' figures (totals, percentiles, ratings) from history marks.
//! - [`rate_card`]: what a billable message costs, by country and category.
//! - [`audit`]: the admin actions and security events the audit log records.
//! - [`history`]: which events mark a conversation's history, and the figures drawn from it.
//! - [`events`]: the typed events every change writes, for the consumers that follow them.

pub mod audit;
pub mod automation;
pub mod business_hours;
pub mod contact;
pub mod conversation;
pub mod cost;
pub mod csat;
pub mod events;
pub mod history;
pub mod inbound;
pub mod message;
pub mod number_update;
pub mod outgoing;
pub mod period;
pub mod rate_card;
pub mod report;
pub mod retry;
pub mod routing;
pub mod time;
pub mod window;

pub use events::DomainEvent;
pub use time::{Clock, ManualClock, Millis, SharedClock, SystemClock};
