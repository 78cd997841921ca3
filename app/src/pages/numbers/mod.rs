//! `/admin/numbers`: every business number with its health as Meta reports it (quality
//! rating, status, messaging limit, throughput, name and verification), live as Meta's
//! webhooks change it, and whether the account's webhooks reach Parley.
//! `/admin/numbers/:phone_number_id` shows one number's history and edits its profile.

mod detail;

pub use detail::NumberPage;

use crate::api::{numbers_health, refresh_numbers, subscribe_webhooks, webhook_status};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::numbers::{BusinessNumberView, QualityRating, WebhookSubscription, limit_words};
use crate::pages::frame::AppFrame;
use crate::pages::{DateTime, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

pub(crate) fn quality_class(quality: QualityRating) -> String {
    format!("status-badge quality-{}", quality.as_str().to_lowercase())
}

#[component]
pub fn NumbersPage() -> impl IntoView {
    let live = use_live();
    let loaded = Resource::new(move || live.reset.get(), |_| numbers_health());
    let shown = RwSignal::new(Vec::<BusinessNumberView>::new());
    let problem = RwSignal::new(None::<String>);
    let refreshing = RwSignal::new(false);
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(found) = numbers_health().await {
                shown.try_set(found);
            }
        });
    };
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::NumberChanged { .. } = &**event
        {
            reload();
        }
    });
    let refresh = move |_| {
        refreshing.set(true);
        leptos::task::spawn_local(async move {
            match refresh_numbers().await {
                Ok(found) => {
                    problem.set(None);
                    shown.set(found);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            refreshing.set(false);
        });
    };
    view! {
        <Title text="Business numbers · Parley" />
        <AppFrame>
            <main class="admin numbers-admin">
                <h1>"Business numbers"</h1>
                <p class="hint">
                    "Meta rates each number by how customers react to it. A falling quality rating lowers the number's messaging limit and ends in a suspension: "
                    "watch for YELLOW and RED, and send marketing only to customers who asked for it."
                </p>
                <p>
                    <button type="button" on:click=refresh disabled=move || refreshing.get()>
                        {move || if refreshing.get() { "Refreshing…" } else { "Refresh from Meta" }}
                    </button>
                    <span class="hint">" Parley also reads them at start, every 15 minutes and soon after Meta's webhooks report a change."</span>
                </p>
                {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(found) => {
                                shown.set(found);
                                view! { <NumberTable numbers=shown /> }.into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <SubscriptionPanel />
            </main>
        </AppFrame>
    }
}

#[component]
fn NumberTable(numbers: RwSignal<Vec<BusinessNumberView>>) -> impl IntoView {
    view! {
        <table class="number-table">
            <thead>
                <tr>
                    <th scope="col">"Number"</th>
                    <th scope="col">"Quality"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Messaging limit"</th>
                    <th scope="col">"Throughput"</th>
                    <th scope="col">"Display name"</th>
                    <th scope="col">"Verification"</th>
                    <th scope="col">"Refreshed"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || numbers.get() key=|n| format!("{n:?}") let:n>
                    <tr data-number=n.phone_number_id.clone()>
                        <td>
                            <a href=format!("/admin/numbers/{}", n.phone_number_id)>
                                {n.display_phone_number.clone().unwrap_or_else(|| n.phone_number_id.clone())}
                            </a>
                            <span class="hint" dir="auto">{format!(" {}", n.verified_name.clone().unwrap_or_default())}</span>
                        </td>
                        <td><span class=quality_class(n.quality_rating)>{n.quality_rating.as_str()}</span></td>
                        <td>{n.status.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{limit_words(n.messaging_limit, n.messaging_limit_tier.as_deref())}</td>
                        <td>{format!("{} · {} msg/s", n.throughput.clone().unwrap_or_else(|| "STANDARD".into()), n.send_rate)}</td>
                        <td>{n.name_status.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{n.code_verification_status.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{n.refreshed_at.map(|at| view! { <DateTime at /> })}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// Whether the account's webhooks are subscribed and still arriving; subscribes on demand.
/// Read once the page is live: it asks Meta, which the page should not wait for.
#[component]
fn SubscriptionPanel() -> impl IntoView {
    let status = RwSignal::new(None::<Result<WebhookSubscription, String>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            status.try_set(Some(webhook_status().await.map_err(|e| e.to_string())));
        });
    });
    let subscribe = move |_| {
        leptos::task::spawn_local(async move {
            status.set(Some(subscribe_webhooks().await.map_err(|e| e.to_string())));
        });
    };
    view! {
        <section class="subscription" aria-labelledby="subscription-heading">
            <h2 id="subscription-heading">"Webhooks"</h2>
            {move || match status.get() {
                None => view! { <p>"Checking the subscription…"</p> }.into_any(),
                Some(Err(problem)) => view! { <p class="error">{problem}</p> }.into_any(),
                Some(Ok(subscription)) => view! {
                    <p class="subscription-state">
                        {if subscription.subscribed {
                            format!("The account {} sends its webhooks to: {}.", subscription.waba_id, subscription.apps.join(", "))
                        } else {
                            format!("No app is subscribed to the account {}: Meta sends Parley no messages or statuses.", subscription.waba_id)
                        }}
                        {(!subscription.subscribed).then(|| view! {
                            " " <button type="button" on:click=subscribe>"Subscribe Parley"</button>
                        })}
                    </p>
                    <p class="hint">
                        "Last webhook: "
                        {match subscription.last_webhook_at {
                            Some(at) => view! { <DateTime at /> }.into_any(),
                            None => view! { "never" }.into_any(),
                        }}
                    </p>
                    {subscription.warning.map(|w| view! { <p class="banner warning" role="alert">{w}</p> })}
                }.into_any(),
            }}
        </section>
    }
}
