//! `/campaigns/:id`: one campaign while it sends and after — counters that follow it live, the
//! funnel (queued → sent → delivered → read → replied, with failures by Meta's error and what
//! it means), the recipients filtered by state with Meta's error per failure and a CSV export,
//! and (admins) start, pause, resume, cancel or delete.

use super::editor::AudienceCounts;
use super::state_words;
use crate::api::{
    CampaignAction, campaign_details, campaign_recipients, current_viewer, delete_campaign,
    drive_campaign,
};
use crate::campaigns::{
    Audience, Campaign, CampaignCounts, CampaignRecipient, CampaignState, PauseReason,
    RecipientState,
};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::pages::frame::AppFrame;
use crate::pages::{DateTime, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn pause_words(reason: PauseReason) -> &'static str {
    match reason {
        PauseReason::Member => "Paused by a member.",
        PauseReason::MessagingLimit => {
            "Paused: the number reached its messaging limit for 24 hours. It resumes by itself as the limit frees."
        }
        PauseReason::Problem => {
            "Paused: it no longer checks out (is the template still approved? are its labels and segment still there?). Fix that and resume."
        }
    }
}

fn recipient_words(state: RecipientState) -> &'static str {
    match state {
        RecipientState::Pending => "Not sent yet",
        RecipientState::Queued => "Handed to the outbox",
        RecipientState::SkippedNoConsent => "Left out: no marketing consent",
        RecipientState::SkippedOptedOut => "Left out: opted out",
        RecipientState::SkippedFrequencyCap => "Left out: over the frequency cap",
        RecipientState::SkippedNoWhatsapp => "Left out: not on WhatsApp",
        RecipientState::SkippedMissingData => "Left out: no value for a parameter",
        RecipientState::Cancelled => "Cancelled",
    }
}

