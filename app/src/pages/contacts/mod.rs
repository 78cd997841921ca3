//! `/contacts`: every customer the team knows, searchable and filterable by label and
//! attribute, newest first, a page at a time; adding a contact by phone; exporting what the
//! filters select as CSV. A page per contact ([`profile`]) and the admins' attribute
//! definitions ([`attributes`]).

mod attributes;
mod consent;
mod editor;
mod erase;
mod import;
mod merge;
mod profile;
mod segments;

pub use attributes::AttributesPage;
pub use profile::{ContactPage, ContactSidePanel};

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{contact_attributes, contact_list, create_contact, current_viewer, labels};
use crate::contacts::{ContactListQuery, ContactPage as Page, ContactSummary, NewContactRequest};
use crate::live::use_live;
use crate::model::percent_encode;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let live = use_live();
    let search = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let attribute = RwSignal::new(String::new());
    let attribute_value = RwSignal::new(String::new());
    let segment = RwSignal::new(None::<i64>);
    let query = move || ContactListQuery {
        q: Some(search.get()).filter(|q| !q.trim().is_empty()),
        labels: Some(label.get())
            .filter(|l| !l.is_empty())
            .into_iter()
            .collect(),
        attributes: Some((attribute.get(), attribute_value.get()))
            .filter(|(k, v)| !k.is_empty() && !v.trim().is_empty())
            .into_iter()
            .collect(),
        segment_id: segment.get(),
        cursor: None,
        limit: Some(50),
    };
    let first = Resource::new(
        move || (query(), live.reset.get()),
        |(q, _)| contact_list(q),
    );
    let filters = Resource::new(
        || (),
        |_| async {
            let is_admin = current_viewer()
                .await
                .ok()
                .flatten()
                .is_some_and(|v| v.is_admin());
            (labels().await, contact_attributes().await, is_admin)
        },
    );
    // Pages after the first, appended by "Show more".
    let more = RwSignal::new(Vec::<ContactSummary>::new());
    let next = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            more.set(Vec::new());
            next.set(page.next_cursor);
        }
    });
    let show_more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        let query = ContactListQuery {
            cursor: Some(cursor),
            ..query()
        };
        leptos::task::spawn_local(async move {
            if let Ok(Page {
                contacts,
                next_cursor,
            }) = contact_list(query).await
            {
                more.update(|m| m.extend(contacts));
                next.set(next_cursor);
            }
        });
    };
    let export_href = move || {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let q = query();
        if let Some(text) = q.q {
            pairs.push(("q".into(), text));
        }
        for l in q.labels {
            pairs.push(("label".into(), l));
        }
        for (k, v) in q.attributes {
            pairs.push((format!("attr.{k}"), v));
        }
        if let Some(id) = q.segment_id {
            pairs.push(("segment_id".into(), id.to_string()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        format!("/api/v1/contacts/export.csv?{}", encoded.join("&"))
    };
    view! {
        <Title text="Contacts · Parley" />
        <AppFrame>
            <main class="admin contacts">
                <h1>"Contacts"</h1>
                <AddContact />
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let (_, attributes, is_admin) = filters.await;
                        is_admin.then(|| view! { <import::ImportContacts attributes=attributes.unwrap_or_default() /> })
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let (labels, attributes, is_admin) = filters.await;
                        view! {
                            <segments::SegmentsPanel attributes=attributes.unwrap_or_default()
                                labels=labels.unwrap_or_default() is_admin selected=segment />
                        }
                    })}
                </Transition>
                <form class="contact-filters" role="search" on:submit=|ev| ev.prevent_default()>
                    <label class="visually-hidden" for="contact-search">"Search contacts"</label>
                    <input id="contact-search" type="search" placeholder="Name, phone, email or company"
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let (labels, attributes, _) = filters.await;
                            let labels = labels.unwrap_or_default();
                            let attributes = attributes.unwrap_or_default();
                            view! {
                                <label>"Label "
                                    <select on:change=move |ev| label.set(event_target_value(&ev))>
                                        <option value="">"Any"</option>
                                        {labels.into_iter().map(|l| view! { <option value=l.name.to_string()>{l.name.to_string()}</option> }).collect_view()}
                                    </select>
                                </label>
                                <label>"Attribute "
                                    <select on:change=move |ev| attribute.set(event_target_value(&ev))>
                                        <option value="">"Any"</option>
                                        {attributes.into_iter().map(|a| view! { <option value=a.key.to_string()>{a.label.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                                <label class="visually-hidden" for="contact-attribute-value">"Attribute value"</label>
                                <input id="contact-attribute-value" type="text" placeholder="equals…"
                                    prop:value=move || attribute_value.get() on:input=move |ev| attribute_value.set(event_target_value(&ev)) />
                            }
                        })}
                    </Transition>
                    <a class="button" href=export_href download="contacts.csv">"Export CSV"</a>
                </form>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        // Custom attributes are columns too, in their order.
                        let columns: Vec<(String, String)> = filters
                            .await
                            .1
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| (a.key.to_string(), a.label))
                            .collect();
                        let headers = columns.iter().map(|(_, label)| view! { <th scope="col">{label.clone()}</th> }).collect_view();
                        let row_columns = columns.clone();
                        match first.await {
                            Ok(page) if page.contacts.is_empty() => view! { <p class="hint">"No contacts match."</p> }.into_any(),
                            Ok(page) => view! {
                                <table class="contact-table">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Phone"</th><th scope="col">"Email"</th>
                                        <th scope="col">"Company"</th><th scope="col">"Labels"</th><th scope="col">"Conversations"</th><th scope="col">"Last message"</th>
                                        {headers}
                                    </tr></thead>
                                    <tbody>
                                        {page.contacts.into_iter().map(|c| view! { <ContactRow contact=c columns=columns.clone() /> }).collect_view()}
                                        <For each=move || more.get() key=|c| c.id let:contact>
                                            <ContactRow contact columns=row_columns.clone() />
                                        </For>
                                    </tbody>
                                </table>
                                <Show when=move || next.with(Option::is_some)>
                                    <button type="button" class="secondary" on:click=show_more>"Show more"</button>
                                </Show>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

#[component]
fn ContactRow(contact: ContactSummary, columns: Vec<(String, String)>) -> impl IntoView {
    let name = contact.display_name();
    let values = columns
        .iter()
        .map(|(key, _)| {
            let shown = match contact.attributes.get(key) {
                Some(serde_json::Value::Bool(true)) => "Yes".to_owned(),
                Some(serde_json::Value::Bool(false)) => "No".to_owned(),
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            view! { <td dir="auto">{shown}</td> }
        })
        .collect_view();
    view! {
        <tr>
            <td dir="auto"><a href=format!("/contacts/{}", contact.id)>{name}</a></td>
            <td>{contact.phone}</td>
            <td>{contact.email}</td>
            <td dir="auto">{contact.company}</td>
            <td>{contact.labels.into_iter().map(|l| view! { <span class="label-chip">{l}</span> " " }).collect_view()}</td>
            <td>{contact.conversation_count}</td>
            <td>{contact.last_message_at.map(|at| view! { <super::DateTime at /> })}</td>
            {values}
        </tr>
    }
}

/// Adds a contact by phone and opens its page.
#[component]
fn AddContact() -> impl IntoView {
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut request = NewContactRequest {
            phone: phone.get_untracked(),
            ..NewContactRequest::default()
        };
        let given = name.get_untracked();
        if !given.trim().is_empty() {
            request.details.name = Some(Some(given));
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create_contact(request).await {
                Ok(contact) => {
                    navigate(&format!("/contacts/{}", contact.id), Default::default());
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <details class="add-contact">
            <summary>"Add a contact"</summary>
            <form on:submit=add>
                <label for="new-contact-phone">"Phone (with country code)"</label>
                <input id="new-contact-phone" type="tel" placeholder="+44 20 7946 0958" required
                    prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev)) />
                <label for="new-contact-name">"Name"</label>
                <input id="new-contact-name" type="text" maxlength="100"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <button type="submit" class="primary">"Add contact"</button>
                {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            </form>
        </details>
    }
}
