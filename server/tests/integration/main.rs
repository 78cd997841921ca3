//! Integration tests: the real application on port 0, and the store contract on both engines.
//!
//! PostgreSQL tests need `PARLEY_TEST_POSTGRES_URL` (scripts/test starts a throwaway server on
//! loopback and sets it); each test gets a fresh database.

mod auth;
mod automations;
mod campaigns;
mod collaboration;
mod contacts;
mod costs;
mod crash;
mod database_restart;
mod intake;
mod media;
mod metrics;
mod nodes;
mod numbers;
mod outbox;
mod pages;
mod processes;
mod properties;
mod reports;
mod sandbox;
mod security;
mod sending;
mod store_contract;
mod support;
mod team;
mod templates;
mod two_factor;
mod wa;
