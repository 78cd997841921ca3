//! The composer: free-form replies and attachments inside the service window (Enter sends,
//! Shift+Enter breaks the line), and the template picker, which is the main action once the
//! window has closed. Everything goes through the same send path as the REST API.

use crate::api::{send_message, templates};
use crate::compose::{Outgoing, SendRequest, TemplateContent, Upload, human_size};
use crate::templates::TemplateView;
use leptos::prelude::*;

/// File types the attach button offers: what WhatsApp accepts as images and documents.
const ACCEPTED_FILES: &str = "image/jpeg,image/png,application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx,video/mp4,audio/mpeg,audio/ogg,audio/aac";

#[component]
pub fn Composer(conversation_id: i64, closed: Signal<bool>) -> impl IntoView {
    // The thread shows a sent message at once (its ticks follow as live events).
    let thread = use_context::<super::state::ThreadState>();
    let draft = RwSignal::new(String::new());
    let attachment = RwSignal::new(None::<Upload>);
    let uploading = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let picking = RwSignal::new(false);
    let last_typing = StoredValue::new(None::<i64>);

    let send = move || {
        let text = draft.get_untracked();
        let file = attachment.get_untracked();
        if sending.get_untracked() || (text.trim().is_empty() && file.is_none()) {
            return;
        }
        // Enter while a file is still uploading would send the caption without the file.
        if let Some(name) = uploading.get_untracked() {
            problem.set(Some(format!(
                "{name} is still uploading: send once it is attached."
            )));
            return;
        }
        let content = match &file {
            Some(upload) => upload.message(&text),
            None => Outgoing::Text { text },
        };
        if let Err(why) = content.check_limits() {
            problem.set(Some(why));
            return;
        }
        sending.set(true);
        leptos::task::spawn_local(async move {
            let request = SendRequest {
                content,
                reply_to: None,
            };
            match send_message(conversation_id, request).await {
                Ok(message) => {
                    if let Some(thread) = thread {
                        // Live events may already have brought a later state of it.
                        thread.add_if_new(vec![message]);
                    }
                    draft.set(String::new());
                    attachment.set(None);
                    problem.set(None);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            sending.set(false);
        });
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

    view! {
        <div class="composer" class:locked=closed>
            <Show
                when=move || !closed.get()
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
                {move || {
                    attachment
                        .get()
                        .map(|file| {
                            let label = file.filename.clone().unwrap_or_else(|| file.kind.clone());
                            view! {
                                <p class="attachment" role="status">
                                    {if file.kind == "image" { "🖼 " } else { "📄 " }}
                                    <span class="attachment-name">{label}</span>
                                    {format!(" · {}", human_size(file.size_bytes))}
                                    <button
                                        type="button"
                                        class="link-button"
                                        aria-label="Remove the attachment"
                                        on:click=move |_| attachment.set(None)
                                    >
                                        "✕"
                                    </button>
                                </p>
                            }
                        })
                }}
                {move || {
                    uploading
                        .get()
                        .map(|name| view! { <p class="attachment uploading" role="status">{format!("Uploading {name}…")}</p> })
                }}
                <label class="visually-hidden" for="reply">
                    "Reply"
                </label>
                <textarea
                    id="reply"
                    rows="2"
                    placeholder=move || {
                        if attachment.with(Option::is_some) {
                            "Add a caption (optional)"
                        } else {
                            "Write a reply (Enter sends, Shift+Enter for a new line)"
                        }
                    }
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        typing_ping(conversation_id, last_typing);
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send();
                        }
                    }
                ></textarea>
                <div class="composer-actions">
                    <label class="attach-button" title="Attach an image or document">
                        <span aria-hidden="true">"📎"</span>
                        <span class="visually-hidden">"Attach a file"</span>
                        <input
                            type="file"
                            class="visually-hidden"
                            accept=ACCEPTED_FILES
                            on:change=choose_file
                            disabled=move || uploading.with(Option::is_some)
                        />
                    </label>
                    <button type="button" class="secondary" on:click=move |_| picking.set(true)>
                        "Template"
                    </button>
                    <button
                        type="button"
                        class="primary"
                        on:click=move |_| send()
                        disabled=move || {
                            sending.get() || uploading.with(Option::is_some)
                                || (draft.with(|d| d.trim().is_empty()) && attachment.with(Option::is_none))
                        }
                    >
                        "Send"
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

/// Uploads the file chosen for a template's media header.
fn attach_header(
    ev: leptos::ev::Event,
    conversation_id: i64,
    header: RwSignal<Option<Upload>>,
    problem: RwSignal<Option<String>>,
) {
    #[cfg(feature = "hydrate")]
    {
        let Some(file) = crate::upload::take_chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match upload(conversation_id, file).await {
                Ok(upload) => header.set(Some(upload)),
                Err(why) => problem.set(Some(why)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, conversation_id, header, problem);
}

/// Uploads a file through `POST /api/v1/media` (the API's own upload path).
#[cfg(feature = "hydrate")]
async fn upload(conversation_id: i64, file: web_sys::File) -> Result<Upload, String> {
    crate::upload::post_file(
        "/api/v1/media",
        &[("conversation_id", conversation_id.to_string())],
        file,
    )
    .await
}

/// Lists the approved templates, asks for each parameter, previews and sends.
#[component]
fn TemplatePicker(conversation_id: i64, open: RwSignal<bool>) -> impl IntoView {
    let available = Resource::new(|| (), |_| templates());
    let chosen = RwSignal::new(None::<TemplateView>);
    let values = RwSignal::new(Vec::<String>::new());
    // A template with a media header is sent with a file the agent attaches here.
    let header = RwSignal::new(None::<Upload>);
    let problem = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let send = move |_| {
        let Some(template) = chosen.get_untracked() else {
            return;
        };
        let parameters = values.get_untracked();
        sending.set(true);
        leptos::task::spawn_local(async move {
            let request = SendRequest {
                content: Outgoing::Template {
                    template: TemplateContent {
                        name: template.name.clone(),
                        language: template.language.clone(),
                        parameters,
                        header_media_id: header.get_untracked().map(|u| u.media_id),
                        components: None,
                    },
                },
                reply_to: None,
            };
            match send_message(conversation_id, request).await {
                Ok(_) => open.set(false),
                Err(error) => problem.set(Some(error.to_string())),
            }
            sending.set(false);
        });
    };
    view! {
        <section class="template-picker" aria-label="Send a template">
            <header>
                <h3>"Send a template"</h3>
                <button type="button" class="link-button" on:click=move |_| open.set(false)>
                    "Close"
                </button>
            </header>
            <Transition fallback=|| view! { <p>"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    match available.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty-state">"No approved templates yet."</p> }.into_any()
                        }
                        Ok(list) => {
                            let options = list.clone();
                            view! {
                                <label for="template-choice">"Template"</label>
                                <select
                                    id="template-choice"
                                    on:change=move |ev| {
                                        let picked = event_target_value(&ev);
                                        let template = options.iter().find(|t| t.id == picked).cloned();
                                        let count = template.as_ref().map_or(0, |t| t.parameters().len());
                                        values.set(vec![String::new(); count]);
                                        header.set(None);
                                        chosen.set(template);
                                        problem.set(None);
                                    }
                                >
                                    <option value="">"Choose…"</option>
                                    {list
                                        .into_iter()
                                        .map(|t| {
                                            let label = format!("{} · {} · {}", t.name, t.language, t.category.to_lowercase());
                                            view! { <option value=t.id>{label}</option> }
                                        })
                                        .collect_view()}
                                </select>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || {
                chosen
                    .get()
                    .map(|template| {
                        let names = template.parameters();
                        let examples = template.examples();
                        let preview_template = template.clone();
                        let header_format = template.header_media().map(str::to_lowercase);
                        view! {
                            {header_format.map(|format| {
                                let accept = match format.as_str() {
                                    "image" => "image/jpeg,image/png",
                                    "video" => "video/mp4",
                                    _ => "application/pdf",
                                };
                                view! {
                                    <label for="template-header-file">{format!("Header {format}")}</label>
                                    <input
                                        id="template-header-file"
                                        type="file"
                                        accept=accept
                                        on:change=move |ev| attach_header(ev, conversation_id, header, problem)
                                    />
                                    {move || header.get().map(|u| view! { <p class="attachment">{u.filename.unwrap_or_default()}</p> })}
                                }
                            })}
                            <div class="template-parameters">
                                {names
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, name)| {
                                        let id = format!("template-parameter-{i}");
                                        let example = examples.get(i).cloned().unwrap_or_default();
                                        view! {
                                            <label for=id.clone()>{format!("{{{{{name}}}}}")}</label>
                                            <input
                                                id=id
                                                type="text"
                                                placeholder=example
                                                prop:value=move || values.with(|v| v.get(i).cloned().unwrap_or_default())
                                                on:input=move |ev| {
                                                    let value = event_target_value(&ev);
                                                    values.update(|v| {
                                                        if let Some(slot) = v.get_mut(i) {
                                                            *slot = value;
                                                        }
                                                    });
                                                }
                                            />
                                        }
                                    })
                                    .collect_view()}
                            </div>
                            <p class="template-preview" dir="auto" aria-label="Preview">
                                {move || values.with(|v| preview_template.render(v))}
                            </p>
                        }
                    })
            }}
            <button
                type="button"
                class="primary"
                on:click=send
                disabled=move || {
                    sending.get() || chosen.with(Option::is_none)
                        || values.with(|v| v.iter().any(|p| p.trim().is_empty()))
                        || (chosen.with(|t| t.as_ref().is_some_and(|t| t.header_media().is_some()))
                            && header.with(Option::is_none))
                }
            >
                "Send template"
            </button>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </section>
    }
    .into_any()
}
