//! The open conversation: header with the live window countdown and actions, the messages
//! (kept current message by message), and the composer (which locks when the window closes).

use super::Commands;
use super::bubble::Bubble;
use super::composer::Composer;
use super::labels::LabelBar;
use super::list::display_name;
use super::notes::NoteBubble;
use super::state::{Entry, ThreadState};
use super::status::{self, PresenceLine, StatusControls};
use crate::api::{
    AppError, AssignTarget, ConversationUpdate, Thread, assignable_members, mark_read,
    older_messages, update_conversation,
};
use crate::live::Live;
use crate::model::{ConversationStatus, ConversationSummary, UserId};
use crate::pages::ErrorNotice;
use crate::pages::contacts::ContactSidePanel;
use crate::time::{day_label, day_of};
use crate::window::{Urgency, window_status};
use leptos::prelude::*;

#[component]
pub fn ThreadPane(
    opened: Resource<Result<Option<Thread>, AppError>>,
    thread: ThreadState,
    live: Live,
) -> impl IntoView {
    // The composer lives outside the Transition: a draft, an attachment or a half-filled
    // template must survive a reload of the thread. The open thread tells it which
    // conversation it serves and when that conversation's window closes.
    let open_id = Memo::new(move |_| thread.conversation.with(|c| c.as_ref().map(|c| c.id)));
    let expires = Memo::new(move |_| {
        thread.conversation.with(|c| {
            c.as_ref()
                .and_then(ConversationSummary::window_expires_at_ms)
        })
    });
    let closed =
        Signal::derive(move || window_status(expires.get(), live.clock.get()).1 == Urgency::Closed);
    // The open thread is known once the Transition's data has arrived, which a streamed page
    // may deliver after hydration began: the composer is drawn once the page is live, so the
    // server's HTML and hydration never disagree about it.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <section class="thread" aria-label="Conversation">
            <Transition fallback=|| view! { <p class="empty-state">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match opened.await {
                        Ok(Some(opened)) => {
                            thread.open(opened);
                            view! { <OpenThread thread live /> }.into_any()
                        }
                        Ok(None) => {
                            thread.close();
                            view! {
                                <p class="empty-state">"Select a conversation to read and reply."</p>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            {move || {
                let open = open_id.get().filter(|_| mounted.get());
                open.map(|conversation_id| view! { <Composer conversation_id closed /> })
            }}
        </section>
    }
}

/// Runs a server call from a click; the live event it causes updates the views.
fn act<T: 'static>(call: impl std::future::Future<Output = Result<T, AppError>> + 'static) {
    leptos::task::spawn_local(async move {
        if let Err(error) = call.await {
            leptos::logging::warn!("action failed: {error}");
        }
    });
}

/// Marks the open conversation read when it has unread messages and the member is looking
/// at it (an explicit action: opening a thread does not do it by itself).
pub fn mark_read_if_seen(thread: ThreadState) {
    let unread = thread
        .conversation
        .with_untracked(|c| c.as_ref().map(|c| (c.id, c.unread_count)));
    if let Some((id, unread)) = unread
        && unread > 0
        && crate::live::focused()
    {
        act(mark_read(id));
    }
}

#[component]
fn OpenThread(thread: ThreadState, live: Live) -> impl IntoView {
    let commands = use_context::<Commands>().expect("the inbox provides its commands");
    let conversation = move || thread.conversation.get();
    let id = thread.id().unwrap_or_default();
    // After hydration (effects never run on the server): the member sees it now.
    Effect::new(move |_| mark_read_if_seen(thread));
    status::announce_viewing(id);
    // Arriving from a notification: show the note it is about.
    Effect::new(move |_| scroll_to_hash());
    let expires = move || {
        thread.conversation.with(|c| {
            c.as_ref()
                .and_then(ConversationSummary::window_expires_at_ms)
        })
    };
    let window = move || window_status(expires(), live.clock.get());
    let assignee = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().and_then(|c| c.assignee_id))
    });
    let status = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().map_or(ConversationStatus::Open, |c| c.status))
    });
    let snoozed_until = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().and_then(|c| c.snoozed_until))
    });
    let priority = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().map(|c| c.priority).unwrap_or_default())
    });
    let labels = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().map(|c| c.labels.clone()).unwrap_or_default())
    });
    let team = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().and_then(|c| c.team_id))
    });
    let load_older = move || {
        let Some(before) = thread.older_cursor.get_untracked() else {
            return;
        };
        if thread.loading_older.get_untracked() {
            return;
        }
        thread.loading_older.set(true);
        leptos::task::spawn_local(async move {
            match older_messages(id, before).await {
                Ok(page) => {
                    thread.add_if_new(page.messages);
                    thread.older_cursor.set(page.next_cursor);
                }
                Err(error) => leptos::logging::warn!("cannot load older messages: {error}"),
            }
            thread.loading_older.set(false);
        });
    };
    let quotes = thread.quotes();
    // The panel is redrawn only when the customer changes (it stays open otherwise).
    let contact_id = Memo::new(move |_| {
        thread
            .conversation
            .with(|c| c.as_ref().map(|c| c.contact.id))
    });
    let days = Memo::new(move |_| {
        let local = live.local_time.get();
        day_groups(thread, &thread.shown(), local)
    });
    view! {
        <header class="thread-header">
            <div class="thread-who">
                <h2 dir="auto">{move || conversation().as_ref().map(display_name)}</h2>
                <p class="thread-meta">
                    {move || conversation().and_then(|c| c.contact.wa_id).map(|w| format!("+{w}")).unwrap_or_default()}
                    " "
                    {move || conversation().and_then(|c| c.contact.username).unwrap_or_default()}
                </p>
            </div>
            <div class=move || format!("countdown {}", window().1.class()) role="timer" aria-live="off">
                <span class="countdown-label">"Window"</span>
                <span class="countdown-value">{move || window().0}</span>
            </div>
            <div class="thread-actions">
                <TeamPicker id team />
                <AssigneePicker id assignee />
                {move || if assignee.get().is_some() {
                    view! {
                        <button type="button" on:click=move |_| act(update_conversation(id, ConversationUpdate::assign(AssignTarget::Nobody)))>
                            "Unassign"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="button" on:click=move |_| act(update_conversation(id, ConversationUpdate::assign(AssignTarget::Me)))>
                            "Assign to me"
                        </button>
                    }
                        .into_any()
                }}
                <StatusControls id status snoozed_until priority panel=commands.panel live />
            </div>
            <LabelBar id labels panel=commands.panel />
            <CsatLine thread />
            <PresenceLine thread live />
        </header>
        {move || contact_id.get().map(|contact_id| view! { <ContactSidePanel contact_id /> })}
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
            <Show when=move || thread.older_cursor.with(Option::is_some)>
                <li class="day">
                    <button type="button" class="load-older" on:click=move |_| load_older()>
                        {move || if thread.loading_older.get() { "Loading…" } else { "Earlier messages" }}
                    </button>
                </li>
            </Show>
            <For each=move || days.with(|days| days.iter().map(|(day, _)| *day).collect::<Vec<_>>()) key=|day| *day let:day>
                {
                    let entries = move || {
                        days.with(|days| {
                            days.iter().find(|(d, _)| *d == day).map(|(_, entries)| entries.clone()).unwrap_or_default()
                        })
                    };
                    let label = move || {
                        let first = entries().first().copied();
                        first
                            .and_then(|entry| thread.at(entry))
                            .map(|at| day_label(at, live.clock.get(), live.local_time.get()))
                            .unwrap_or_default()
                    };
                    view! {
                        <li class="day">
                            <span class="day-label">{label}</span>
                        </li>
                        <For each=entries key=|entry| *entry let:entry>
                            {match entry {
                                Entry::Message(id) => view! { <Bubble message=thread.message(id) quotes live /> }.into_any(),
                                Entry::Note(id) => thread
                                    .note(id)
                                    .map(|note| view! { <NoteBubble note live /> }.into_any())
                                    .unwrap_or_else(|| ().into_any()),
                            }}
                        </For>
                    }
                }
            </For>
        </ol>
    }
}

