//! A contact's marketing consent: where it stands, the ledger behind it (newest first: what,
//! when, from where, who, and the evidence), and buttons to record what the customer told the
//! member. Shown on the contact page and beside the thread.

use crate::api::{contact_consent, record_consent};
use crate::consent::{
    ConsentEntry, ConsentLedger, ConsentPurpose, ConsentRequest, ConsentSource, ConsentState,
};
use crate::live::{Incoming, on_event};
use crate::model::LiveEvent;
use crate::pages::DateTime;
use leptos::prelude::*;

fn state_words(state: Option<ConsentState>) -> &'static str {
    match state {
        Some(ConsentState::OptedIn) => "Opted in to marketing",
        Some(ConsentState::OptedOut) => "Opted out of marketing",
        None => "Not asked: marketing templates will not be sent",
    }
}

fn source_words(source: ConsentSource) -> &'static str {
    match source {
        ConsentSource::Import => "import",
        ConsentSource::Api => "API",
        ConsentSource::Agent => "recorded by a member",
        ConsentSource::Keyword => "opt-out keyword",
        ConsentSource::Webhook => "WhatsApp (Meta)",
        ConsentSource::CampaignFailure => "Meta refused a campaign message",
    }
}

/// What proves an entry, in a few words.
fn evidence_words(entry: &ConsentEntry) -> Option<String> {
    let evidence = entry.evidence.as_ref()?;
    if let Some(line) = evidence.get("line").and_then(|l| l.as_i64()) {
        let file = evidence
            .get("file")
            .and_then(|f| f.as_str())
            .unwrap_or("CSV");
        return Some(format!("{file}, line {line}"));
    }
    if let Some(code) = evidence.get("error_code").and_then(|c| c.as_i64()) {
        return Some(format!("Meta error {code}"));
    }
    if let Some(keyword) = evidence.get("keyword").and_then(|k| k.as_str()) {
        return Some(format!("keyword “{keyword}”"));
    }
    evidence
        .get("detail")
        .and_then(|d| d.as_str())
        .map(str::to_owned)
}

#[component]
pub fn ConsentPanel(contact_id: i64) -> impl IntoView {
    let ledger = RwSignal::new(None::<ConsentLedger>);
    let problem = RwSignal::new(None::<String>);
    let note = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match contact_consent(contact_id).await {
                Ok(found) => {
                    ledger.try_set(Some(found));
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    Effect::new(move |_| reload());
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::ConsentChanged {
                contact_id: changed,
                ..
            } = &**event
            && *changed == contact_id
        {
            reload();
        }
    });
    let record = move |state: ConsentState| {
        busy.set(true);
        let request = ConsentRequest {
            purpose: ConsentPurpose::Marketing,
            state,
            source: ConsentSource::Agent,
            note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
        };
        leptos::task::spawn_local(async move {
            match record_consent(contact_id, request).await {
                Ok(_) => {
                    note.try_set(String::new());
                    problem.try_set(None);
                    reload();
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let state = move || ledger.with(|l| l.as_ref().and_then(|l| l.state));
    let state_class = move || match state() {
        Some(ConsentState::OptedIn) => "consent-state opted-in",
        Some(ConsentState::OptedOut) => "consent-state opted-out",
        None => "consent-state unknown",
    };
    view! {
        <section class="consent-panel">
            <h3>"Marketing consent"</h3>
            <p class=state_class data-consent=move || state().map(|s| s.as_str()).unwrap_or("none")>
                {move || state_words(state())}
            </p>
            <div class="consent-record">
                <label for=format!("consent-note-{contact_id}")>"What they said, and where"</label>
                <input id=format!("consent-note-{contact_id}") type="text" maxlength="1000"
                    placeholder="Said yes on the phone, 3 May"
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                <button type="button" class="secondary" disabled=move || busy.get()
                    on:click=move |_| record(ConsentState::OptedIn)>"Record opt-in"</button>
                <button type="button" class="secondary" disabled=move || busy.get()
                    on:click=move |_| record(ConsentState::OptedOut)>"Record opt-out"</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            <ol class="consent-ledger">
                {move || ledger.get().map(|l| l.entries.into_iter().map(|entry| {
                    let evidence = evidence_words(&entry);
                    let who = entry.recorded_by_name.clone();
                    view! {
                        <li>
                            <strong>{match entry.state { ConsentState::OptedIn => "Opted in", ConsentState::OptedOut => "Opted out" }}</strong>
                            " · " {source_words(entry.source)}
                            " · " <DateTime at=entry.recorded_at />
                            {who.map(|w| view! { <span>" · " {w}</span> })}
                            {entry.note.map(|n| view! { <span class="consent-note" dir="auto">" — " {n}</span> })}
                            {evidence.map(|e| view! { <span class="hint">" (" {e} ")"</span> })}
                        </li>
                    }
                }).collect_view())}
            </ol>
        </section>
    }
}
