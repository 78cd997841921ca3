//! What makes pages live: a clock ticking every second (for window countdowns), and one
//! server-sent-event stream per browser tab whose typed events ([`LiveEvent`]) the pages apply
//! to what they show: a list row, a message, its ticks. Nothing is refetched for an event.
//! The browser reconnects the stream by itself and sends `Last-Event-ID`, so nothing is
//! missed; when the server cannot replay that far back it says `reset`, and pages reload.

use crate::model::{ConversationSummary, MessageView};
use crate::window::now_ms;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the server pushes to browsers over server-sent events. The SSE `event:` field carries
/// [`LiveEvent::name`]; the `data:` field this value as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A new message, with its conversation as it now stands.
    MessageCreated {
        conversation: ConversationSummary,
        message: MessageView,
    },
    /// A message changed: delivery status, reaction, edit, deletion or downloaded media.
    MessageUpdated {
        conversation: ConversationSummary,
        message: MessageView,
    },
    /// Assignment, status, unread count or window changed.
    ConversationUpdated { conversation: ConversationSummary },
    /// A message template's status, quality or category changed at Meta (admins only).
    TemplateUpdated {
        template: crate::templates::TemplateView,
    },
    /// An internal note was added to a conversation.
    NoteAdded {
        note: crate::collaboration::NoteView,
    },
    /// Something for this member (only they receive it).
    Notification {
        notification: crate::collaboration::NotificationView,
    },
    /// This member read notifications in another tab: the bell counts again.
    NotificationsRead,
    /// A member opened, left or started typing in a conversation.
    PresenceChanged {
        presence: crate::collaboration::PresenceView,
    },
    /// Admins changed the labels: here they all are now.
    LabelsChanged {
        labels: Vec<crate::collaboration::LabelView>,
    },
    /// A member edited a contact: here it is now.
    ContactUpdated {
        contact: Box<crate::contacts::ContactDetails>,
    },
    /// Admins changed the custom contact attributes: here they all are now.
    AttributesChanged {
        attributes: Vec<crate::contacts::AttributeDefinition>,
    },
    /// A line was added to a contact's consent ledger (by a member, a keyword, Meta).
    ConsentChanged {
        contact_id: i64,
        state: crate::consent::ConsentState,
    },
    /// A campaign was written, started, paused, resumed, cancelled or finished.
    CampaignChanged {
        campaign_id: i64,
        state: crate::campaigns::CampaignState,
    },
    /// A business number's health (or, with no number, the account's standing) changed:
    /// admins' banners and number pages read it again.
    NumberChanged { phone_number_id: Option<String> },
}

impl LiveEvent {
    /// Every event name a stream carries, [`LiveEvent::RESET`] included (keep beside
    /// [`LiveEvent::name`]: the browser listens for these alone).
    pub const NAMES: [&'static str; 15] = [
        "message.created",
        "message.updated",
        "conversation.updated",
        "template.updated",
        "note.added",
        "notification",
        "notifications.read",
        "presence.changed",
        "labels.changed",
        "contact.updated",
        "attributes.changed",
        "consent.changed",
        "campaign.changed",
        "number.changed",
        LiveEvent::RESET,
    ];
    /// Sent instead of a replay that reaches too far back: reload, then follow live.
    pub const RESET: &'static str = "reset";

    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::MessageCreated { .. } => "message.created",
            LiveEvent::MessageUpdated { .. } => "message.updated",
            LiveEvent::ConversationUpdated { .. } => "conversation.updated",
            LiveEvent::TemplateUpdated { .. } => "template.updated",
            LiveEvent::NoteAdded { .. } => "note.added",
            LiveEvent::Notification { .. } => "notification",
            LiveEvent::NotificationsRead => "notifications.read",
            LiveEvent::PresenceChanged { .. } => "presence.changed",
            LiveEvent::LabelsChanged { .. } => "labels.changed",
            LiveEvent::ContactUpdated { .. } => "contact.updated",
            LiveEvent::AttributesChanged { .. } => "attributes.changed",
            LiveEvent::ConsentChanged { .. } => "consent.changed",
            LiveEvent::CampaignChanged { .. } => "campaign.changed",
            LiveEvent::NumberChanged { .. } => "number.changed",
        }
    }
}

/// What the stream delivers to the pages.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    Event(Box<LiveEvent>),
    /// The server could not replay what this tab missed: reload what is shown.
    Reset,
}

