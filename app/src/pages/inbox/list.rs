//! The conversation list: tabs, filters, search, and one row per conversation.

use super::Filters;
use crate::api::{AppError, InboxTab};
use crate::model::{ConversationPage, ConversationStatus, ConversationSummary};
use crate::window::{relative_time, rfc3339_millis, window_status};
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
    conversations: Resource<Result<ConversationPage, AppError>>,
    filters: Filters,
    selected: Memo<Option<i64>>,
    clock: RwSignal<i64>,
) -> impl IntoView {
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
        <section class="conversation-list" aria-label="Conversations">
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
                    match conversations.await {
                        Ok(page) if page.conversations.is_empty() => {
                            view! { <p class="empty-state">"No conversations here."</p> }.into_any()
                        }
                        Ok(page) => {
                            view! {
                                <ul class="rows">
                                    {page
                                        .conversations
                                        .into_iter()
                                        .map(|c| view! { <Row conversation=c selected clock /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {error.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <p class="shortcuts-hint">"Keys: j/k move · r reply · e resolve · a assign to me · / search"</p>
        </section>
    }
}

#[component]
fn Row(
    conversation: ConversationSummary,
    selected: Memo<Option<i64>>,
    clock: RwSignal<i64>,
) -> impl IntoView {
    let id = conversation.id;
    let name = display_name(&conversation);
    let expires = conversation
        .window_expires_at
        .as_deref()
        .and_then(rfc3339_millis);
    let last = rfc3339_millis(&conversation.last_message_at).unwrap_or_default();
    let window = move || window_status(expires, clock.get());
    let unread = conversation.unread_count;
    view! {
        <li>
            <a
                href=format!("/inbox/{id}")
                class="row"
                class:selected=move || selected.get() == Some(id)
                aria-current=move || (selected.get() == Some(id)).then_some("page")
            >
                <span class="row-top">
                    <span class="row-name" dir="auto">{name}</span>
                    <time class="row-time">{move || relative_time(last, clock.get())}</time>
                </span>
                <span class="row-bottom">
                    <span class="row-preview" dir="auto">
                        {conversation.last_message_preview.clone().unwrap_or_default()}
                    </span>
                    <Show when=move || { unread > 0 }>
                        <span class="unread" aria-label=format!("{unread} unread")>{unread}</span>
                    </Show>
                    <span class=move || format!("window-badge {}", window().1.class()) title="Service window">
                        {move || window().0}
                    </span>
                </span>
            </a>
        </li>
    }
}
