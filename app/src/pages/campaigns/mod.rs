//! `/campaigns`: every campaign with where it stands and how far it got; admins write new ones
//! (the editor shows the audience divided and a sample message as they go). `/campaigns/:id`
//! follows one while it sends and after. `/admin/consent` keeps the opt-out keywords.

mod detail;
mod editor;
mod keywords;

pub use detail::CampaignPage;
pub use keywords::OptOutKeywordsPage;

use crate::api::{campaign_list, current_viewer};
use crate::campaigns::{Campaign, CampaignState};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::pages::frame::AppFrame;
use crate::pages::{DateTime, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

/// How a state reads in a badge.
pub(crate) fn state_words(state: CampaignState) -> &'static str {
    match state {
        CampaignState::Draft => "Draft",
        CampaignState::Scheduled => "Scheduled",
        CampaignState::Sending => "Sending",
        CampaignState::Paused => "Paused",
        CampaignState::Completed => "Completed",
        CampaignState::Cancelled => "Cancelled",
    }
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let live = use_live();
    let loaded = Resource::new(
        move || live.reset.get(),
        |_| async move {
            let (campaigns, viewer) = futures::join!(campaign_list(), current_viewer());
            Ok::<_, crate::api::AppError>((campaigns?, viewer?.is_some_and(|v| v.is_admin())))
        },
    );
    let shown = RwSignal::new(Vec::<Campaign>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(found) = campaign_list().await {
                shown.try_set(found);
            }
        });
    };
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::CampaignChanged { .. } = &**event
        {
            reload();
        }
    });
    view! {
        <Title text="Campaigns · Parley" />
        <AppFrame>
            <main class="admin campaigns-admin">
                <h1>"Campaigns"</h1>
                <p class="hint">
                    "A campaign sends an approved template to an audience of contacts. Marketing templates go only to contacts who opted in, at most "
                    "a few times a month each; members' replies always go first."
                </p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok((found, is_admin)) => {
                                // Drawn on the server too; live updates replace it.
                                shown.set(found);
                                view! {
                                {is_admin.then(|| view! { <editor::CampaignEditor /> })}
                                <CampaignTable campaigns=shown />
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
fn CampaignTable(campaigns: RwSignal<Vec<Campaign>>) -> impl IntoView {
    view! {
        <table class="campaign-table">
            <thead>
                <tr>
                    <th scope="col">"Campaign"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Template"</th>
                    <th scope="col">"Audience"</th>
                    <th scope="col">"Sent"</th>
                    <th scope="col">"Delivered"</th>
                    <th scope="col">"Read"</th>
                    <th scope="col">"Replied"</th>
                    <th scope="col">"Failed"</th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || campaigns.get() key=|c| (c.id, c.state, c.counts.clone(), c.name.clone()) let:c>
                    <tr data-campaign=c.id>
                        <td><a href=format!("/campaigns/{}", c.id) dir="auto">{c.name.clone()}</a></td>
                        <td><span class=format!("status-badge campaign-{}", c.state.as_str())>{state_words(c.state)}</span></td>
                        <td>{c.template.name.clone()} <span class="hint">{format!(" {}", c.template_category.to_lowercase())}</span></td>
                        <td>{format!("{} of {}", c.counts.eligible, c.counts.total)}</td>
                        <td>{c.counts.sent}</td>
                        <td>{c.counts.delivered}</td>
                        <td>{c.counts.read}</td>
                        <td>{c.counts.replied}</td>
                        <td>{c.counts.failed}</td>
                        <td><DateTime at=c.created_at /></td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || campaigns.with(Vec::is_empty)>
            <p class="hint">"No campaigns yet."</p>
        </Show>
    }
}