/// Scrolls to the element the address's `#fragment` names (a note, from a notification).
fn scroll_to_hash() {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let hash = window.location().hash().unwrap_or_default();
        if let Some(id) = hash.strip_prefix('#').filter(|id| !id.is_empty())
            && let Some(element) = window.document().and_then(|d| d.get_element_by_id(id))
        {
            element.scroll_into_view();
            let _ = element.class_list().add_1("flash");
        }
    }
}

/// Timeline entries grouped by the calendar day they fall on (in the member's zone once
/// known).
fn day_groups(thread: ThreadState, entries: &[Entry], local: bool) -> Vec<(i64, Vec<Entry>)> {
    let mut groups: Vec<(i64, Vec<Entry>)> = Vec::new();
    for entry in entries {
        let Some(at) = thread.at(*entry) else {
            continue;
        };
        let day = day_of(at, local);
        match groups.last_mut() {
            Some((current, ids)) if *current == day => ids.push(*entry),
            _ => groups.push((day, vec![*entry])),
        }
    }
    groups
}

/// Which team's queue the conversation is in (once there are teams). Drawn once this
/// component is live, from the inbox's team catalogue (no resource of its own, which would
/// shift the page's resource ids during hydration).
#[component]
fn TeamPicker(id: i64, team: Memo<Option<i64>>) -> impl IntoView {
    let catalogue = expect_context::<super::TeamCatalogue>();
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        let teams = catalogue.teams.get();
        (mounted.get() && !teams.is_empty()).then(|| {
            view! {
                <select
                    class="team"
                    aria-label="Team"
                    on:change=move |ev| {
                        let team = event_target_value(&ev).parse::<i64>().ok();
                        let update = ConversationUpdate { team: Some(team), ..ConversationUpdate::default() };
                        act(update_conversation(id, update));
                    }
                >
                    <option value="" selected=move || team.get().is_none()>"No team"</option>
                    {teams
                        .into_iter()
                        .map(|t| {
                            let team_id = t.id;
                            view! {
                                <option value=t.id.to_string() selected=move || team.get() == Some(team_id)>
                                    {t.name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            }
        })
    }
}

/// Assign to any active member (or nobody).
#[component]
fn AssigneePicker(id: i64, assignee: Memo<Option<UserId>>) -> impl IntoView {
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
                            act(update_conversation(id, ConversationUpdate::assign(target)));
                        }
                    >
                        <option value="" selected=move || assignee.get().is_none()>
                            "Unassigned"
                        </option>
                        {members
                            .into_iter()
                            .map(|member| {
                                let member_id = member.id;
                                view! {
                                    <option
                                        value=member.id.0.to_string()
                                        selected=move || assignee.get() == Some(member_id)
                                    >
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

/// The customer's rating of the conversation and their comment, once rated. Drawn once this
/// component is live (like the team picker): nothing of it is in the server's HTML, so
/// hydration never has to match it.
#[component]
fn CsatLine(thread: ThreadState) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        let csat = thread
            .conversation
            .with(|c| c.as_ref().and_then(|c| c.csat.clone()))
            .filter(|_| mounted.get())?;
        let label = format!("The customer rated this conversation {} of 5", csat.rating);
        let comment = csat
            .comment
            .map(|comment| format!(" — “{comment}”"))
            .unwrap_or_default();
        Some(view! {
            <p class="csat-line" aria-label=label>
                {format!("Customer's rating: {}{comment}", stars(csat.rating))}
            </p>
        })
    }
}

/// A rating as five stars, filled up to it.
fn stars(rating: u8) -> String {
    let filled = usize::from(rating.min(5));
    format!("{}{}", "★".repeat(filled), "☆".repeat(5 - filled))
}
