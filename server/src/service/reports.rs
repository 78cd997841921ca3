//! How fast the team answers: figures from conversations' history and messages. Admins see
//! everyone's; an agent sees what counts for them alone.

use super::{ServiceError, ServiceResult, Services};
use crate::domain::Millis;
use crate::domain::business_hours::Schedule;
use crate::domain::history::{
    HistoryKind, bucket_millis, bucket_start, bucket_starts, percentile, weekday_and_hour,
};
use crate::domain::period::Period;
use crate::domain::report::{self, Figures};
use crate::store::reports::{Buckets, ReportFilter};
use crate::store::{Team, User};
use parley_app::model::{UnixTime, UserId, Viewer};
use parley_app::reports::{
    AgentReport, AgentsReport, Choice, Heatmap, Metric, ReportPage, ReportParams, ReportScope,
    ReportSummary, SeriesPoint, TeamReport, TeamsReport, TimeBucket, TimeSeries,
};
use std::collections::BTreeMap;

/// The marks whose values reports measure.
const MEASURED: [HistoryKind; 3] = [
    HistoryKind::FirstReply,
    HistoryKind::Resolved,
    HistoryKind::Csat,
];
/// Hourly series cover at most this many days (744 points).
const LONGEST_HOURLY_DAYS: i64 = 31;

pub async fn summary(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
) -> ServiceResult<ReportSummary> {
    let asked = asked(svc, viewer, params).await?;
    let marks = marks(svc, &asked).await?;
    summary_of(svc, &asked, &marks).await
}

/// The history's marks in a filter: counted, and the values of those that measure something.
/// The summary and the member and team tables are all drawn from one reading.
struct Marks {
    counts: Vec<report::Counted>,
    values: Vec<report::Tally>,
}

async fn marks(svc: &Services, asked: &Asked) -> ServiceResult<Marks> {
    // The daily totals count what has committed so far (usually nothing new: the clock keeps
    // them current), so a report shows a change made a moment ago.
    svc.store.reports.roll_up().await?;
    let filter = &asked.filter;
    let reports = &svc.store.reports;
    let values = if asked.open_hours.is_some() {
        // Each wait is measured again in open hours, so each is read with its moment.
        let values = reports.mark_values(filter, &MEASURED).await?;
        let values = asked.in_open_hours(values);
        values.iter().map(report::Measured::tally).collect()
    } else {
        reports.tally_values(filter, &MEASURED).await?
    };
    Ok(Marks {
        counts: reports.count_marks(filter).await?,
        values,
    })
}

async fn summary_of(svc: &Services, asked: &Asked, marks: &Marks) -> ServiceResult<ReportSummary> {
    let messages = svc
        .store
        .reports
        .count_messages(&asked.filter, None)
        .await?;
    let figures = report::figures(&marks.counts, &marks.values);
    let count_of = |inbound: bool| {
        messages
            .iter()
            .filter(|count| count.inbound == inbound)
            .map(|count| count.count)
            .sum()
    };
    Ok(ReportSummary {
        scope: asked.scope.clone(),
        conversations_opened: figures.conversations_opened(),
        conversations_resolved: figures.resolved,
        messages_in: count_of(true),
        messages_out: count_of(false),
        first_response_seconds: figures.first_response,
        resolution_seconds: figures.resolution,
        windows_lapsed_unanswered: figures.windows_lapsed,
        csat: figures.csat,
    })
}

/// Every member's figures (an agent: their own), busiest first; members who did nothing in
/// the period are listed with zeros, so that a quiet member shows.
pub async fn agents(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
) -> ServiceResult<AgentsReport> {
    let asked = asked(svc, viewer, params).await?;
    let marks = marks(svc, &asked).await?;
    let users = svc.store.team.list_users().await?;
    let agents = agents_of(&asked.filter, &marks, &users);
    Ok(AgentsReport {
        scope: asked.scope,
        agents,
    })
}

