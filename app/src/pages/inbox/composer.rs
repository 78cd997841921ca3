//! The composer: replies to the customer (Enter sends, Shift+Enter breaks the line, files
//! attached) and internal notes for the team (`n`, or the Note tab; `@` mentions a teammate).
//! `/` at the start opens the canned replies. A reply sent after a teammate replied to what
//! this member had seen asks first. Everything goes through the same use cases as the REST API.

use super::pickers::{Suggestion, Suggestions, Trigger, trigger, with_mention};
use super::state::ThreadState;
use super::template_picker::TemplatePicker;
use super::{Commands, Me};
use crate::api::{
    AppError, add_note, assignable_members, canned_attachment, canned_replies, send_message,
    set_presence,
};
use crate::collaboration::{
    Activity, CannedReplyView, NoteDraft, PlaceholderValues, fill_placeholders,
};
use crate::compose::{Outgoing, SendRequest, Upload, human_size};
use leptos::prelude::*;

/// File types the attach button offers: what WhatsApp accepts as images and documents.
const ACCEPTED_FILES: &str = "image/jpeg,image/png,application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx,video/mp4,audio/mpeg,audio/ogg,audio/aac";

/// A teammate's reply came in after what this member had seen: who, before sending anyway.
#[derive(Clone, Debug, PartialEq)]
struct Collision {
    by: String,
    content: Outgoing,
}

