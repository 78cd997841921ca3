//! Segments on the contact list: pick one to list its contacts (with its count now); admins
//! build new ones from conditions — labels, attribute comparisons of the attribute's type,
//! when they last wrote, an open conversation — and delete them.

use crate::api::{delete_segment, save_segment, segment_list};
use crate::collaboration::LabelView;
use crate::contacts::{
    AttributeCondition, AttributeDefinition, AttributeType, ConditionOp, SegmentDraft,
    SegmentFilter, SegmentView,
};
use crate::model::UnixTime;
use leptos::prelude::*;

/// One condition row of the builder.
#[derive(Clone, Debug, PartialEq)]
struct ConditionRow {
    id: usize,
    attribute: RwSignal<String>,
    op: RwSignal<ConditionOp>,
    value: RwSignal<String>,
}

#[component]
pub fn SegmentsPanel(
    attributes: Vec<AttributeDefinition>,
    labels: Vec<LabelView>,
    is_admin: bool,
    /// The segment the list shows.
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    // Read once the page is live (a resource here, inside the page's suspense, would shift the
    // ids of the page's resources while hydrating).
    let segments = RwSignal::new(Vec::<SegmentView>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(found) = segment_list().await {
                segments.set(found);
            }
        });
    };
    Effect::new(move |_| reload());
    let problem = RwSignal::new(None::<String>);
    let chosen = move || {
        let id = selected.get()?;
        segments.with(|s| s.iter().find(|s| s.id == id).cloned())
    };
    let remove = move |_| {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match delete_segment(id).await {
                Ok(()) => {
                    selected.set(None);
                    reload();
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let on_saved = Callback::new(move |saved: SegmentView| {
        selected.set(Some(saved.id));
        reload();
    });
    view! {
        <div class="segments">
            <label>"Segment "
                <select on:change=move |ev| selected.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || selected.get().is_none()>"All contacts"</option>
                    {move || segments.get().into_iter().map(|s| {
                        let id = s.id;
                        let count = s.count.map(|c| format!(" ({c})")).unwrap_or_else(|| " (needs fixing)".into());
                        view! { <option value=id.to_string() selected=move || selected.get() == Some(id)>{s.name.clone()}{count}</option> }
                    }).collect_view()}
                </select>
            </label>
            {move || chosen().map(|s| view! {
                <span class="hint">{s.count.map(|c| format!("{c} contact{} now", if c == 1 { "" } else { "s" }))}</span>
                {s.problem.map(|p| view! { <span class="form-error" role="alert">{format!("This segment no longer holds: {p}")}</span> })}
                {is_admin.then(|| view! { <button type="button" class="secondary" on:click=remove>"Delete segment"</button> })}
            })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            {is_admin.then(|| view! { <SegmentBuilder attributes=attributes.clone() labels=labels.clone() on_saved /> })}
        </div>
    }
}

#[component]
fn SegmentBuilder(
    attributes: Vec<AttributeDefinition>,
    labels: Vec<LabelView>,
    on_saved: Callback<SegmentView>,
) -> impl IntoView {
    let attributes = StoredValue::new(attributes);
    let name = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let open = RwSignal::new(String::new());
    let within_days = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<ConditionRow>::new());
    let next_row = StoredValue::new(0usize);
    let problem = RwSignal::new(None::<String>);
    let add_row = move |_| {
        let first =
            attributes.with_value(|a| a.first().map(|a| a.key.to_string()).unwrap_or_default());
        let id = next_row.get_value();
        next_row.set_value(id + 1);
        rows.update(|r| {
            r.push(ConditionRow {
                id,
                attribute: RwSignal::new(first),
                op: RwSignal::new(ConditionOp::Equals),
                value: RwSignal::new(String::new()),
            })
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let conditions = rows
            .get_untracked()
            .iter()
            .map(|row| {
                let op = row.op.get_untracked();
                let raw = row.value.get_untracked();
                AttributeCondition {
                    attribute: row.attribute.get_untracked(),
                    op,
                    value: op.takes_value().then_some(serde_json::Value::String(raw)),
                }
            })
            .collect();
        let days: Option<i64> = within_days.get_untracked().trim().parse().ok();
        let now = crate::window::now_ms();
        let filter = SegmentFilter {
            labels: Some(label.get_untracked())
                .filter(|l| !l.is_empty())
                .into_iter()
                .collect(),
            conditions,
            last_message_after: days.map(|d| UnixTime::from_millis(now - d * 86_400_000)),
            open_conversation: match open.get_untracked().as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            ..SegmentFilter::default()
        };
        let draft = SegmentDraft {
            name: Some(name.get_untracked()),
            filter: Some(filter),
        };
        leptos::task::spawn_local(async move {
            match save_segment(None, draft).await {
                Ok(saved) => {
                    problem.try_set(None);
                    name.try_set(String::new());
                    rows.try_set(Vec::new());
                    on_saved.run(saved);
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    view! {
        <details class="segment-builder">
            <summary>"New segment"</summary>
            <form on:submit=save>
                <label for="segment-name">"Name"</label>
                <input id="segment-name" type="text" maxlength="80" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="segment-label">"With the label"</label>
                <select id="segment-label" on:change=move |ev| label.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {labels.iter().map(|l| view! { <option value=l.name.to_string()>{l.name.to_string()}</option> }).collect_view()}
                </select>
                <label for="segment-open">"An open conversation"</label>
                <select id="segment-open" on:change=move |ev| open.set(event_target_value(&ev))>
                    <option value="">"Either way"</option>
                    <option value="yes">"Has one"</option>
                    <option value="no">"Has none"</option>
                </select>
                <label for="segment-days">"Wrote in the last … days"</label>
                <input id="segment-days" type="number" min="1" placeholder="any time"
                    prop:value=move || within_days.get() on:input=move |ev| within_days.set(event_target_value(&ev)) />
                <fieldset class="segment-conditions">
                    <legend>"Attributes"</legend>
                    <For each=move || rows.get() key=|r| r.id let:row>
                        <ConditionEditor row attributes=attributes.get_value() on_remove=Callback::new(move |id: usize| rows.update(|r| r.retain(|c| c.id != id))) />
                    </For>
                    <button type="button" class="secondary" on:click=add_row>"Add a condition"</button>
                </fieldset>
                <button type="submit" class="primary">"Save segment"</button>
                {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            </form>
        </details>
    }
}

#[component]
fn ConditionEditor(
    row: ConditionRow,
    attributes: Vec<AttributeDefinition>,
    on_remove: Callback<usize>,
) -> impl IntoView {
    let ConditionRow {
        id,
        attribute,
        op,
        value,
    } = row;
    let kind_of = {
        let attributes = attributes.clone();
        move || {
            attribute.with(|key| {
                attributes
                    .iter()
                    .find(|a| a.key.as_str() == key)
                    .map(|a| a.kind)
            })
        }
    };
    let input_type = {
        let kind_of = kind_of.clone();
        move || match kind_of() {
            Some(AttributeType::Date) => "date",
            Some(AttributeType::Number) => "number",
            _ => "text",
        }
    };
    view! {
        <div class="segment-condition">
            <label class="visually-hidden" for=format!("condition-{id}-attribute")>"Attribute"</label>
            <select id=format!("condition-{id}-attribute") on:change=move |ev| attribute.set(event_target_value(&ev))>
                {attributes.iter().map(|a| {
                    let key = a.key.to_string();
                    let is = key.clone();
                    view! { <option value=key selected=move || attribute.get() == is>{a.label.clone()}</option> }
                }).collect_view()}
            </select>
            <label class="visually-hidden" for=format!("condition-{id}-op")>"Comparison"</label>
            <select id=format!("condition-{id}-op") on:change=move |ev| {
                if let Some(found) = ConditionOp::ALL.into_iter().find(|o| o.as_str() == event_target_value(&ev)) {
                    op.set(found);
                }
            }>
                {ConditionOp::ALL.map(|o| view! { <option value=o.as_str() selected=move || op.get() == o>{o.label()}</option> })}
            </select>
            <Show when=move || op.get().takes_value()>
                <label class="visually-hidden" for=format!("condition-{id}-value")>"Value"</label>
                <input id=format!("condition-{id}-value") type=input_type.clone()
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            </Show>
            <button type="button" class="secondary" aria-label="Remove this condition" on:click=move |_| on_remove.run(id)>"×"</button>
        </div>
    }
}