fn agents_of(filter: &ReportFilter, marks: &Marks, users: &[User]) -> Vec<AgentReport> {
    let mut by_agent = report::figures_by_agent(&marks.counts, &marks.values);
    let names: BTreeMap<UserId, String> = users
        .iter()
        .map(|user| (user.id, user.name.as_str().to_owned()))
        .collect();
    for user in users.iter().filter(|user| !user.disabled) {
        if filter.agent_id.is_none_or(|agent| agent == user.id) {
            by_agent.entry(user.id).or_default();
        }
    }
    let mut agents: Vec<AgentReport> = by_agent
        .into_iter()
        .map(|(agent_id, figures)| AgentReport {
            agent_id,
            name: names
                .get(&agent_id)
                .cloned()
                .unwrap_or_else(|| format!("Member {agent_id}")),
            assigned: figures.assigned,
            replies: figures.replies,
            first_response_seconds: figures.first_response,
            conversations_resolved: figures.resolved,
            resolution_seconds: figures.resolution,
            windows_lapsed_unanswered: figures.windows_lapsed,
            csat: figures.csat,
        })
        .collect();
    agents.sort_by(|a, b| {
        (b.replies + b.conversations_resolved)
            .cmp(&(a.replies + a.conversations_resolved))
            .then_with(|| a.name.cmp(&b.name))
    });
    agents
}

/// Every team's figures, and those of conversations in no team's queue.
pub async fn teams(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
) -> ServiceResult<TeamsReport> {
    let asked = asked(svc, viewer, params).await?;
    let marks = marks(svc, &asked).await?;
    let teams = svc.store.routing.teams().await?;
    let teams = teams_of(&asked.filter, &marks, &teams);
    Ok(TeamsReport {
        scope: asked.scope,
        teams,
    })
}

fn teams_of(filter: &ReportFilter, marks: &Marks, teams: &[Team]) -> Vec<TeamReport> {
    let mut by_team = report::figures_by_team(&marks.counts, &marks.values);
    for team in teams {
        if filter.team_id.is_none_or(|id| id == team.id) {
            by_team.entry(Some(team.id)).or_default();
        }
    }
    let name_of = |id: Option<i64>| match id {
        None => "No team".to_owned(),
        Some(id) => teams
            .iter()
            .find(|team| team.id == id)
            .map_or_else(|| format!("Team {id} (deleted)"), |team| team.name.clone()),
    };
    by_team
        .into_iter()
        .map(|(team_id, figures): (Option<i64>, Figures)| TeamReport {
            team_id,
            name: name_of(team_id),
            conversations_opened: figures.conversations_opened(),
            conversations_resolved: figures.resolved,
            replies: figures.replies,
            first_response_seconds: figures.first_response,
            resolution_seconds: figures.resolution,
            windows_lapsed_unanswered: figures.windows_lapsed,
            csat: figures.csat,
        })
        .collect()
}

/// `metric` per hour or day over the period, every bucket present (empty ones `null` for
/// measures, 0 for counts).
pub async fn timeseries(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
    metric: Metric,
    bucket: TimeBucket,
) -> ServiceResult<TimeSeries> {
    let asked = asked(svc, viewer, params).await?;
    series_of(svc, &asked, metric, bucket).await
}