#[component]
pub fn Composer(conversation_id: i64, closed: Signal<bool>) -> impl IntoView {
    // The thread shows a sent message at once (its ticks follow as live events).
    let thread = use_context::<ThreadState>();
    let commands = use_context::<Commands>().expect("the inbox provides its commands");
    let me = use_context::<Me>();
    let note_mode = commands.note_mode;
    let draft = RwSignal::new(String::new());
    let attachment = RwSignal::new(None::<Upload>);
    let uploading = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let unfilled = RwSignal::new(Vec::<String>::new());
    let collision = RwSignal::new(None::<Collision>);
    let sending = RwSignal::new(false);
    let picking = RwSignal::new(false);
    let last_typing = StoredValue::new(None::<i64>);
    let last_presence = StoredValue::new(None::<(Activity, i64)>);
    // The newest message the member had seen when they began this draft.
    let seen_up_to = StoredValue::new(None::<i64>);

    let members = Resource::new(|| (), |_| assignable_members());
    let canned = Resource::new(
        move || picking_canned(draft, note_mode),
        |wanted| async move {
            if wanted {
                canned_replies().await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let highlighted = RwSignal::new(0usize);
    let asked = Memo::new(move |_| trigger(&draft.get(), note_mode.get()));
    let suggestions = Memo::new(move |_| match asked.get() {
        Some(Trigger::Mention(query)) => members
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.name.as_str().to_lowercase().starts_with(&query))
            .take(8)
            .map(|m| Suggestion {
                title: format!("@{}", m.name),
                detail: String::new(),
            })
            .collect(),
        Some(Trigger::Canned(query)) => matching_canned(&canned, &query)
            .into_iter()
            .map(|reply| Suggestion {
                title: format!("/{}", reply.shortcut),
                detail: format!(
                    "{}{}",
                    reply.title,
                    if reply.attachment.is_some() {
                        " 📎"
                    } else {
                        ""
                    }
                ),
            })
            .collect(),
        None => Vec::new(),
    });
    Effect::new(move |_| {
        suggestions.track();
        highlighted.set(0);
    });

    let fill = move |body: &str| {
        let conversation = thread.and_then(|t| t.conversation.get_untracked());
        let values = PlaceholderValues {
            contact_name: conversation.as_ref().and_then(|c| c.contact.name.clone()),
            contact_phone: conversation
                .as_ref()
                .and_then(|c| c.contact.wa_id.as_ref().map(|w| format!("+{w}"))),
            agent_name: me
                .and_then(|me| me.0.get_untracked())
                .map(|viewer| viewer.name.to_string()),
            contact_attributes: Vec::new(),
        };
        fill_placeholders(body, &values)
    };
    let pick = Callback::new(move |index: usize| match asked.get_untracked() {
        Some(Trigger::Mention(_)) => {
            if let Some(choice) = suggestions.get_untracked().get(index) {
                let name = choice.title.trim_start_matches('@').to_owned();
                draft.update(|d| *d = with_mention(d, &name));
            }
        }
        Some(Trigger::Canned(query)) => {
            let Some(reply) = matching_canned(&canned, &query).into_iter().nth(index) else {
                return;
            };
            let filled = fill(&reply.body);
            draft.set(filled.text);
            unfilled.set(filled.missing);
            if reply.attachment.is_some() && !note_mode.get_untracked() {
                uploading.set(
                    reply
                        .attachment
                        .as_ref()
                        .and_then(|a| a.filename.clone())
                        .or(Some("the attachment".into())),
                );
                leptos::task::spawn_local(async move {
                    match canned_attachment(reply.id, conversation_id).await {
                        Ok(upload) => attachment.set(Some(upload)),
                        Err(error) => problem.set(Some(error.to_string())),
                    }
                    uploading.set(None);
                });
            }
        }
        None => {}
    });

    let presence = move |activity: Activity| {
        let now = crate::window::now_ms();
        let renew_after = activity.lasts_seconds() * 1000 / 2;
        if last_presence
            .get_value()
            .is_some_and(|(was, at)| was == activity && now - at < renew_after)
        {
            return;
        }
        last_presence.set_value(Some((activity, now)));
        leptos::task::spawn_local(async move {
            let _ = set_presence(conversation_id, Some(activity)).await;
        });
    };
    let finished = move || {
        draft.set(String::new());
        attachment.set(None);
        problem.set(None);
        unfilled.set(Vec::new());
        collision.set(None);
        seen_up_to.set_value(None);
        presence(Activity::Viewing);
    };
    let deliver = move |content: Outgoing, check: bool| {
        sending.set(true);
        let seen = if check { seen_up_to.get_value() } else { None };
        leptos::task::spawn_local(async move {
            let request = SendRequest {
                content: content.clone(),
                reply_to: None,
                seen_up_to: seen,
            };
            match send_message(conversation_id, request).await {
                Ok(message) => {
                    if let Some(thread) = thread {
                        // Live events may already have brought a later state of it.
                        thread.add_if_new(vec![message]);
                    }
                    finished();
                }
                Err(AppError::RepliedMeanwhile(by)) => {
                    collision.set(Some(Collision { by, content }))
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            sending.set(false);
        });
    };
    let send = move || {
        let text = draft.get_untracked();
        if sending.get_untracked()
            || text.trim().is_empty()
                && (note_mode.get_untracked() || attachment.with_untracked(Option::is_none))
        {
            return;
        }
        if note_mode.get_untracked() {
            sending.set(true);
            leptos::task::spawn_local(async move {
                let draft_note = NoteDraft {
                    body: text,
                    mentions: Vec::new(),
                };
                match add_note(conversation_id, draft_note).await {
                    Ok(note) => {
                        if let Some(thread) = thread {
                            thread.add_notes(vec![note]);
                        }
                        finished();
                    }
                    Err(error) => problem.set(Some(error.to_string())),
                }
                sending.set(false);
            });
            return;
        }
        // Enter while a file is still uploading would send the caption without the file.
        if let Some(name) = uploading.get_untracked() {
            problem.set(Some(format!(
                "{name} is still uploading: send once it is attached."
            )));
            return;
        }
        let content = match attachment.get_untracked() {
            Some(upload) => upload.message(&text),
            None => Outgoing::Text { text },
        };
        if let Err(why) = content.check_limits() {
            problem.set(Some(why));
            return;
        }
        deliver(content, true);
    };

    let choose_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = crate::upload::take_chosen_file(&ev) else {
                return;
            };
            uploading.set(Some(file.name()));
            problem.set(None);
            leptos::task::spawn_local(async move {
                match upload(conversation_id, file).await {
                    Ok(upload) => attachment.set(Some(upload)),
                    Err(why) => problem.set(Some(why)),
                }
                uploading.set(None);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if draft.with_untracked(String::is_empty) && !text.is_empty() {
            seen_up_to.set_value(thread.and_then(|t| t.newest_message_id()));
        }
        draft.set(text);
        if note_mode.get_untracked() {
            presence(Activity::Noting);
        } else {
            presence(Activity::Replying);
            typing_ping(conversation_id, last_typing);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = suggestions.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                highlighted.update(|h| *h = (*h + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                highlighted.update(|h| *h = (*h + count - 1) % count);
            }
            "Enter" | "Tab" if count > 0 && !ev.shift_key() => {
                ev.prevent_default();
                pick.run(highlighted.get_untracked());
            }
            "Escape" => {
                commands.panel.set(None);
            }
            "Enter" if !ev.shift_key() => {
                ev.prevent_default();
                send();
            }
            _ => {}
        }
    };

    let locked = move || closed.get() && !note_mode.get();
    view! {
        <div class="composer" class:locked=locked class:note-mode=move || note_mode.get()>
            <div class="composer-modes" role="tablist" aria-label="Write">
                <button type="button" role="tab" aria-selected=move || (!note_mode.get()).to_string()
                    class:active=move || !note_mode.get() on:click=move |_| note_mode.set(false)>
                    "Reply"
                </button>
                <button type="button" role="tab" aria-selected=move || note_mode.get().to_string()
                    class:active=move || note_mode.get() on:click=move |_| note_mode.set(true)>
                    "Note"
                </button>
            </div>
            <Show
                when=move || !locked()
                fallback=move || {
                    view! {
                        <p class="composer-locked" role="status">
                            "The 24-hour window is closed: only an approved template can reopen the conversation."
                        </p>
                        <button type="button" class="primary" on:click=move |_| picking.set(true)>
                            "Send a template…"
                        </button>
                    }
                }
            >
                {move || (!note_mode.get()).then(|| attachment.get()).flatten().map(|file| {
                    let label = file.filename.clone().unwrap_or_else(|| file.kind.clone());
                    view! {
                        <p class="attachment" role="status">
                            {if file.kind == "image" { "🖼 " } else { "📄 " }}
                            <span class="attachment-name">{label}</span>
                            {format!(" · {}", human_size(file.size_bytes))}
                            <button type="button" class="link-button" aria-label="Remove the attachment"
                                on:click=move |_| attachment.set(None)>
                                "✕"
                            </button>
                        </p>
                    }
                })}
                {move || uploading.get().map(|name| view! { <p class="attachment uploading" role="status">{format!("Uploading {name}…")}</p> })}
                <Show when=move || !suggestions.with(Vec::is_empty)>
                    <Suggestions
                        label=if matches!(asked.get_untracked(), Some(Trigger::Mention(_))) { "Mention a teammate" } else { "Canned replies" }
                        items=suggestions
                        highlighted
                        pick
                    />
                </Show>
                <label class="visually-hidden" for="reply">
                    {move || if note_mode.get() { "Internal note" } else { "Reply" }}
                </label>
                <textarea
                    id="reply"
                    rows="2"
                    placeholder=move || {
                        if note_mode.get() {
                            "Internal note: only your team sees it (@ mentions a teammate)"
                        } else if attachment.with(Option::is_some) {
                            "Add a caption (optional)"
                        } else {
                            "Write a reply (Enter sends, Shift+Enter for a new line, / for canned replies)"
                        }
                    }
                    prop:value=move || draft.get()
                    on:input=on_input
                    on:keydown=on_keydown
                ></textarea>
                {move || (!unfilled.with(Vec::is_empty)).then(|| view! {
                    <p class="form-warning" role="status">
                        "Fill in before sending: "
                        {unfilled.get().iter().map(|k| format!("{{{{{k}}}}}")).collect::<Vec<_>>().join(", ")}
                    </p>
                })}
                {move || collision.get().map(|c| {
                    let again = c.content.clone();
                    view! {
                        <div class="collision" role="alert">
                            <p>{format!("{} replied in the meantime. Send yours anyway?", c.by)}</p>
                            <button type="button" class="primary" on:click=move |_| deliver(again.clone(), false)>"Send anyway"</button>
                            <button type="button" class="secondary" on:click=move |_| {
                                collision.set(None);
                                seen_up_to.set_value(thread.and_then(|t| t.newest_message_id()));
                            }>"Not now"</button>
                        </div>
                    }
                })}
                <div class="composer-actions">
                    <Show when=move || !note_mode.get()>
                        <label class="attach-button" title="Attach an image or document">
                            <span aria-hidden="true">"📎"</span>
                            <span class="visually-hidden">"Attach a file"</span>
                            <input type="file" class="visually-hidden" accept=ACCEPTED_FILES on:change=choose_file
                                disabled=move || uploading.with(Option::is_some) />
                        </label>
                        <button type="button" class="secondary" on:click=move |_| picking.set(true)>
                            "Template"
                        </button>
                    </Show>
                    <button
                        type="button"
                        class="primary"
                        on:click=move |_| send()
                        disabled=move || {
                            sending.get() || uploading.with(Option::is_some)
                                || (draft.with(|d| d.trim().is_empty())
                                    && (note_mode.get() || attachment.with(Option::is_none)))
                        }
                    >
                        {move || if note_mode.get() { "Add note" } else { "Send" }}
                    </button>
                </div>
            </Show>
            <Show when=move || picking.get()>
                <TemplatePicker conversation_id open=picking />
            </Show>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </div>
    }
    .into_any()
}

/// Whether the draft asks for canned replies (they load then, and again after a change).
fn picking_canned(draft: RwSignal<String>, note_mode: RwSignal<bool>) -> bool {
    matches!(
        trigger(&draft.get(), note_mode.get()),
        Some(Trigger::Canned(_))
    )
}

/// The canned replies whose shortcut or title holds `query`, shortcut matches first.
fn matching_canned(
    canned: &Resource<Result<Vec<CannedReplyView>, AppError>>,
    query: &str,
) -> Vec<CannedReplyView> {
    let all = canned.get().and_then(Result::ok).unwrap_or_default();
    let mut found: Vec<CannedReplyView> = all
        .into_iter()
        .filter(|r| r.shortcut.contains(query) || r.title.to_lowercase().contains(query))
        .collect();
    found.sort_by_key(|r| (!r.shortcut.starts_with(query), r.shortcut.clone()));
    found.truncate(8);
    found
}

/// Meta shows the typing indicator for up to 25 seconds (or until the reply): renew it at
/// most every 20 seconds while the agent writes.
fn typing_ping(conversation_id: i64, last: StoredValue<Option<i64>>) {
    let now = crate::window::now_ms();
    if last.get_value().is_some_and(|at| now - at < 20_000) {
        return;
    }
    last.set_value(Some(now));
    leptos::task::spawn_local(async move {
        let _ = crate::api::agent_typing(conversation_id).await;
    });
}

/// Uploads a file through `POST /api/v1/media` (the API's own upload path).
#[cfg(feature = "hydrate")]
pub(super) async fn upload(conversation_id: i64, file: web_sys::File) -> Result<Upload, String> {
    crate::upload::post_file(
        "/api/v1/media",
        &[("conversation_id", conversation_id.to_string())],
        file,
    )
    .await
}
