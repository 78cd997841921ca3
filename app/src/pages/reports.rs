//! `/reports`: how fast the team answers over a period — conversations, messages, first
//! response and resolution times, windows lapsed on waiting customers, ratings — per member
//! and team, over time and by weekday and hour. Admins see everyone's, an agent their own.
//! Charts are SVG drawn by the server, with their numbers in tables; every table exports as CSV.

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::read_reports;
use crate::model::UnixTime;
use crate::reports::{
    AgentReport, Choice, CsatSummary, Heatmap, Metric, Percentiles, ReportPage, ReportParams,
    ReportSummary, TeamReport, TimeBucket, TimeSeries,
};
use crate::time::local_iso;
use leptos::prelude::*;
use leptos_meta::Title;

const PRESETS: [(u32, &str); 3] = [
    (7, "Last 7 days"),
    (30, "Last 30 days"),
    (90, "Last 90 days"),
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A duration as people say it: `45s`, `2m 05s`, `3h 20m`, `2d 4h`; `—` when nothing was
/// measured.
pub fn duration(seconds: Option<i64>) -> String {
    let Some(seconds) = seconds else {
        return "—".into();
    };
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3_600, s % 3_600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// A series value as its table shows it: seconds as durations, counts whole.
fn series_value(metric: Metric, value: Option<f64>) -> String {
    match value {
        None => "—".into(),
        Some(v) if metric.is_duration() => duration(Some(v as i64)),
        Some(v) if metric.is_count() => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn csat_text(csat: &CsatSummary) -> String {
    match csat.average {
        Some(average) => format!("{average:.2} of 5 ({} ratings)", csat.count),
        None => "No ratings".into(),
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let member = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let campaign = RwSignal::new(String::new());
    let open_hours = RwSignal::new(false);
    let metric = RwSignal::new(Metric::MessagesIn);
    let bucket = RwSignal::new(TimeBucket::Day);
    let params = Memo::new(move |_| ReportParams {
        from: Some(from.get()),
        to: Some(to.get()),
        phone_number_id: Some(number.get()),
        team_id: team.get().parse().ok(),
        agent_id: member.get().parse().ok(),
        label: Some(label.get()),
        campaign_id: campaign.get().parse().ok(),
        business_hours: open_hours.get().then_some(true),
    });
    let report = Resource::new(
        move || (params.get(), metric.get(), bucket.get()),
        |(params, metric, bucket)| read_reports(params, metric, bucket),
    );
    // Presets count back from the moment the last report ran up to (the server's now).
    let preset = move |days: u32| {
        let last = report.get_untracked().and_then(Result::ok);
        if let Some(scope) = last.map(|page| page.summary.scope) {
            let (end, offset) = (scope.to, scope.utc_offset_minutes);
            let start = UnixTime(end.0 - i64::from(days) * 86_400);
            from.set(local_iso(start, offset)[..10].to_owned());
            to.set(local_iso(end, offset)[..10].to_owned());
        }
    };
    view! {
        <Title text="Reports · Parley" />
        <AppFrame>
            <main class="admin reports">
                <h1>"Reports"</h1>
                <p class="hint">
                    "How fast the team answers. Without dates: the last 30 days. Days and hours are \
                     the workspace's (its time zone is set with the business hours). Steps count for \
                     the member and team in charge when they were taken."
                </p>
                <div class="report-presets" role="group" aria-label="Period">
                    {PRESETS.iter().map(|(days, name)| {
                        let days = *days;
                        view! { <button type="button" class="secondary" on:click=move |_| preset(days)>{*name}</button> }
                    }).collect_view()}
                </div>
                <form class="report-filters" on:submit=|ev| ev.prevent_default()>
                    <label>"From"
                        <input type="date" name="from" prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) />
                    </label>
                    <label>"To"
                        <input type="date" name="to" prop:value=to on:change=move |ev| to.set(event_target_value(&ev)) />
                    </label>
                    <label class="check">
                        <input type="checkbox" name="business_hours" prop:checked=open_hours
                            on:change=move |ev| open_hours.set(event_target_checked(&ev)) />
                        "Business hours only"
                    </label>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let Ok(page) = report.await else { return ().into_any() };
                            let members = (!page.member_choices.is_empty()).then(|| view! {
                                <ChoiceSelect name="Member" all="Everyone" choices=page.member_choices value=member />
                            });
                            view! {
                                <ChoiceSelect name="Number" all="All numbers" choices=page.numbers value=number />
                                <ChoiceSelect name="Team" all="All teams" choices=page.team_choices value=team />
                                {members}
                                <ChoiceSelect name="Label" all="Any label" choices=page.labels value=label />
                                <ChoiceSelect name="Campaign" all="Any campaign" choices=page.campaigns value=campaign />
                            }.into_any()
                        })}
                    </Transition>
                </form>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(page) => view! {
                                <ReportBody page params=params.get_untracked() metric bucket />
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

#[component]
fn ChoiceSelect(
    name: &'static str,
    all: &'static str,
    choices: Vec<Choice>,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>{name}
            <select on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="" selected=move || value.get().is_empty()>{all}</option>
                {choices.into_iter().map(|choice| {
                    let chosen = choice.value.clone();
                    view! {
                        <option value=choice.value selected=move || value.get() == chosen>{choice.label}</option>
                    }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn ReportBody(
    page: ReportPage,
    params: ReportParams,
    metric: RwSignal<Metric>,
    bucket: RwSignal<TimeBucket>,
) -> impl IntoView {
    let query = params.query();
    let with = |path: &str, extra: &str| {
        let joined = [query.as_str(), extra]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if joined.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{joined}")
        }
    };
    let series_query = format!(
        "metric={}&bucket={}",
        page.series.metric.as_str(),
        page.series.bucket.as_str()
    );
    let chart = with("/api/v1/reports/timeseries.svg", &series_query);
    let series_csv = with("/api/v1/reports/timeseries.csv", &series_query);
    let heatmap = with("/api/v1/reports/heatmap.svg", "");
    let heatmap_csv = with("/api/v1/reports/heatmap.csv", "");
    let agents_csv = with("/api/v1/reports/agents.csv", "");
    let teams_csv = with("/api/v1/reports/teams.csv", "");
    let zone = format!(
        "Times in {}{}.",
        page.summary.scope.time_zone,
        if page.summary.scope.business_hours {
            "; waits count business hours only"
        } else {
            ""
        }
    );
    view! {
        <SummaryFigures summary=page.summary />
        <section class="report-section" aria-labelledby="over-time">
            <h2 id="over-time">"Over time"</h2>
            <p class="hint report-zone">{zone}</p>
            <div class="report-filters">
                <label>"Show"
                    <select on:change=move |ev| {
                        if let Ok(chosen) = event_target_value(&ev).parse() { metric.set(chosen) }
                    }>
                        {Metric::ALL.iter().map(|m| view! {
                            <option value=m.as_str() selected=move || metric.get() == *m>{Metric::title(*m)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Per"
                    <select on:change=move |ev| {
                        if let Ok(chosen) = event_target_value(&ev).parse() { bucket.set(chosen) }
                    }>
                        <option value="day" selected=move || bucket.get() == TimeBucket::Day>"Day"</option>
                        <option value="hour" selected=move || bucket.get() == TimeBucket::Hour>"Hour (up to 31 days)"</option>
                    </select>
                </label>
                <a class="button secondary" download href=series_csv>"Export CSV"</a>
            </div>
            <img class="report-chart" src=chart
                alt=format!("{} per {}; the numbers are in the table below.",
                    Metric::title(page.series.metric), page.series.bucket.as_str()) />
            <SeriesTable series=page.series />
        </section>
        <section class="report-section" aria-labelledby="by-hour">
            <h2 id="by-hour">"When customers write"</h2>
            <a class="button secondary" download href=heatmap_csv>"Export CSV"</a>
            <img class="report-chart" src=heatmap
                alt="Customer messages by weekday and hour (UTC); the numbers are in the table below." />
            <HeatmapTable heatmap=page.heatmap />
        </section>
        <section class="report-section" aria-labelledby="per-member">
            <h2 id="per-member">"Per member"</h2>
            <a class="button secondary" download href=agents_csv>"Export CSV"</a>
            <FiguresTable label="Per member" who="Member" first="Assigned"
                rows=page.agents.into_iter().map(FigureRow::from).collect() />
        </section>
        <section class="report-section" aria-labelledby="per-team">
            <h2 id="per-team">"Per team"</h2>
            <a class="button secondary" download href=teams_csv>"Export CSV"</a>
            <FiguresTable label="Per team" who="Team" first="Opened"
                rows=page.teams.into_iter().map(FigureRow::from).collect() />
        </section>
    }
}

#[component]
fn SummaryFigures(summary: ReportSummary) -> impl IntoView {
    let timing = |p: &Percentiles| format!("{} median · {} p90", duration(p.p50), duration(p.p90));
    let figures = [
        (
            "Conversations opened",
            summary.conversations_opened.to_string(),
        ),
        (
            "Conversations resolved",
            summary.conversations_resolved.to_string(),
        ),
        ("Messages in", summary.messages_in.to_string()),
        ("Messages out", summary.messages_out.to_string()),
        ("First response", timing(&summary.first_response_seconds)),
        ("Resolution", timing(&summary.resolution_seconds)),
        (
            "Windows lapsed unanswered",
            summary.windows_lapsed_unanswered.to_string(),
        ),
        ("Customer satisfaction", csat_text(&summary.csat)),
    ];
    view! {
        <dl class="report-figures" aria-label="Summary">
            {figures.into_iter().map(|(name, value)| view! {
                <div class="figure"><dt>{name}</dt><dd>{value}</dd></div>
            }).collect_view()}
        </dl>
    }
}

#[component]
fn SeriesTable(series: TimeSeries) -> impl IntoView {
    let metric = series.metric;
    let bucket = series.bucket;
    let offset = series.scope.utc_offset_minutes;
    view! {
        <details>
            <summary>"The numbers"</summary>
            <table class="report-table" aria-label=Metric::title(metric)>
                <thead><tr><th scope="col">{if bucket == TimeBucket::Day { "Day" } else { "Hour" }}</th>
                    <th scope="col">{Metric::title(metric)}</th></tr></thead>
                <tbody>
                    {series.points.into_iter().map(|point| {
                        let when = local_iso(point.start, offset);
                        let when = if bucket == TimeBucket::Day { when[..10].to_owned() } else { when[..16].replace('T', " ") };
                        view! { <tr><th scope="row">{when}</th><td class="number">{series_value(metric, point.value)}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

#[component]
fn HeatmapTable(heatmap: Heatmap) -> impl IntoView {
    view! {
        <details>
            <summary>"The numbers"</summary>
            <table class="report-table heatmap" aria-label="Customer messages by weekday and hour">
                <thead><tr><th scope="col">"Day"</th>
                    {(0..24).map(|hour| view! { <th scope="col">{format!("{hour:02}")}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {heatmap.cells.into_iter().enumerate().map(|(day, hours)| view! {
                        <tr><th scope="row">{WEEKDAYS.get(day).copied().unwrap_or("?")}</th>
                            {hours.into_iter().map(|count| view! { <td class="number">{count}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

/// A row of the per-member or per-team table.
struct FigureRow {
    name: String,
    /// Assignments (members) or conversations opened (teams).
    first: i64,
    replies: i64,
    first_response: Percentiles,
    resolved: i64,
    resolution: Percentiles,
    lapsed: i64,
    csat: CsatSummary,
}

impl From<AgentReport> for FigureRow {
    fn from(agent: AgentReport) -> FigureRow {
        FigureRow {
            name: agent.name,
            first: agent.assigned,
            replies: agent.replies,
            first_response: agent.first_response_seconds,
            resolved: agent.conversations_resolved,
            resolution: agent.resolution_seconds,
            lapsed: agent.windows_lapsed_unanswered,
            csat: agent.csat,
        }
    }
}

impl From<TeamReport> for FigureRow {
    fn from(team: TeamReport) -> FigureRow {
        FigureRow {
            name: team.name,
            first: team.conversations_opened,
            replies: team.replies,
            first_response: team.first_response_seconds,
            resolved: team.conversations_resolved,
            resolution: team.resolution_seconds,
            lapsed: team.windows_lapsed_unanswered,
            csat: team.csat,
        }
    }
}

fn median_and_p90(p: &Percentiles) -> String {
    format!("{} · {}", duration(p.p50), duration(p.p90))
}

#[component]
fn FiguresTable(
    label: &'static str,
    who: &'static str,
    first: &'static str,
    rows: Vec<FigureRow>,
) -> impl IntoView {
    view! {
        <table class="report-table" aria-label=label>
            <thead><tr>
                <th scope="col">{who}</th><th scope="col">{first}</th><th scope="col">"Replies"</th>
                <th scope="col">"First response (median · p90)"</th><th scope="col">"Resolved"</th>
                <th scope="col">"Resolution (median · p90)"</th><th scope="col">"Lapsed windows"</th>
                <th scope="col">"CSAT"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr>
                        <th scope="row">{row.name}</th>
                        <td class="number">{row.first}</td>
                        <td class="number">{row.replies}</td>
                        <td>{median_and_p90(&row.first_response)}</td>
                        <td class="number">{row.resolved}</td>
                        <td>{median_and_p90(&row.resolution)}</td>
                        <td class="number">{row.lapsed}</td>
                        <td>{csat_text(&row.csat)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(45)), "45s");
        assert_eq!(duration(Some(125)), "2m 05s");
        assert_eq!(duration(Some(3 * 3_600 + 20 * 60)), "3h 20m");
        assert_eq!(duration(Some(2 * 86_400 + 4 * 3_600)), "2d 4h");
        assert_eq!(series_value(Metric::MessagesIn, Some(3.0)), "3");
        assert_eq!(series_value(Metric::FirstResponseP50, Some(90.0)), "1m 30s");
        assert_eq!(series_value(Metric::CsatAverage, None), "—");
    }
}
