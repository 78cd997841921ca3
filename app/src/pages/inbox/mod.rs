//! The agent inbox: conversation list, the open thread, live updates and window countdowns.
//! Both panes load once and then apply each live event to the row or message it concerns
//! ([`state`]).

mod bubble;
mod composer;
mod list;
#[cfg(feature = "hydrate")]
mod shortcuts;
mod state;
mod thread;

use super::frame::AppFrame;
use crate::api::{InboxQuery, InboxTab, conversation_thread, current_viewer, inbox_conversations};
use crate::live::{Incoming, on_event, use_live};
use crate::model::{ConversationStatus, Direction, LiveEvent};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use state::{ListState, ThreadState};

/// The list's filters, shared by the list's controls and its data.
#[derive(Clone, Copy)]
pub struct Filters {
    pub tab: RwSignal<InboxTab>,
    pub status: RwSignal<ConversationStatus>,
    pub search: RwSignal<String>,
    pub window_order: RwSignal<bool>,
}

#[component]
pub fn Inbox() -> impl IntoView {
    let live = use_live();
    let params = use_params_map();
    let selected = Memo::new(move |_| {
        params
            .read()
            .get("conversation_id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    let filters = Filters {
        tab: RwSignal::new(InboxTab::All),
        status: RwSignal::new(ConversationStatus::Open),
        search: RwSignal::new(String::new()),
        window_order: RwSignal::new(false),
    };
    let list = ListState::new();
    let thread = ThreadState::new();
    provide_context(thread);
    // Fetched when the filters change or the stream says `reset`, not on every event.
    let first_page = Resource::new(
        move || {
            let query = InboxQuery {
                tab: filters.tab.get(),
                status: filters.status.get(),
                search: filters.search.get(),
                window_order: filters.window_order.get(),
                cursor: None,
            };
            (query, live.reset.get())
        },
        |(query, _)| inbox_conversations(query),
    );
    let opened = Resource::new(
        move || (selected.get(), live.reset.get()),
        |(id, _)| async move {
            match id {
                Some(id) => conversation_thread(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    on_event(move |incoming| {
        let Incoming::Event(event) = incoming else {
            return; // a reset reloads both panes through their resources
        };
        let (conversation, message) = match &**event {
            LiveEvent::MessageCreated {
                conversation,
                message,
            }
            | LiveEvent::MessageUpdated {
                conversation,
                message,
            } => (conversation, Some(message)),
            LiveEvent::ConversationUpdated { conversation } => (conversation, None),
            LiveEvent::TemplateUpdated { .. } => return,
        };
        list.apply(conversation, filters, live.viewer.get_untracked());
        thread.update_conversation(conversation);
        if let Some(message) = message {
            thread.add(vec![message.clone()]);
            // A customer's new message in the thread the member is looking at is read.
            if message.direction == Direction::Inbound && thread.id() == Some(conversation.id) {
                thread::mark_read_if_seen(thread);
            }
        }
    });
    #[cfg(feature = "hydrate")]
    shortcuts::install(list, selected);
    let viewer = Resource::new(|| (), |_| current_viewer());
    Effect::new(move |_| {
        if let Some(Ok(Some(me))) = viewer.get() {
            live.viewer.set(Some(me.id.0));
        }
    });
    // The tab title carries the unread count, so a background tab shows new messages.
    let title = move || {
        let unread: i64 = list
            .rows
            .with(|rows| rows.values().map(|c| c.unread_count).sum());
        match unread {
            0 => "Inbox · Parley".to_owned(),
            n => format!("({n}) Inbox · Parley"),
        }
    };
    view! {
        <Title text=title />
        <AppFrame>
            <main class="inbox" class:thread-open=move || selected.get().is_some() aria-label="Inbox">
                <list::ConversationList first_page list filters selected clock=live.clock notify=live.notify />
                <thread::ThreadPane opened thread live />
            </main>
        </AppFrame>
    }
}
