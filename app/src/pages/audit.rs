//! `/admin/audit`: who did what to the team and its credentials, when and from where;
//! filterable by kind of action and by member, paged newest first. Read only.

use super::frame::AppFrame;
use super::{DateTime, ErrorNotice};
use crate::api::{audit_log, team_members};
use crate::team::{AUDIT_FAMILIES, AuditEntry, AuditQuery};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AuditPage() -> impl IntoView {
    let action = RwSignal::new(String::new());
    let actor = RwSignal::new(None::<i64>);
    // The ids each shown page started before: the last is the page shown.
    let pages = RwSignal::new(vec![None::<i64>]);
    let query = move || AuditQuery {
        action: Some(action.get()).filter(|a| !a.is_empty()),
        actor_id: actor.get(),
        before: pages.with(|p| p.last().copied().flatten()),
        limit: Some(50),
    };
    let log = Resource::new(query, audit_log);
    let members = Resource::new(|| (), |_| team_members());
    let restart = move || pages.set(vec![None]);
    view! {
        <Title text="Audit log · Parley" />
        <AppFrame>
            <main class="admin audit">
                <h1>"Audit log"</h1>
                <form class="audit-filters" on:submit=|ev| ev.prevent_default()>
                    <label>
                        "Action"
                        <select on:change=move |ev| { action.set(event_target_value(&ev)); restart(); }>
                            <option value="">"All"</option>
                            {AUDIT_FAMILIES.map(|(value, label)| view! { <option value=value>{label}</option> })}
                        </select>
                    </label>
                    <label>
                        "Member"
                        <select on:change=move |ev| { actor.set(event_target_value(&ev).parse().ok()); restart(); }>
                            <option value="">"Anyone"</option>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    members.await.unwrap_or_default().into_iter().map(|m| view! {
                                        <option value=m.id.0.to_string()>{m.name.to_string()}</option>
                                    }).collect_view()
                                })}
                            </Transition>
                        </select>
                    </label>
                </form>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match log.await {
                            Ok(page) => {
                                let next = page.next_before;
                                let first = pages.with(|p| p.len() == 1);
                                view! {
                                    <AuditTable entries=page.entries />
                                    <nav class="pager" aria-label="Pages">
                                        <button type="button" class="secondary" disabled=first
                                            on:click=move |_| pages.update(|p| { p.pop(); })>"Newer"</button>
                                        <button type="button" class="secondary" disabled=next.is_none()
                                            on:click=move |_| pages.update(|p| p.push(next))>"Older"</button>
                                    </nav>
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

/// `{"from": "agent", "to": "admin"}` as `from: agent, to: admin`; members' text stays text.
fn details_text(details: &serde_json::Value) -> String {
    match details {
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => format!("{key}: {text}"),
                other => format!("{key}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="hint">"Nothing recorded yet."</p> }.into_any();
    }
    view! {
        <table class="audit-log">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"From"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"On"</th>
                    <th scope="col">"Details"</th>
                </tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|entry| view! {
                    <tr data-action=entry.action.clone()>
                        <td><DateTime at=entry.at /></td>
                        <td>{entry.actor.clone()}</td>
                        <td>{entry.origin.clone()}</td>
                        <td><code>{entry.action.clone()}</code></td>
                        <td>{entry.target.clone()}</td>
                        <td>{details_text(&entry.details)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::details_text;

    #[test]
    fn details_read_as_words() {
        let details = serde_json::json!({"from": "agent", "to": "admin", "gone": null, "n": 2});
        assert_eq!(details_text(&details), "from: agent, n: 2, to: admin");
        assert_eq!(details_text(&serde_json::json!({})), "");
    }
}