#[derive(Clone, Copy)]
pub struct Live {
    /// The current time in milliseconds, updated every second in the browser.
    pub clock: RwSignal<i64>,
    /// The signed-in member, once known (to tell which new messages concern them).
    pub viewer: RwSignal<Option<i64>>,
    /// Desktop notification and sound for new messages that are mine or unassigned.
    pub notify: RwSignal<bool>,
    /// Times are shown in the browser's zone (once the page is live in the browser; the server
    /// renders UTC).
    pub local_time: RwSignal<bool>,
    /// Bumped when the stream says `reset`: pages reload what they show.
    pub reset: RwSignal<u64>,
    /// Bumped when something admins are alerted about may have changed (a template, a send
    /// that failed).
    pub alerts: RwSignal<u64>,
}

/// Provides [`Live`] for the whole app (call once, at the root): its signals outlive page
/// changes, so the tab's one stream keeps feeding whichever page is shown.
pub fn provide_live() {
    provide_context(Live {
        clock: RwSignal::new(now_ms()),
        viewer: RwSignal::new(None),
        notify: RwSignal::new(false),
        local_time: RwSignal::new(false),
        reset: RwSignal::new(0),
        alerts: RwSignal::new(0),
    });
}

/// The app's [`Live`], with the clock and the event stream started (once per tab) in the
/// browser. Pages that show live data call this.
pub fn use_live() -> Live {
    let live = use_context::<Live>().expect("provide_live() runs at the root");
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::start(live));
    live
}

/// Calls `apply` with every event the stream delivers while the calling component lives (in
/// the browser; on the server there is no stream).
pub fn on_event(apply: impl Fn(&Incoming) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let id = browser::subscribe(apply);
        on_cleanup(move || browser::unsubscribe(id));
    }
    #[cfg(not(feature = "hydrate"))]
    drop(apply);
}

/// Applies what the server answered to the member's own change at once, as its live event
/// will when it comes: the member sees the result of what they did without waiting for the
/// stream (which may be reconnecting).
pub fn apply_own_change(event: LiveEvent) {
    #[cfg(feature = "hydrate")]
    browser::deliver(Incoming::Event(Box::new(event)));
    #[cfg(not(feature = "hydrate"))]
    drop(event);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Incoming, Live};
    use crate::model::{LiveEvent, MessageStatus};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    type Handler = Rc<dyn Fn(&Incoming)>;

    thread_local! {
        static STREAM: RefCell<Option<web_sys::EventSource>> = const { RefCell::new(None) };
        static HANDLERS: RefCell<Vec<(u64, Handler)>> = const { RefCell::new(Vec::new()) };
        static NEXT_ID: RefCell<u64> = const { RefCell::new(0) };
    }

    pub fn subscribe(apply: impl Fn(&Incoming) + 'static) -> u64 {
        let id = NEXT_ID.with(|next| {
            let mut next = next.borrow_mut();
            *next += 1;
            *next
        });
        HANDLERS.with(|handlers| handlers.borrow_mut().push((id, Rc::new(apply))));
        id
    }

    pub fn unsubscribe(id: u64) {
        HANDLERS.with(|handlers| handlers.borrow_mut().retain(|(i, _)| *i != id));
    }

    pub(super) fn deliver(incoming: Incoming) {
        // Handlers may subscribe or unsubscribe while applying: call a snapshot.
        let handlers: Vec<Handler> =
            HANDLERS.with(|handlers| handlers.borrow().iter().map(|(_, h)| h.clone()).collect());
        for handler in handlers {
            handler(&incoming);
        }
    }

    pub fn start(live: Live) {
        live.local_time.set(true);
        STREAM.with(|stream| {
            if stream.borrow().is_some() {
                return;
            }
            let _ = set_interval_with_handle(
                move || live.clock.set(crate::window::now_ms()),
                Duration::from_secs(1),
            );
            let Ok(source) = web_sys::EventSource::new("/api/v1/events") else {
                return;
            };
            live.notify.set(super::notifications::enabled());
            let on_event = Closure::<dyn Fn(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    if event.type_() == LiveEvent::RESET {
                        live.reset.update(|n| *n += 1);
                        deliver(Incoming::Reset);
                        return;
                    }
                    let Some(data) = event.data().as_string() else {
                        return;
                    };
                    let Ok(parsed) = serde_json::from_str::<LiveEvent>(&data) else {
                        leptos::logging::warn!("unreadable live event {}", event.type_());
                        return;
                    };
                    match &parsed {
                        LiveEvent::MessageCreated {
                            conversation,
                            message,
                        } if live.notify.get_untracked() => super::notifications::maybe_notify(
                            conversation,
                            message,
                            live.viewer.get_untracked(),
                        ),
                        LiveEvent::Notification { notification } if live.notify.get_untracked() => {
                            super::notifications::for_member(notification)
                        }
                        LiveEvent::TemplateUpdated { .. } | LiveEvent::NumberChanged { .. } => {
                            live.alerts.update(|n| *n += 1)
                        }
                        LiveEvent::MessageUpdated { message, .. }
                            if message.status == MessageStatus::Failed =>
                        {
                            live.alerts.update(|n| *n += 1)
                        }
                        _ => {}
                    }
                    deliver(Incoming::Event(Box::new(parsed)));
                },
            );
            for name in LiveEvent::NAMES {
                let _ = source
                    .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
            }
            // The listener lives as long as the tab's one stream.
            on_event.forget();
            *stream.borrow_mut() = Some(source);
        });
    }
}

