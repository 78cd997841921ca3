//! The agent inbox: conversation list, the open thread, live updates and window countdowns.

mod bubble;
mod composer;
mod list;
#[cfg(feature = "hydrate")]
mod shortcuts;
mod thread;

use super::frame::AppFrame;
use crate::api::{InboxQuery, InboxTab, conversation_thread, current_viewer, inbox_conversations};
use crate::live::use_live;
use crate::model::ConversationStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

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
    let conversations = Resource::new(
        move || {
            let query = InboxQuery {
                tab: filters.tab.get(),
                status: filters.status.get(),
                search: filters.search.get(),
                window_order: filters.window_order.get(),
                cursor: None,
            };
            (query, live.tick.get())
        },
        |(query, _)| inbox_conversations(query),
    );
    let thread = Resource::new(
        move || (selected.get(), live.tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => conversation_thread(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    #[cfg(feature = "hydrate")]
    shortcuts::install(conversations, selected);
    let viewer = Resource::new(|| (), |_| current_viewer());
    Effect::new(move |_| {
        if let Some(Ok(Some(me))) = viewer.get() {
            live.viewer.set(Some(me.id.0));
        }
    });
    // The tab title carries the unread count, so a background tab shows new messages.
    let title = move || {
        Suspend::new(async move {
            let unread = conversations.await.map(|page| {
                page.conversations
                    .iter()
                    .map(|c| c.unread_count)
                    .sum::<i64>()
            });
            let text = match unread {
                Ok(0) | Err(_) => "Inbox · Parley".to_owned(),
                Ok(n) => format!("({n}) Inbox · Parley"),
            };
            view! { <Title text=text /> }
        })
    };
    view! {
        <Transition fallback=|| view! { <Title text="Inbox · Parley" /> }>{title}</Transition>
        <AppFrame>
            <main class="inbox" class:thread-open=move || selected.get().is_some() aria-label="Inbox">
                <list::ConversationList conversations filters selected clock=live.clock notify=live.notify />
                <thread::ThreadPane thread clock=live.clock />
            </main>
        </AppFrame>
    }
}
