//! Webhook intake: the journal that makes a verified body durable before Meta gets its 200,
//! and the processor that turns stored bodies into conversations afterwards.
//!
//! The two halves meet only in the database, so an acknowledged event survives a crash at any
//! point: it is either committed and will be processed (now, or after a restart), or it was
//! never acknowledged and Meta will deliver it again.

mod journal;
mod processor;

pub use journal::{IntakeLoad, Journal, JournalError};
pub use processor::{Processor, spawn_processor};
