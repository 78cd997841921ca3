//! `/admin/consent`: the opt-out keywords per language and the confirmation each sends. A
//! customer whose whole message is one of them (ignoring case, width, spaces and punctuation)
//! is opted out of marketing and answered with the confirmation.

use crate::api::{opt_out_keywords, save_opt_out_keywords};
use crate::consent::OptOutLanguage;
use crate::pages::frame::AppFrame;
use leptos::prelude::*;
use leptos_meta::Title;

/// One language as the form edits it: keywords one per line.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LanguageRow {
    id: usize,
    language: RwSignal<String>,
    keywords: RwSignal<String>,
    confirmation: RwSignal<String>,
}

impl LanguageRow {
    fn new(id: usize, language: &OptOutLanguage) -> Self {
        LanguageRow {
            id,
            language: RwSignal::new(language.language.clone()),
            keywords: RwSignal::new(language.keywords.join("\n")),
            confirmation: RwSignal::new(language.confirmation.clone()),
        }
    }

    fn read(&self) -> OptOutLanguage {
        OptOutLanguage {
            language: self.language.get_untracked(),
            keywords: self
                .keywords
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            confirmation: self.confirmation.get_untracked(),
        }
    }
}

#[component]
pub fn OptOutKeywordsPage() -> impl IntoView {
    let rows = RwSignal::new(Vec::<LanguageRow>::new());
    let next_id = StoredValue::new(0usize);
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let fill = move |languages: Vec<OptOutLanguage>| {
        let start = next_id.get_value();
        next_id.set_value(start + languages.len());
        rows.set(
            languages
                .iter()
                .enumerate()
                .map(|(i, l)| LanguageRow::new(start + i, l))
                .collect(),
        );
    };
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match opt_out_keywords().await {
                Ok(found) => fill(found),
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    });
    let add = move |_| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        let blank = OptOutLanguage {
            language: String::new(),
            keywords: Vec::new(),
            confirmation: String::new(),
        };
        rows.update(|r| r.push(LanguageRow::new(id, &blank)));
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let languages: Vec<OptOutLanguage> =
            rows.get_untracked().iter().map(LanguageRow::read).collect();
        leptos::task::spawn_local(async move {
            match save_opt_out_keywords(languages).await {
                Ok(found) => {
                    problem.try_set(None);
                    saved.try_set(true);
                    fill(found);
                }
                Err(error) => {
                    saved.try_set(false);
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    view! {
        <Title text="Opt-out keywords · Parley" />
        <AppFrame>
            <main class="admin keywords-admin">
                <h1>"Opt-out keywords"</h1>
                <p class="hint">
                    "A customer whose whole message is one of these (any case, width or punctuation: “Stop!”, “ＳＴＯＰ”) is opted out of "
                    "marketing at once, their queued campaign messages are withdrawn, and they get the confirmation of that language."
                </p>
                <form on:submit=save class="keywords-form">
                    <For each=move || rows.get() key=|r| r.id let:row>
                        <fieldset class="keyword-language">
                            <legend>{move || { let l = row.language.get(); if l.is_empty() { "New language".to_owned() } else { l } }}</legend>
                            <label for=format!("kw-lang-{}", row.id)>"Language tag"</label>
                            <input id=format!("kw-lang-{}", row.id) type="text" maxlength="35" placeholder="en"
                                prop:value=move || row.language.get() on:input=move |ev| row.language.set(event_target_value(&ev)) />
                            <label for=format!("kw-words-{}", row.id)>"Keywords, one per line"</label>
                            <textarea id=format!("kw-words-{}", row.id) rows="4"
                                prop:value=move || row.keywords.get() on:input=move |ev| row.keywords.set(event_target_value(&ev))></textarea>
                            <label for=format!("kw-confirm-{}", row.id)>"Confirmation"</label>
                            <textarea id=format!("kw-confirm-{}", row.id) rows="2" dir="auto"
                                prop:value=move || row.confirmation.get() on:input=move |ev| row.confirmation.set(event_target_value(&ev))></textarea>
                            <button type="button" class="secondary" on:click=move |_| rows.update(|r| r.retain(|x| x.id != row.id))>"Remove this language"</button>
                        </fieldset>
                    </For>
                    <button type="button" class="secondary" on:click=add>"Add a language"</button>
                    <button type="submit" class="primary">"Save keywords"</button>
                    {move || saved.get().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
                    {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
                </form>
            </main>
        </AppFrame>
    }
}
