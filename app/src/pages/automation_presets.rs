//! Ready-made rules on `/admin/automations`, each a short form stored as an ordinary rule:
//! window reminders, auto-resolve after a quiet spell, and a rating request when a
//! conversation is resolved.

use crate::api::create_automation;
use crate::automation::{AutomationAction, AutomationDraft, AutomationTrigger, CsatScale};
use leptos::prelude::*;

fn rule(name: &str, trigger: AutomationTrigger, minutes: Option<u32>) -> AutomationDraft {
    AutomationDraft {
        name: name.into(),
        enabled: true,
        trigger,
        minutes,
        label: None,
        match_: crate::automation::ConditionMatch::All,
        conditions: Vec::new(),
        actions: Vec::new(),
        cooldown_minutes: None,
        once_per_closed_period: false,
    }
}

/// Tells the assignee (or the team, or the admins) when a waiting customer's window closes
/// within `minutes`.
pub fn window_reminder_rule(minutes: u32) -> AutomationDraft {
    let mut draft = rule(
        "Window reminder",
        AutomationTrigger::WindowClosing,
        Some(minutes),
    );
    draft.actions.push(AutomationAction::Notify {
        member_id: None,
        text: format!(
            "The customer is waiting and the window closes within {}: answer now or only a paid template will reach them.",
            super::automations::duration_words(minutes)
        ),
    });
    draft
}

/// Resolves an open or pending conversation after `hours` without a customer message, with a
/// closing message first if one is given.
pub fn auto_resolve_rule(hours: u32, closing: &str) -> AutomationDraft {
    let mut draft = rule(
        "Auto-resolve",
        AutomationTrigger::ConversationIdle,
        Some(hours.saturating_mul(60)),
    );
    if !closing.trim().is_empty() {
        draft.actions.push(AutomationAction::SendText {
            text: closing.trim().into(),
        });
    }
    draft.actions.push(AutomationAction::Resolve);
    draft
}

/// Asks the customer for a rating whenever a conversation is resolved.
pub fn rating_rule(scale: CsatScale, question: &str, ask_comment: bool) -> AutomationDraft {
    let mut draft = rule(
        "Rating request",
        AutomationTrigger::ConversationResolved,
        None,
    );
    draft.actions.push(AutomationAction::AskCsat {
        scale,
        question: Some(question.trim().to_owned()).filter(|q| !q.is_empty()),
        ask_comment,
    });
    draft
}

/// A number field's value, if it is a whole number in range.
fn whole(raw: &str, most: u32) -> Option<u32> {
    raw.trim().parse().ok().filter(|n| (1..=most).contains(n))
}

#[component]
pub fn ReadyMadeRules(changed: RwSignal<u32>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let add = move |draft: AutomationDraft| {
        leptos::task::spawn_local(async move {
            match create_automation(draft).await {
                Ok(_) => {
                    problem.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let reminder_minutes = RwSignal::new("60".to_owned());
    let add_reminder = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match whole(&reminder_minutes.get_untracked(), 1439) {
            Some(minutes) => add(window_reminder_rule(minutes)),
            None => problem.set(Some("Minutes before closing: 1 to 1439".into())),
        }
    };
    let (idle_hours, closing) = (RwSignal::new("24".to_owned()), RwSignal::new(String::new()));
    let add_auto_resolve = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match whole(&idle_hours.get_untracked(), 720) {
            Some(hours) => add(auto_resolve_rule(hours, &closing.get_untracked())),
            None => problem.set(Some("Hours without a customer message: 1 to 720".into())),
        }
    };
    let (scale, question) = (
        RwSignal::new(CsatScale::Thumbs),
        RwSignal::new(String::new()),
    );
    let ask_comment = RwSignal::new(true);
    let add_rating = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add(rating_rule(
            scale.get_untracked(),
            &question.get_untracked(),
            ask_comment.get_untracked(),
        ));
    };
    view! {
        <section class="ready-made" aria-labelledby="ready-made">
            <h2 id="ready-made">"Ready-made rules"</h2>
            <form class="preset-form window-reminder-form" on:submit=add_reminder>
                <h3>"Window reminder"</h3>
                <label>"Minutes before the window closes"
                    <input type="number" min="1" max="1439" prop:value=reminder_minutes
                        on:input=move |ev| reminder_minutes.set(event_target_value(&ev)) />
                </label>
                <p class="hint">"Notifies the assignee (else the team, else the admins) while the customer waits."</p>
                <button type="submit" class="secondary">"Add window reminder"</button>
            </form>
            <form class="preset-form auto-resolve-form" on:submit=add_auto_resolve>
                <h3>"Auto-resolve"</h3>
                <label>"Hours without a customer message"
                    <input type="number" min="1" max="720" prop:value=idle_hours
                        on:input=move |ev| idle_hours.set(event_target_value(&ev)) />
                </label>
                <label>"Closing message (optional)"
                    <input type="text" placeholder="We'll close this chat now — write any time!" prop:value=closing
                        on:input=move |ev| closing.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="secondary">"Add auto-resolve"</button>
            </form>
            <form class="preset-form rating-form" on:submit=add_rating>
                <h3>"Rating request (CSAT)"</h3>
                <label>"Scale"
                    <select on:change=move |ev| {
                        scale.set(if event_target_value(&ev) == "stars" { CsatScale::Stars } else { CsatScale::Thumbs })
                    }>
                        <option value="thumbs" selected>"👍 / 👎"</option>
                        <option value="stars">"1 to 5 stars"</option>
                    </select>
                </label>
                <label>"Question (optional)"
                    <input type="text" placeholder="How did we do?" prop:value=question
                        on:input=move |ev| question.set(event_target_value(&ev)) />
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=ask_comment
                        on:change=move |ev| ask_comment.set(event_target_checked(&ev)) />
                    "Invite a comment after the rating"
                </label>
                <button type="submit" class="secondary">"Add rating request"</button>
            </form>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_made_rules_are_ordinary_rules() {
        let reminder = window_reminder_rule(60);
        assert_eq!(
            (reminder.trigger, reminder.minutes),
            (AutomationTrigger::WindowClosing, Some(60))
        );
        assert!(
            matches!(&reminder.actions[..], [AutomationAction::Notify { member_id: None, text }] if text.contains("1 hour"))
        );
        let quiet = auto_resolve_rule(24, "  Bye! ");
        assert_eq!(quiet.minutes, Some(1440));
        assert_eq!(
            quiet.actions,
            [
                AutomationAction::SendText {
                    text: "Bye!".into()
                },
                AutomationAction::Resolve
            ]
        );
        assert_eq!(
            auto_resolve_rule(2, " ").actions,
            [AutomationAction::Resolve]
        );
        let rating = rating_rule(CsatScale::Stars, " ", true);
        assert_eq!(
            rating.actions,
            [AutomationAction::AskCsat {
                scale: CsatScale::Stars,
                question: None,
                ask_comment: true
            }]
        );
        assert_eq!(
            (whole("0", 5), whole("5", 5), whole("x", 5)),
            (None, Some(5), None)
        );
    }
}
