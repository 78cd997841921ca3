//! `/admin/automations`: the rules in the order they are judged — switch them on and off,
//! move them, delete them, try one on a sample message and read what it did lately — and a
//! quick form for the common case, keywords answered with a reply (stored as a rule).

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{
    automation_list, automation_runs, create_automation, delete_automation, test_automation,
    update_automation,
};
use crate::automation::{
    Automation, AutomationAction, AutomationDraft, AutomationPatch, AutomationRunView,
    AutomationSample, AutomationTrigger, Condition, ConditionMatch, ConditionOp, CsatScale,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// The keyword form's rule: any of the keywords in a customer's message gets the reply (and,
/// if given, the conversation the label).
pub fn keyword_rule(name: &str, keywords: &str, reply: &str, label: &str) -> AutomationDraft {
    let keywords: Vec<serde_json::Value> = keywords
        .split([',', '\n', '，'])
        .map(str::trim)
        .filter(|keyword| !keyword.is_empty())
        .map(|keyword| serde_json::Value::String(keyword.to_owned()))
        .collect();
    let mut actions = vec![AutomationAction::SendText {
        text: reply.trim().to_owned(),
    }];
    if !label.trim().is_empty() {
        actions.push(AutomationAction::AddLabel {
            label: label.trim().to_owned(),
        });
    }
    AutomationDraft {
        name: name.trim().to_owned(),
        enabled: true,
        trigger: AutomationTrigger::MessageReceived,
        minutes: None,
        label: None,
        match_: ConditionMatch::All,
        conditions: vec![Condition {
            field: "message.text".into(),
            op: ConditionOp::ContainsAny,
            value: serde_json::Value::Array(keywords),
        }],
        actions,
        cooldown_minutes: None,
        once_per_closed_period: false,
    }
}

/// A rule in a sentence: when, if, then.
fn summary(rule: &AutomationDraft) -> String {
    let minutes = rule.minutes.map_or("?".into(), duration_words);
    let when = match rule.trigger {
        AutomationTrigger::MessageReceived => "When a message arrives".to_owned(),
        AutomationTrigger::ConversationOpened => "When a conversation opens".to_owned(),
        AutomationTrigger::ConversationUnanswered => {
            format!("When a customer has waited {minutes} for a reply")
        }
        AutomationTrigger::WindowClosing => {
            format!("When a waiting customer's window closes in {minutes}")
        }
        AutomationTrigger::ConversationIdle => {
            format!("When a customer has not written for {minutes}")
        }
        AutomationTrigger::LabelAdded => match &rule.label {
            Some(label) => format!("When the label “{label}” is added"),
            None => "When a label is added".to_owned(),
        },
        AutomationTrigger::ConversationResolved => "When a conversation is resolved".to_owned(),
    };
    let conditions: Vec<String> = (rule.conditions.iter())
        .map(|c| format!("{} {} {}", c.field, c.op.as_str(), c.value))
        .collect();
    let joiner = if rule.match_ == ConditionMatch::All {
        " and "
    } else {
        " or "
    };
    let actions: Vec<String> = (rule.actions.iter())
        .map(|action| match action {
            AutomationAction::SendText { text } => format!("reply “{text}”"),
            AutomationAction::AddLabel { label } => format!("label “{label}”"),
            AutomationAction::RemoveLabel { label } => format!("remove label “{label}”"),
            AutomationAction::AssignTeam { team_id } => format!("move to team {team_id}"),
            AutomationAction::AssignMember { member_id } => format!("assign member {member_id}"),
            AutomationAction::SetPriority { priority } => format!("priority {}", priority.as_str()),
            AutomationAction::Resolve => "resolve".into(),
            AutomationAction::SendCanned { shortcut } => format!("reply with canned “{shortcut}”"),
            AutomationAction::SendTemplate { name, language, .. } => {
                format!("send template {name} ({language})")
            }
            AutomationAction::SendInteractive { interactive } => {
                format!("send buttons “{}”", interactive.body())
            }
            AutomationAction::Notify { text, member_id } => match member_id {
                Some(id) => format!("notify member {id}: “{text}”"),
                None => format!("notify the assignee or team: “{text}”"),
            },
            AutomationAction::Snooze { minutes } => format!("snooze {}", duration_words(*minutes)),
            AutomationAction::AskCsat { scale, .. } => match scale {
                CsatScale::Stars => "ask for a rating (1–5)".into(),
                CsatScale::Thumbs => "ask for a rating (👍/👎)".into(),
            },
        })
        .collect();
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!(", if {}", conditions.join(joiner))
    };
    format!("{when}{condition}: {}.", actions.join(", "))
}

