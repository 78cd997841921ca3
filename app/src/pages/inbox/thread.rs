//! The open conversation: header with the live window countdown and actions, the messages,
//! and the composer (which locks when the window closes).

use super::bubble::Bubble;
use super::composer::Composer;
use super::list::display_name;
use crate::api::{
    AppError, AssignTarget, Thread, assign_conversation, assignable_members, older_messages,
    set_conversation_status,
};
use crate::model::{ConversationStatus, ConversationSummary, MessageView, UserId};
use crate::pages::ErrorNotice;
use crate::window::{Urgency, window_status};
use leptos::prelude::*;

#[component]
pub fn ThreadPane(
    thread: Resource<Result<Option<Thread>, AppError>>,
    clock: RwSignal<i64>,
) -> impl IntoView {
    // The composer lives outside the Transition: live events re-render the thread, and a
    // draft, an attachment or a half-filled template must survive them. The open thread tells
    // it which conversation it serves and when that conversation's window closes.
    let open = OpenConversation {
        id: RwSignal::new(None),
        expires: RwSignal::new(None),
    };
    // Older pages outlive the live refreshes of the newest one, until another conversation
    // is opened.
    let earlier = Earlier::default();
    Effect::new(move |previous: Option<Option<i64>>| {
        let id = open.id.get();
        if previous.is_some_and(|previous| previous != id) {
            earlier.clear();
        }
        id
    });
    let closed =
        Signal::derive(move || window_status(open.expires.get(), clock.get()).1 == Urgency::Closed);
    let composer_for = Memo::new(move |_| open.id.get());
    view! {
        <section class="thread" aria-label="Conversation">
            <Transition fallback=|| view! { <p class="empty-state">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match thread.await {
                        Ok(Some(thread)) => view! { <OpenThread thread clock open earlier /> }.into_any(),
                        Ok(None) => {
                            Effect::new(move |_| open.set(None, None));
                            view! {
                                <p class="empty-state">"Select a conversation to read and reply."</p>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any()
                    }
                })}
            </Transition>
            {move || {
                composer_for
                    .get()
                    .map(|conversation_id| view! { <Composer conversation_id closed /> })
            }}
        </section>
    }
}

/// The older messages loaded above a thread's newest page, and where the next older page
/// starts (`None` before anything was loaded: the thread's own cursor applies).
#[derive(Clone, Copy)]
struct Earlier {
    messages: RwSignal<Vec<MessageView>>,
    cursor: RwSignal<Option<Option<String>>>,
    loading: RwSignal<bool>,
}

impl Default for Earlier {
    fn default() -> Self {
        Earlier {
            messages: RwSignal::new(Vec::new()),
            cursor: RwSignal::new(None),
            loading: RwSignal::new(false),
        }
    }
}

impl Earlier {
    fn clear(self) {
        self.messages.set(Vec::new());
        self.cursor.set(None);
    }

    /// Where the next older page starts, given the newest page's cursor.
    fn next(self, newest: Option<String>) -> Option<String> {
        self.cursor.get().unwrap_or(newest)
    }

    /// Loads the page before `before` and puts it above what is shown.
    fn load(self, id: i64, before: String) {
        if self.loading.get_untracked() {
            return;
        }
        self.loading.set(true);
        leptos::task::spawn_local(async move {
            match older_messages(id, before).await {
                Ok(page) => {
                    self.messages.update(|shown| {
                        let mut older = page.messages;
                        older.append(shown);
                        *shown = older;
                    });
                    self.cursor.set(Some(page.next_cursor));
                }
                Err(error) => leptos::logging::warn!("cannot load older messages: {error}"),
            }
            self.loading.set(false);
        });
    }
}

/// Which conversation the thread shows, for the composer below it.
#[derive(Clone, Copy)]
struct OpenConversation {
    id: RwSignal<Option<i64>>,
    expires: RwSignal<Option<i64>>,
}

impl OpenConversation {
    /// Changes only what changed, so an unchanged conversation re-renders nothing.
    fn set(self, id: Option<i64>, expires: Option<i64>) {
        if self.id.get_untracked() != id {
            self.id.set(id);
        }
        if self.expires.get_untracked() != expires {
            self.expires.set(expires);
        }
    }
}

/// Runs a server call from a click; the live event it causes refreshes the views.
fn act(call: impl std::future::Future<Output = Result<(), AppError>> + 'static) {
    leptos::task::spawn_local(async move {
        if let Err(error) = call.await {
            leptos::logging::warn!("action failed: {error}");
        }
    });
}

