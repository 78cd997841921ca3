//! Merging a duplicate into the contact on screen (admins): find the other record, then merge
//! it in. Everything of both is kept — conversations, labels, attribute values (this contact's
//! win where both have one), fields this one lacks, both notes.

use crate::api::{contact_list, merge_contacts};
use crate::contacts::{ContactDetails, ContactListQuery, ContactSummary};
use leptos::prelude::*;

#[component]
pub fn MergeContact(contact_id: i64, on_merged: Callback<ContactDetails>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<ContactSummary>::new());
    let problem = RwSignal::new(None::<String>);
    let look = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = ContactListQuery {
            q: Some(search.get_untracked()),
            limit: Some(10),
            ..ContactListQuery::default()
        };
        leptos::task::spawn_local(async move {
            match contact_list(query).await {
                Ok(page) => found.set(
                    page.contacts
                        .into_iter()
                        .filter(|c| c.id != contact_id)
                        .collect(),
                ),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let merge = move |other: ContactSummary| {
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message(&format!(
                "Merge {} into this contact? Their conversations, labels, values and note move here, and their record is deleted.",
                other.display_name()
            ))
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            match merge_contacts(contact_id, other.id).await {
                Ok(merged) => {
                    found.try_set(Vec::new());
                    on_merged.run(merged);
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    view! {
        <details class="merge-contact">
            <summary>"Merge a duplicate into this contact"</summary>
            <form class="merge-search" role="search" on:submit=look>
                <label for="merge-search">"Find the duplicate"</label>
                <input id="merge-search" type="search" placeholder="Name, phone or email"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <button type="submit" class="secondary">"Find"</button>
            </form>
            <ul class="merge-candidates">
                {move || found.get().into_iter().map(|other| {
                    let label = format!("{} {}", other.display_name(), other.phone.clone().unwrap_or_default());
                    let chosen = other.clone();
                    view! {
                        <li>
                            <span dir="auto">{label}</span>
                            " "
                            <button type="button" class="secondary" on:click=move |_| merge(chosen.clone())>"Merge into this contact"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </details>
    }
}
