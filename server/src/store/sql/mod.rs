//! The SQL every domain shares, one file per domain. Each engine includes this module as its
//! own `sql` (see the `store` module doc); the engine's types and dialect fragments come from
//! the including module.

use super::{
    BEGIN_READ_THEN_WRITE, BODY_CONTAINS, Db, Engine, FOR_UPDATE, ID_AMONG, ILIKE, LOCK_STATUSES,
    LOCK_STATUSES_OF, NAME_ORDER, SINGLE_NODE, SKIP_LOCKED, Tx, VALUE_LIST,
};

mod audit;
mod automation_actions;
mod automation_worker;
mod automations;
mod business_hours;
mod campaign_sending;
mod campaigns;
mod canned;
mod consent;
mod contact_attributes;
mod contact_erasure;
mod contact_identity;
mod contact_import;
mod contacts;
mod conversation_labels;
mod conversations;
mod costs;
mod csat;
mod events;
mod history;
mod intake;
mod journal;
mod labels;
mod media;
mod messages;
mod notes;
mod notifications;
mod number_updates;
mod numbers;
mod outbox;
mod presence;
mod reports;
mod retention;
mod rollups;
mod routing;
mod second_factor;
mod segments;
mod statuses;
mod team;
mod templates;