#[component]
fn OpenThread(
    thread: Thread,
    clock: RwSignal<i64>,
    open: OpenConversation,
    earlier: Earlier,
) -> impl IntoView {
    let conversation = thread.conversation.clone();
    let id = conversation.id;
    let name = display_name(&conversation);
    let expires = conversation.window_expires_at_ms();
    // After hydration (effects never run on the server), so the page hydrates as rendered.
    Effect::new(move |_| open.set(Some(id), expires));
    let window = move || window_status(expires, clock.get());
    let status = conversation.status;
    let assigned = conversation.assignee_id.is_some();
    let phone = conversation.contact.wa_id.clone().map(|w| format!("+{w}"));
    let username = conversation.contact.username.clone();
    // Copy handles, so the closures below are Copy too.
    let newest_cursor = StoredValue::new(thread.older_cursor.clone());
    let newest = thread.messages;
    let older_cursor = move || earlier.next(newest_cursor.get_value());
    let load_older = move || {
        if let Some(before) = older_cursor() {
            earlier.load(id, before);
        }
    };
    let timeline = move || {
        let mut all = earlier.messages.get();
        all.retain(|older| newest.iter().all(|m| m.id != older.id));
        all.extend(newest.iter().cloned());
        all
    };
    view! {
        <header class="thread-header">
            <div class="thread-who">
                <h2 dir="auto">{name}</h2>
                <p class="thread-meta">
                    {phone.unwrap_or_default()} " " {username.unwrap_or_default()}
                </p>
            </div>
            <div class=move || format!("countdown {}", window().1.class()) role="timer" aria-live="off">
                <span class="countdown-label">"Window"</span>
                <span class="countdown-value">{move || window().0}</span>
            </div>
            <div class="thread-actions">
                <AssigneePicker id assignee=conversation.assignee_id />
                {if assigned {
                    view! {
                        <button type="button" on:click=move |_| act(assign_conversation(id, AssignTarget::Nobody))>
                            "Unassign"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="button" on:click=move |_| act(assign_conversation(id, AssignTarget::Me))>
                            "Assign to me"
                        </button>
                    }
                        .into_any()
                }}
                {match status {
                    ConversationStatus::Open => {
                        view! {
                            <button
                                type="button"
                                on:click=move |_| act(set_conversation_status(id, ConversationStatus::Resolved))
                            >
                                "Resolve"
                            </button>
                        }
                            .into_any()
                    }
                    ConversationStatus::Resolved => {
                        view! {
                            <button
                                type="button"
                                on:click=move |_| act(set_conversation_status(id, ConversationStatus::Open))
                            >
                                "Reopen"
                            </button>
                        }
                            .into_any()
                    }
                }}
            </div>
        </header>
        <ContactPanel conversation=thread.conversation.clone() />
        <ol
            class="messages"
            aria-label="Messages"
            on:scroll=move |ev| {
                // Near the top: the older messages come in before the agent gets there.
                if event_target::<leptos::web_sys::Element>(&ev).scroll_top() < 80 {
                    load_older();
                }
            }
        >
            {move || {
                older_cursor()
                    .map(|_| {
                        view! {
                            <li class="day">
                                <button type="button" class="load-older" on:click=move |_| load_older()>
                                    {move || if earlier.loading.get() { "Loading…" } else { "Earlier messages" }}
                                </button>
                            </li>
                        }
                    })
            }}
            {move || {
                let all = timeline();
                day_groups(all.clone())
                    .into_iter()
                    .map(|(day, messages)| {
                        let all = all.clone();
                        view! {
                            <li class="day">
                                <span class="day-label">{day}</span>
                            </li>
                            {messages
                                .into_iter()
                                .map(|message| view! { <Bubble message thread=all.clone() /> })
                                .collect_view()}
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}

/// Messages grouped by calendar day (UTC), in order.
fn day_groups(messages: Vec<MessageView>) -> Vec<(String, Vec<MessageView>)> {
    let mut groups: Vec<(String, Vec<MessageView>)> = Vec::new();
    for message in messages {
        let day = message.created_at.get(..10).unwrap_or_default().to_owned();
        match groups.last_mut() {
            Some((current, list)) if *current == day => list.push(message),
            _ => groups.push((day, vec![message])),
        }
    }
    groups
}

/// Assign to any active member (or nobody).
#[component]
fn AssigneePicker(id: i64, assignee: Option<UserId>) -> impl IntoView {
    let members = Resource::new(|| (), |_| assignable_members());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let members = members.await.unwrap_or_default();
                view! {
                    <select
                        class="assignee"
                        aria-label="Assignee"
                        on:change=move |ev| {
                            let target = match event_target_value(&ev).parse::<i64>() {
                                Ok(member) => AssignTarget::Member(UserId(member)),
                                Err(_) => AssignTarget::Nobody,
                            };
                            act(assign_conversation(id, target));
                        }
                    >
                        <option value="" selected=assignee.is_none()>
                            "Unassigned"
                        </option>
                        {members
                            .into_iter()
                            .map(|member| {
                                let selected = assignee == Some(member.id);
                                view! {
                                    <option value=member.id.0.to_string() selected=selected>
                                        {member.name.to_string()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                }
            })}
        </Transition>
    }
}

/// Who the customer is, as far as WhatsApp tells.
#[component]
fn ContactPanel(conversation: ConversationSummary) -> impl IntoView {
    let contact = conversation.contact;
    let row = |label: &'static str, value: Option<String>| {
        value.map(|value| {
            view! {
                <div>
                    <dt>{label}</dt>
                    <dd dir="auto">{value}</dd>
                </div>
            }
        })
    };
    view! {
        <details class="contact-panel">
            <summary>"Contact details"</summary>
            <dl>
                {row("Name", contact.name)}
                {row("Phone", contact.wa_id.map(|w| format!("+{w}")))}
                {row("Username", contact.username)}
                {row("WhatsApp user id", contact.bsuid)}
                {row("Business number", Some(conversation.phone_number_id))}
            </dl>
        </details>
    }
}
