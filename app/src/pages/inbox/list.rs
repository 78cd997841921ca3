//! The conversation list: tabs, filters, search, and one row per conversation, each kept
//! current by the live events that concern it.

use super::labels::LabelChip;
use super::state::ListState;
use super::{Filters, LabelCatalogue};
use crate::api::{AppError, InboxOrder, InboxQuery, InboxTab, inbox_conversations};
use crate::collaboration::Priority;
use crate::model::{ConversationPage, ConversationStatus, ConversationSummary};
use crate::pages::ErrorNotice;
use crate::window::{relative_time, window_status};
use leptos::prelude::*;

/// The name an agent knows a customer by.
pub fn display_name(conversation: &ConversationSummary) -> String {
    conversation.contact.display_name()
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
                            if let Ok(status) = event_target_value(&ev).parse::<ConversationStatus>() {
                                filters.status.set(status);
                            }
                        }
                    >
                        {ConversationStatus::ALL
                            .into_iter()
                            .map(|status| view! {
                                <option value=status.as_str() selected=move || filters.status.get() == status>{status.label()}</option>
                            })
                            .collect_view()}
                    </select>
                    <select
                        aria-label="Priority"
                        on:change=move |ev| filters.priority.set(event_target_value(&ev).parse::<Priority>().ok())
                    >
                        <option value="">"Any priority"</option>
                        {Priority::ALL
                            .into_iter()
                            .map(|p| view! {
                                <option value=p.as_str() selected=move || filters.priority.get() == Some(p)>{p.label()}</option>
                            })
                            .collect_view()}
                    </select>
                    <select
                        aria-label="Sort"
                        on:change=move |ev| filters.order.set(
                            InboxOrder::parse(&event_target_value(&ev)).unwrap_or_default(),
                        )
                    >
                        {[
                            (InboxOrder::LatestActivity, "Latest activity"),
                            (InboxOrder::WindowClosingSoonest, "Window closing soonest"),
                            (InboxOrder::HighestPriority, "Most urgent"),
                        ]
                            .into_iter()
                            .map(|(order, label)| view! {
                                <option value=order.as_str() selected=move || filters.order.get() == order>{label}</option>
                            })
                            .collect_view()}
                    </select>
                    <LabelFilter filters />
                    <TeamFilter filters />
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
                    prop:value=move || filters.search.get_untracked()
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
            <p class="shortcuts-hint">"Keys: j/k move · r reply · n note · l labels · s snooze · e resolve · a assign to me · / search · ? all keys"</p>
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
    let labels = move || {
        row.with(|row| {
            row.as_ref()
                .map(|row| row.labels.clone())
                .unwrap_or_default()
        })
    };
    let priority = move || row.with(|row| row.as_ref().map(|row| row.priority).unwrap_or_default());
    let status = move || row.with(|row| row.as_ref().map(|row| row.status));
    let closing_soon = move || {
        let now = clock.get();
        row.with(|row| row.as_ref().is_some_and(|row| row.window_closing_soon(now)))
    };
    let rating = move || {
        row.with(|row| {
            row.as_ref()
                .and_then(|row| row.csat.as_ref().map(|c| c.rating))
        })
    };
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
                <span class="row-tags">
                    {move || (priority() != Priority::None).then(|| view! {
                        <span class=format!("priority-badge priority-{}", priority().as_str())>{priority().label()}</span>
                    })}
                    {move || match status() {
                        Some(ConversationStatus::Snoozed) => Some(view! { <span class="status-badge">"💤 Snoozed"</span> }),
                        Some(ConversationStatus::Pending) => Some(view! { <span class="status-badge">"Pending"</span> }),
                        _ => None,
                    }}
                    {move || closing_soon().then(|| view! {
                        <span class="status-badge window-reminder" title="The customer is waiting and the window closes within the hour">
                            "⏰ Reply before the window closes"
                        </span>
                    })}
                    {move || rating().map(|rating| view! {
                        <span class="status-badge csat-badge" aria-label=format!("Rated {rating} of 5")>{format!("★ {rating}")}</span>
                    })}
                    {move || labels().into_iter().map(|name| view! { <LabelChip name /> }).collect_view()}
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
            order: filters.order.get_untracked(),
            priority: filters.priority.get_untracked(),
            labels: filters.labels.get_untracked(),
            team: filters.team.get_untracked(),
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

/// Filters by labels: each one chosen narrows the list to conversations carrying all of them.
#[component]
fn LabelFilter(filters: Filters) -> impl IntoView {
    let catalogue = use_context::<LabelCatalogue>().expect("the inbox provides its labels");
    let chosen = filters.labels;
    view! {
        <div class="label-filter">
            <select
                aria-label="Filter by label"
                prop:value=""
                on:change=move |ev| {
                    let name = event_target_value(&ev);
                    if !name.is_empty() && !chosen.with(|c| c.contains(&name)) {
                        chosen.update(|c| c.push(name));
                    }
                }
            >
                <option value="">"Label…"</option>
                <For each=move || catalogue.0.get() key=|label| label.id let:label>
                    <option value=label.name.to_string()>{label.name.to_string()}</option>
                </For>
            </select>
            <For each=move || chosen.get() key=|name| name.clone() let:name>
                {
                    let remove = name.clone();
                    view! {
                        <button
                            type="button"
                            class="filter-chip"
                            title="Remove this filter"
                            on:click=move |_| chosen.update(|c| c.retain(|n| *n != remove))
                        >
                            <LabelChip name />
                            " ✕"
                        </button>
                    }
                }
            </For>
        </div>
    }
}

/// One team's queue, the queues of the member's teams, or every conversation.
#[component]
fn TeamFilter(filters: Filters) -> impl IntoView {
    use crate::team::TeamScope;
    let catalogue = expect_context::<super::TeamCatalogue>();
    let chosen = move |value: &str| match filters.team.get() {
        None => value.is_empty(),
        Some(TeamScope::MyTeams) => value == "mine",
        Some(TeamScope::Team(id)) => value == id.to_string(),
    };
    // Drawn only once this component is live: the teams may arrive before a thread that loads
    // later hydrates, and hydration must find what the server drew (nothing).
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        let teams = catalogue.teams.get();
        (mounted.get() && !teams.is_empty()).then(|| {
            view! {
                <select
                    aria-label="Team"
                    on:change=move |ev| {
                        let raw = event_target_value(&ev);
                        filters.team.set(match raw.as_str() {
                            "" => None,
                            "mine" => Some(TeamScope::MyTeams),
                            id => id.parse().ok().map(TeamScope::Team),
                        });
                    }
                >
                    <option value="" selected=move || chosen("")>"Any team"</option>
                    <option value="mine" selected=move || chosen("mine")>"My teams"</option>
                    {teams
                        .into_iter()
                        .map(|team| {
                            let value = team.id.to_string();
                            let selected = value.clone();
                            view! { <option value=value selected=move || chosen(&selected)>{team.name}</option> }
                        })
                        .collect_view()}
                </select>
            }
        })
    }
}
