//! Labels in the inbox: chips on rows and in the thread, and the thread's label picker.

use super::{LabelCatalogue, Panel};
use crate::api::{ConversationUpdate, update_conversation};
use crate::model::LiveEvent;
use leptos::prelude::*;

/// Colour for a label nobody defined (any more).
const UNKNOWN: &str = "#64748b";

/// A label as a chip: its colour as the accent, its name as text (rendered inert).
#[component]
pub fn LabelChip(name: String) -> impl IntoView {
    let catalogue = use_context::<LabelCatalogue>();
    let lookup = name.clone();
    let colour = move || {
        catalogue
            .and_then(|c| c.find(&lookup))
            .map_or_else(|| UNKNOWN.to_owned(), |l| l.colour.as_str().to_owned())
    };
    view! {
        <span class="label-chip" style=move || format!("--label: {}", colour())>
            {name}
        </span>
    }
}

/// The labels a conversation carries, with a button that opens the picker (`l`).
#[component]
pub fn LabelBar(
    id: i64,
    labels: Memo<Vec<String>>,
    panel: RwSignal<Option<Panel>>,
) -> impl IntoView {
    let open = move || panel.get() == Some(Panel::Labels);
    view! {
        <div class="label-bar">
            <For each=move || labels.get() key=|name| name.clone() let:name>
                <LabelChip name />
            </For>
            <button
                type="button"
                class="link-button"
                aria-expanded=move || open().to_string()
                on:click=move |_| panel.set(if open() { None } else { Some(Panel::Labels) })
            >
                "🏷 Labels"
            </button>
            <Show when=open>
                <LabelPicker id labels panel />
            </Show>
        </div>
    }
}

/// Every label, ticked when the conversation carries it; a click puts it on or takes it off.
#[component]
fn LabelPicker(
    id: i64,
    labels: Memo<Vec<String>>,
    panel: RwSignal<Option<Panel>>,
) -> impl IntoView {
    let catalogue = use_context::<LabelCatalogue>().expect("the inbox provides its labels");
    let problem = RwSignal::new(None::<String>);
    let toggle = move |name: String| {
        let mut wanted = labels.get_untracked();
        let key = name.to_lowercase();
        if wanted.iter().any(|l| l.to_lowercase() == key) {
            wanted.retain(|l| l.to_lowercase() != key);
        } else {
            wanted.push(name);
        }
        leptos::task::spawn_local(async move {
            match update_conversation(id, ConversationUpdate::labels(wanted)).await {
                Ok(conversation) => {
                    problem.set(None);
                    crate::live::apply_own_change(LiveEvent::ConversationUpdated { conversation });
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <div class="popover label-picker" role="dialog" aria-label="Labels"
            on:keydown=move |ev| if ev.key() == "Escape" { panel.set(None) }
        >
            <Show
                when=move || catalogue.0.with(|l| !l.is_empty())
                fallback=|| view! { <p class="empty-state">"No labels yet: admins define them under Labels."</p> }
            >
                <ul>
                    <For each=move || catalogue.0.get() key=|label| (label.id, label.name.to_string(), label.colour.as_str().to_owned()) let:label>
                        {
                            let name = label.name.to_string();
                            let key = label.name.key();
                            let checked = move || labels.with(|l| l.iter().any(|n| n.to_lowercase() == key));
                            let pick = name.clone();
                            view! {
                                <li>
                                    <label style=format!("--label: {}", label.colour.as_str())>
                                        <input type="checkbox" prop:checked=checked on:change=move |_| toggle(pick.clone()) />
                                        <span class="label-chip">{name}</span>
                                        <span class="label-description">{label.description.clone()}</span>
                                    </label>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </div>
    }
}
