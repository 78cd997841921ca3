//! Canned replies: `/canned-replies` for a member's own (and to read the team's), and
//! `/admin/canned-replies` where admins keep the team's. In the composer, `/` and a few letters
//! find them.

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{canned_replies, delete_canned_reply, save_canned_reply};
use crate::collaboration::{CannedReplyDraft, CannedReplyView};
use crate::compose::human_size;
use leptos::prelude::*;
use leptos_meta::Title;

/// A member's own canned replies, and the team's to read.
#[component]
pub fn CannedRepliesPage() -> impl IntoView {
    view! {
        <Title text="Canned replies · Parley" />
        <AppFrame>
            <main class="admin canned-admin">
                <h1>"Canned replies"</h1>
                <p class="hint">
                    "Type / and a few letters in the composer to use one. Placeholders: "
                    <code>"{{contact.name}}"</code>", "<code>"{{contact.phone}}"</code>", "<code>"{{agent.name}}"</code>
                    " (left visible when there is nothing to fill them with)."
                </p>
                <CannedManager shared=false />
            </main>
        </AppFrame>
    }
}

/// The team's canned replies (admins).
#[component]
pub fn SharedCannedRepliesPage() -> impl IntoView {
    view! {
        <Title text="Team canned replies · Parley" />
        <AppFrame>
            <main class="admin canned-admin">
                <h1>"Team canned replies"</h1>
                <p class="hint">"Every member can use these; only admins change them."</p>
                <CannedManager shared=true />
            </main>
        </AppFrame>
    }
}

/// The editable replies (`shared`: the team's, else the member's own); on the member's page,
/// the team's follow, to read.
#[component]
fn CannedManager(shared: bool) -> impl IntoView {
    let version = RwSignal::new(0u64);
    let loaded = Resource::new(move || version.get(), |_| canned_replies());
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <CannedForm reply=None shared changed />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(replies) => {
                        let (editable, team): (Vec<_>, Vec<_>) =
                            replies.into_iter().partition(|r| r.shared == shared);
                        view! {
                            <ul class="canned-list">
                                {editable.into_iter().map(|reply| view! {
                                    <li><CannedForm reply=Some(reply) shared changed /></li>
                                }).collect_view()}
                            </ul>
                            {(!shared && !team.is_empty()).then(|| view! {
                                <h2>"The team's"</h2>
                                <ul class="canned-list read-only">
                                    {team.into_iter().map(|reply| view! {
                                        <li>
                                            <strong>{format!("/{}", reply.shortcut)}</strong>
                                            " · " {reply.title.clone()}
                                            <p class="canned-body" dir="auto">{reply.body.clone()}</p>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A new canned reply (`reply` is `None`) or an existing one, edited in place.
#[component]
fn CannedForm(
    reply: Option<CannedReplyView>,
    shared: bool,
    changed: Callback<()>,
) -> impl IntoView {
    let id = reply.as_ref().map(|r| r.id);
    let shortcut = RwSignal::new(
        reply
            .as_ref()
            .map(|r| r.shortcut.clone())
            .unwrap_or_default(),
    );
    let title = RwSignal::new(reply.as_ref().map(|r| r.title.clone()).unwrap_or_default());
    let body = RwSignal::new(reply.as_ref().map(|r| r.body.clone()).unwrap_or_default());
    let file = RwSignal::new(reply.and_then(|r| r.attachment).map(|a| {
        (
            a.media_id,
            a.filename.unwrap_or_else(|| a.kind.clone()),
            a.size_bytes,
        )
    }));
    let uploading = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = CannedReplyDraft {
            shortcut: Some(shortcut.get_untracked()),
            title: Some(title.get_untracked()),
            body: Some(body.get_untracked()),
            shared,
            attachment_media_id: Some(
                file.get_untracked()
                    .map(|(id, _, _)| id)
                    .unwrap_or_default(),
            ),
        };
        leptos::task::spawn_local(async move {
            match save_canned_reply(id, draft).await {
                Ok(_) => {
                    problem.set(None);
                    if id.is_none() {
                        shortcut.set(String::new());
                        title.set(String::new());
                        body.set(String::new());
                        file.set(None);
                    }
                    changed.run(());
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let remove = move |_| {
        let Some(id) = id else { return };
        leptos::task::spawn_local(async move {
            match delete_canned_reply(id).await {
                Ok(()) => changed.run(()),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let choose_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let Some(chosen) = crate::upload::take_chosen_file(&ev) else {
                return;
            };
            uploading.set(true);
            leptos::task::spawn_local(async move {
                let fields = [("purpose", "canned_reply".to_owned())];
                match crate::upload::post_file::<crate::compose::Upload>(
                    "/api/v1/media",
                    &fields,
                    chosen,
                )
                .await
                {
                    Ok(upload) => {
                        let name = upload.filename.clone().unwrap_or(upload.kind.clone());
                        file.set(Some((upload.media_id, name, upload.size_bytes)));
                    }
                    Err(why) => problem.set(Some(why)),
                }
                uploading.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let prefix = id.map_or_else(|| "new-canned".to_owned(), |id| format!("canned-{id}"));
    view! {
        <form class="canned-form" on:submit=save>
            <div class="canned-fields">
                <label for=format!("{prefix}-shortcut")>"Shortcut"</label>
                <input id=format!("{prefix}-shortcut") type="text" maxlength="33" placeholder="refund" required
                    prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) />
                <label for=format!("{prefix}-title")>"Title"</label>
                <input id=format!("{prefix}-title") type="text" maxlength="80" placeholder="How refunds work" required
                    prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            </div>
            <label for=format!("{prefix}-body")>"Text"</label>
            <textarea id=format!("{prefix}-body") rows="3" required
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <div class="canned-actions">
                {move || match file.get() {
                    Some((_, name, size)) => view! {
                        <span class="attachment">{format!("📎 {name} · {}", human_size(size))}</span>
                        <button type="button" class="link-button" on:click=move |_| file.set(None)>"Remove file"</button>
                    }.into_any(),
                    None => view! {
                        <label class="attach-button">
                            {move || if uploading.get() { "Uploading…" } else { "📎 Attach a file" }}
                            <input type="file" class="visually-hidden" on:change=choose_file />
                        </label>
                    }.into_any(),
                }}
                <button type="submit" class="primary" disabled=move || uploading.get()>
                    {if id.is_some() { "Save" } else { "Add canned reply" }}
                </button>
                {id.map(|_| view! { <button type="button" class="secondary" on:click=remove>"Delete"</button> })}
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}