async fn series_of(
    svc: &Services,
    asked: &Asked,
    metric: Metric,
    bucket: TimeBucket,
) -> ServiceResult<TimeSeries> {
    let filter = &asked.filter;
    if bucket == TimeBucket::Hour
        && filter.to.0 - filter.from.0 > LONGEST_HOURLY_DAYS * bucket_millis(TimeBucket::Day)
    {
        return Err(ServiceError::Invalid(format!(
            "an hourly series covers at most {LONGEST_HOURLY_DAYS} days"
        )));
    }
    let buckets = Buckets {
        width: bucket_millis(bucket),
        offset: asked.offset,
    };
    let reports = &svc.store.reports;
    let counted = |kind| async move { reports.count_marks_by_bucket(filter, kind, buckets).await };
    let values: BTreeMap<Millis, f64> = match metric {
        Metric::ConversationsOpened => {
            let mut opened = counted(HistoryKind::Opened).await?;
            opened.extend(counted(HistoryKind::Reopened).await?);
            sum_by_bucket(opened)
        }
        Metric::ConversationsResolved => sum_by_bucket(counted(HistoryKind::Resolved).await?),
        Metric::WindowsLapsedUnanswered => sum_by_bucket(counted(HistoryKind::WindowLapsed).await?),
        Metric::MessagesIn | Metric::MessagesOut => {
            let inbound = metric == Metric::MessagesIn;
            let messages = reports.count_messages(filter, Some(buckets)).await?;
            sum_by_bucket(
                messages
                    .into_iter()
                    .filter(|count| count.inbound == inbound)
                    .filter_map(|count| Some((count.bucket?, count.count))),
            )
        }
        Metric::FirstResponseP50
        | Metric::FirstResponseP90
        | Metric::ResolutionP50
        | Metric::CsatAverage => {
            let (kind, measure): (HistoryKind, Measure) = match metric {
                Metric::FirstResponseP50 => (HistoryKind::FirstReply, |v| {
                    percentile(v, 0.5).map(|p| p as f64)
                }),
                Metric::FirstResponseP90 => (HistoryKind::FirstReply, |v| {
                    percentile(v, 0.9).map(|p| p as f64)
                }),
                Metric::ResolutionP50 => (HistoryKind::Resolved, |v| {
                    percentile(v, 0.5).map(|p| p as f64)
                }),
                _ => (HistoryKind::Csat, |v| {
                    let ratings: Vec<(i64, i64)> = v.iter().map(|&rating| (rating, 1)).collect();
                    report::csat(&ratings).average
                }),
            };
            let mut grouped: BTreeMap<Millis, Vec<i64>> = BTreeMap::new();
            let marks = asked.in_open_hours(reports.mark_values(filter, &[kind]).await?);
            for mark in marks {
                let start = bucket_start(bucket, mark.at, asked.offset);
                grouped.entry(start).or_default().push(mark.value);
            }
            grouped
                .into_iter()
                .filter_map(|(start, mut values)| Some((start, measure(&mut values)?)))
                .collect()
        }
    };
    let points = bucket_starts(bucket, filter.from, filter.to, asked.offset)
        .into_iter()
        .map(|start| SeriesPoint {
            start: UnixTime::from_millis(start.0),
            value: values
                .get(&start)
                .copied()
                .or(metric.is_count().then_some(0.0)),
        })
        .collect();
    Ok(TimeSeries {
        scope: asked.scope.clone(),
        metric,
        bucket,
        points,
    })
}

/// Customers' messages by weekday and hour (the workspace's) over the period.
pub async fn heatmap(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
) -> ServiceResult<Heatmap> {
    let asked = asked(svc, viewer, params).await?;
    heatmap_of(svc, &asked).await
}

async fn heatmap_of(svc: &Services, asked: &Asked) -> ServiceResult<Heatmap> {
    let hours = Buckets {
        width: bucket_millis(TimeBucket::Hour),
        offset: asked.offset,
    };
    let mut cells = vec![[0i64; 24]; 7];
    let messages = svc
        .store
        .reports
        .count_messages(&asked.filter, Some(hours))
        .await?;
    for count in messages.iter().filter(|count| count.inbound) {
        if let Some(start) = count.bucket {
            let (weekday, hour) = weekday_and_hour(start, asked.offset);
            cells[weekday][hour] += count.count;
        }
    }
    Ok(Heatmap {
        scope: asked.scope.clone(),
        cells,
    })
}

/// What a measured series shows of a bucket's values.
type Measure = fn(&mut [i64]) -> Option<f64>;

