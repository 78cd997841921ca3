//! What makes pages live: a clock ticking every second (for window countdowns) and one
//! server-sent-event stream per browser tab. The browser reconnects the stream by itself and
//! sends `Last-Event-ID`, so nothing is missed; every event bumps [`Live::tick`], and views
//! that depend on it refetch.

use crate::window::now_ms;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Live {
    /// Bumped on every live event.
    pub tick: RwSignal<u64>,
    /// The current time in milliseconds, updated every second in the browser.
    pub clock: RwSignal<i64>,
    /// The signed-in member, once known (to tell which new messages concern them).
    pub viewer: RwSignal<Option<i64>>,
    /// Desktop notification and sound for new messages that are mine or unassigned.
    pub notify: RwSignal<bool>,
}

/// Provides [`Live`] for the whole app (call once, at the root): its signals outlive page
/// changes, so the tab's one stream keeps feeding whichever page is shown.
pub fn provide_live() {
    provide_context(Live {
        tick: RwSignal::new(0),
        clock: RwSignal::new(now_ms()),
        viewer: RwSignal::new(None),
        notify: RwSignal::new(false),
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

#[cfg(feature = "hydrate")]
mod browser {
    use super::Live;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    thread_local! {
        static STREAM: RefCell<Option<web_sys::EventSource>> = const { RefCell::new(None) };
    }

    pub fn start(live: Live) {
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
                    live.tick.update(|n| *n += 1);
                    if event.type_() == "message.created"
                        && live.notify.get_untracked()
                        && let Some(data) = event.data().as_string()
                    {
                        super::notifications::maybe_notify(&data, live.viewer.get_untracked());
                    }
                },
            );
            for name in [
                "message.created",
                "message.updated",
                "conversation.updated",
                "template.updated",
                // The server could not replay what this tab missed: refetch everything.
                "reset",
            ] {
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
    use crate::model::{Direction, LiveEvent};

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

    pub fn maybe_notify(data: &str, viewer: Option<i64>) {
        let Ok(LiveEvent::MessageCreated {
            conversation,
            message,
        }) = serde_json::from_str::<LiveEvent>(data)
        else {
            return;
        };
        let concerns_me = conversation
            .assignee_id
            .is_none_or(|assignee| Some(assignee.0) == viewer);
        let focused = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.has_focus().ok())
            .unwrap_or(true);
        if message.direction != Direction::Inbound || !concerns_me || focused {
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
