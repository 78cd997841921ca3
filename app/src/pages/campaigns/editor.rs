//! Writing a campaign (admins): name, business number, an approved template with each
//! parameter taken from a contact field, an attribute or text, and an audience (labels, a
//! segment, or a CSV file whose contacts are imported under a label). As the admin goes, the
//! audience is divided — eligible, and who is left out and why — and a sample recipient's
//! message shown. Send now, or schedule it (in the admin's time zone).

use crate::api::{
    CampaignAction, business_numbers, contact_attributes, drive_campaign, labels, preview_campaign,
    save_campaign, segment_list, templates,
};
use crate::campaigns::{
    Audience, CampaignCounts, CampaignDraft, CampaignPreview, CampaignTemplate,
};
use crate::collaboration::LabelView;
use crate::contacts::{AttributeDefinition, NumberOption, SegmentView};
use crate::model::UnixTime;
use crate::templates::{TemplateStatus, TemplateView};
use leptos::prelude::*;

/// The contact fields a parameter can take, as the form offers them.
const FIELDS: [(&str, &str); 5] = [
    ("contact.name", "Contact name"),
    ("contact.first_name", "First name"),
    ("contact.phone", "Phone"),
    ("contact.email", "Email"),
    ("contact.company", "Company"),
];

/// One body parameter: where it comes from, and the text (literal, or the fallback).
#[derive(Clone, Copy, Debug, PartialEq)]
struct ParameterRow {
    source: RwSignal<String>,
    text: RwSignal<String>,
}

impl ParameterRow {
    fn raw(&self) -> String {
        let source = self.source.get();
        let text = self.text.get();
        match (source.as_str(), text.trim()) {
            ("text", _) => text,
            (path, "") => format!("{{{{{path}}}}}"),
            (path, fallback) => format!("{{{{{path}|{fallback}}}}}"),
        }
    }
}

/// What the form offers, read once the page is live.
#[derive(Clone, Debug, Default, PartialEq)]
struct Choices {
    numbers: Vec<NumberOption>,
    templates: Vec<TemplateView>,
    labels: Vec<LabelView>,
    segments: Vec<SegmentView>,
    attributes: Vec<AttributeDefinition>,
}

/// A `datetime-local` value as a moment, read in the browser's zone.
fn local_moment(value: &str) -> Option<UnixTime> {
    if value.is_empty() {
        return None;
    }
    #[cfg(feature = "hydrate")]
    {
        let millis = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
        (!millis.is_nan()).then(|| UnixTime::from_millis(millis as i64))
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The browser's time zone name, for the schedule's label.
fn zone_name() -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let zone = (|| {
            let intl = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
            let class = js_sys::Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")).ok()?;
            let format = js_sys::Reflect::construct(&class.into(), &js_sys::Array::new()).ok()?;
            let resolve =
                js_sys::Reflect::get(&format, &JsValue::from_str("resolvedOptions")).ok()?;
            let options = js_sys::Function::from(resolve).call0(&format).ok()?;
            js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
                .ok()?
                .as_string()
        })();
        zone.unwrap_or_else(|| "your time zone".into())
    }
    #[cfg(not(feature = "hydrate"))]
    "your time zone".into()
}

