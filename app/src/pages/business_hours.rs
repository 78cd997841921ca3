//! The business hours form on `/admin/teams`: for the whole workspace or one team, the time
//! zone, each weekday's openings (`09:00-12:30, 13:30-17:00`; empty is closed) and holidays,
//! saved whole. A team follows the workspace's hours until it is given its own.

use crate::api::{
    read_business_hours, read_team_business_hours, save_business_hours, save_team_business_hours,
    team_list,
};
use crate::business_hours::{BusinessHours, WEEKDAYS, openings_text, parse_openings};
use leptos::prelude::*;

/// A weekday's name as the form shows it.
fn day_title(day: &str) -> String {
    let mut letters = day.chars();
    letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default()
}

/// Whose hours the form shows: the workspace's, or a team's (`own`: not the workspace's).
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    team: Option<i64>,
    own: bool,
    hours: BusinessHours,
}

#[component]
pub fn BusinessHoursForm() -> impl IntoView {
    // Read after hydration, like the hours: nothing here is rendered on the server.
    let teams = RwSignal::new(Vec::new());
    let shown = RwSignal::new(None::<Shown>);
    let problem = RwSignal::new(None::<String>);
    let show = move |team: Option<i64>| {
        leptos::task::spawn_local(async move {
            let loaded = match team {
                None => read_business_hours().await.map(|hours| Shown {
                    team: None,
                    own: true,
                    hours,
                }),
                Some(id) => read_team_business_hours(id).await.map(|found| Shown {
                    team: Some(id),
                    own: found.own,
                    hours: found.hours,
                }),
            };
            match loaded {
                Ok(loaded) => {
                    problem.set(None);
                    shown.set(Some(loaded));
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        show(None);
        leptos::task::spawn_local(async move {
            if let Ok(found) = team_list().await {
                teams.set(found);
            }
        });
    });
    view! {
        <section class="business-hours" aria-labelledby="business-hours">
            <h2 id="business-hours">"Business hours"</h2>
            <p class="hint">
                "When the team answers. Reports count days in the workspace's time zone and can count waits in its hours only. "
                "A team with hours of its own holds conversations that arrive while it is closed until it opens; automation's “business hours” follow the conversation's team."
            </p>
            <label>"Hours of"
                <select name="hours_of" on:change=move |ev| show(event_target_value(&ev).parse().ok())>
                    <option value="">"The whole workspace"</option>
                    {move || teams.get().into_iter().map(|team| view! {
                        <option value=team.id.to_string()>{team.name}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || shown.get().map(|shown| view! { <HoursFields shown reload=show /> })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </section>
    }
}

#[component]
fn HoursFields(
    shown: Shown,
    reload: impl Fn(Option<i64>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let Shown { team, own, hours } = shown;
    let own = RwSignal::new(own);
    let zone = RwSignal::new(hours.time_zone.clone());
    let days: Vec<RwSignal<String>> = hours
        .hours
        .days()
        .into_iter()
        .map(|openings| RwSignal::new(openings_text(openings)))
        .collect();
    let holidays = RwSignal::new(hours.holidays.join("\n"));
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let fields = days.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(false);
        let mut hours = BusinessHours {
            time_zone: zone.get_untracked(),
            hours: Default::default(),
            holidays: holidays
                .get_untracked()
                .split([',', '\n'])
                .map(str::trim)
                .filter(|day| !day.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        for (index, day) in hours.hours.days_mut().into_iter().enumerate() {
            match parse_openings(&fields[index].get_untracked()) {
                Ok(openings) => *day = openings,
                Err(error) => {
                    problem.set(Some(format!("{}: {error}", day_title(WEEKDAYS[index]))));
                    return;
                }
            }
        }
        leptos::task::spawn_local(async move {
            let saved = match team {
                None => save_business_hours(hours).await.map(|_| ()),
                Some(id) => save_team_business_hours(id, Some(hours)).await.map(|_| ()),
            };
            match saved {
                Ok(()) => {
                    problem.set(None);
                    own.set(true);
                    done.set(true);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let follow_workspace = move |_| {
        let Some(id) = team else { return };
        leptos::task::spawn_local(async move {
            match save_team_business_hours(id, None).await {
                Ok(_) => reload(Some(id)),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        {move || (!own.get()).then(|| view! {
            <p class="hint" role="status">"This team follows the workspace's hours. Saving gives it its own."</p>
        })}
        <form class="hours-form" on:submit=submit>
            <label>"Time zone"
                <input type="text" name="time_zone" required placeholder="Europe/Berlin"
                    prop:value=zone on:input=move |ev| zone.set(event_target_value(&ev)) />
            </label>
            {WEEKDAYS.iter().zip(days).map(|(day, text)| view! {
                <label>{day_title(day)}
                    <input type="text" name=*day placeholder="Closed" prop:value=text
                        on:input=move |ev| text.set(event_target_value(&ev)) />
                </label>
            }).collect_view()}
            <label>"Holidays (one date per line)"
                <textarea name="holidays" rows="3" placeholder="2026-12-25"
                    prop:value=holidays on:input=move |ev| holidays.set(event_target_value(&ev))></textarea>
            </label>
            <button type="submit">"Save business hours"</button>
            {move || (team.is_some() && own.get()).then(|| view! {
                <button type="button" class="secondary" on:click=follow_workspace>"Use the workspace's hours"</button>
            })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            {move || done.get().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
        </form>
    }
}
