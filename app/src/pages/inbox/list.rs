//! The conversation list: tabs, filters, search, and one row per conversation, each kept
//! current by the live events that concern it.

use super::Filters;
use super::state::ListState;
use crate::api::{AppError, InboxQuery, InboxTab, inbox_conversations};
use crate::model::{ConversationPage, ConversationStatus, ConversationSummary};
use crate::pages::ErrorNotice;
use crate::window::{relative_time, window_status};
use leptos::prelude::*;

/// The name an agent knows a customer by.
pub fn display_name(conversation: &ConversationSummary) -> String {
    let contact = &conversation.contact;
    contact
        .name
        .clone()
        .or_else(|| contact.username.clone())
        .or_else(|| contact.wa_id.as_ref().map(|w| format!("+{w}")))
        .unwrap_or_else(|| "Unknown customer".into())
}

#[component]
pub fn ConversationList(
    first_page: Resource<Result<ConversationPage, AppError>>,
    list: ListState,
    filters: Filters,
    selected: Memo<Option<i64>>,
    clock: RwSignal<i64>,
    notify: RwSignal<bool>,
) -> impl IntoView {
    let toggle_notifications = move |_| {
        let on = !notify.get_untracked();
        #[cfg(feature = "hydrate")]
        crate::live::notifications::set(on);
        notify.set(on);
    };
    let tab_button = move |tab: InboxTab, label: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                aria-selected=move || (filters.tab.get() == tab).to_string()
                class:active=move || filters.tab.get() == tab
                on:click=move |_| filters.tab.set(tab)
            >
                {label}
            </button>
        }
    };
    view! {
        <section
            class="conversation-list"
            aria-label="Conversations"
            on:scroll=move |ev| {
                // Near the bottom: fetch the next page, as the button would.
                let list = event_target::<leptos::web_sys::HtmlElement>(&ev);
                let near_bottom = list.scroll_top() + list.client_height() + 200 >= list.scroll_height();
                if near_bottom
                    && let Some(button) = list.query_selector(".load-more:not([disabled])").ok().flatten()
                    && let Some(button) = leptos::wasm_bindgen::JsCast::dyn_ref::<leptos::web_sys::HtmlElement>(&button)
                {
                    button.click();
                }
            }
        >
            <div class="list-controls">
                <div class="tabs" role="tablist" aria-label="Assignment">
                    {tab_button(InboxTab::Mine, "Mine")}
                    {tab_button(InboxTab::Unassigned, "Unassigned")}
                    {tab_button(InboxTab::All, "All")}
                </div>
                <div class="list-filters">
                    <select
                        aria-label="Status"
                        on:change=move |ev| {
                            filters
                                .status
                                .set(
                                    if event_target_value(&ev) == "resolved" {
                                        ConversationStatus::Resolved
                                    } else {
                                        ConversationStatus::Open
                                    },
                                )
                        }
                    >
                        <option value="open">"Open"</option>
                        <option value="resolved">"Resolved"</option>
                    </select>
                    <select
                        aria-label="Sort"
                        on:change=move |ev| filters.window_order.set(event_target_value(&ev) == "window")
                    >
                        <option value="activity">"Latest activity"</option>
                        <option value="window">"Window closing soonest"</option>
                    </select>
                </div>
                <button
                    type="button"
                    class="notify-toggle"
                    aria-pressed=move || notify.get().to_string()
                    on:click=toggle_notifications
                >
                    {move || if notify.get() { "🔔 Notifications on" } else { "🔕 Notifications off" }}
                </button>
                <input
                    type="search"
                    class="search"
                    placeholder="Search name, phone or text"
                    aria-label="Search conversations"
                    on:input=move |ev| filters.search.set(event_target_value(&ev))
                />
            </div>
            <Transition fallback=|| view! { <p class="empty-state">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match first_page.await {
                        Ok(page) => {
                            list.replace(page);
                            view! { <Rows list selected clock /> <MorePages list filters /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="shortcuts-hint">"Keys: j/k move · r reply · e resolve · a assign to me · / search"</p>
        </section>
    }
}

#[component]
fn Rows(list: ListState, selected: Memo<Option<i64>>, clock: RwSignal<i64>) -> impl IntoView {
    view! {
        <Show
            when=move || list.order.with(|order| !order.is_empty())
            fallback=|| view! { <p class="empty-state">"No conversations here."</p> }
        >
            <ul class="rows">
                <For each=move || list.order.get() key=|id| *id let:id>
                    <Row id list selected clock />
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn Row(
    id: i64,
    list: ListState,
    selected: Memo<Option<i64>>,
    clock: RwSignal<i64>,
) -> impl IntoView {
    let row = list.row(id);
    let field = move |read: fn(&ConversationSummary) -> String| {
        move || row.with(|row| row.as_ref().map(read).unwrap_or_default())
    };
    let expires = move || {
        row.with(|row| {
            row.as_ref()
                .and_then(ConversationSummary::window_expires_at_ms)
        })
    };
    let last = move || row.with(|row| row.as_ref().map_or(0, |row| row.last_message_at.millis()));
    let unread = move || row.with(|row| row.as_ref().map_or(0, |row| row.unread_count));
    let window = move || window_status(expires(), clock.get());
    view! {
        <li>
            <a
                href=format!("/inbox/{id}")
                class="row"
                class:selected=move || selected.get() == Some(id)
                aria-current=move || (selected.get() == Some(id)).then_some("page")
            >
                <span class="row-top">
                    <span class="row-name" dir="auto">{field(display_name)}</span>
                    <time class="row-time">{move || relative_time(last(), clock.get())}</time>
                </span>
                <span class="row-bottom">
                    <span class="row-preview" dir="auto">
                        {field(|row| row.last_message_preview.clone().unwrap_or_default())}
                    </span>
                    <Show when=move || { unread() > 0 }>
                        <span class="unread" aria-label=move || format!("{} unread", unread())>{unread}</span>
                    </Show>
                    <span class=move || format!("window-badge {}", window().1.class()) title="Service window">
                        {move || window().0}
                    </span>
                </span>
            </a>
        </li>
    }
}

/// Pages after the first, fetched by keyset cursor as the agent scrolls (or presses the
/// button): each page costs the same however deep it is.
#[component]
fn MorePages(list: ListState, filters: Filters) -> impl IntoView {
    let loading = RwSignal::new(false);
    let load_more = move || {
        let Some(next) = list.next_cursor.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let query = InboxQuery {
            tab: filters.tab.get_untracked(),
            status: filters.status.get_untracked(),
            search: filters.search.get_untracked(),
            window_order: filters.window_order.get_untracked(),
            cursor: Some(next),
        };
        leptos::task::spawn_local(async move {
            if let Ok(page) = inbox_conversations(query).await {
                list.append(page);
            }
            loading.set(false);
        });
    };
    view! {
        <Show when=move || list.next_cursor.with(Option::is_some)>
            <button type="button" class="load-more" on:click=move |_| load_more() disabled=move || loading.get()>
                {move || if loading.get() { "Loading…" } else { "Load older conversations" }}
            </button>
        </Show>
    }
}
