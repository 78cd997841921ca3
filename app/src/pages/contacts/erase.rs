//! Actions on a contact's page beyond editing: starting a conversation with them, and their
//! data rights (admins; GDPR): export everything Parley holds about them, or erase it.

use leptos::prelude::*;

/// Erasing the contact (admins; a GDPR request), behind a confirmation.
#[component]
pub fn EraseContact(contact_id: i64) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let erase = move |_| {
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message(
                "Erase this contact? Their name, phone, profile and the text and media of every message with them are deleted for good. Conversations stay as anonymous counts.",
            )
            .unwrap_or(false)
        {
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match crate::api::erase_contact(contact_id).await {
                Ok(()) => navigate("/contacts", Default::default()),
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    view! {
        <details class="erase-contact">
            <summary>"Erase this contact (GDPR)"</summary>
            <p>
                <a class="button" href=format!("/api/v1/contacts/{contact_id}/export") download>
                    "Export everything about them (ZIP)"
                </a>
            </p>
            <p class="hint">"Deletes what Parley holds about them: names, phone, profile, labels, values, the note, the text and media of their messages, the team's notes on their conversations and Meta's raw webhooks that name them. Reports keep the counts. The erasure is in the audit log."</p>
            <button type="button" class="danger" on:click=erase>"Erase this contact"</button>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </details>
    }
}

/// Starts a conversation with the contact from a business number and opens it; outside the
/// 24-hour window the composer there offers approved templates.
#[component]
pub fn StartConversation(contact_id: i64, has_phone: bool) -> impl IntoView {
    let numbers = RwSignal::new(Vec::<crate::contacts::NumberOption>::new());
    let chosen = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // Read once the page is live (not a resource: see `ContactSidePanel`).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(found) = crate::api::business_numbers().await {
                if let Some(first) = found.first() {
                    chosen.set(first.phone_number_id.clone());
                }
                numbers.set(found);
            }
        });
    });
    let navigate = leptos_router::hooks::use_navigate();
    let start = move |_| {
        let number = Some(chosen.get_untracked()).filter(|n| !n.is_empty());
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match crate::api::start_conversation(contact_id, number).await {
                Ok(id) => navigate(&format!("/inbox/{id}"), Default::default()),
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    view! {
        <div class="start-conversation">
            <Show when=move || numbers.with(|n| n.len() > 1)>
                <label for="start-from">"From "</label>
                <select id="start-from" on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {move || numbers.get().into_iter().map(|n| {
                        let label = n.display_phone_number.clone().unwrap_or_else(|| n.phone_number_id.clone());
                        view! { <option value=n.phone_number_id.clone()>{label}</option> }
                    }).collect_view()}
                </select>
            </Show>
            <button type="button" class="primary" disabled=!has_phone on:click=start>"Start a conversation"</button>
            {move || problem.get().map(|p| view! { <span class="form-error" role="alert">{p}</span> })}
        </div>
    }
}
