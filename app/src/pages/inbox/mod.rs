//! The agent inbox: conversation list, the open thread with its notes and who else is in it,
//! live updates and window countdowns. Both panes load once and then apply each live event to
//! the row, message or note it concerns ([`state`]).

mod bubble;
mod composer;
mod labels;
mod list;
mod notes;
mod pickers;
#[cfg(feature = "hydrate")]
mod shortcuts;
mod state;
mod status;
mod template_picker;
mod thread;

use super::frame::AppFrame;
use crate::api::{
    InboxOrder, InboxQuery, InboxTab, conversation_thread, current_viewer, inbox_conversations,
    labels as list_labels,
};
use crate::collaboration::{LabelView, Priority};
use crate::live::{Incoming, on_event, use_live};
use crate::model::{ConversationStatus, Direction, LiveEvent, Viewer};
use crate::team::{TeamScope, TeamView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use state::{ListState, ThreadState};

/// The list's filters, shared by the list's controls and its data.
#[derive(Clone, Copy)]
pub struct Filters {
    pub tab: RwSignal<InboxTab>,
    pub status: RwSignal<ConversationStatus>,
    pub search: RwSignal<String>,
    pub order: RwSignal<InboxOrder>,
    pub priority: RwSignal<Option<Priority>>,
    /// Label names: conversations carrying all of them.
    pub labels: RwSignal<Vec<String>>,
    /// One team's queue, or those of the member's teams.
    pub team: RwSignal<Option<TeamScope>>,
}

impl Filters {
    /// The filters an address asks for (`/inbox?status=pending&label=vip,refund&order=priority`,
    /// as the REST list takes them), so that a filtered inbox can be bookmarked and shared.
    fn from_address(query: &leptos_router::params::ParamsMap) -> Filters {
        let get = |key: &str| query.get(key).filter(|value| !value.is_empty());
        Filters {
            tab: RwSignal::new(
                get("filter")
                    .and_then(|raw| InboxTab::parse(&raw))
                    .unwrap_or(InboxTab::All),
            ),
            status: RwSignal::new(
                get("status")
                    .and_then(|raw| raw.parse().ok())
                    .unwrap_or(ConversationStatus::Open),
            ),
            search: RwSignal::new(get("q").unwrap_or_default()),
            order: RwSignal::new(
                get("order")
                    .and_then(|raw| InboxOrder::parse(&raw))
                    .unwrap_or_default(),
            ),
            priority: RwSignal::new(get("priority").and_then(|raw| raw.parse().ok())),
            labels: RwSignal::new(
                get("label")
                    .map(|raw| {
                        raw.split(',')
                            .map(str::trim)
                            .filter(|name| !name.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            team: RwSignal::new(get("team").and_then(|raw| match raw.as_str() {
                "mine" => Some(TeamScope::MyTeams),
                id => id.parse().ok().map(TeamScope::Team),
            })),
        }
    }
}

/// The labels admins defined, kept current by `labels.changed` events (for chip colours, the
/// label filter and the picker).
#[derive(Clone, Copy)]
pub struct LabelCatalogue(pub RwSignal<Vec<LabelView>>);

impl LabelCatalogue {
    /// A label by name (any case).
    pub fn find(&self, name: &str) -> Option<LabelView> {
        let key = name.to_lowercase();
        self.0
            .with(|labels| labels.iter().find(|l| l.name.key() == key).cloned())
    }
}

/// The teams, and which of them the signed-in member is in (the team filter, the thread's
/// team picker, and "my teams" as live events arrive). Fetched once the page is live, not as
/// a resource: the pickers appear after hydration and cannot disturb it.
#[derive(Clone, Copy)]
pub struct TeamCatalogue {
    pub teams: RwSignal<Vec<TeamView>>,
    pub mine: RwSignal<Vec<i64>>,
}

/// The signed-in member, once known.
#[derive(Clone, Copy)]
pub struct Me(pub RwSignal<Option<Viewer>>);

/// Which panel of the thread's tools is open (the keyboard opens them too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Labels,
    Snooze,
}

/// What the keyboard asks of the thread and composer.
#[derive(Clone, Copy)]
pub struct Commands {
    /// The composer writes a note instead of a reply.
    pub note_mode: RwSignal<bool>,
    pub panel: RwSignal<Option<Panel>>,
    pub help: RwSignal<bool>,
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
    let filters = Filters::from_address(&use_query_map().get_untracked());
    let list = ListState::new();
    let thread = ThreadState::new();
    let catalogue = LabelCatalogue(RwSignal::new(Vec::new()));
    let me = Me(RwSignal::new(None));
    let commands = Commands {
        note_mode: RwSignal::new(false),
        panel: RwSignal::new(None),
        help: RwSignal::new(false),
    };
    let teams = TeamCatalogue {
        teams: RwSignal::new(Vec::new()),
        mine: RwSignal::new(Vec::new()),
    };
    Effect::new(move |_| {
        live.reset.track();
        leptos::task::spawn_local(async move {
            let Ok(found) = crate::api::team_list().await else {
                return;
            };
            let viewer = me.0.get_untracked().map(|viewer| viewer.id);
            teams.mine.set(
                found
                    .iter()
                    .filter(|team| viewer.is_some_and(|me| team.members.iter().any(|m| m.id == me)))
                    .map(|team| team.id)
                    .collect(),
            );
            teams.teams.set(found);
        });
    });
    provide_context(teams);
    provide_context(thread);
    provide_context(catalogue);
    provide_context(me);
    provide_context(commands);
    // Fetched when the filters change or the stream says `reset`, not on every event.
    let first_page = Resource::new(
        move || {
            let query = InboxQuery {
                tab: filters.tab.get(),
                status: filters.status.get(),
                priority: filters.priority.get(),
                labels: filters.labels.get(),
                team: filters.team.get(),
                search: filters.search.get(),
                order: filters.order.get(),
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
    let defined = Resource::new(move || live.reset.get(), |_| list_labels());
    Effect::new(move |_| {
        if let Some(Ok(labels)) = defined.get() {
            catalogue.0.set(labels);
        }
    });
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
            LiveEvent::NoteAdded { note } => {
                thread.add_notes(vec![note.clone()]);
                return;
            }
            LiveEvent::PresenceChanged { presence } => {
                thread.apply_presence(presence);
                return;
            }
            LiveEvent::LabelsChanged { labels } => {
                catalogue.0.set(labels.clone());
                return;
            }
            // The contact panel follows its contact itself; rows and header take the name.
            LiveEvent::ContactUpdated { contact } => {
                list.rename_contact(contact.id, contact.name.clone());
                thread.rename_contact(contact.id, contact.name.clone());
                return;
            }
            LiveEvent::TemplateUpdated { .. }
            | LiveEvent::Notification { .. }
            | LiveEvent::NotificationsRead
            | LiveEvent::AttributesChanged { .. }
            | LiveEvent::ConsentChanged { .. }
            | LiveEvent::CampaignChanged { .. }
            | LiveEvent::NumberChanged { .. } => return,
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
    shortcuts::install(list, selected, commands);
    let viewer = Resource::new(|| (), |_| current_viewer());
    Effect::new(move |_| {
        if let Some(Ok(Some(viewer))) = viewer.get() {
            live.viewer.set(Some(viewer.id.0));
            me.0.set(Some(viewer));
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
            <Show when=move || commands.help.get()>
                <KeyHelp close=move || commands.help.set(false) />
            </Show>
        </AppFrame>
    }
}

/// Every key the inbox answers to (`?` shows this).
const KEYS: [(&str, &str); 11] = [
    ("j / k", "Next / previous conversation"),
    ("r", "Reply"),
    ("n", "Write an internal note"),
    ("/", "Search (in the composer: canned replies)"),
    ("l", "Labels"),
    ("s", "Snooze"),
    ("e", "Resolve"),
    ("a", "Assign to me"),
    ("@", "Mention a teammate (in a note)"),
    ("Esc", "Close a panel"),
    ("?", "This help"),
];

#[component]
fn KeyHelp(close: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" on:click=move |_| close()>
            <section class="key-help" on:click=|ev| ev.stop_propagation()>
                <header>
                    <h2>"Keyboard shortcuts"</h2>
                    <button type="button" class="link-button" on:click=move |_| close()>"Close"</button>
                </header>
                <dl>
                    {KEYS
                        .iter()
                        .map(|(key, what)| view! {
                            <div>
                                <dt><kbd>{*key}</kbd></dt>
                                <dd>{*what}</dd>
                            </div>
                        })
                        .collect_view()}
                </dl>
            </section>
        </div>
    }
}
