//! `/admin/attributes`: the custom fields the team keeps on contacts. Admins name them, pick
//! their type (and a list's choices), say whether agents may edit them and order them; a key
//! and type are fixed once made, since filters, imports and campaigns name them.

use crate::api::{contact_attributes, delete_attribute, save_attribute};
use crate::contacts::{AttributeDefinition, AttributeDraft, AttributeType};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::pages::ErrorNotice;
use crate::pages::frame::AppFrame;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AttributesPage() -> impl IntoView {
    let live = use_live();
    let loaded = Resource::new(move || live.reset.get(), |_| contact_attributes());
    let shown = RwSignal::new(Vec::<AttributeDefinition>::new());
    Effect::new(move |_| {
        if let Some(Ok(found)) = loaded.get() {
            shown.set(found);
        }
    });
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::AttributesChanged { attributes } = &**event
        {
            shown.set(attributes.clone());
        }
    });
    view! {
        <Title text="Contact attributes · Parley" />
        <AppFrame>
            <main class="admin attributes-admin">
                <h1>"Contact attributes"</h1>
                <p class="hint">"Fields the team fills in on every contact, checked by type wherever a value comes from: the contact form, the API or a CSV import."</p>
                <AttributeForm attribute=None position=0 />
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(_) => view! {
                                <ul class="attribute-list">
                                    <For
                                        each=move || shown.get().into_iter().enumerate()
                                        key=|(i, a)| (*i, a.clone().key, a.label.clone(), a.options.clone(), a.agent_editable)
                                        let:item
                                    >
                                        <li><AttributeForm attribute=Some(item.1) position=item.0 as i64 /></li>
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

/// A new attribute (`attribute` is `None`) or an existing one, edited in place.
#[component]
fn AttributeForm(attribute: Option<AttributeDefinition>, position: i64) -> impl IntoView {
    let existing = attribute.as_ref().map(|a| a.key.to_string());
    let key = RwSignal::new(existing.clone().unwrap_or_default());
    let label = RwSignal::new(
        attribute
            .as_ref()
            .map(|a| a.label.clone())
            .unwrap_or_default(),
    );
    let kind = RwSignal::new(attribute.as_ref().map_or(AttributeType::Text, |a| a.kind));
    let options = RwSignal::new(
        attribute
            .as_ref()
            .map(|a| a.options.join("\n"))
            .unwrap_or_default(),
    );
    let agent_editable = RwSignal::new(attribute.as_ref().is_none_or(|a| a.agent_editable));
    let problem = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let send = move |draft: AttributeDraft, key_of: Option<String>| {
        saving.set(true);
        leptos::task::spawn_local(async move {
            let creating = key_of.is_none();
            match save_attribute(key_of, draft).await {
                Ok(_) => {
                    problem.set(None);
                    if creating {
                        key.set(String::new());
                        label.set(String::new());
                        options.set(String::new());
                    }
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            saving.set(false);
        });
    };
    let draft = move || AttributeDraft {
        key: Some(key.get_untracked()),
        label: Some(label.get_untracked()),
        kind: Some(kind.get_untracked()),
        options: Some(
            options
                .get_untracked()
                .lines()
                .map(str::to_owned)
                .filter(|o| !o.trim().is_empty())
                .collect(),
        )
        .filter(|_| kind.get_untracked() == AttributeType::List),
        agent_editable: Some(agent_editable.get_untracked()),
        position: None,
    };
    let save = {
        let existing = existing.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            send(draft(), existing.clone());
        }
    };
    let moving = |by: i64| {
        let existing = existing.clone();
        move |_| {
            let moved = AttributeDraft {
                position: Some((position + by).max(0)),
                ..AttributeDraft::default()
            };
            send(moved, existing.clone());
        }
    };
    let remove = {
        let existing = existing.clone();
        move |_| {
            let Some(key) = existing.clone() else { return };
            #[cfg(feature = "hydrate")]
            if !window()
                .confirm_with_message(
                    "Delete this attribute? Every contact's value of it is deleted too.",
                )
                .unwrap_or(false)
            {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Err(error) = delete_attribute(key).await {
                    problem.set(Some(error.to_string()));
                }
            });
        }
    };
    let prefix = existing
        .as_ref()
        .map_or_else(|| "new-attribute".to_owned(), |k| format!("attribute-{k}"));
    let is_new = existing.is_none();
    view! {
        <form class="attribute-form" on:submit=save>
            <label for=format!("{prefix}-label")>"Label"</label>
            <input id=format!("{prefix}-label") type="text" maxlength="60" required placeholder="Order number"
                prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
            <label for=format!("{prefix}-key")>"Key"</label>
            <input id=format!("{prefix}-key") type="text" maxlength="40" required placeholder="order_id"
                pattern="[a-z][a-z0-9_]*" disabled=!is_new
                prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
            <label for=format!("{prefix}-type")>"Type"</label>
            <select id=format!("{prefix}-type") disabled=!is_new
                on:change=move |ev| if let Ok(k) = event_target_value(&ev).parse() { kind.set(k) }>
                {AttributeType::ALL.map(|t| view! {
                    <option value=t.as_str() selected=move || kind.get() == t>{t.label()}</option>
                })}
            </select>
            <Show when=move || kind.get() == AttributeType::List>
                <label for=format!("{prefix}-options")>"Choices (one per line)"</label>
                <textarea id=format!("{prefix}-options") rows="3"
                    prop:value=move || options.get() on:input=move |ev| options.set(event_target_value(&ev))></textarea>
            </Show>
            <label class="inline">
                <input type="checkbox" prop:checked=move || agent_editable.get()
                    on:change=move |ev| agent_editable.set(event_target_checked(&ev)) />
                " Agents may edit"
            </label>
            <button type="submit" class="primary" disabled=move || saving.get()>
                {if is_new { "Add attribute" } else { "Save" }}
            </button>
            {(!is_new).then(|| view! {
                <button type="button" class="secondary" title="Move up" aria-label="Move up" on:click=moving(-1)>"↑"</button>
                <button type="button" class="secondary" title="Move down" aria-label="Move down" on:click=moving(1)>"↓"</button>
                <button type="button" class="secondary" on:click=remove.clone()>"Delete"</button>
            })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}
