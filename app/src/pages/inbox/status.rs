//! A conversation's state in the thread header: resolve, reopen, wait for the customer,
//! snooze until a time (`s`), its priority, and who else is in it right now.

use super::state::ThreadState;
use super::{Me, Panel};
use crate::api::{ConversationUpdate, update_conversation};
use crate::collaboration::{Priority, SnoozePreset, presence_line};
use crate::live::Live;
use crate::model::{ConversationStatus, LiveEvent, UnixTime};
use crate::time::{date_time, local_offset_minutes};
use leptos::prelude::*;

/// Runs a change; its live event updates what is shown. A refusal is shown where it was asked.
fn change(id: i64, update: ConversationUpdate, problem: RwSignal<Option<String>>) {
    leptos::task::spawn_local(async move {
        match update_conversation(id, update).await {
            Ok(conversation) => {
                problem.set(None);
                crate::live::apply_own_change(LiveEvent::ConversationUpdated { conversation });
            }
            Err(error) => problem.set(Some(error.to_string())),
        }
    });
}

#[component]
pub fn StatusControls(
    id: i64,
    status: Memo<ConversationStatus>,
    snoozed_until: Memo<Option<UnixTime>>,
    priority: Memo<Priority>,
    panel: RwSignal<Option<Panel>>,
    live: Live,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let snoozing = move || panel.get() == Some(Panel::Snooze);
    view! {
        <div class="status-controls">
            {move || match status.get() {
                ConversationStatus::Resolved => view! {
                    <button type="button" on:click=move |_| change(id, ConversationUpdate::status(ConversationStatus::Open), problem)>
                        "Reopen"
                    </button>
                }.into_any(),
                current => view! {
                    <button type="button" on:click=move |_| change(id, ConversationUpdate::status(ConversationStatus::Resolved), problem)>
                        "Resolve"
                    </button>
                    {(current != ConversationStatus::Pending).then(|| view! {
                        <button type="button" title="Waiting for the customer"
                            on:click=move |_| change(id, ConversationUpdate::status(ConversationStatus::Pending), problem)>
                            "Pending"
                        </button>
                    })}
                    {(current != ConversationStatus::Open).then(|| view! {
                        <button type="button" on:click=move |_| change(id, ConversationUpdate::status(ConversationStatus::Open), problem)>
                            {if current == ConversationStatus::Snoozed { "Unsnooze" } else { "Open" }}
                        </button>
                    })}
                }.into_any(),
            }}
            <button
                type="button"
                aria-expanded=move || snoozing().to_string()
                on:click=move |_| panel.set(if snoozing() { None } else { Some(Panel::Snooze) })
            >
                "💤 Snooze"
            </button>
            <select
                class="priority-select"
                aria-label="Priority"
                on:change=move |ev| {
                    if let Ok(priority) = event_target_value(&ev).parse::<Priority>() {
                        change(id, ConversationUpdate::priority(priority), problem);
                    }
                }
            >
                {Priority::ALL
                    .into_iter()
                    .map(|p| view! {
                        <option value=p.as_str() selected=move || priority.get() == p>{p.label()}</option>
                    })
                    .collect_view()}
            </select>
            {move || snoozed_until.get().filter(|_| status.get() == ConversationStatus::Snoozed).map(|until| view! {
                <span class="snoozed-until" role="status">
                    {move || format!("Snoozed until {}", date_time(until, live.local_time.get()))}
                </span>
            })}
            <Show when=snoozing>
                <SnoozePanel id panel problem live />
            </Show>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </div>
    }
}

