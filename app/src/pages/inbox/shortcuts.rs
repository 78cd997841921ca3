//! Keyboard shortcuts: j/k move through the list, r reply, n note, l labels, s snooze,
//! e resolve, a assign to me, / search, ? the list of keys, Esc closes a panel. They stay out
//! of the way while typing in a field.

use super::state::ListState;
use super::{Commands, Panel};
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

pub fn install(list: ListState, selected: Memo<Option<i64>>, commands: Commands) {
    let navigate = use_navigate();
    let handle =
        window_event_listener(leptos::ev::keydown, move |event: web_sys::KeyboardEvent| {
            let typing = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|element| {
                    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if event.key() == "Escape" {
                commands.panel.set(None);
                commands.help.set(false);
                return;
            }
            if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let toggle = |panel: Panel| {
                let open = commands.panel.get_untracked() == Some(panel);
                commands.panel.set((!open).then_some(panel));
            };
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
                    commands.note_mode.set(false);
                    focus("#reply");
                }
                "n" if current.is_some() => {
                    event.prevent_default();
                    commands.note_mode.set(true);
                    focus("#reply");
                }
                "l" if current.is_some() => toggle(Panel::Labels),
                "s" if current.is_some() => toggle(Panel::Snooze),
                "?" => commands.help.update(|open| *open = !*open),
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
