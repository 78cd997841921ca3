//! `/admin/labels`: the labels agents put on conversations. Admins name them, colour them and
//! say what they are for; renaming keeps them on every conversation, deleting takes them off.

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{delete_label, labels, save_label};
use crate::collaboration::{LabelDraft, LabelView};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LabelsPage() -> impl IntoView {
    let live = use_live();
    let loaded = Resource::new(move || live.reset.get(), |_| labels());
    let shown = RwSignal::new(Vec::<LabelView>::new());
    Effect::new(move |_| {
        if let Some(Ok(found)) = loaded.get() {
            shown.set(found);
        }
    });
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::LabelsChanged { labels } = &**event
        {
            shown.set(labels.clone());
        }
    });
    view! {
        <Title text="Labels · Parley" />
        <AppFrame>
            <main class="admin labels-admin">
                <h1>"Labels"</h1>
                <p class="hint">"Agents put labels on conversations (key l in the inbox) and filter the list by them."</p>
                <LabelForm label=None />
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(_) => view! {
                                <ul class="label-list">
                                    <For each=move || shown.get() key=|l| (l.id, l.name.to_string(), l.colour.as_str().to_owned(), l.description.clone()) let:label>
                                        <li><LabelForm label=Some(label) /></li>
                                    </For>
                                </ul>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

/// A new label (`label` is `None`) or an existing one, edited in place.
#[component]
fn LabelForm(label: Option<LabelView>) -> impl IntoView {
    let id = label.as_ref().map(|l| l.id);
    let name = RwSignal::new(
        label
            .as_ref()
            .map(|l| l.name.to_string())
            .unwrap_or_default(),
    );
    let colour = RwSignal::new(
        label
            .as_ref()
            .map_or_else(|| "#2563eb".to_owned(), |l| l.colour.as_str().to_owned()),
    );
    let description = RwSignal::new(label.map(|l| l.description).unwrap_or_default());
    let problem = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.set(true);
        let draft = LabelDraft {
            name: Some(name.get_untracked()),
            colour: Some(colour.get_untracked()),
            description: Some(description.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match save_label(id, draft).await {
                Ok(_) => {
                    problem.set(None);
                    if id.is_none() {
                        name.set(String::new());
                        description.set(String::new());
                    }
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            saving.set(false);
        });
    };
    let remove = move |_| {
        let Some(id) = id else { return };
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message("Delete this label? It comes off every conversation.")
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Err(error) = delete_label(id).await {
                problem.set(Some(error.to_string()));
            }
        });
    };
    let prefix = id.map_or_else(|| "new-label".to_owned(), |id| format!("label-{id}"));
    view! {
        <form class="label-form" on:submit=save>
            <span class="label-chip" style=move || format!("--label: {}", colour.get())>
                {move || if name.with(String::is_empty) { "New label".to_owned() } else { name.get() }}
            </span>
            <label class="visually-hidden" for=format!("{prefix}-name")>"Name"</label>
            <input id=format!("{prefix}-name") type="text" maxlength="40" placeholder="Name" required
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <label class="visually-hidden" for=format!("{prefix}-colour")>"Colour"</label>
            <input id=format!("{prefix}-colour") type="color"
                prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev)) />
            <label class="visually-hidden" for=format!("{prefix}-description")>"Description"</label>
            <input id=format!("{prefix}-description") type="text" maxlength="200" placeholder="What it is for"
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            <button type="submit" class="primary" disabled=move || saving.get()>
                {if id.is_some() { "Save" } else { "Add label" }}
            </button>
            {id.map(|_| view! { <button type="button" class="secondary" on:click=remove>"Delete"</button> })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}
