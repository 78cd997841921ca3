//! The inbox's keyed state: the list's rows and the open thread's timeline (messages and
//! notes) and presence, loaded once and then kept current by applying each live event to the
//! one row, message or note it concerns.

use super::Filters;
use crate::api::{InboxOrder, InboxTab};
use crate::collaboration::{NoteView, PresenceView};
use crate::model::{ConversationPage, ConversationSummary, MessageView, UnixTime};
use leptos::prelude::*;
use std::collections::HashMap;

/// The conversation list: rows by id, and the order they are shown in.
#[derive(Clone, Copy)]
pub struct ListState {
    pub order: RwSignal<Vec<i64>>,
    pub rows: RwSignal<HashMap<i64, ConversationSummary>>,
    /// Where the next page starts; `None` once everything matching is loaded.
    pub next_cursor: RwSignal<Option<String>>,
    /// What live events brought in the last seconds: a page whose request was on its way while
    /// they arrived may predate them, so [`ListState::replace`] applies them again on top.
    recent: StoredValue<Vec<RecentUpdate>>,
}

/// A conversation as a live event brought it, and when.
#[derive(Clone)]
struct RecentUpdate {
    received_ms: i64,
    conversation: ConversationSummary,
    filters: Filters,
    viewer: Option<i64>,
}

/// How long a live update is kept for pages that may have missed it.
const RECENT_MS: i64 = 15_000;

/// How the list is sorted, as the server sorts it.
fn sort_key(conversation: &ConversationSummary, order: InboxOrder) -> (i64, i64, i64) {
    let latest = (-conversation.last_message_at.0, -conversation.id);
    match order {
        InboxOrder::LatestActivity => (0, latest.0, latest.1),
        InboxOrder::WindowClosingSoonest => (
            conversation.window_expires_at.map_or(i64::MAX, |w| w.0),
            conversation.id,
            0,
        ),
        InboxOrder::HighestPriority => (-conversation.priority.rank(), latest.0, latest.1),
    }
}

/// Whether a conversation belongs in the list the filters describe (text search aside: that
/// is the server's to judge).
fn matches(conversation: &ConversationSummary, filters: Filters, viewer: Option<i64>) -> bool {
    let tab = match filters.tab.get_untracked() {
        InboxTab::All => true,
        InboxTab::Mine => conversation.assignee_id.map(|a| a.0) == viewer,
        InboxTab::Unassigned => conversation.assignee_id.is_none(),
    };
    let labelled = filters.labels.with_untracked(|wanted| {
        wanted.iter().all(|label| {
            conversation
                .labels
                .iter()
                .any(|l| l.to_lowercase() == label.to_lowercase())
        })
    });
    let teamed = match filters.team.get_untracked() {
        None => true,
        Some(crate::team::TeamScope::Team(team)) => conversation.team_id == Some(team),
        Some(crate::team::TeamScope::MyTeams) => {
            use_context::<super::TeamCatalogue>().is_some_and(|teams| {
                conversation
                    .team_id
                    .is_some_and(|t| teams.mine.with_untracked(|mine| mine.contains(&t)))
            })
        }
    };
    tab && labelled
        && teamed
        && conversation.status == filters.status.get_untracked()
        && filters
            .priority
            .get_untracked()
            .is_none_or(|p| p == conversation.priority)
        && (filters.order.get_untracked() != InboxOrder::WindowClosingSoonest
            || conversation.window_expires_at.is_some())
}

impl ListState {
    pub fn new() -> Self {
        ListState {
            order: RwSignal::new(Vec::new()),
            rows: RwSignal::new(HashMap::new()),
            next_cursor: RwSignal::new(None),
            recent: StoredValue::new(Vec::new()),
        }
    }

    /// Shows this first page (and forgets the rows of an earlier filter).
    pub fn replace(&self, page: ConversationPage) {
        self.order
            .set(page.conversations.iter().map(|c| c.id).collect());
        self.rows
            .set(page.conversations.into_iter().map(|c| (c.id, c)).collect());
        self.next_cursor.set(page.next_cursor);
        // In the order they arrived: each conversation ends as its latest event left it.
        let now = crate::window::now_ms();
        let recent = self.recent.with_value(|recent| {
            recent
                .iter()
                .filter(|u| now - u.received_ms < RECENT_MS)
                .cloned()
                .collect::<Vec<_>>()
        });
        for update in recent {
            self.place(&update.conversation, update.filters, update.viewer);
        }
    }

    /// A contact's name changed: their rows say so.
    pub fn rename_contact(&self, contact_id: i64, name: Option<String>) {
        self.rows.update(|rows| {
            for row in rows.values_mut().filter(|r| r.contact.id == contact_id) {
                row.contact.name.clone_from(&name);
            }
        });
    }

    /// Adds the next page below what is shown.
    pub fn append(&self, page: ConversationPage) {
        self.rows.update(|rows| {
            self.order.update(|order| {
                for conversation in page.conversations {
                    if !rows.contains_key(&conversation.id) {
                        order.push(conversation.id);
                    }
                    rows.insert(conversation.id, conversation);
                }
            })
        });
        self.next_cursor.set(page.next_cursor);
    }

