//! `/reports/costs` (admins): what WhatsApp cost over a period, grouped by category, number,
//! country, campaign, member or day, with free messages apart and the rate card that priced
//! them; every table exports as CSV.

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{import_rate_card, rate_card, spend_report};
use crate::costs::{CostGroup, CostReport, RateView, SpendGrouping};
use leptos::prelude::*;
use leptos_meta::Title;

fn grouping_name(grouping: SpendGrouping) -> &'static str {
    match grouping {
        SpendGrouping::Category => "Category",
        SpendGrouping::Number => "Business number",
        SpendGrouping::Country => "Country",
        SpendGrouping::Campaign => "Campaign",
        SpendGrouping::Agent => "Member",
        SpendGrouping::Day => "Day",
    }
}

/// What a group's key reads as: a campaign's or member's name where it has one.
fn group_title(grouping: SpendGrouping, group: &CostGroup) -> String {
    match (&group.label, &group.key) {
        (Some(label), _) => label.clone(),
        (None, Some(key)) if key.is_empty() => "Unknown".into(),
        (None, Some(key)) => key.clone(),
        (None, None) => match grouping {
            SpendGrouping::Campaign => "Not a campaign".into(),
            SpendGrouping::Agent => "No member (campaigns, automations, other apps)".into(),
            _ => "—".into(),
        },
    }
}

fn money(amount: f64, currency: &Option<String>) -> String {
    match currency {
        Some(currency) => format!("{amount:.4} {currency}"),
        None => "no rate card".into(),
    }
}

/// The CSV export's address for the same report.
fn csv_href(grouping: SpendGrouping, from: &str, to: &str) -> String {
    let mut href = format!("/api/v1/reports/costs.csv?group_by={}", grouping.as_str());
    for (name, value) in [("from", from), ("to", to)] {
        if !value.is_empty() {
            href.push_str(&format!("&{name}={value}"));
        }
    }
    href
}

