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
}

/// Provides [`Live`] for the whole app (call once, at the root): its signals outlive page
/// changes, so the tab's one stream keeps feeding whichever page is shown.
pub fn provide_live() {
    provide_context(Live {
        tick: RwSignal::new(0),
        clock: RwSignal::new(now_ms()),
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
            let on_event =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                    live.tick.update(|n| *n += 1);
                });
            for name in ["message.created", "message.updated", "conversation.updated"] {
                let _ = source
                    .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
            }
            // The listener lives as long as the tab's one stream.
            on_event.forget();
            *stream.borrow_mut() = Some(source);
        });
    }
}