/// Desktop notifications and a short chime for new customer messages that are the viewer's or
/// nobody's, while the tab is not in focus. Off until the agent turns them on (the choice is
/// remembered in this browser).
#[cfg(feature = "hydrate")]
pub mod notifications {
    use crate::model::{ConversationSummary, Direction, MessageView};

    const KEY: &str = "parley.notifications";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn enabled() -> bool {
        storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .as_deref()
            == Some("on")
            && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
    }

    /// Turns notifications on (asking the browser's permission) or off.
    pub fn set(on: bool) {
        if let Some(storage) = storage() {
            let _ = storage.set_item(KEY, if on { "on" } else { "off" });
        }
        if on {
            let _ = web_sys::Notification::request_permission();
        }
    }

    pub fn maybe_notify(
        conversation: &ConversationSummary,
        message: &MessageView,
        viewer: Option<i64>,
    ) {
        let concerns_me = conversation
            .assignee_id
            .is_none_or(|assignee| Some(assignee.0) == viewer);
        if message.direction != Direction::Inbound || !concerns_me || crate::live::focused() {
            return;
        }
        let title = conversation
            .contact
            .name
            .clone()
            .unwrap_or_else(|| "New message".into());
        let options = web_sys::NotificationOptions::new();
        options.set_body(
            &message
                .text
                .clone()
                .unwrap_or_else(|| format!("[{}]", message.kind)),
        );
        options.set_tag(&format!("conversation-{}", conversation.id));
        let _ = web_sys::Notification::new_with_options(&title, &options);
        chime();
    }

    /// A mention or a conversation back from snooze, while the member looks elsewhere.
    pub fn for_member(notification: &crate::collaboration::NotificationView) {
        if crate::live::focused() {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        if let Some(excerpt) = &notification.excerpt {
            options.set_body(excerpt);
        }
        options.set_tag(&format!("notification-{}", notification.id));
        let _ = web_sys::Notification::new_with_options(&notification.headline(), &options);
        chime();
    }

    /// A soft two-tone chime, synthesised (no audio file to fetch).
    fn chime() {
        let Ok(audio) = web_sys::AudioContext::new() else {
            return;
        };
        for (i, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
            let (Ok(oscillator), Ok(gain)) = (audio.create_oscillator(), audio.create_gain())
            else {
                return;
            };
            let start = audio.current_time() + i as f64 * 0.12;
            oscillator.frequency().set_value(frequency);
            gain.gain().set_value(0.08);
            let _ = gain
                .gain()
                .exponential_ramp_to_value_at_time(0.0001, start + 0.25);
            let _ = oscillator.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&audio.destination());
            let _ = oscillator.start_with_when(start);
            let _ = oscillator.stop_with_when(start + 0.3);
        }
    }
}

/// Whether the member is looking at this tab (always, on the server).
pub fn focused() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.has_focus().ok())
            .unwrap_or(true)
    }
    #[cfg(not(feature = "hydrate"))]
    true
}

/// Whether this tab is shown (not hidden behind another tab or minimised).
#[cfg(feature = "hydrate")]
pub fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Posts `json` to `path` in a way that survives the page being closed (`sendBeacon`).
#[cfg(feature = "hydrate")]
pub fn beacon(path: &str, json: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) {
        let _ = window
            .navigator()
            .send_beacon_with_opt_blob(path, Some(&blob));
    }
}