/// Presets (1 hour, tonight, tomorrow, next week) on the member's own clock, or a moment of
/// their choosing.
#[component]
fn SnoozePanel(
    id: i64,
    panel: RwSignal<Option<Panel>>,
    problem: RwSignal<Option<String>>,
    live: Live,
) -> impl IntoView {
    let custom = RwSignal::new(String::new());
    let snooze = move |until: UnixTime| {
        panel.set(None);
        change(id, ConversationUpdate::snooze(until), problem);
    };
    let offset = move || {
        let now = live.clock.get_untracked();
        (now, local_offset_minutes(now).unwrap_or(0))
    };
    let custom_until = move || {
        let (now, offset) = offset();
        parse_local(&custom.get(), offset).filter(|until| until.millis() > now)
    };
    view! {
        <div class="popover snooze-panel" role="dialog" aria-label="Snooze"
            on:keydown=move |ev| if ev.key() == "Escape" { panel.set(None) }
        >
            <p>"Snooze until… (it comes back then, or when the customer writes)"</p>
            <ul>
                {SnoozePreset::ALL
                    .into_iter()
                    .map(|preset| view! {
                        <li>
                            <button type="button" on:click=move |_| {
                                let (now, offset) = offset();
                                snooze(preset.until(now, offset));
                            }>
                                {preset.label()}
                            </button>
                        </li>
                    })
                    .collect_view()}
            </ul>
            <label for="snooze-custom">"Pick a moment"</label>
            <input id="snooze-custom" type="datetime-local" on:input=move |ev| custom.set(event_target_value(&ev)) />
            <button
                type="button"
                class="primary"
                disabled=move || custom_until().is_none()
                on:click=move |_| {
                    if let Some(until) = custom_until() {
                        snooze(until);
                    }
                }
            >
                "Snooze"
            </button>
        </div>
    }
}

/// A `datetime-local` value (`2026-12-24T09:00`) on a wall clock `offset_minutes` east of UTC.
pub fn parse_local(raw: &str, offset_minutes: i32) -> Option<UnixTime> {
    let (date, time) = raw.split_once('T')?;
    let mut date = date.splitn(3, '-').map(str::parse::<i64>);
    let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let mut time = time.splitn(3, ':').map(|part| part.parse::<i64>());
    let (hour, minute) = (time.next()?.ok()?, time.next()?.ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days since the epoch, by Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(UnixTime(
        days * 86_400 + hour * 3600 + minute * 60 - i64::from(offset_minutes) * 60,
    ))
}

/// "Ana is typing a reply… · Ben is viewing", live; nothing when the member is alone.
#[component]
pub fn PresenceLine(thread: ThreadState, live: Live) -> impl IntoView {
    let me = use_context::<Me>();
    let line = move || {
        let viewer = me.and_then(|me| me.0.with(|v| v.as_ref().map(|v| v.id)));
        let now = UnixTime::from_millis(live.clock.get());
        thread
            .presence
            .with(|present| presence_line(present, viewer, now))
    };
    view! {
        <p class="presence" role="status" aria-live="polite">
            {line}
        </p>
    }
}

/// Says the member has this conversation open while they do (renewed every 20 seconds while
/// the tab is visible), and that they left when they go.
pub fn announce_viewing(id: i64) {
    #[cfg(feature = "hydrate")]
    {
        use crate::api::set_presence;
        use crate::collaboration::Activity;
        let viewing = move || {
            leptos::task::spawn_local(async move {
                let _ = set_presence(id, Some(Activity::Viewing)).await;
            });
        };
        viewing();
        let renew = set_interval_with_handle(
            move || {
                if crate::live::visible() {
                    viewing();
                }
            },
            std::time::Duration::from_secs(20),
        )
        .ok();
        // Leaving the page: a beacon outlives it where a fetch would be cancelled.
        let leave_page = window_event_listener(leptos::ev::pagehide, move |_| {
            crate::live::beacon(
                &format!("/api/v1/conversations/{id}/presence"),
                r#"{"activity":null}"#,
            );
        });
        on_cleanup(move || {
            if let Some(renew) = renew {
                renew.clear();
            }
            leave_page.remove();
            leptos::task::spawn_local(async move {
                let _ = set_presence(id, None).await;
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_moment_becomes_unix_time() {
        // 2026-12-24 09:00 at UTC+1 is 08:00 UTC.
        assert_eq!(
            parse_local("2026-12-24T09:00", 60),
            Some(UnixTime(1_798_099_200))
        );
        assert_eq!(parse_local("2026-13-01T09:00", 0), None);
        assert_eq!(parse_local("garbage", 0), None);
    }
}