    /// One row, as it now stands.
    pub fn row(&self, id: i64) -> Memo<Option<ConversationSummary>> {
        let rows = self.rows;
        Memo::new(move |_| rows.with(|rows| rows.get(&id).cloned()))
    }

    /// The ids shown, in order (for the keyboard's j/k).
    #[cfg(feature = "hydrate")]
    pub fn ids(&self) -> Vec<i64> {
        self.order.get_untracked()
    }

    /// Applies a conversation as an event says it now stands: its row is updated, moved,
    /// added (when it belongs to what is loaded) or removed (when it no longer matches the
    /// filters).
    pub fn apply(&self, conversation: &ConversationSummary, filters: Filters, viewer: Option<i64>) {
        let now = crate::window::now_ms();
        self.recent.update_value(|recent| {
            recent.retain(|u| now - u.received_ms < RECENT_MS);
            recent.push(RecentUpdate {
                received_ms: now,
                conversation: conversation.clone(),
                filters,
                viewer,
            });
        });
        self.place(conversation, filters, viewer);
    }

    /// Puts the conversation where the filters say it belongs: its row updated, added in
    /// sort order, or removed.
    fn place(&self, conversation: &ConversationSummary, filters: Filters, viewer: Option<i64>) {
        let id = conversation.id;
        let order = filters.order.get_untracked();
        let present = self.rows.with_untracked(|rows| rows.contains_key(&id));
        if !matches(conversation, filters, viewer) {
            if present {
                self.rows.update(|rows| {
                    rows.remove(&id);
                });
                self.order.update(|order| order.retain(|i| *i != id));
            }
            return;
        }
        if !present {
            // Text search is the server's to judge; a row that sorts after the loaded ones
            // belongs to a later page.
            if !filters.search.get_untracked().trim().is_empty() {
                return;
            }
            let key = sort_key(conversation, order);
            let beyond_loaded = self.next_cursor.with_untracked(Option::is_some)
                && self.rows.with_untracked(|rows| {
                    let last = self.order.with_untracked(|o| o.last().copied());
                    last.and_then(|id| rows.get(&id))
                        .is_some_and(|last| key > sort_key(last, order))
                });
            if beyond_loaded {
                return;
            }
        }
        self.rows.update(|rows| {
            rows.insert(id, conversation.clone());
        });
        let rows = self.rows;
        self.order.update(|ids| {
            if !ids.contains(&id) {
                ids.push(id);
            }
            rows.with_untracked(|rows| {
                ids.sort_by_key(|id| rows.get(id).map(|c| sort_key(c, order)));
            });
        });
    }
}

/// One entry of a thread's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    Message(i64),
    Note(i64),
}

/// The open thread: its conversation, its timeline of messages and notes in time order, and
/// who else is in it.
#[derive(Clone, Copy)]
pub struct ThreadState {
    pub conversation: RwSignal<Option<ConversationSummary>>,
    pub order: RwSignal<Vec<Entry>>,
    pub messages: RwSignal<HashMap<i64, MessageView>>,
    pub notes: RwSignal<HashMap<i64, NoteView>>,
    pub presence: RwSignal<Vec<PresenceView>>,
    /// Where the older messages start; `None` at the conversation's start.
    pub older_cursor: RwSignal<Option<String>>,
    pub loading_older: RwSignal<bool>,
}

impl ThreadState {
    pub fn new() -> Self {
        ThreadState {
            conversation: RwSignal::new(None),
            order: RwSignal::new(Vec::new()),
            messages: RwSignal::new(HashMap::new()),
            notes: RwSignal::new(HashMap::new()),
            presence: RwSignal::new(Vec::new()),
            older_cursor: RwSignal::new(None),
            loading_older: RwSignal::new(false),
        }
    }

    /// Shows this conversation with its newest messages, its notes and who is in it.
    pub fn open(&self, thread: crate::api::Thread) {
        self.conversation.set(Some(thread.conversation));
        self.messages.set(HashMap::new());
        self.notes.set(HashMap::new());
        self.order.set(Vec::new());
        self.presence.set(thread.presence);
        self.add(thread.messages);
        self.add_notes(thread.notes);
        self.older_cursor.set(thread.older_cursor);
    }

    pub fn close(&self) {
        self.conversation.set(None);
        self.messages.set(HashMap::new());
        self.notes.set(HashMap::new());
        self.order.set(Vec::new());
        self.presence.set(Vec::new());
        self.older_cursor.set(None);
    }

    pub fn id(&self) -> Option<i64> {
        self.conversation
            .with_untracked(|c| c.as_ref().map(|c| c.id))
    }

    /// Adds or replaces messages (of the open conversation), keeping time order. For live
    /// events, which arrive in the order the server wrote them.
    pub fn add(&self, messages: Vec<MessageView>) {
        self.insert(messages, true);
    }

