//! The business hours form on `/admin/teams`: the workspace's time zone, each weekday's
//! openings (`09:00-12:30, 13:30-17:00`; empty is closed) and holidays, saved whole.

use crate::api::{read_business_hours, save_business_hours};
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

#[component]
pub fn BusinessHoursForm() -> impl IntoView {
    let hours = Resource::new(|| (), |_| read_business_hours());
    view! {
        <section class="business-hours" aria-labelledby="business-hours">
            <h2 id="business-hours">"Business hours"</h2>
            <p class="hint">
                "When the team answers. Reports count days in this time zone and can count waits in these hours only."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match hours.await {
                        Ok(hours) => view! { <HoursFields hours /> }.into_any(),
                        Err(error) => view! { <super::ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HoursFields(hours: BusinessHours) -> impl IntoView {
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
            match save_business_hours(hours).await {
                Ok(_) => {
                    problem.set(None);
                    done.set(true);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
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
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            {move || done.get().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
        </form>
    }
}
