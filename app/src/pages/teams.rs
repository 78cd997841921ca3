//! `/admin/teams`: teams (Sales, Support…) with their members, how they hand out new
//! conversations (off, round-robin, least busy) and how many open conversations a member may
//! hold; which team each business number's new conversations join; and the workspace's
//! business hours.

use super::ErrorNotice;
use super::business_hours::BusinessHoursForm;
use super::frame::AppFrame;
use crate::api::{delete_team, number_teams, save_team, team_list, team_members};
use crate::model::{TeamMember, UserId};
use crate::team::{AutoAssignment, NumberTeam, TeamDraft, TeamView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TeamsPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let teams = Resource::new(move || changed.get(), |_| team_list());
    let members = Resource::new(|| (), |_| team_members());
    let numbers = Resource::new(move || changed.get(), |_| number_teams());
    view! {
        <Title text="Teams · Parley" />
        <AppFrame>
            <main class="admin teams-admin">
                <h1>"Teams"</h1>
                <p class="hint">
                    "New conversations in a team's queue go to its members who are online and under the team's capacity, "
                    "oldest first; when nobody qualifies they wait until someone comes online or resolves one."
                </p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let (teams, members) = (teams.await, members.await);
                        match (teams, members) {
                            (Ok(teams), Ok(members)) => {
                                let members: Vec<TeamMember> = members.into_iter().filter(|m| !m.disabled).collect();
                                let existing = teams.clone();
                                view! {
                                    <TeamForm team=None members=members.clone() changed />
                                    <div class="team-list">
                                        {existing.into_iter().map(|team| view! {
                                            <TeamForm team=Some(team) members=members.clone() changed />
                                        }).collect_view()}
                                    </div>
                                    <NumberTeams teams numbers changed />
                                }.into_any()
                            }
                            (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <BusinessHoursForm />
            </main>
        </AppFrame>
    }
}

/// A new team (`team` is `None`) or an existing one, edited in place.
#[component]
fn TeamForm(
    team: Option<TeamView>,
    members: Vec<TeamMember>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let id = team.as_ref().map(|t| t.id);
    let name = RwSignal::new(team.as_ref().map(|t| t.name.clone()).unwrap_or_default());
    let chosen = RwSignal::new(
        team.as_ref()
            .map(|t| t.members.iter().map(|m| m.id).collect::<Vec<UserId>>())
            .unwrap_or_default(),
    );
    let assignment = RwSignal::new(team.as_ref().map(|t| t.assignment).unwrap_or_default());
    let capacity = RwSignal::new(
        team.as_ref()
            .and_then(|t| t.capacity)
            .map(|c| c.to_string())
            .unwrap_or_default(),
    );
    let waiting = team.as_ref().map(|t| t.waiting);
    let problem = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let capacity = capacity.get_untracked();
        let capacity = match capacity.trim() {
            "" => None,
            raw => match raw.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problem.set(Some(
                        "Capacity is a number of open conversations (or empty for no limit)."
                            .into(),
                    ));
                    return;
                }
            },
        };
        let draft = TeamDraft {
            name: Some(name.get_untracked()),
            members: Some(chosen.get_untracked()),
            assignment: Some(assignment.get_untracked()),
            capacity: Some(capacity),
        };
        leptos::task::spawn_local(async move {
            match save_team(id, draft).await {
                Ok(_) => {
                    problem.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let remove = move |_| {
        let Some(id) = id else { return };
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message(
                "Delete this team? Its conversations leave its queue and keep their assignees.",
            )
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            match delete_team(id).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let label = match &team {
        Some(team) => format!("Team {}", team.name),
        None => "New team".to_owned(),
    };
    view! {
        <form class="team-form" on:submit=save aria-label=label>
            <div class="team-form-head">
                <label>
                    "Name"
                    <input type="text" required maxlength="60" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>
                    "Auto-assignment"
                    <select on:change=move |ev| assignment.set(
                        AutoAssignment::parse(&event_target_value(&ev)).unwrap_or_default(),
                    )>
                        {[
                            (AutoAssignment::None, "Off: conversations wait in the queue"),
                            (AutoAssignment::RoundRobin, "Round-robin"),
                            (AutoAssignment::LeastBusy, "Least busy"),
                        ].into_iter().map(|(value, text)| view! {
                            <option value=value.as_str() selected=move || assignment.get() == value>{text}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Capacity (open conversations per member)"
                    <input type="number" min="1" max="1000" placeholder="no limit" prop:value=move || capacity.get()
                        on:input=move |ev| capacity.set(event_target_value(&ev)) />
                </label>
                {waiting.map(|n| view! { <span class="hint team-waiting">{format!("{n} waiting")}</span> })}
            </div>
            <fieldset class="team-members">
                <legend>"Members"</legend>
                {members.into_iter().map(|member| {
                    let member_id = member.id;
                    view! {
                        <label class="checkbox">
                            <input type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&member_id))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|m| *m != member_id);
                                        if on { c.push(member_id); }
                                    });
                                } />
                            {member.name.to_string()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary">{if id.is_some() { "Save" } else { "Add team" }}</button>
                {id.map(|_| view! { <button type="button" class="secondary" on:click=remove>"Delete"</button> })}
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}

/// Which team each business number's new conversations join.
#[component]
fn NumberTeams(
    teams: Vec<TeamView>,
    numbers: Resource<Result<Vec<NumberTeam>, crate::api::AppError>>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    view! {
        <section class="number-teams" aria-label="Default teams">
            <h2>"Default team per number"</h2>
            <Transition fallback=|| ()>
                {move || {
                    let teams = teams.clone();
                    Suspend::new(async move {
                        let numbers = numbers.await.unwrap_or_default();
                        if numbers.is_empty() {
                            return view! { <p class="hint">"No business number has written in yet."</p> }.into_any();
                        }
                        numbers.into_iter().map(|number| {
                            let phone = number.phone_number_id.clone();
                            let current = number.default_team_id;
                            view! {
                                <label class="number-team">
                                    {format!("Number {}", number.phone_number_id)}
                                    <select on:change=move |ev| {
                                        let team_id = event_target_value(&ev).parse::<i64>().ok();
                                        let phone = phone.clone();
                                        leptos::task::spawn_local(async move {
                                            match crate::api::set_number_team(phone, team_id).await {
                                                Ok(()) => { problem.set(None); changed.update(|n| *n += 1); }
                                                Err(error) => problem.set(Some(error.to_string())),
                                            }
                                        });
                                    }>
                                        <option value="" selected=current.is_none()>"No team"</option>
                                        {teams.iter().map(|t| view! {
                                            <option value=t.id.to_string() selected=current == Some(t.id)>{t.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            }
                        }).collect_view().into_any()
                    })
                }}
            </Transition>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </section>
    }
}
