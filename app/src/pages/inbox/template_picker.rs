//! The template picker: the approved templates of the account, a field per parameter, a
//! live preview, a file for a media header, and send (the main action once the window has
//! closed).

#[cfg(feature = "hydrate")]
use super::composer::upload;
use crate::api::{send_message, templates};
use crate::compose::{Outgoing, SendRequest, TemplateContent, Upload};
use crate::templates::TemplateView;
use leptos::prelude::*;

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

/// Lists the approved templates, asks for each parameter, previews and sends.
#[component]
pub fn TemplatePicker(conversation_id: i64, open: RwSignal<bool>) -> impl IntoView {
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
                seen_up_to: None,
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
