//! The inbox's keyed state: the list's rows and the open thread's messages, loaded once and
//! then kept current by applying each live event to the one row or message it concerns.

use super::Filters;
use crate::api::InboxTab;
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
}

/// How the list is sorted.
fn sort_key(conversation: &ConversationSummary, window_order: bool) -> (i64, i64) {
    if window_order {
        (
            conversation.window_expires_at.map_or(i64::MAX, |w| w.0),
            conversation.id,
        )
    } else {
        (-conversation.last_message_at.0, -conversation.id)
    }
}

impl ListState {
    pub fn new() -> Self {
        ListState {
            order: RwSignal::new(Vec::new()),
            rows: RwSignal::new(HashMap::new()),
            next_cursor: RwSignal::new(None),
        }
    }

    /// Shows this first page (and forgets the rows of an earlier filter).
    pub fn replace(&self, page: ConversationPage) {
        self.order
            .set(page.conversations.iter().map(|c| c.id).collect());
        self.rows
            .set(page.conversations.into_iter().map(|c| (c.id, c)).collect());
        self.next_cursor.set(page.next_cursor);
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
        let id = conversation.id;
        let window_order = filters.window_order.get_untracked();
        let matches = match filters.tab.get_untracked() {
            InboxTab::All => true,
            InboxTab::Mine => conversation.assignee_id.map(|a| a.0) == viewer,
            InboxTab::Unassigned => conversation.assignee_id.is_none(),
        } && conversation.status == filters.status.get_untracked()
            && (!window_order || conversation.window_expires_at.is_some());
        let present = self.rows.with_untracked(|rows| rows.contains_key(&id));
        if !matches {
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
            let key = sort_key(conversation, window_order);
            let beyond_loaded = self.next_cursor.with_untracked(Option::is_some)
                && self.rows.with_untracked(|rows| {
                    let last = self.order.with_untracked(|o| o.last().copied());
                    last.and_then(|id| rows.get(&id))
                        .is_some_and(|last| key > sort_key(last, window_order))
                });
            if beyond_loaded {
                return;
            }
        }
        self.rows.update(|rows| {
            rows.insert(id, conversation.clone());
        });
        let rows = self.rows;
        self.order.update(|order| {
            if !order.contains(&id) {
                order.push(id);
            }
            rows.with_untracked(|rows| {
                order.sort_by_key(|id| rows.get(id).map(|c| sort_key(c, window_order)));
            });
        });
    }
}

/// The open thread: its conversation, and its messages by id in time order.
#[derive(Clone, Copy)]
pub struct ThreadState {
    pub conversation: RwSignal<Option<ConversationSummary>>,
    pub order: RwSignal<Vec<i64>>,
    pub messages: RwSignal<HashMap<i64, MessageView>>,
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
            older_cursor: RwSignal::new(None),
            loading_older: RwSignal::new(false),
        }
    }

    /// Shows this conversation and its newest messages.
    pub fn open(
        &self,
        conversation: ConversationSummary,
        messages: Vec<MessageView>,
        older: Option<String>,
    ) {
        self.conversation.set(Some(conversation));
        self.messages.set(HashMap::new());
        self.order.set(Vec::new());
        self.add(messages);
        self.older_cursor.set(older);
    }

    pub fn close(&self) {
        self.conversation.set(None);
        self.messages.set(HashMap::new());
        self.order.set(Vec::new());
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
                        order.push(message.id);
                    } else if !replace {
                        continue;
                    }
                    stored.insert(message.id, message);
                }
                order.sort_by_key(|id| {
                    stored
                        .get(id)
                        .map_or((UnixTime(0), *id), |m| (m.created_at, m.id))
                });
            })
        });
    }

    /// The conversation as an event says it now stands (when it is the open one).
    pub fn update_conversation(&self, conversation: &ConversationSummary) {
        if self.id() == Some(conversation.id) {
            self.conversation.set(Some(conversation.clone()));
        }
    }

    /// One message, as it now stands.
    pub fn message(&self, id: i64) -> Memo<Option<MessageView>> {
        let messages = self.messages;
        Memo::new(move |_| messages.with(|m| m.get(&id).cloned()))
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
