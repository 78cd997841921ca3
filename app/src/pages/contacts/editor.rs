//! The contact form members edit a customer with, on the contact's page and beside the thread:
//! profile fields, labels, custom attributes (each input of its type) and the team's note, with
//! the customer's local time from their time zone.

use crate::api::update_contact;
use crate::collaboration::LabelView;
use crate::contacts::{AttributeDefinition, AttributeType, ContactDetails, ContactPatch};
use crate::live::use_live;
use leptos::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What the form knows besides the contact: the attributes and labels to offer, and whether
/// the member may set attributes only admins edit.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditorContext {
    pub attributes: Vec<AttributeDefinition>,
    pub labels: Vec<LabelView>,
    pub is_admin: bool,
}

/// An attribute's stored value as its input shows it.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[component]
pub fn ContactEditor(
    contact: ContactDetails,
    context: EditorContext,
    /// Told the contact as saved.
    on_saved: Callback<ContactDetails>,
    /// Whether the last save went through: owned by the caller, since saving redraws the form.
    saved: RwSignal<bool>,
) -> impl IntoView {
    let id = contact.id;
    let text = |value: &Option<String>| RwSignal::new(value.clone().unwrap_or_default());
    let name = text(&contact.name);
    let email = text(&contact.email);
    let company = text(&contact.company);
    let language = text(&contact.language);
    let time_zone = text(&contact.time_zone);
    let note = RwSignal::new(contact.note.clone());
    let labels = RwSignal::new(
        contact
            .labels
            .iter()
            .map(|l| l.to_lowercase())
            .collect::<BTreeSet<String>>(),
    );
    let values = RwSignal::new(
        contact
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), as_text(v)))
            .collect::<BTreeMap<String, String>>(),
    );
    let problem = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let editable: Vec<AttributeDefinition> = context
        .attributes
        .iter()
        .filter(|a| a.agent_editable || context.is_admin)
        .cloned()
        .collect();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.set(true);
        saved.set(false);
        problem.set(None);
        let optional = |signal: RwSignal<String>| {
            let value = signal.get_untracked();
            Some(Some(value).filter(|v| !v.trim().is_empty()))
        };
        let attributes = editable
            .iter()
            .map(|a| {
                let raw =
                    values.with_untracked(|v| v.get(a.key.as_str()).cloned().unwrap_or_default());
                let value = match (a.kind, raw.as_str()) {
                    (_, "") => Value::Null,
                    (AttributeType::Checkbox, raw) => Value::Bool(raw == "true"),
                    (_, raw) => Value::String(raw.to_owned()),
                };
                (a.key.to_string(), value)
            })
            .collect();
        let patch = ContactPatch {
            name: optional(name),
            email: optional(email),
            company: optional(company),
            language: optional(language),
            time_zone: optional(time_zone),
            note: Some(note.get_untracked()),
            labels: Some(labels.get_untracked().into_iter().collect()),
            attributes: Some(attributes),
        };
        leptos::task::spawn_local(async move {
            // The form may be gone by now (a live update of this contact redraws it): its
            // own signals are written with `try_`.
            match update_contact(id, patch).await {
                Ok(contact) => {
                    saved.set(true);
                    on_saved.run(contact);
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
            saving.try_set(false);
        });
    };
    let field = move |label: &'static str,
                      key: &'static str,
                      signal: RwSignal<String>,
                      hint: &'static str| {
        let input_id = format!("contact-{id}-{key}");
        view! {
            <label for=input_id.clone()>{label}</label>
            <input id=input_id type="text" placeholder=hint dir="auto"
                prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) />
        }
    };
    let live = use_live();
    let local_time = move || {
        let zone = time_zone.get();
        let now = live.clock.get();
        (!zone.trim().is_empty())
            .then(|| crate::time::time_in_zone(now, zone.trim()))
            .flatten()
    };
    let attribute_inputs = context
        .attributes
        .iter()
        .map(|a| attribute_input(id, a, values, a.agent_editable || context.is_admin))
        .collect_view();
    let label_choices = context
        .labels
        .iter()
        .map(|label| {
            let key = label.name.key();
            let checked_key = key.clone();
            let toggle_key = key.clone();
            let style = format!("--label: {}", label.colour.as_str());
            view! {
                <label class="label-choice">
                    <input type="checkbox"
                        prop:checked=move || labels.with(|l| l.contains(&checked_key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            labels.update(|l| {
                                if on { l.insert(toggle_key.clone()); } else { l.remove(&toggle_key); }
                            });
                        } />
                    <span class="label-chip" style=style>{label.name.to_string()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="contact-editor" on:submit=save>
            <div class="contact-fields">
                {field("Name", "name", name, "What the team calls them")}
                {field("Email", "email", email, "name@example.com")}
                {field("Company", "company", company, "")}
                {field("Language", "language", language, "pt-BR")}
                {field("Time zone", "time-zone", time_zone, "America/Sao_Paulo")}
                <p class="local-time" aria-live="polite">
                    {move || local_time().map(|t| format!("Their time: {t}"))}
                </p>
            </div>
            <fieldset class="contact-labels">
                <legend>"Labels"</legend>
                {label_choices}
            </fieldset>
            <div class="contact-fields contact-attributes">{attribute_inputs}</div>
            <label for=format!("contact-{id}-note")>"Note"</label>
            <textarea id=format!("contact-{id}-note") rows="3" maxlength="5000" dir="auto"
                prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || saving.get()>"Save contact"</button>
                {move || saved.get().then(|| view! { <span class="hint" role="status">"Saved."</span> })}
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}

/// The input for one attribute, of its type; read-only when the member may not edit it.
fn attribute_input(
    contact_id: i64,
    attribute: &AttributeDefinition,
    values: RwSignal<BTreeMap<String, String>>,
    editable: bool,
) -> impl IntoView + use<> {
    let key = attribute.key.to_string();
    let input_id = format!("contact-{contact_id}-attr-{key}");
    let current = {
        let key = key.clone();
        move || values.with(|v| v.get(&key).cloned().unwrap_or_default())
    };
    let set = {
        let key = key.clone();
        move |value: String| {
            values.update(|v| {
                v.insert(key.clone(), value);
            })
        }
    };
    let label = if editable {
        attribute.label.clone()
    } else {
        format!("{} (admins edit)", attribute.label)
    };
    let input = match attribute.kind {
        AttributeType::Checkbox => view! {
            <input id=input_id.clone() type="checkbox" disabled=!editable
                prop:checked=move || current() == "true"
                on:change=move |ev| set(if event_target_checked(&ev) { "true".into() } else { "false".into() }) />
        }
        .into_any(),
        AttributeType::List => {
            let options = attribute.options.clone();
            view! {
                <select id=input_id.clone() disabled=!editable on:change=move |ev| set(event_target_value(&ev))>
                    <option value="" selected={let c = current.clone(); move || c().is_empty()}>"—"</option>
                    {options.into_iter().map(|o| {
                        let value = o.clone();
                        let current = current.clone();
                        view! { <option value=o.clone() selected=move || current() == value>{o.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        kind => {
            let input_type = match kind {
                AttributeType::Number => "text",
                AttributeType::Date => "date",
                AttributeType::Url => "url",
                _ => "text",
            };
            let mode = if kind == AttributeType::Number { "decimal" } else { "text" };
            view! {
                <input id=input_id.clone() type=input_type inputmode=mode disabled=!editable dir="auto"
                    prop:value=current on:input=move |ev| set(event_target_value(&ev)) />
            }
            .into_any()
        }
    };
    view! {
        <label for=input_id>{label}</label>
        {input}
    }
}