/// Minutes as people say them: 90 minutes, 2 hours, 1 day.
pub fn duration_words(minutes: u32) -> String {
    let plural = |n: u32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match minutes {
        m if m >= 1440 && m.is_multiple_of(1440) => plural(m / 1440, "day"),
        m if m >= 60 && m.is_multiple_of(60) => plural(m / 60, "hour"),
        m => plural(m, "minute"),
    }
}

/// A run as its line in the rule's recent runs.
fn run_line(run: &AutomationRunView) -> String {
    let what = if run.acted { "acted" } else { "held back" };
    let results: Vec<&str> = run.actions.iter().map(|a| a.result.as_str()).collect();
    let conversation = run.conversation_id.map_or("—".into(), |c| c.to_string());
    let what = if run.matched { what } else { "no match" };
    let results = if results.is_empty() {
        String::new()
    } else {
        format!(" ({})", results.join(", "))
    };
    format!(
        "Conversation {conversation}: {what} — {}{results}",
        run.reasons.join("; ")
    )
}

#[component]
pub fn AutomationsPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let rules = Resource::new(move || changed.get(), |_| automation_list());
    view! {
        <Title text="Automations · Parley" />
        <AppFrame>
            <main class="admin automations">
                <h1>"Automations"</h1>
                <p class="hint">
                    "Rules judge what happens — a customer's message, a new conversation, a label a member adds, a resolution — in this order, after they are saved; "
                    "the clock's rules (a customer waiting, a window closing, a quiet conversation) act once per moment. "
                    "Their messages are sent as “Automation”, at most three an hour per conversation, and never set rules off."
                </p>
                <KeywordForm changed />
                <super::automation_presets::ReadyMadeRules changed />
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match rules.await {
                            Ok(rules) if rules.is_empty() => view! { <p class="hint">"No rules yet."</p> }.into_any(),
                            Ok(rules) => {
                                let last = rules.len() as i64 - 1;
                                view! {
                                    <ol class="automation-list">
                                        {rules.into_iter().map(|rule| view! { <RuleItem rule last changed /> }).collect_view()}
                                    </ol>
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
fn KeywordForm(changed: RwSignal<u32>) -> impl IntoView {
    let (name, keywords) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (reply, label) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = keyword_rule(
            &name.get_untracked(),
            &keywords.get_untracked(),
            &reply.get_untracked(),
            &label.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_automation(draft).await {
                Ok(_) => {
                    problem.set(None);
                    for field in [name, keywords, reply, label] {
                        field.set(String::new());
                    }
                    changed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <form class="keyword-form" on:submit=submit aria-labelledby="keyword-reply">
            <h2 id="keyword-reply">"Keyword reply"</h2>
            <label>"Name"
                <input type="text" name="name" required placeholder="Prices"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>"Keywords (any of them, comma-separated)"
                <input type="text" name="keywords" required placeholder="price, cost, 价格"
                    prop:value=keywords on:input=move |ev| keywords.set(event_target_value(&ev)) />
            </label>
            <label>"Reply"
                <textarea name="reply" rows="2" required
                    prop:value=reply on:input=move |ev| reply.set(event_target_value(&ev))></textarea>
            </label>
            <label>"Then label the conversation (optional)"
                <input type="text" name="label" placeholder="pricing"
                    prop:value=label on:input=move |ev| label.set(event_target_value(&ev)) />
            </label>
            <button type="submit">"Add keyword reply"</button>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}

#[component]
fn RuleItem(rule: Automation, last: i64, changed: RwSignal<u32>) -> impl IntoView {
    let (id, position, enabled) = (rule.id, rule.position, rule.rule.enabled);
    let name = rule.rule.name.clone();
    let problem = RwSignal::new(None::<String>);
    let patch = move |patch: AutomationPatch| {
        leptos::task::spawn_local(async move {
            match update_automation(id, patch).await {
                Ok(_) => changed.update(|n| *n += 1),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match delete_automation(id).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let sample = RwSignal::new(String::new());
    let verdict = RwSignal::new(None::<String>);
    let try_it = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sample = AutomationSample {
            text: Some(sample.get_untracked()),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            let said = match test_automation(id, sample).await {
                Ok(v) if v.matched => format!("Matches: {}", v.reasons.join("; ")),
                Ok(v) => format!("Does not match: {}", v.reasons.join("; ")),
                Err(error) => error.to_string(),
            };
            verdict.set(Some(said));
        });
    };
    // Read when asked for (a resource here would be created inside the list's suspense).
    let runs = RwSignal::new(None::<Vec<String>>);
    let toggle_runs = move |_| {
        if runs.get_untracked().is_some() {
            runs.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match automation_runs(id).await {
                Ok(found) => runs.set(Some(found.iter().map(run_line).collect())),
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <li class="automation" class:disabled=!enabled>
            <h3>{name.clone()}</h3>
            <p>{summary(&rule.rule)}</p>
            {rule.disabled_reason.map(|why| view! { <p class="form-error">{format!("Turned off: {why}")}</p> })}
            <div class="automation-actions">
                <label class="check">
                    <input type="checkbox" prop:checked=enabled aria-label=format!("{name} enabled")
                        on:change=move |ev| patch(AutomationPatch { enabled: Some(event_target_checked(&ev)), ..Default::default() }) />
                    "Enabled"
                </label>
                <button type="button" class="secondary" disabled={position == 0}
                    on:click=move |_| patch(AutomationPatch { position: Some(position - 1), ..Default::default() })>"Move up"</button>
                <button type="button" class="secondary" disabled={position >= last}
                    on:click=move |_| patch(AutomationPatch { position: Some(position + 1), ..Default::default() })>"Move down"</button>
                <button type="button" class="secondary" on:click=toggle_runs>"Recent runs"</button>
                <button type="button" class="link-button" on:click=remove>"Delete"</button>
            </div>
            <form class="automation-test" on:submit=try_it>
                <label>"Try a message"
                    <input type="text" name="sample" prop:value=sample on:input=move |ev| sample.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="secondary">"Test"</button>
            </form>
            {move || verdict.get().map(|v| view! { <p class="hint" role="status">{v}</p> })}
            {move || runs.get().map(|lines| if lines.is_empty() {
                view! { <p class="hint">"No runs yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="automation-runs">
                        {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    </ul>
                }.into_any()
            })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_form_writes_a_rule_that_reads_back_as_a_sentence() {
        let rule = keyword_rule(
            " Prices ",
            "price, 价格，cost\n",
            " See our list ",
            "pricing",
        );
        assert_eq!(rule.name, "Prices");
        assert_eq!(
            rule.conditions[0].value,
            serde_json::json!(["price", "价格", "cost"])
        );
        assert_eq!(rule.actions.len(), 2);
        assert_eq!(
            summary(&rule),
            "When a message arrives, if message.text contains_any [\"price\",\"价格\",\"cost\"]: \
             reply “See our list”, label “pricing”."
        );
        assert_eq!(keyword_rule("A", "x", "y", " ").actions.len(), 1);
    }
}
