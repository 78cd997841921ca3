//! A contact's data rights from their page (admins; GDPR): export everything Parley holds
//! about them, or erase it.

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