#[component]
pub fn CampaignEditor() -> impl IntoView {
    let choices = RwSignal::new(Choices::default());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let (numbers, found, labels, segments, attributes) = futures::join!(
                business_numbers(),
                templates(),
                labels(),
                segment_list(),
                contact_attributes()
            );
            let approved = found
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.status == TemplateStatus::Approved)
                .collect();
            choices.try_set(Choices {
                numbers: numbers.unwrap_or_default(),
                templates: approved,
                labels: labels.unwrap_or_default(),
                segments: segments.unwrap_or_default(),
                attributes: attributes.unwrap_or_default(),
            });
        });
    });
    let name = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let template_key = RwSignal::new(String::new());
    let parameters = RwSignal::new(Vec::<ParameterRow>::new());
    let audience_kind = RwSignal::new("labels".to_owned());
    let chosen_labels = RwSignal::new(Vec::<String>::new());
    let segment = RwSignal::new(String::new());
    // A file's contacts, imported under this label, once the import is done.
    let file_label = RwSignal::new(String::new());
    let imported = RwSignal::new(None::<Result<String, String>>);
    let schedule = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<Result<CampaignPreview, String>>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let zone = RwSignal::new(String::from("your time zone"));
    Effect::new(move |_| zone.set(zone_name()));

    let template = move || {
        let key = template_key.get();
        choices.with(|c| {
            c.templates
                .iter()
                .find(|t| format!("{}|{}", t.name, t.language) == key)
                .cloned()
        })
    };
    // A new template: one row per body parameter.
    Effect::new(move |_| {
        let count = template().map(|t| t.parameters().len()).unwrap_or(0);
        parameters.set(
            (0..count)
                .map(|_| ParameterRow {
                    source: RwSignal::new("contact.first_name".into()),
                    text: RwSignal::new(String::new()),
                })
                .collect(),
        );
    });
    // Defaults once the choices arrive.
    Effect::new(move |_| {
        choices.with(|c| {
            if number.get_untracked().is_empty()
                && let Some(first) = c.numbers.first()
            {
                number.set(first.phone_number_id.clone());
            }
        });
    });
    let draft = move || -> Option<CampaignDraft> {
        let template = template()?;
        let audience = match audience_kind.get().as_str() {
            "segment" => Audience::Segment {
                segment_id: segment.get().parse().ok()?,
            },
            "file" => Audience::Labels {
                labels: vec![imported.get()?.ok()?],
            },
            _ => Audience::Labels {
                labels: chosen_labels.get(),
            },
        };
        Some(CampaignDraft {
            name: name.get(),
            phone_number_id: number.get(),
            template: CampaignTemplate {
                name: template.name,
                language: template.language,
                parameters: parameters.get().iter().map(ParameterRow::raw).collect(),
                header_media_id: None,
            },
            audience,
            scheduled_at: local_moment(&schedule.get()),
        })
    };
    // The preview follows every change; an answer to an older draft is dropped.
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        let Some(mut draft) = draft() else {
            preview.set(None);
            return;
        };
        if draft.name.trim().is_empty() {
            draft.name = "Preview".into();
        }
        draft.scheduled_at = None;
        leptos::task::spawn_local(async move {
            let answer = preview_campaign(draft).await.map_err(|e| e.to_string());
            if asked.try_get_value() == Some(ticket) {
                preview.try_set(Some(answer));
            }
        });
    });
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |start: bool| {
        let Some(draft) = draft() else {
            problem.set(Some("Choose a template and an audience first.".into()));
            return;
        };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let saved = match save_campaign(None, draft).await {
                Ok(saved) if start => drive_campaign(saved.id, CampaignAction::Start).await,
                other => other,
            };
            busy.try_set(false);
            match saved {
                Ok(campaign) => {
                    navigate(&format!("/campaigns/{}", campaign.id), Default::default())
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let submit_draft = submit.clone();
    view! {
        <details class="campaign-editor">
            <summary>"New campaign"</summary>
            <form class="campaign-form" on:submit=move |ev| { ev.prevent_default(); submit_draft(false); }>
                <label for="campaign-name">"Name"</label>
                <input id="campaign-name" type="text" maxlength="120" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="campaign-number">"From"</label>
                <select id="campaign-number" on:change=move |ev| number.set(event_target_value(&ev))>
                    {move || choices.get().numbers.into_iter().map(|n| {
                        let id = n.phone_number_id.clone();
                        let label = n.display_phone_number.clone().unwrap_or_else(|| id.clone());
                        view! { <option value=id.clone() selected=move || number.get() == id>{label}</option> }
                    }).collect_view()}
                </select>
                <label for="campaign-template">"Template"</label>
                <select id="campaign-template" on:change=move |ev| template_key.set(event_target_value(&ev))>
                    <option value="">"Choose an approved template"</option>
                    {move || choices.get().templates.into_iter().map(|t| {
                        let key = format!("{}|{}", t.name, t.language);
                        view! { <option value=key>{format!("{} ({}, {})", t.name, t.language, t.category.to_lowercase())}</option> }
                    }).collect_view()}
                </select>
                {move || template().map(|t| view! {
                    <p class="template-body hint" dir="auto">{t.body_text().to_owned()}</p>
                })}
                <fieldset class="campaign-parameters">
                    <legend>"Parameters"</legend>
                    <For each=move || parameters.get().into_iter().enumerate() key=|(i, _)| *i let:item>
                        <ParameterEditor index=item.0 row=item.1 attributes=Signal::derive(move || choices.get().attributes) />
                    </For>
                    <Show when=move || parameters.with(Vec::is_empty)>
                        <p class="hint">"This template takes no parameters."</p>
                    </Show>
                </fieldset>
                <fieldset class="campaign-audience">
                    <legend>"Audience"</legend>
                    <label><input type="radio" name="audience" value="labels" checked=move || audience_kind.get() == "labels"
                        on:change=move |_| audience_kind.set("labels".into()) />" Contacts with any of these labels"</label>
                    <Show when=move || audience_kind.get() == "labels">
                        <div class="label-choices">
                            {move || choices.get().labels.into_iter().map(|l| {
                                let label = l.name.to_string();
                                let value = label.clone();
                                view! {
                                    <label class="label-choice">
                                        <input type="checkbox" value=label.clone() on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen_labels.update(|c| {
                                                c.retain(|x| *x != value);
                                                if on { c.push(value.clone()); }
                                            });
                                        } />
                                        " " {label}
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                    </Show>
                    <label><input type="radio" name="audience" value="file" checked=move || audience_kind.get() == "file"
                        on:change=move |_| audience_kind.set("file".into()) />" The contacts of a CSV file"</label>
                    <Show when=move || audience_kind.get() == "file">
                        <FileAudience label=file_label imported />
                    </Show>
                    <label><input type="radio" name="audience" value="segment" checked=move || audience_kind.get() == "segment"
                        on:change=move |_| audience_kind.set("segment".into()) />" A saved segment"</label>
                    <Show when=move || audience_kind.get() == "segment">
                        <select aria-label="Segment" on:change=move |ev| segment.set(event_target_value(&ev))>
                            <option value="">"Choose a segment"</option>
                            {move || choices.get().segments.into_iter().map(|s| view! {
                                <option value=s.id.to_string()>{s.name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </Show>
                </fieldset>
                <label for="campaign-schedule">{move || format!("Send at ({})", zone.get())}</label>
                <input id="campaign-schedule" type="datetime-local"
                    prop:value=move || schedule.get() on:input=move |ev| schedule.set(event_target_value(&ev)) />
                <AudiencePreview preview />
                <div class="campaign-buttons">
                    <button type="submit" class="secondary" disabled=move || busy.get()>
                        {move || if schedule.get().is_empty() { "Save as draft" } else { "Schedule" }}
                    </button>
                    <button type="button" class="primary" disabled=move || busy.get() || !schedule.get().is_empty()
                        on:click=move |_| submit(true)>"Save and send now"</button>
                </div>
                {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            </form>
        </details>
    }
}

/// A CSV file's contacts imported (created or updated, as the contact import does it: phone,
/// name, consent and the other columns it recognises) under a label the campaign then targets.
#[component]
fn FileAudience(
    label: RwSignal<String>,
    imported: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let report = RwSignal::new(None::<crate::contacts::ImportReport>);
    let choose = move |ev: leptos::ev::Event| {
        let name = label.get_untracked().trim().to_owned();
        if name.is_empty() {
            imported.set(Some(Err(
                "Name the label the file's contacts get first.".into()
            )));
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = crate::upload::take_chosen_file(&ev) else {
                return;
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let fields = [("label", name.clone())];
                let answer = crate::upload::post_file::<crate::contacts::ImportReport>(
                    "/api/v1/contacts/import",
                    &fields,
                    file,
                )
                .await;
                busy.try_set(false);
                match answer {
                    Ok(found) => {
                        report.try_set(Some(found));
                        imported.try_set(Some(Ok(name)));
                    }
                    Err(error) => {
                        imported.try_set(Some(Err(error)));
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <div class="file-audience">
            <label for="campaign-file-label">"Label them"</label>
            <input id="campaign-file-label" type="text" maxlength="40" placeholder="spring-list"
                prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
            <label for="campaign-file">"CSV file (a phone column; name, consent and other columns are read as on the contacts page)"</label>
            <input id="campaign-file" type="file" accept=".csv,text/csv" disabled=move || busy.get() on:change=choose />
            {move || busy.get().then(|| view! { <p class="hint" role="status">"Importing…"</p> })}
            {move || report.get().map(|r| view! {
                <p class="hint" role="status">
                    {format!("Imported: {} new, {} updated, {} refused.", r.created, r.updated, r.rejected.len())}
                    {r.rejected.first().map(|first| format!(" Line {}: {}", first.line, first.reason))}
                </p>
            })}
            {move || match imported.get() {
                Some(Err(problem)) => Some(view! { <p class="form-error" role="alert">{problem}</p> }),
                _ => None,
            }}
        </div>
    }
}

#[component]
fn ParameterEditor(
    index: usize,
    row: ParameterRow,
    attributes: Signal<Vec<AttributeDefinition>>,
) -> impl IntoView {
    let id = format!("campaign-parameter-{index}");
    view! {
        <div class="campaign-parameter">
            <label for=id.clone()>{format!("{{{{{}}}}}", index + 1)}</label>
            <select id=id on:change=move |ev| row.source.set(event_target_value(&ev))>
                {FIELDS.map(|(path, label)| view! {
                    <option value=path selected=move || row.source.get() == path>{label}</option>
                })}
                {move || attributes.get().into_iter().map(|a| {
                    let path = format!("attr.{}", a.key);
                    let is = path.clone();
                    view! { <option value=path selected=move || row.source.get() == is>{format!("Attribute: {}", a.label)}</option> }
                }).collect_view()}
                <option value="text" selected=move || row.source.get() == "text">"Text"</option>
            </select>
            <input type="text" aria-label=move || if row.source.get() == "text" { "Text" } else { "When the contact has none" }
                placeholder=move || if row.source.get() == "text" { "The same for everyone" } else { "When the contact has none (optional)" }
                prop:value=move || row.text.get() on:input=move |ev| row.text.set(event_target_value(&ev)) />
        </div>
    }
}

/// The audience divided, and the sample message.
#[component]
fn AudiencePreview(preview: RwSignal<Option<Result<CampaignPreview, String>>>) -> impl IntoView {
    move || {
        match preview.get() {
        None => view! { <p class="hint campaign-preview">"Choose a template and an audience to see who it reaches."</p> }.into_any(),
        Some(Err(problem)) => view! { <p class="form-error campaign-preview" role="alert">{problem}</p> }.into_any(),
        Some(Ok(found)) => view! {
            <div class="campaign-preview" aria-live="polite">
                <AudienceCounts counts=found.counts />
                <EstimatedCost estimate=found.estimated_cost />
                {found.sample_text.map(|text| view! {
                    <figure class="sample-message">
                        <figcaption>{format!("What {} would read", found.sample_contact.unwrap_or_else(|| "a recipient".into()))}</figcaption>
                        <p class="bubble" dir="auto">{text}</p>
                    </figure>
                })}
            </div>
        }.into_any(),
    }
    }
}

/// What sending would cost at the rate card's prices.
#[component]
fn EstimatedCost(estimate: crate::costs::CostEstimate) -> impl IntoView {
    let Some(currency) = estimate.currency else {
        return view! { <p class="hint cost-estimate">"No rate card yet: the cost cannot be estimated."</p> }
            .into_any();
    };
    let places = if estimate.cost >= 1.0 { 2 } else { 4 };
    let mut text = format!(
        "Estimated cost: {:.places$} {currency} for {} {} messages",
        estimate.cost, estimate.messages, estimate.category
    );
    if estimate.unpriced > 0 {
        text.push_str(&format!(
            " ({} to countries the rate card has no rate for)",
            estimate.unpriced
        ));
    }
    view! { <p class="cost-estimate">{text}</p> }.into_any()
}

/// Eligible, and everyone left out with the reason.
#[component]
pub fn AudienceCounts(counts: CampaignCounts) -> impl IntoView {
    let rows = [
        ("Eligible", counts.eligible, "eligible"),
        (
            "No marketing consent",
            counts.skipped_no_consent,
            "no-consent",
        ),
        ("Opted out", counts.skipped_opted_out, "opted-out"),
        (
            "Over the frequency cap",
            counts.skipped_frequency_cap,
            "frequency-cap",
        ),
        ("No WhatsApp", counts.skipped_no_whatsapp, "no-whatsapp"),
        (
            "Missing data for a parameter",
            counts.skipped_missing_data,
            "missing-data",
        ),
    ];
    view! {
        <dl class="audience-counts">
            <div class="audience-total"><dt>"In the audience"</dt><dd data-count="total">{counts.total}</dd></div>
            {rows.into_iter().filter(|(_, n, key)| *n > 0 || *key == "eligible").map(|(label, n, key)| view! {
                <div class=format!("audience-{key}")><dt>{label}</dt><dd data-count=key>{n}</dd></div>
            }).collect_view()}
        </dl>
    }
}
