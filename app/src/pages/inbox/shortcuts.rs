//! Keyboard shortcuts: j/k move through the list, r reply, e resolve, a assign to me,
//! / search. They stay out of the way while typing in a field.

use super::state::ListState;
use crate::api::{AssignTarget, ConversationUpdate, update_conversation};
use crate::model::ConversationStatus;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

fn focus(selector: &str) {
    if let Some(element) = document().query_selector(selector).ok().flatten()
        && let Ok(element) = element.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = element.focus();
    }
}

pub fn install(list: ListState, selected: Memo<Option<i64>>) {
    let navigate = use_navigate();
    let handle =
        window_event_listener(leptos::ev::keydown, move |event: web_sys::KeyboardEvent| {
            let typing = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|element| {
                    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let current = selected.get_untracked();
            match event.key().as_str() {
                key @ ("j" | "k") => {
                    let ids = list.ids();
                    let position = current.and_then(|id| ids.iter().position(|i| *i == id));
                    let next = match (key, position) {
                        ("j", None) => ids.first(),
                        ("j", Some(p)) => ids.get(p + 1),
                        ("k", Some(p)) if p > 0 => ids.get(p - 1),
                        _ => None,
                    };
                    if let Some(id) = next {
                        navigate(&format!("/inbox/{id}"), Default::default());
                    }
                }
                "r" => {
                    event.prevent_default();
                    focus("#reply");
                }
                "/" => {
                    event.prevent_default();
                    focus(".conversation-list .search");
                }
                "e" => {
                    if let Some(id) = current {
                        leptos::task::spawn_local(async move {
                            let resolve = ConversationUpdate::status(ConversationStatus::Resolved);
                            let _ = update_conversation(id, resolve).await;
                        });
                    }
                }
                "a" => {
                    if let Some(id) = current {
                        leptos::task::spawn_local(async move {
                            let mine = ConversationUpdate::assign(AssignTarget::Me);
                            let _ = update_conversation(id, mine).await;
                        });
                    }
                }
                _ => {}
            }
        });
    on_cleanup(move || handle.remove());
}