#[component]
pub fn CostsPage() -> impl IntoView {
    let grouping = RwSignal::new(SpendGrouping::Category);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // Bumped when an import replaces the card, so the card and the report are read again.
    let imported = RwSignal::new(0u32);
    let report = Resource::new(
        move || (grouping.get(), from.get(), to.get(), imported.get()),
        |(grouping, from, to, _)| {
            let bound = |day: String| Some(day).filter(|d| !d.is_empty());
            spend_report(grouping, bound(from), bound(to))
        },
    );
    let card = Resource::new(move || imported.get(), |_| rate_card());
    view! {
        <Title text="Costs · Parley" />
        <AppFrame>
            <main class="admin costs">
                <h1>"What WhatsApp cost"</h1>
                <p class="hint">
                    "Every message Meta priced, counted once, with free messages (inside a \
                     customer's window, or from a free entry point) apart; priced with the rate \
                     card below. Without dates: the last 30 days."
                </p>
                <form class="cost-filters" on:submit=|ev| ev.prevent_default()>
                    <label>
                        "From"
                        <input type="date" prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "To"
                        <input type="date" prop:value=to on:change=move |ev| to.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "Group by"
                        <select on:change=move |ev| {
                            if let Ok(chosen) = event_target_value(&ev).parse() {
                                grouping.set(chosen);
                            }
                        }>
                            {SpendGrouping::ALL.iter().map(|g| view! {
                                <option value=g.as_str() selected=move || grouping.get() == *g>
                                    {grouping_name(*g)}
                                </option>
                            }).collect_view()}
                        </select>
                    </label>
                    <a class="button secondary" download
                        href=move || csv_href(grouping.get(), &from.get(), &to.get())>"Export CSV"</a>
                </form>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(report) => view! { <SpendTable report /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <h2>"Rate card"</h2>
                <RateCardImport imported />
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match card.await {
                            Ok(card) => view! { <RateTable currency=card.currency rates=card.rates imported /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

/// Replaces the card with a CSV file's rates, pasted or chosen; the whole file is checked
/// first and the first bad rate named.
#[component]
fn RateCardImport(imported: RwSignal<u32>) -> impl IntoView {
    let currency = RwSignal::new("USD".to_owned());
    let csv = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<usize, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (currency, text) = (currency.get_untracked(), csv.get_untracked());
        leptos::task::spawn_local(async move {
            match import_rate_card(currency, text).await {
                Ok(card) => {
                    outcome.set(Some(Ok(card.rates.len())));
                    imported.update(|n| *n += 1);
                }
                Err(error) => outcome.set(Some(Err(error.to_string()))),
            }
        });
    };
    view! {
        <form class="rate-card-import" on:submit=submit>
            <p class="hint">
                "Replace the card with Meta's current rates: a CSV file with the columns "
                <code>"country"</code> " (a two-letter code, or * for any other), "
                <code>"category"</code> ", " <code>"rate"</code> " and " <code>"effective_from"</code>
                " (YYYY-MM-DD), and for Meta's volume tiers " <code>"volume_from"</code>
                " (the month's message count from which a rate applies; 0 or empty for the first). "
                "Also through the API: " <code>"PUT /api/v1/rate_card"</code> "."
            </p>
            <label>
                "Currency"
                <input type="text" id="rate-card-currency" maxlength="3" size="4" prop:value=currency
                    on:input=move |ev| currency.set(event_target_value(&ev)) />
            </label>
            <label>
                "Rates (CSV)"
                <textarea id="rate-card-csv" rows="5" prop:value=csv
                    placeholder="country,category,rate,effective_from\nIN,marketing,0.0107,2025-07-01"
                    on:input=move |ev| csv.set(event_target_value(&ev))></textarea>
            </label>
            <button type="submit">"Replace rate card"</button>
            {move || outcome.get().map(|outcome| match outcome {
                Ok(count) => view! { <p class="saved" role="status">{format!("Saved: {count} rates.")}</p> }.into_any(),
                Err(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
            })}
        </form>
    }
}

#[component]
fn SpendTable(report: CostReport) -> impl IntoView {
    let grouping = report.group_by;
    if report.groups.is_empty() {
        return view! { <p class="hint">"No priced messages in this period."</p> }.into_any();
    }
    let row = move |group: CostGroup, total: bool| {
        let title = if total {
            "Total".to_owned()
        } else {
            group_title(grouping, &group)
        };
        view! {
            <tr class:total=total>
                <th scope="row">{title}</th>
                <td class="number">{group.messages}</td>
                <td class="number">{group.billable}</td>
                <td class="number">{group.free}</td>
                <td class="number">{group.unpriced}</td>
                <td class="number">{money(group.cost, &group.currency)}</td>
            </tr>
        }
    };
    view! {
        <table class="spend" aria-label="Spend">
            <thead>
                <tr>
                    <th scope="col">{grouping_name(grouping)}</th>
                    <th scope="col">"Messages"</th>
                    <th scope="col">"Billable"</th>
                    <th scope="col">"Free"</th>
                    <th scope="col" title="Billable, but the rate card has no rate for them">"Unpriced"</th>
                    <th scope="col">"Cost"</th>
                </tr>
            </thead>
            <tbody>
                {report.groups.into_iter().map(|group| row(group, false)).collect_view()}
            </tbody>
            <tfoot>{row(report.total, true)}</tfoot>
        </table>
    }
    .into_any()
}

/// Meta's pricing categories, for the rate form.
const CATEGORIES: [&str; 6] = [
    "marketing",
    "marketing_lite",
    "utility",
    "authentication",
    "authentication_international",
    "service",
];

/// The card as the CSV import takes it, with `change` made: a rate added (or put in place of
/// the one for the same country, category and day), or the rate at an index removed.
fn card_csv(rates: &[RateView], change: &RateChange) -> String {
    let same = |a: &RateView, b: &RateView| {
        a.country.eq_ignore_ascii_case(&b.country)
            && a.category == b.category
            && a.effective_from == b.effective_from
            && a.volume_from == b.volume_from
    };
    let mut kept: Vec<&RateView> = rates
        .iter()
        .enumerate()
        .filter(|(index, rate)| match change {
            RateChange::Put(new) => !same(rate, new),
            RateChange::Remove(removed) => index != removed,
        })
        .map(|(_, rate)| rate)
        .collect();
    if let RateChange::Put(new) = change {
        kept.push(new);
    }
    let mut csv = String::from("country,category,rate,effective_from,volume_from\n");
    for rate in kept {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            rate.country.trim(),
            rate.category,
            rate.rate.trim(),
            rate.effective_from,
            rate.volume_from
        ));
    }
    csv
}

enum RateChange {
    Put(RateView),
    Remove(usize),
}

#[component]
fn RateTable(
    currency: Option<String>,
    rates: Vec<RateView>,
    imported: RwSignal<u32>,
) -> impl IntoView {
    let Some(currency) = currency else {
        return view! { <p class="hint">"No rates yet: every billable message counts as unpriced."</p> }
            .into_any();
    };
    let problem = RwSignal::new(None::<String>);
    let save = {
        let (currency, rates) = (currency.clone(), rates.clone());
        move |change: RateChange| {
            let (currency, csv) = (currency.clone(), card_csv(&rates, &change));
            leptos::task::spawn_local(async move {
                match import_rate_card(currency, csv).await {
                    Ok(_) => {
                        problem.set(None);
                        imported.update(|n| *n += 1);
                    }
                    Err(error) => problem.set(Some(error.to_string())),
                }
            });
        }
    };
    let (country, category) = (
        RwSignal::new(String::new()),
        RwSignal::new("marketing".to_owned()),
    );
    let (rate, from) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let volume = RwSignal::new(String::new());
    let put = {
        let save = save.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let volume_from = volume.get_untracked();
            let Ok(volume_from) = (match volume_from.trim() {
                "" => Ok(0),
                given => given.parse::<u64>(),
            }) else {
                problem.set(Some(format!(
                    "the monthly volume must be a whole number, not {volume_from:?}"
                )));
                return;
            };
            save(RateChange::Put(RateView {
                country: country.get_untracked(),
                category: category.get_untracked(),
                rate: rate.get_untracked(),
                effective_from: from.get_untracked(),
                volume_from,
            }));
        }
    };
    view! {
        <table class="rate-card" aria-label="Rate card">
            <thead>
                <tr>
                    <th scope="col">"Country"</th>
                    <th scope="col">"Category"</th>
                    <th scope="col">{format!("Rate ({currency})")}</th>
                    <th scope="col">"From"</th>
                    <th scope="col">"From monthly volume"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rates.into_iter().enumerate().map(|(index, rate)| {
                    let save = save.clone();
                    let country = if rate.country == "*" { "Any other".to_owned() } else { rate.country };
                    let tier = if rate.volume_from > 0 { format!(" past {}", rate.volume_from) } else { String::new() };
                    view! {
                        <tr>
                            <td>{country.clone()}</td>
                            <td>{rate.category.clone()}</td>
                            <td class="number">{rate.rate}</td>
                            <td>{rate.effective_from}</td>
                            <td class="number">{rate.volume_from}</td>
                            <td><button type="button" class="link-button"
                                aria-label=format!("Remove the {} rate for {}{tier}", rate.category, country)
                                on:click=move |_| save(RateChange::Remove(index))>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <form class="rate-edit cost-filters" on:submit=put>
            <label>"Country"
                <input type="text" id="rate-country" size="4" maxlength="2" placeholder="IN or *" required
                    prop:value=country on:input=move |ev| country.set(event_target_value(&ev)) />
            </label>
            <label>"Category"
                <select id="rate-category" on:change=move |ev| category.set(event_target_value(&ev))>
                    {CATEGORIES.iter().map(|c| view! {
                        <option value=*c selected=move || category.get() == *c>{*c}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{format!("Rate ({currency})")}
                <input type="text" id="rate-value" size="8" placeholder="0.0250" required
                    prop:value=rate on:input=move |ev| rate.set(event_target_value(&ev)) />
            </label>
            <label>"From"
                <input type="date" id="rate-from" required
                    prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) />
            </label>
            <label>"From monthly volume"
                <input type="text" id="rate-volume" size="8" inputmode="numeric" placeholder="0"
                    prop:value=volume on:input=move |ev| volume.set(event_target_value(&ev)) />
            </label>
            <button type="submit">"Save rate"</button>
        </form>
        {move || problem.get().map(|problem| view! { <p class="form-error" role="alert">{problem}</p> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_read_as_names_and_the_export_keeps_the_filters() {
        let group = |key: Option<&str>, label: Option<&str>| CostGroup {
            key: key.map(Into::into),
            label: label.map(Into::into),
            messages: 1,
            billable: 1,
            free: 0,
            unpriced: 0,
            cost: 0.0,
            cost_micros: 0,
            currency: None,
        };
        let campaign = group(Some("1"), Some("Spring sale"));
        assert_eq!(
            group_title(SpendGrouping::Campaign, &campaign),
            "Spring sale"
        );
        assert_eq!(
            group_title(SpendGrouping::Campaign, &group(None, None)),
            "Not a campaign"
        );
        assert_eq!(
            group_title(SpendGrouping::Country, &group(Some(""), None)),
            "Unknown"
        );
        assert_eq!(
            csv_href(SpendGrouping::Day, "2026-07-01", ""),
            "/api/v1/reports/costs.csv?group_by=day&from=2026-07-01"
        );
        assert_eq!(money(0.07, &Some("USD".into())), "0.0700 USD");
    }

    #[test]
    fn a_rate_is_put_in_place_or_removed_and_the_rest_kept() {
        let rate = |country: &str, value: &str| RateView {
            country: country.into(),
            category: "marketing".into(),
            rate: value.into(),
            effective_from: "2026-01-01".into(),
            volume_from: 0,
        };
        let card = [rate("IN", "0.01"), rate("*", "0.05")];
        assert_eq!(
            card_csv(&card, &RateChange::Put(rate("in", "0.02"))),
            "country,category,rate,effective_from,volume_from\n*,marketing,0.05,2026-01-01,0\nin,marketing,0.02,2026-01-01,0\n"
        );
        assert_eq!(
            card_csv(&card, &RateChange::Remove(0)),
            "country,category,rate,effective_from,volume_from\n*,marketing,0.05,2026-01-01,0\n"
        );
    }
}
