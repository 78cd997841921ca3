//! Admin pages for message templates: the list with filters and live status, one template's
//! preview and approval timeline, and the form that submits a new one. Agents get 403 from
//! the server before these render.

use super::frame::AppFrame;
use crate::api::{
    delete_template, submit_template, sync_templates, template_with_timeline, templates,
};
use crate::live::{Incoming, Live, on_event, use_live};
use crate::model::LiveEvent;
use crate::pages::ErrorNotice;
use crate::templates::{
    ButtonKind, CATEGORIES, DraftButton, TemplateDraft, TemplateStatus, TemplateView, placeholders,
};
use crate::time::{date_time, iso};
use crate::window::relative_time;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

fn status_class(status: &TemplateStatus) -> &'static str {
    match status {
        TemplateStatus::Approved => "status approved",
        TemplateStatus::Pending | TemplateStatus::InAppeal => "status pending",
        TemplateStatus::Rejected | TemplateStatus::Disabled => "status rejected",
        TemplateStatus::Paused | TemplateStatus::LimitExceeded => "status paused",
        _ => "status other",
    }
}

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let live = use_live();
    let list = Resource::new(move || live.reset.get(), |_| templates());
    // The templates as shown: loaded once, then each live event replaces the one it concerns.
    let all = RwSignal::new(Vec::<TemplateView>::new());
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::TemplateUpdated { template } = &**event
        {
            all.update(|all| match all.iter_mut().find(|t| t.id == template.id) {
                Some(shown) => *shown = template.clone(),
                None => all.push(template.clone()),
            });
        }
    });
    let status = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let language = RwSignal::new(String::new());
    let syncing = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<usize, String>>);
    let sync_now = move |_| {
        syncing.set(true);
        leptos::task::spawn_local(async move {
            outcome.set(Some(sync_templates().await.map_err(|e| e.to_string())));
            list.refetch();
            syncing.set(false);
        });
    };
    let filter_select = |label: &'static str, signal: RwSignal<String>, options: Vec<String>| {
        view! {
            <label>
                {label}
                <select on:change=move |ev| signal.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    {options
                        .into_iter()
                        .map(|o| {
                            let selected = signal.get_untracked() == o;
                            view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <Title text="Templates · Parley" />
        <AppFrame>
            <main class="admin templates">
                <header class="page-header">
                    <h1>"Message templates"</h1>
                    <div class="page-actions">
                        <button type="button" class="secondary" on:click=sync_now disabled=move || syncing.get()>
                            {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                        </button>
                        <a class="button primary" href="/admin/templates/new">"New template"</a>
                    </div>
                </header>
                {move || {
                    outcome
                        .get()
                        .map(|result| match result {
                            Ok(changed) => view! { <p class="notice" role="status">{format!("Synced with Meta: {changed} change(s).")}</p> }.into_any(),
                            Err(why) => view! { <p class="form-error" role="alert">{why}</p> }.into_any(),
                        })
                }}
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(loaded) => {
                                let mut languages: Vec<String> = loaded.iter().map(|t| t.language.clone()).collect();
                                all.set(loaded);
                                languages.sort();
                                languages.dedup();
                                let statuses = TemplateStatus::FILTERABLE.iter().map(|s| s.as_str().to_owned()).collect();
                                let categories = CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
                                let shown = move || {
                                    all.with(|all| {
                                        all.iter()
                                            .filter(|t| status.with(|s| s.is_empty() || t.status.as_str() == s))
                                            .filter(|t| category.with(|c| c.is_empty() || &t.category == c))
                                            .filter(|t| language.with(|l| l.is_empty() || &t.language == l))
                                            .cloned()
                                            .collect::<Vec<_>>()
                                    })
                                };
                                view! {
                                    <div class="filters" role="group" aria-label="Filters">
                                        {filter_select("Status", status, statuses)}
                                        {filter_select("Category", category, categories)}
                                        {filter_select("Language", language, languages)}
                                    </div>
                                    {move || view! { <TemplateTable templates=shown() live /> }}
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

#[component]
fn TemplateTable(templates: Vec<TemplateView>, live: Live) -> impl IntoView {
    if templates.is_empty() {
        return view! { <p class="empty-state">"No templates match."</p> }.into_any();
    }
    view! {
        <table class="template-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Language"</th>
                    <th scope="col">"Category"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Quality"</th>
                    <th scope="col">"Last change"</th>
                    <th scope="col">"Reason"</th>
                </tr>
            </thead>
            <tbody>
                {templates
                    .into_iter()
                    .map(|t| {
                        let href = format!("/admin/templates/{}", t.id);
                        let updated = t.updated_at;
                        view! {
                            <tr>
                                <td><a href=href>{t.name.clone()}</a></td>
                                <td>{t.language.clone()}</td>
                                <td>{t.category.to_lowercase()}</td>
                                <td><span class=status_class(&t.status)>{t.status.to_string()}</span></td>
                                <td>{t.quality.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>
                                    <time datetime=iso(updated) title=move || date_time(updated, live.local_time.get())>
                                        {move || relative_time(updated.millis(), live.clock.get())}
                                    </time>
                                </td>
                                <td>{t.rejected_reason.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A WhatsApp-like rendering of a template: header, body with sample values, footer, buttons.
#[component]
pub fn TemplatePreview(
    template: Signal<TemplateView>,
    values: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <figure class="template-bubble" aria-label="Preview">
            {move || {
                let t = template.get();
                let body = crate::templates::fill(t.body_text(), &values.get());
                view! {
                    {t.header_text().map(|h| view! { <p class="template-header" dir="auto">{h.to_owned()}</p> })}
                    {t.header_media().map(|m| view! { <p class="template-header media">{format!("[{} header]", m.to_lowercase())}</p> })}
                    <p class="template-body" dir="auto">{body}</p>
                    {t.footer_text().map(|f| view! { <p class="template-footer" dir="auto">{f.to_owned()}</p> })}
                    <ul class="template-buttons">
                        {t.buttons()
                            .into_iter()
                            .map(|b| {
                                let icon = match b.kind.as_str() {
                                    "URL" => "🔗 ",
                                    "PHONE_NUMBER" => "📞 ",
                                    _ => "↩ ",
                                };
                                view! { <li dir="auto">{icon}{b.text}</li> }
                            })
                            .collect_view()}
                    </ul>
                }
            }}
        </figure>
    }
}

#[component]
pub fn TemplatePage() -> impl IntoView {
    let live = use_live();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("template_id").unwrap_or_default());
    // Reread when this template changes (the event has the template, not its timeline).
    let changed = RwSignal::new(0u64);
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::TemplateUpdated { template } = &**event
            && template.id == id()
        {
            changed.update(|n| *n += 1);
        }
    });
    let detail = Resource::new(
        move || (id(), changed.get(), live.reset.get()),
        |(id, ..)| template_with_timeline(id),
    );
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // The live event the deletion causes shows the template as DELETED.
    let delete = move |_| {
        leptos::task::spawn_local(async move {
            match delete_template(id()).await {
                Ok(()) => confirming.set(false),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <Title text="Template · Parley" />
        <AppFrame>
            <main class="admin template-detail">
                <p><a href="/admin/templates">"← All templates"</a></p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match detail.await {
                            Ok(detail) => {
                                let t = detail.template.clone();
                                let examples = t.examples();
                                let deleted = t.status == TemplateStatus::Deleted;
                                view! {
                                    <header class="page-header">
                                        <h1>{t.name.clone()}</h1>
                                        <span class=status_class(&t.status)>{t.status.to_string()}</span>
                                    </header>
                                    <p class="template-meta">
                                        {format!("{} · {} · quality {}", t.language, t.category.to_lowercase(),
                                            t.quality.clone().unwrap_or_else(|| "unknown".into()))}
                                    </p>
                                    {t.rejected_reason.clone().map(|r| view! { <p class="form-error">{format!("Rejected: {r}")}</p> })}
                                    <div class="template-columns">
                                        <TemplatePreview template=Signal::stored(t.clone()) values=Signal::stored(examples) />
                                        <section aria-label="Timeline">
                                            <h2>"Timeline"</h2>
                                            <ol class="timeline">
                                                {detail.timeline.into_iter().rev().map(|change| {
                                                    let at = change.occurred_at;
                                                    let what = match change.kind.as_str() {
                                                        "submitted" => "Submitted".to_owned(),
                                                        "deleted" => "Deleted".to_owned(),
                                                        kind => format!("{} → {}", capitalize(kind), change.value),
                                                    };
                                                    view! {
                                                        <li>
                                                            <time datetime=iso(at)>{move || date_time(at, live.local_time.get())}</time>
                                                            " " <strong>{what}</strong>
                                                            {change.reason.map(|r| view! { <span class="reason">{format!(" — {r}")}</span> })}
                                                            <span class="source">{format!(" (from {})", change.source)}</span>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ol>
                                        </section>
                                    </div>
                                    <Show when=move || !deleted>
                                        <Show
                                            when=move || confirming.get()
                                            fallback=move || view! {
                                                <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Delete…"</button>
                                            }
                                        >
                                            <p role="alert">"Delete this template at Meta? This cannot be undone."</p>
                                            <button type="button" class="danger" on:click=delete>"Delete for good"</button>
                                            <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Keep it"</button>
                                        </Show>
                                    </Show>
                                    {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// Uploads the chosen file as the media header's sample (`POST /api/v1/templates/samples`).
fn upload_sample(
    ev: leptos::ev::Event,
    draft: RwSignal<TemplateDraft>,
    problem: RwSignal<Option<String>>,
) {
    #[cfg(feature = "hydrate")]
    {
        let Some(file) = crate::upload::take_chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match crate::upload::post_file::<crate::templates::HeaderSample>(
                "/api/v1/templates/samples",
                &[],
                file,
            )
            .await
            {
                Ok(sample) => {
                    problem.set(None);
                    draft.update(|d| d.header_media = Some(sample));
                }
                Err(why) => problem.set(Some(why)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, draft, problem);
}

/// Languages offered first in the form (any Meta language code may be typed).
const COMMON_LANGUAGES: [&str; 8] = ["en_US", "en_GB", "es", "pt_BR", "fr", "de", "ar", "hi"];

#[component]
pub fn NewTemplatePage() -> impl IntoView {
    let draft = RwSignal::new(TemplateDraft {
        language: "en_US".into(),
        category: "UTILITY".into(),
        ..TemplateDraft::default()
    });
    let problem = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let header_kind = RwSignal::new("none".to_owned());
    let navigate = StoredValue::new(use_navigate());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let current = draft.get_untracked();
        if let Err(why) = current.check() {
            problem.set(Some(why));
            return;
        }
        submitting.set(true);
        leptos::task::spawn_local(async move {
            match submit_template(current).await {
                Ok(id) => navigate
                    .with_value(|go| go(&format!("/admin/templates/{id}"), Default::default())),
                Err(error) => problem.set(Some(error.to_string())),
            }
            submitting.set(false);
        });
    };
    let text_field = move |label: &'static str,
                           id: &'static str,
                           get: fn(&TemplateDraft) -> String,
                           set: fn(&mut TemplateDraft, String)| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" prop:value=move || draft.with(get)
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| set(d, v)); } />
        }
    };
    // Memos, so typing into a sample or a button re-renders only when the set of fields changes
    // (and the input being typed in keeps its focus).
    let parameters = Memo::new(move |_| draft.with(|d| placeholders(&d.body)));
    let button_count = Memo::new(move |_| draft.with(|d| d.buttons.len()));
    view! {
        <Title text="New template · Parley" />
        <AppFrame>
            <main class="admin template-form">
                <p><a href="/admin/templates">"← All templates"</a></p>
                <h1>"New template"</h1>
                <div class="template-columns">
                    <form on:submit=submit>
                        {text_field("Name (lowercase letters, digits, underscores)", "template-name", |d| d.name.clone(), |d, v| d.name = v)}
                        <label for="template-language">"Language"</label>
                        <input id="template-language" type="text" list="template-languages" prop:value=move || draft.with(|d| d.language.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| d.language = v); } />
                        <datalist id="template-languages">
                            {COMMON_LANGUAGES.iter().map(|l| view! { <option value=*l></option> }).collect_view()}
                        </datalist>
                        <label for="template-category">"Category"</label>
                        <select id="template-category" on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| d.category = v); }>
                            {CATEGORIES.iter().map(|c| view! { <option value=*c selected=*c == "UTILITY">{c.to_lowercase()}</option> }).collect_view()}
                        </select>
                        <label for="template-header-kind">"Header"</label>
                        <select id="template-header-kind" on:change=move |ev| {
                            let kind = event_target_value(&ev);
                            header_kind.set(kind.clone());
                            draft.update(|d| {
                                d.header_media = None;
                                if kind != "text" { d.header.clear(); }
                            });
                        }>
                            <option value="none">"None"</option>
                            <option value="text">"Text"</option>
                            <option value="media">"Image, video or document"</option>
                        </select>
                        <Show when=move || header_kind.get() == "text">
                            {text_field("Header text", "template-header", |d| d.header.clone(), |d, v| d.header = v)}
                        </Show>
                        <Show when=move || header_kind.get() == "media">
                            <label for="template-header-sample">"Header sample (JPEG, PNG, MP4 or PDF): Meta reviews the template with it"</label>
                            <input id="template-header-sample" type="file" accept="image/jpeg,image/png,video/mp4,application/pdf"
                                on:change=move |ev| upload_sample(ev, draft, problem) />
                            {move || draft.with(|d| d.header_media.clone()).map(|sample| view! {
                                <p class="attachment">{format!("{} sample: {}", sample.format.to_lowercase(), sample.filename.unwrap_or_default())}</p>
                            })}
                        </Show>
                        <label for="template-body">"Body — parameters as {{1}}, {{2}}… or {{name}}"</label>
                        <textarea id="template-body" rows="5" prop:value=move || draft.with(|d| d.body.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| d.body = v); }></textarea>
                        {move || parameters.get().into_iter().enumerate().map(|(i, name)| {
                            let id = format!("template-example-{i}");
                            view! {
                                <label for=id.clone()>{format!("Sample for {{{{{name}}}}}")}</label>
                                <input id=id type="text"
                                    prop:value=move || draft.with(|d| d.examples.get(i).cloned().unwrap_or_default())
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        draft.update(|d| {
                                            if d.examples.len() <= i { d.examples.resize(i + 1, String::new()); }
                                            d.examples[i] = v;
                                        });
                                    } />
                            }
                        }).collect_view()}
                        {text_field("Footer (optional)", "template-footer", |d| d.footer.clone(), |d, v| d.footer = v)}
                        <fieldset class="template-buttons-editor">
                            <legend>"Buttons"</legend>
                            {move || (0..button_count.get()).map(|i| {
                                let kind = draft.with_untracked(|d| d.buttons[i].kind);
                                let value_label = match kind {
                                    ButtonKind::Url => "URL",
                                    ButtonKind::PhoneNumber => "Phone (+country…)",
                                    ButtonKind::QuickReply => "",
                                };
                                view! {
                                    <div class="button-row">
                                        <input type="text" aria-label="Button text" placeholder="Button text"
                                            prop:value=move || draft.with(|d| d.buttons.get(i).map(|b| b.text.clone()).unwrap_or_default())
                                            on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(b) = d.buttons.get_mut(i) { b.text = v; }); } />
                                        {(kind != ButtonKind::QuickReply).then(|| view! {
                                            <input type="text" aria-label=value_label placeholder=value_label
                                                prop:value=move || draft.with(|d| d.buttons.get(i).map(|b| b.value.clone()).unwrap_or_default())
                                                on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(b) = d.buttons.get_mut(i) { b.value = v; }); } />
                                        })}
                                        <button type="button" class="link-button" aria-label="Remove the button"
                                            on:click=move |_| draft.update(|d| { if i < d.buttons.len() { d.buttons.remove(i); } })>"✕"</button>
                                    </div>
                                }
                            }).collect_view()}
                            {[(ButtonKind::QuickReply, "+ Quick reply"), (ButtonKind::Url, "+ Link"), (ButtonKind::PhoneNumber, "+ Phone")]
                                .into_iter()
                                .map(|(kind, label)| view! {
                                    <button type="button" class="secondary"
                                        on:click=move |_| draft.update(|d| d.buttons.push(DraftButton { kind, text: String::new(), value: String::new() }))>
                                        {label}
                                    </button>
                                })
                                .collect_view()}
                        </fieldset>
                        <button type="submit" class="primary" disabled=move || submitting.get()>
                            {move || if submitting.get() { "Submitting…" } else { "Submit for review" }}
                        </button>
                        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
                    </form>
                    <TemplatePreview
                        template=Signal::derive(move || draft.with(TemplateDraft::preview))
                        values=Signal::derive(move || draft.with(|d| d.examples.clone()))
                    />
                </div>
            </main>
        </AppFrame>
    }
    .into_any()
}