fn audience_words(audience: &Audience) -> String {
    match audience {
        Audience::Labels { labels } => format!("Contacts labelled {}", labels.join(" or ")),
        Audience::Segment { segment_id } => format!("Segment #{segment_id}"),
        Audience::Contacts { contact_ids } => format!("{} chosen contacts", contact_ids.len()),
    }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let campaign_id = move || {
        params
            .read()
            .get("campaign_id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let live = use_live();
    let loaded = Resource::new(
        move || (campaign_id(), live.reset.get()),
        |(id, _)| async move {
            let id = id.ok_or(crate::api::AppError::NotFound)?;
            let (campaign, viewer) = futures::join!(campaign_details(id), current_viewer());
            Ok::<_, crate::api::AppError>((campaign?, viewer?.is_some_and(|v| v.is_admin())))
        },
    );
    let shown = RwSignal::new(None::<Campaign>);
    let refresh = move || {
        let Some(id) = campaign_id() else { return };
        leptos::task::spawn_local(async move {
            if let Ok(found) = campaign_details(id).await {
                shown.try_set(Some(found));
            }
        });
    };
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::CampaignChanged {
                campaign_id: changed,
                ..
            } = &**event
            && Some(*changed) == campaign_id()
        {
            refresh();
        }
    });
    // Counters follow a campaign on its way every two seconds (statuses arrive by the
    // thousand: one read of the counts beats an event per message).
    #[cfg(feature = "hydrate")]
    {
        let ticking = set_interval_with_handle(
            move || {
                let moving = shown.with_untracked(|c| {
                    c.as_ref().is_some_and(|c| {
                        matches!(c.state, CampaignState::Sending | CampaignState::Paused)
                            || c.finished_at
                                .is_some_and(|at| crate::window::now_ms() - at.millis() < 120_000)
                    })
                });
                if moving && crate::live::visible() {
                    refresh();
                }
            },
            std::time::Duration::from_secs(2),
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = ticking {
                handle.clear();
            }
        });
    }
    view! {
        <Title text="Campaign · Parley" />
        <AppFrame>
            <main class="admin campaign-page">
                <p><a href="/campaigns">"← Campaigns"</a></p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok((campaign, is_admin)) => {
                                let id = campaign.id;
                                // Drawn on the server too; refreshes replace it.
                                shown.set(Some(campaign));
                                view! {
                                    {move || shown.get().map(|c| view! { <CampaignHeader campaign=c is_admin shown /> })}
                                    {move || shown.get().map(|c| view! {
                                        <section class="campaign-numbers">
                                            <h2>"Audience"</h2>
                                            <AudienceCounts counts=c.counts.clone() />
                                            <h2>"Funnel"</h2>
                                            <Funnel counts=c.counts.clone() />
                                            <Failures campaign=c />
                                        </section>
                                    })}
                                    <Recipients campaign_id=id />
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

#[component]
fn CampaignHeader(
    campaign: Campaign,
    is_admin: bool,
    shown: RwSignal<Option<Campaign>>,
) -> impl IntoView {
    let id = campaign.id;
    let state = campaign.state;
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let act = move |action: CampaignAction| {
        leptos::task::spawn_local(async move {
            match drive_campaign(id, action).await {
                Ok(found) => {
                    shown.try_set(Some(found));
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let remove = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_campaign(id).await {
                Ok(()) => navigate("/campaigns", Default::default()),
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let number = campaign
        .display_phone_number
        .clone()
        .unwrap_or_else(|| campaign.phone_number_id.clone());
    view! {
        <h1 dir="auto">{campaign.name.clone()} " "
            <span class=format!("status-badge campaign-{}", state.as_str()) data-state=state.as_str()>{state_words(state)}</span>
        </h1>
        {campaign.pause_reason.filter(|_| state == CampaignState::Paused).map(|r| view! { <p class="notice" role="status">{pause_words(r)}</p> })}
        <dl class="contact-facts">
            <div><dt>"Template"</dt><dd>{format!("{} ({}, {})", campaign.template.name, campaign.template.language, campaign.template_category.to_lowercase())}</dd></div>
            <div><dt>"From"</dt><dd>{number}</dd></div>
            <div><dt>"Audience"</dt><dd>{audience_words(&campaign.audience)}</dd></div>
            {campaign.scheduled_at.map(|at| view! { <div><dt>"Scheduled for"</dt><dd><DateTime at /></dd></div> })}
            {campaign.started_at.map(|at| view! { <div><dt>"Started"</dt><dd><DateTime at /></dd></div> })}
            {campaign.finished_at.map(|at| view! { <div><dt>"Finished"</dt><dd><DateTime at /></dd></div> })}
            {campaign.created_by_name.clone().map(|name| view! { <div><dt>"Created by"</dt><dd>{name}</dd></div> })}
        </dl>
        {is_admin.then(|| view! {
            <div class="campaign-actions">
                {state.editable().then(|| view! {
                    <button type="button" class="primary" on:click=move |_| act(CampaignAction::Start)>"Send now"</button>
                })}
                {(state == CampaignState::Sending).then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| act(CampaignAction::Pause)>"Pause"</button>
                })}
                {(state == CampaignState::Paused).then(|| view! {
                    <button type="button" class="primary" on:click=move |_| act(CampaignAction::Resume)>"Resume"</button>
                })}
                {(!state.finished()).then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| act(CampaignAction::Cancel)>"Cancel campaign"</button>
                })}
                {state.editable().then(|| view! {
                    <button type="button" class="secondary" on:click=remove>"Delete"</button>
                })}
            </div>
        })}
        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
    }
}

/// The funnel as bars drawn on the server (no chart library), with the numbers in a table.
#[component]
fn Funnel(counts: CampaignCounts) -> impl IntoView {
    let steps = [
        ("Queued", counts.queued),
        ("Sent", counts.sent),
        ("Delivered", counts.delivered),
        ("Read", counts.read),
        ("Replied", counts.replied),
        ("Failed", counts.failed),
    ];
    let widest = steps.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    let percent = |n: i64| {
        if counts.queued == 0 {
            String::new()
        } else {
            format!("{:.0} %", n as f64 * 100.0 / counts.queued as f64)
        }
    };
    const ROW: i64 = 28;
    view! {
        <div class="funnel">
            <svg class="funnel-chart" role="img" aria-labelledby="funnel-title"
                viewBox=format!("0 0 400 {}", ROW * steps.len() as i64) preserveAspectRatio="none">
                <title id="funnel-title">"Campaign funnel: queued, sent, delivered, read, replied and failed"</title>
                {steps.iter().enumerate().map(|(i, (label, n))| {
                    let width = (*n as f64 / widest as f64 * 300.0).max(if *n > 0 { 2.0 } else { 0.0 });
                    let y = i as i64 * ROW;
                    view! {
                        <g class=format!("funnel-step funnel-{}", label.to_lowercase())>
                            <text x="0" y=y + 18>{*label}</text>
                            <rect x="90" y=y + 4 width=format!("{width:.1}") height="20" rx="3" />
                        </g>
                    }
                }).collect_view()}
            </svg>
            <table class="funnel-table">
                <thead><tr><th scope="col">"Step"</th><th scope="col">"Messages"</th><th scope="col">"Of queued"</th></tr></thead>
                <tbody>
                    {steps.iter().map(|(label, n)| view! {
                        <tr><th scope="row">{*label}</th><td data-funnel=label.to_lowercase()>{*n}</td><td>{percent(*n)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Failures(campaign: Campaign) -> impl IntoView {
    (!campaign.failures.is_empty()).then(|| {
        view! {
            <h3>"Failures by Meta's error"</h3>
            <table class="failures-table">
                <thead><tr><th scope="col">"Code"</th><th scope="col">"What it means"</th><th scope="col">"Messages"</th></tr></thead>
                <tbody>
                    {campaign.failures.into_iter().map(|f| view! {
                        <tr><td>{f.code}</td><td>{f.meaning}</td><td>{f.count}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}

/// The filters the recipients table offers.
const FILTERS: [(&str, &str); 12] = [
    ("", "Everyone"),
    ("pending", "Not sent yet"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("replied", "Replied"),
    ("failed", "Failed"),
    ("skipped", "Left out (any reason)"),
    ("skipped_no_consent", "No marketing consent"),
    ("skipped_opted_out", "Opted out"),
    ("skipped_frequency_cap", "Over the frequency cap"),
    ("cancelled", "Cancelled"),
];

#[component]
fn Recipients(campaign_id: i64) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<CampaignRecipient>::new());
    let next = RwSignal::new(None::<i64>);
    let problem = RwSignal::new(None::<String>);
    let load = move |after: Option<i64>| {
        let state = Some(filter.get_untracked()).filter(|s| !s.is_empty());
        leptos::task::spawn_local(async move {
            match campaign_recipients(campaign_id, state, after).await {
                Ok(page) => {
                    if after.is_none() {
                        rows.try_set(page.recipients);
                    } else {
                        rows.try_update(|r| r.extend(page.recipients));
                    }
                    next.try_set(page.next_after);
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    Effect::new(move |_| {
        filter.track();
        load(None);
    });
    let csv = move || {
        let state = filter.get();
        if state.is_empty() {
            format!("/api/v1/campaigns/{campaign_id}/recipients.csv")
        } else {
            format!("/api/v1/campaigns/{campaign_id}/recipients.csv?state={state}")
        }
    };
    view! {
        <section class="campaign-recipients">
            <h2>"Recipients"</h2>
            <div class="recipients-tools">
                <label>"Show "
                    <select on:change=move |ev| filter.set(event_target_value(&ev))>
                        {FILTERS.map(|(value, label)| view! { <option value=value selected=move || filter.get() == value>{label}</option> })}
                    </select>
                </label>
                <a class="button secondary" href=csv download>"Export CSV"</a>
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            <table class="recipients-table">
                <thead><tr>
                    <th scope="col">"Contact"</th><th scope="col">"Phone"</th><th scope="col">"State"</th>
                    <th scope="col">"Message"</th><th scope="col">"Meta's error"</th><th scope="col">"Replied"</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| (r.contact_id, r.state, r.message_status.clone(), r.replied_at) let:r>
                        <tr data-recipient=r.contact_id>
                            <td dir="auto"><a href=format!("/contacts/{}", r.contact_id)>{r.name.clone().unwrap_or_else(|| "(no name)".into())}</a></td>
                            <td>{r.phone.clone()}</td>
                            <td>{recipient_words(r.state)}</td>
                            <td>{r.conversation_id.map(|c| view! { <a href=format!("/inbox/{c}")>{r.message_status.clone()}</a> })}</td>
                            <td>{r.error.clone().map(|e| format!("{}: {}", e.code, e.title))}</td>
                            <td>{r.replied_at.map(|at| view! { <DateTime at /> })}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=move || next.get().is_some()>
                <button type="button" class="secondary" on:click=move |_| load(next.get_untracked())>"More"</button>
            </Show>
        </section>
    }
}
