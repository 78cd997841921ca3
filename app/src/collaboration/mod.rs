//! How a team works a conversation together, as server and browser both see it: internal
//! notes and mentions, notifications, labels, canned replies, priority and presence. The rules
//! that both sides apply (who a note mentions, what a canned reply says once filled in, when a
//! snooze ends) live here, beside the types, as pure functions.

mod canned;
mod labels;
mod notes;
mod presence;
mod triage;

pub use canned::*;
pub use labels::*;
pub use notes::*;
pub use presence::*;
pub use triage::*;

/// A member to write tests with.
#[cfg(test)]
fn member(id: i64, name: &str) -> crate::model::MemberRef {
    crate::model::MemberRef {
        id: crate::model::UserId(id),
        name: crate::model::DisplayName::parse(name).unwrap(),
    }
}