/// Everything the reports page shows, with what it can be narrowed to.
pub async fn page(
    svc: &Services,
    viewer: &Viewer,
    params: &ReportParams,
    metric: Metric,
    bucket: TimeBucket,
) -> ServiceResult<ReportPage> {
    let asked = asked(svc, viewer, params).await?;
    let marks = marks(svc, &asked).await?;
    let users = svc.store.team.list_users().await?;
    let teams = svc.store.routing.teams().await?;
    let choice = |value: String, label: String| Choice { value, label };
    let numbers = svc.store.numbers.list().await?;
    let numbers = numbers
        .into_iter()
        .map(|number| {
            let name = number
                .verified_name
                .clone()
                .or(number.display_phone_number.clone())
                .unwrap_or_else(|| number.phone_number_id.clone());
            choice(number.phone_number_id, name)
        })
        .collect();
    let team_choices = teams
        .iter()
        .map(|team| choice(team.id.to_string(), team.name.clone()))
        .collect();
    let member_choices = if viewer.is_admin() {
        users
            .iter()
            .filter(|user| !user.disabled)
            .map(|user| choice(user.id.0.to_string(), user.name.as_str().to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let labels = svc.store.labels.list().await?;
    let labels = labels
        .into_iter()
        .map(|label| {
            choice(
                label.name.as_str().to_owned(),
                label.name.as_str().to_owned(),
            )
        })
        .collect();
    let campaigns = svc
        .store
        .campaigns
        .list()
        .await?
        .into_iter()
        .map(|campaign| choice(campaign.id.to_string(), campaign.name))
        .collect();
    Ok(ReportPage {
        agents: agents_of(&asked.filter, &marks, &users),
        teams: teams_of(&asked.filter, &marks, &teams),
        series: series_of(svc, &asked, metric, bucket).await?,
        heatmap: heatmap_of(svc, &asked).await?,
        summary: summary_of(svc, &asked, &marks).await?,
        numbers,
        team_choices,
        member_choices,
        labels,
        campaigns,
    })
}

fn sum_by_bucket(counts: impl IntoIterator<Item = (Millis, i64)>) -> BTreeMap<Millis, f64> {
    let mut sums = BTreeMap::new();
    for (start, count) in counts {
        *sums.entry(start).or_insert(0.0) += count as f64;
    }
    sums
}

/// A report request as the service counts it.
struct Asked {
    filter: ReportFilter,
    /// What the answer says it covers.
    scope: ReportScope,
    /// How far the workspace's clocks are ahead of UTC (ms): where its days and hours begin.
    offset: i64,
    /// Waits and resolutions are counted in these open hours only.
    open_hours: Option<Schedule>,
}

impl Asked {
    /// First-response and resolution times in open seconds when asked for: each mark's value
    /// is the time up to it, so it began `value` seconds before.
    fn in_open_hours(&self, mut values: Vec<report::Measured>) -> Vec<report::Measured> {
        if let Some(schedule) = &self.open_hours {
            for mark in &mut values {
                if matches!(mark.kind, HistoryKind::FirstReply | HistoryKind::Resolved) {
                    let began = Millis(mark.at.0 - mark.value * 1000);
                    mark.value = schedule.open_seconds(began, mark.at);
                }
            }
        }
        values
    }
}

/// The request a viewer may make, in the workspace's time zone: an agent's reports are their
/// own, whatever they asked.
async fn asked(svc: &Services, viewer: &Viewer, params: &ReportParams) -> ServiceResult<Asked> {
    let schedule = super::business_hours::schedule(svc).await?;
    let now = svc.now();
    let period = Period::parse_local(
        params.from.as_deref(),
        params.to.as_deref(),
        now,
        schedule.offset_at(now),
    )
    .map_err(ServiceError::Invalid)?;
    let asked = params.agent_id.map(UserId);
    let agent_id = if viewer.is_admin() {
        asked
    } else {
        match asked {
            Some(other) if other != viewer.id => return Err(ServiceError::Forbidden),
            _ => Some(viewer.id),
        }
    };
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let filter = ReportFilter {
        from: period.from,
        to: period.to,
        phone_number_id: text(&params.phone_number_id),
        team_id: params.team_id,
        agent_id,
        label: text(&params.label),
        campaign_id: params.campaign_id,
    };
    let business_hours = params.business_hours.unwrap_or(false);
    let offset = schedule.offset_at(filter.to);
    let scope = ReportScope {
        from: UnixTime::from_millis(filter.from.0),
        to: UnixTime::from_millis(filter.to.0),
        phone_number_id: filter.phone_number_id.clone(),
        team_id: filter.team_id,
        agent_id: filter.agent_id,
        label: filter.label.clone(),
        campaign_id: filter.campaign_id,
        time_zone: schedule.zone_name().to_owned(),
        utc_offset_minutes: (offset / 60_000) as i32,
        business_hours,
    };
    Ok(Asked {
        offset,
        filter,
        scope,
        open_hours: business_hours.then_some(schedule),
    })
}
