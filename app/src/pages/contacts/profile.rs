//! `/contacts/:contact_id`: one customer — who they are, what the team knows about them, and
//! every conversation with them on every business number — and the same, compact, beside the
//! thread in the inbox.

use super::editor::{ContactEditor, EditorContext};
use crate::api::{contact_attributes, contact_profile, current_viewer, labels};
use crate::contacts::{ContactConversation, ContactDetails};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::pages::frame::AppFrame;
use crate::pages::{DateTime, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What the editor needs besides the contact, read in one go.
async fn editor_context() -> Result<EditorContext, crate::api::AppError> {
    let (attributes, labels, viewer) =
        futures::join!(contact_attributes(), labels(), current_viewer());
    Ok(EditorContext {
        attributes: attributes?,
        labels: labels?,
        is_admin: viewer?.is_some_and(|v| v.is_admin()),
    })
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let contact_id = move || {
        params
            .read()
            .get("contact_id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let live = use_live();
    let loaded = Resource::new(
        move || (contact_id(), live.reset.get()),
        |(id, _)| async move {
            let id = id.ok_or(crate::api::AppError::NotFound)?;
            let (contact, context) = futures::join!(contact_profile(id), editor_context());
            Ok::<_, crate::api::AppError>((contact?, context?))
        },
    );
    let shown = RwSignal::new(None::<ContactDetails>);
    let saved = RwSignal::new(false);
    // Made here, not in the redrawn part: a save redraws the form, which must not dispose the
    // callback it is still calling.
    let on_saved = Callback::new(move |contact| shown.set(Some(contact)));
    Effect::new(move |_| {
        if let Some(Ok((contact, _))) = loaded.get() {
            shown.set(Some(contact));
        }
    });
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::ContactUpdated { contact } = &**event
            && Some(contact.id) == contact_id()
        {
            shown.set(Some((**contact).clone()));
        }
    });
    view! {
        <Title text="Contact · Parley" />
        <AppFrame>
            <main class="admin contact-page">
                <p><a href="/contacts">"← Contacts"</a></p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok((contact, context)) => {
                                let is_admin = context.is_admin;
                                let id = contact.id;
                                let has_phone = contact.phone.is_some();
                                let heading = move || shown.with(|c| c.as_ref().map(ContactDetails::display_name)).unwrap_or_else(|| contact.display_name());
                                view! {
                                    <h1 dir="auto">{heading}</h1>
                                    <ContactFacts contact=shown />
                                    <super::erase::StartConversation contact_id=id has_phone />
                                    <super::consent::ConsentPanel contact_id=id />
                                    // Redrawn when the contact changes elsewhere, so the form shows it.
                                    {move || shown.get().map(|contact| {
                                        view! { <ContactEditor contact context=context.clone() on_saved saved /> }
                                    })}
                                    <h2>"Conversations"</h2>
                                    {move || shown.get().map(|c| view! { <ContactHistory conversations=c.conversations /> })}
                                    {is_admin.then(|| view! {
                                        <super::merge::MergeContact contact_id=id on_merged=on_saved />
                                        <super::erase::EraseContact contact_id=id />
                                    })}
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

/// What WhatsApp tells about the customer (members do not edit these).
#[component]
fn ContactFacts(contact: RwSignal<Option<ContactDetails>>) -> impl IntoView {
    let row = |label: &'static str, value: Option<String>| {
        value.map(|value| {
            view! {
                <div>
                    <dt>{label}</dt>
                    <dd dir="auto">{value}</dd>
                </div>
            }
        })
    };
    move || {
        contact.get().map(|c| {
            view! {
                <dl class="contact-facts">
                    {row("Phone", c.phone)}
                    {row("WhatsApp profile name", c.profile_name)}
                    {row("Username", c.username)}
                    {row("WhatsApp user id", c.bsuid)}
                    <div><dt>"Added"</dt><dd><DateTime at=c.created_at /></dd></div>
                    {c.last_message_at.map(|at| view! { <div><dt>"Last message"</dt><dd><DateTime at /></dd></div> })}
                </dl>
            }
        })
    }
}

/// Every conversation with the customer, newest first; each opens in the inbox.
#[component]
pub fn ContactHistory(conversations: Vec<ContactConversation>) -> impl IntoView {
    if conversations.is_empty() {
        return view! { <p class="hint">"No conversations yet."</p> }.into_any();
    }
    view! {
        <ul class="contact-history">
            {conversations.into_iter().map(|c| {
                let number = c.display_phone_number.clone().unwrap_or_else(|| c.phone_number_id.clone());
                view! {
                    <li>
                        <a href=format!("/inbox/{}", c.id)>
                            <span class=format!("status-badge status-{}", c.status.as_str())>{c.status.as_str()}</span>
                            " on " {number}
                        </a>
                        " · opened " <DateTime at=c.opened_at />
                        " · last message " <DateTime at=c.last_message_at />
                        {c.assignee_name.map(|name| view! { <span>" · " {name}</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The contact beside the thread: loaded once the page is live (not as a resource, which
/// inside the inbox's suspense would shift the ids of the page's resources while hydrating),
/// and kept current by live events.
#[component]
pub fn ContactSidePanel(contact_id: i64) -> impl IntoView {
    let contact = RwSignal::new(None::<ContactDetails>);
    let context = RwSignal::new(None::<EditorContext>);
    let problem = RwSignal::new(None::<crate::api::AppError>);
    let saved = RwSignal::new(false);
    let on_saved = Callback::new(move |saved| contact.set(Some(saved)));
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let (found, editor) = futures::join!(contact_profile(contact_id), editor_context());
            match (found, editor) {
                (Ok(found), Ok(editor)) => {
                    context.set(Some(editor));
                    contact.set(Some(found));
                }
                (Err(error), _) | (_, Err(error)) => problem.set(Some(error)),
            }
        });
    });
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::ContactUpdated { contact: changed } = &**event
            && changed.id == contact_id
        {
            contact.set(Some((**changed).clone()));
        }
    });
    view! {
        <details class="contact-panel">
            <summary>"Contact"</summary>
            {move || problem.get().map(|error| view! { <ErrorNotice error /> })}
            {move || match (contact.get(), context.get()) {
                (Some(found), Some(editor)) => {
                    let history = found.conversations.clone();
                    view! {
                        <p>
                            <a href=format!("/contacts/{contact_id}")>"Open the contact page"</a>
                            {found.phone.clone().map(|p| view! { <span class="hint">" · " {p}</span> })}
                        </p>
                        <ContactEditor contact=found context=editor on_saved saved />
                        <super::consent::ConsentPanel contact_id />
                        <h3>"Conversations"</h3>
                        <ContactHistory conversations=history />
                    }.into_any()
                }
                _ => view! { <p class="hint">"Loading…"</p> }.into_any(),
            }}
        </details>
    }
}
