//! Importing contacts from a CSV file (admins), in three steps: choose the file; say what each
//! column holds (guessed from the headers) while a preview of the first rows shows how each
//! would be read, or why it would be refused; import, with a progress bar fed by the server
//! as it writes, and the report: created, updated, and every refused line with its reason.

use crate::contacts::{AttributeDefinition, CsvRecord, ImportReport, ImportTarget, read_row};
use leptos::prelude::*;

/// Rows the preview shows.
#[cfg(feature = "hydrate")]
const PREVIEW_ROWS: usize = 5;

/// The file as read in the browser.
#[derive(Clone, Debug, PartialEq)]
struct ChosenFile {
    name: String,
    text: String,
    header: Vec<String>,
    preview: Vec<CsvRecord>,
    rows: usize,
}

/// Where an import stands (moved on in the browser only).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Stage {
    Choosing,
    Importing { done: usize, total: usize },
    Done(ImportReport),
}

#[component]
pub fn ImportContacts(attributes: Vec<AttributeDefinition>) -> impl IntoView {
    let attributes = StoredValue::new(attributes);
    let file = RwSignal::new(None::<ChosenFile>);
    let mapping = RwSignal::new(Vec::<ImportTarget>::new());
    let country = RwSignal::new(String::new());
    let stage = RwSignal::new(Stage::Choosing);
    let problem = RwSignal::new(None::<String>);

    let choose = move |ev: leptos::ev::Event| {
        problem.set(None);
        stage.set(Stage::Choosing);
        #[cfg(feature = "hydrate")]
        {
            let Some(chosen) = crate::upload::take_chosen_file(&ev) else {
                return;
            };
            leptos::task::spawn_local(async move {
                let name = chosen.name();
                let text = match wasm_bindgen_futures::JsFuture::from(chosen.text()).await {
                    Ok(text) => text.as_string().unwrap_or_default(),
                    Err(_) => {
                        problem.set(Some("The file could not be read.".into()));
                        return;
                    }
                };
                match crate::contacts::parse_csv(&text) {
                    Ok(records) if records.len() < 2 => {
                        problem.set(Some("The file has no rows under its header.".into()))
                    }
                    Ok(records) => {
                        let header = records[0].cells.clone();
                        mapping.set(attributes.with_value(|a| {
                            header.iter().map(|h| ImportTarget::guess(h, a)).collect()
                        }));
                        file.set(Some(ChosenFile {
                            name,
                            rows: records.len() - 1,
                            preview: records[1..].iter().take(PREVIEW_ROWS).cloned().collect(),
                            header,
                            text,
                        }));
                    }
                    Err(error) => problem.set(Some(error)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let start = move |_| {
        let Some(chosen) = file.get_untracked() else {
            return;
        };
        let targets: Vec<String> = mapping
            .get_untracked()
            .iter()
            .map(ImportTarget::as_string)
            .collect();
        let country = country.get_untracked();
        stage.set(Stage::Importing {
            done: 0,
            total: chosen.rows,
        });
        problem.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let fields = [
                (
                    "mapping",
                    serde_json::to_string(&targets).unwrap_or_default(),
                ),
                ("country", country),
            ];
            let outcome = crate::upload::post_text_streaming(
                "/api/v1/contacts/import",
                &fields,
                &chosen.name,
                &chosen.text,
                move |line| {
                    let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
                        return;
                    };
                    if let Some(report) = value.get("report") {
                        if let Ok(report) = serde_json::from_value(report.clone()) {
                            stage.set(Stage::Done(report));
                        }
                    } else if let (Some(done), Some(total)) =
                        (value["done"].as_u64(), value["total"].as_u64())
                    {
                        stage.set(Stage::Importing {
                            done: done as usize,
                            total: total as usize,
                        });
                    } else if let Some(message) = value["message"].as_str() {
                        problem.set(Some(message.to_owned()));
                    }
                },
            )
            .await;
            if let Err(error) = outcome {
                problem.set(Some(error));
            }
            if matches!(stage.get_untracked(), Stage::Importing { .. }) {
                stage.set(Stage::Choosing);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (targets, country);
    };

    let mapping_row = move || {
        file.get().map(|chosen| {
            chosen
                .header
                .iter()
                .enumerate()
                .map(|(column, header)| {
                    let choices = target_choices(&attributes.get_value());
                    let selected = move || mapping.with(|m| m.get(column).map(ImportTarget::as_string)).unwrap_or_default();
                    view! {
                        <th scope="col">
                            <span class="import-header" dir="auto">{header.clone()}</span>
                            <label class="visually-hidden" for=format!("import-column-{column}")>{format!("Column {header} holds")}</label>
                            <select id=format!("import-column-{column}") on:change=move |ev| {
                                if let Ok(target) = ImportTarget::parse(&event_target_value(&ev)) {
                                    mapping.update(|m| if let Some(slot) = m.get_mut(column) { *slot = target });
                                }
                            }>
                                {choices.into_iter().map(|(value, label)| {
                                    let is = value.clone();
                                    view! { <option value=value selected=move || selected() == is>{label}</option> }
                                }).collect_view()}
                            </select>
                        </th>
                    }
                })
                .collect_view()
        })
    };
    let preview_rows = move || {
        file.get().map(|chosen| {
            let targets = mapping.get();
            let country = country.get();
            let country = Some(country.trim().to_owned()).filter(|c| !c.is_empty());
            chosen
                .preview
                .iter()
                .map(|record| {
                    let verdict = attributes.with_value(|a| read_row(record, &targets, a, country.as_deref()));
                    let (class, note) = match verdict {
                        Ok(row) => ("import-ok", row.phone.map(|p| format!("✓ {}", p.e164())).unwrap_or_else(|| "✓".into())),
                        Err(reason) => ("import-refused", format!("✗ {reason}")),
                    };
                    view! {
                        <tr class=class>
                            <th scope="row">{record.line}</th>
                            {record.cells.iter().map(|c| view! { <td dir="auto">{c.clone()}</td> }).collect_view()}
                            <td class="import-verdict">{note}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <details class="import-contacts">
            <summary>"Import contacts from CSV"</summary>
            <p class="hint">"A row updates the contact with the same phone (however it is written) or WhatsApp user id, or adds one. Labels the file names that do not exist yet are created."</p>
            <label for="import-file">"CSV file"</label>
            <input id="import-file" type="file" accept=".csv,text/csv" on:change=choose />
            <label for="import-country">"Country of numbers without a country code"</label>
            <input id="import-country" type="text" maxlength="2" placeholder="GB" size="3"
                prop:value=move || country.get() on:input=move |ev| country.set(event_target_value(&ev).to_uppercase()) />
            {move || file.get().map(|chosen| view! {
                <p>{format!("{}: {} rows. What does each column hold?", chosen.name, chosen.rows)}</p>
            })}
            <Show when=move || file.with(Option::is_some)>
                <div class="import-preview">
                    <table>
                        <thead><tr><th scope="col">"Line"</th>{mapping_row}<th scope="col">"Read as"</th></tr></thead>
                        <tbody>{preview_rows}</tbody>
                    </table>
                </div>
                <button type="button" class="primary" on:click=start
                    disabled=move || matches!(stage.get(), Stage::Importing { .. })>
                    {move || file.get().map(|f| format!("Import {} rows", f.rows))}
                </button>
            </Show>
            {move || match stage.get() {
                Stage::Importing { done, total } => view! {
                    <p>
                        <label for="import-progress">{format!("Importing… {done} of {total}")}</label>
                        <progress id="import-progress" max=total.max(1) value=done></progress>
                    </p>
                }.into_any(),
                Stage::Done(report) => view! { <ImportSummary report /> }.into_any(),
                Stage::Choosing => ().into_any(),
            }}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </details>
    }
}

/// The choices of a column's target, as `(value, label)`.
fn target_choices(attributes: &[AttributeDefinition]) -> Vec<(String, String)> {
    let mut choices: Vec<(String, String)> = [
        ("ignore", "Skip this column"),
        ("phone", "Phone"),
        ("user_id", "WhatsApp user id"),
        ("name", "Name"),
        ("email", "Email"),
        ("company", "Company"),
        ("language", "Language"),
        ("time_zone", "Time zone"),
        ("labels", "Labels"),
        ("note", "Note"),
        ("marketing_consent", "Marketing consent (yes/no)"),
    ]
    .iter()
    .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
    .collect();
    choices.extend(
        attributes
            .iter()
            .map(|a| (format!("attr.{}", a.key), format!("Attribute: {}", a.label))),
    );
    choices
}

#[component]
fn ImportSummary(report: ImportReport) -> impl IntoView {
    let rejected = report.rejected.len();
    view! {
        <div class="import-report" role="status">
            <p>
                <strong>{format!("{} created, {} updated, {} refused.", report.created, report.updated, rejected)}</strong>
                {(!report.labels_created.is_empty()).then(|| format!(" New labels: {}.", report.labels_created.join(", ")))}
            </p>
            {(rejected > 0).then(|| view! {
                <ul class="import-rejected">
                    {report.rejected.iter().take(200).map(|r| view! {
                        <li>{format!("Line {}: {}", r.line, r.reason)}</li>
                    }).collect_view()}
                    {(rejected > 200).then(|| view! { <li>{format!("…and {} more.", rejected - 200)}</li> })}
                </ul>
            })}
        </div>
    }
}