    /// Adds messages fetched by a request (a page, a send's answer) that live events have not
    /// already brought: an event that came first carries a later state of the same message.
    pub fn add_if_new(&self, messages: Vec<MessageView>) {
        self.insert(messages, false);
    }

    fn insert(&self, messages: Vec<MessageView>, replace: bool) {
        let open = self.id();
        let messages: Vec<MessageView> = messages
            .into_iter()
            .filter(|m| Some(m.conversation_id) == open)
            .collect();
        if messages.is_empty() {
            return;
        }
        self.messages.update(|stored| {
            self.order.update(|order| {
                for message in messages {
                    if !stored.contains_key(&message.id) {
                        order.push(Entry::Message(message.id));
                    } else if !replace {
                        continue;
                    }
                    stored.insert(message.id, message);
                }
            })
        });
        self.sort();
    }

    /// Adds notes of the open conversation (a note never changes once written).
    pub fn add_notes(&self, notes: Vec<NoteView>) {
        let open = self.id();
        let notes: Vec<NoteView> = notes
            .into_iter()
            .filter(|n| Some(n.conversation_id) == open)
            .collect();
        if notes.is_empty() {
            return;
        }
        self.notes.update(|stored| {
            self.order.update(|order| {
                for note in notes {
                    if let std::collections::hash_map::Entry::Vacant(slot) = stored.entry(note.id) {
                        order.push(Entry::Note(note.id));
                        slot.insert(note);
                    }
                }
            })
        });
        self.sort();
    }

    fn sort(&self) {
        let (messages, notes) = (self.messages, self.notes);
        self.order.update(|order| {
            messages.with_untracked(|messages| {
                notes.with_untracked(|notes| {
                    order.sort_by_key(|entry| match entry {
                        Entry::Message(id) => (
                            messages.get(id).map_or(UnixTime(0), |m| m.created_at),
                            0,
                            *id,
                        ),
                        Entry::Note(id) => {
                            (notes.get(id).map_or(UnixTime(0), |n| n.created_at), 1, *id)
                        }
                    })
                })
            })
        });
    }

    /// When an entry happened.
    pub fn at(&self, entry: Entry) -> Option<UnixTime> {
        match entry {
            Entry::Message(id) => self.messages.with(|m| m.get(&id).map(|m| m.created_at)),
            Entry::Note(id) => self.notes.with(|n| n.get(&id).map(|n| n.created_at)),
        }
    }

    /// The timeline as shown: notes written before the oldest loaded message wait until the
    /// older messages around them are loaded.
    pub fn shown(&self) -> Vec<Entry> {
        let order = self.order.get();
        if self.older_cursor.with(Option::is_none) {
            return order;
        }
        let first_message = order
            .iter()
            .find(|e| matches!(e, Entry::Message(_)))
            .and_then(|e| self.at(*e));
        order
            .into_iter()
            .filter(|entry| match (entry, first_message) {
                (Entry::Note(_), Some(first)) => self.at(*entry).is_some_and(|at| at >= first),
                _ => true,
            })
            .collect()
    }

    /// The newest message shown (what a reply answers, for the collision check).
    pub fn newest_message_id(&self) -> Option<i64> {
        self.messages
            .with_untracked(|messages| messages.keys().max().copied())
    }

    /// A contact's name changed: the open thread's header says so if it is theirs.
    pub fn rename_contact(&self, contact_id: i64, name: Option<String>) {
        self.conversation.update(|open| {
            if let Some(open) = open.as_mut().filter(|c| c.contact.id == contact_id) {
                open.contact.name = name;
            }
        });
    }

    /// The conversation as an event says it now stands (when it is the open one).
    pub fn update_conversation(&self, conversation: &ConversationSummary) {
        if self.id() == Some(conversation.id) {
            self.conversation.set(Some(conversation.clone()));
        }
    }

    /// A member came, went or started typing (in the open conversation).
    pub fn apply_presence(&self, presence: &PresenceView) {
        if self.id() != Some(presence.conversation_id) {
            return;
        }
        self.presence.update(|present| {
            present.retain(|p| p.member.id != presence.member.id);
            if presence.activity.is_some() {
                present.push(presence.clone());
            }
        });
    }

    /// One message, as it now stands.
    pub fn message(&self, id: i64) -> Memo<Option<MessageView>> {
        let messages = self.messages;
        Memo::new(move |_| messages.with(|m| m.get(&id).cloned()))
    }

    /// One note.
    pub fn note(&self, id: i64) -> Option<NoteView> {
        self.notes.with_untracked(|n| n.get(&id).cloned())
    }

    /// What each quoted wamid says, for quotes inside replies.
    pub fn quotes(&self) -> Memo<HashMap<String, String>> {
        let messages = self.messages;
        Memo::new(move |_| {
            messages.with(|messages| {
                messages
                    .values()
                    .filter_map(|m| {
                        let text = m.text.clone().unwrap_or_else(|| format!("[{}]", m.kind));
                        Some((m.wamid.clone()?, text))
                    })
                    .collect()
            })
        })
    }
}
