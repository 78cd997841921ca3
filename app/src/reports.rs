//! How fast the team answers: reports drawn from conversations' history and messages.

use crate::consent::wire_enum;
use crate::model::{UnixTime, UserId, percent_encode};
use serde::{Deserialize, Serialize};

/// Median and 90th percentile, in seconds (`null` when nothing was measured).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Percentiles {
    pub p50: Option<i64>,
    pub p90: Option<i64>,
    /// How many times were measured.
    pub count: i64,
}

/// Customers' satisfaction ratings (1–5).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CsatSummary {
    pub count: i64,
    /// `null` without ratings.
    pub average: Option<f64>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [i64; 5],
}

/// What a report covers: the period and the filters it was asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportScope {
    pub from: UnixTime,
    pub to: UnixTime,
    pub phone_number_id: Option<String>,
    pub team_id: Option<i64>,
    pub agent_id: Option<UserId>,
    pub label: Option<String>,
    pub campaign_id: Option<i64>,
    /// The workspace's time zone: where the period's dates, days and hours begin.
    pub time_zone: String,
    /// How far that zone's clocks are ahead of UTC at the period's end, in minutes.
    pub utc_offset_minutes: i32,
    /// Whether waits and resolutions count open business hours only.
    pub business_hours: bool,
}

/// The team's figures over a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportSummary {
    pub scope: ReportScope,
    /// Conversations customers started or came back to (reopened).
    pub conversations_opened: i64,
    pub conversations_resolved: i64,
    /// Messages customers sent.
    pub messages_in: i64,
    /// Messages the business sent (members, campaigns, automations).
    pub messages_out: i64,
    /// From a conversation (re)opening to its first reply by a member.
    pub first_response_seconds: Percentiles,
    /// From a conversation (re)opening to its resolution.
    pub resolution_seconds: Percentiles,
    /// Windows that closed while the customer's message was the last word.
    pub windows_lapsed_unanswered: i64,
    pub csat: CsatSummary,
}

/// One member's figures: the conversations assigned to them and the replies they wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AgentReport {
    pub agent_id: UserId,
    pub name: String,
    /// Times a conversation was assigned to them.
    pub assigned: i64,
    pub replies: i64,
    /// Their first replies to waiting customers, and how long those customers waited.
    pub first_response_seconds: Percentiles,
    /// Conversations resolved while assigned to them.
    pub conversations_resolved: i64,
    pub resolution_seconds: Percentiles,
    /// Windows that lapsed unanswered while assigned to them.
    pub windows_lapsed_unanswered: i64,
    pub csat: CsatSummary,
}

/// One team's figures (its queue at the time of each step); `team_id` null: no team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamReport {
    pub team_id: Option<i64>,
    pub name: String,
    pub conversations_opened: i64,
    pub conversations_resolved: i64,
    pub replies: i64,
    pub first_response_seconds: Percentiles,
    pub resolution_seconds: Percentiles,
    pub windows_lapsed_unanswered: i64,
    pub csat: CsatSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AgentsReport {
    pub scope: ReportScope,
    /// Busiest first.
    pub agents: Vec<AgentReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamsReport {
    pub scope: ReportScope,
    pub teams: Vec<TeamReport>,
}

wire_enum!(
    /// What a time series counts or measures.
    Metric {
        ConversationsOpened = "conversations_opened",
        ConversationsResolved = "conversations_resolved",
        MessagesIn = "messages_in",
        MessagesOut = "messages_out",
        /// Median seconds to a first reply, among first replies in the bucket.
        FirstResponseP50 = "first_response_p50",
        FirstResponseP90 = "first_response_p90",
        /// Median seconds to resolution, among resolutions in the bucket.
        ResolutionP50 = "resolution_p50",
        WindowsLapsedUnanswered = "windows_lapsed_unanswered",
        CsatAverage = "csat_average",
    }
);

impl Metric {
    /// What the metric is called in charts and tables.
    pub fn title(self) -> &'static str {
        match self {
            Metric::ConversationsOpened => "Conversations opened",
            Metric::ConversationsResolved => "Conversations resolved",
            Metric::MessagesIn => "Messages in",
            Metric::MessagesOut => "Messages out",
            Metric::FirstResponseP50 => "First response (median)",
            Metric::FirstResponseP90 => "First response (90th percentile)",
            Metric::ResolutionP50 => "Resolution (median)",
            Metric::WindowsLapsedUnanswered => "Windows lapsed unanswered",
            Metric::CsatAverage => "CSAT average",
        }
    }

    /// A count (0 in a bucket where nothing happened), rather than a measure (nothing to show).
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Metric::ConversationsOpened
                | Metric::ConversationsResolved
                | Metric::MessagesIn
                | Metric::MessagesOut
                | Metric::WindowsLapsedUnanswered
        )
    }

    /// Whether its values are seconds.
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Metric::FirstResponseP50 | Metric::FirstResponseP90 | Metric::ResolutionP50
        )
    }
}

wire_enum!(
    /// How finely a time series is cut.
    TimeBucket {
        Hour = "hour",
        Day = "day",
    }
);

/// One bucket of a time series: `value` null where nothing was measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeriesPoint {
    /// The bucket's start.
    pub start: UnixTime,
    pub value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimeSeries {
    pub scope: ReportScope,
    pub metric: Metric,
    pub bucket: TimeBucket,
    /// Every bucket of the period, empty ones included, oldest first.
    pub points: Vec<SeriesPoint>,
}

/// Customers' messages by day of the week (0 Monday … 6 Sunday) and hour (0–23).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Heatmap {
    pub scope: ReportScope,
    pub cells: Vec<[i64; 24]>,
}

/// What a report is asked for, as the API's query string and the reports page write it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ReportParams {
    /// Unix seconds or `YYYY-MM-DD` (UTC); default 30 days before `to`.
    pub from: Option<String>,
    /// Unix seconds or `YYYY-MM-DD` (that day included); default now.
    pub to: Option<String>,
    /// Only this business number's conversations.
    pub phone_number_id: Option<String>,
    /// Only steps taken in this team's queue.
    pub team_id: Option<i64>,
    /// Only what counts for this member (agents: always themselves).
    pub agent_id: Option<i64>,
    /// Only conversations with this label (by name).
    pub label: Option<String>,
    /// Only conversations a campaign's message went to.
    pub campaign_id: Option<i64>,
    /// `true`: first-response and resolution times count the workspace's business hours
    /// only (a wait from Friday evening to Monday morning: Monday's minutes).
    pub business_hours: Option<bool>,
}

/// Something a report can be narrowed to: its value in [`ReportParams`] and its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Everything the reports page shows for one set of parameters, read in one round trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportPage {
    pub summary: ReportSummary,
    pub agents: Vec<AgentReport>,
    pub teams: Vec<TeamReport>,
    pub series: TimeSeries,
    pub heatmap: Heatmap,
    pub numbers: Vec<Choice>,
    pub team_choices: Vec<Choice>,
    /// Empty for agents: their reports are their own.
    pub member_choices: Vec<Choice>,
    pub labels: Vec<Choice>,
    pub campaigns: Vec<Choice>,
}

impl ReportParams {
    /// The query string the API's reports take for these parameters (empty ones left out).
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut text = |name, value: &Option<String>| {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((name, value.to_owned()));
            }
        };
        text("from", &self.from);
        text("to", &self.to);
        text("phone_number_id", &self.phone_number_id);
        text("label", &self.label);
        if let Some(team) = self.team_id {
            pairs.push(("team_id", team.to_string()));
        }
        if let Some(agent) = self.agent_id {
            pairs.push(("agent_id", agent.to_string()));
        }
        if let Some(campaign) = self.campaign_id {
            pairs.push(("campaign_id", campaign.to_string()));
        }
        if self.business_hours == Some(true) {
            pairs.push(("business_hours", "true".into()));
        }
        pairs
            .into_iter()
            .map(|(name, value)| format!("{name}={}", percent_encode(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_become_the_apis_query_string() {
        let params = ReportParams {
            from: Some("2026-07-01".into()),
            to: Some(String::new()),
            label: Some("VIP & co".into()),
            team_id: Some(3),
            ..Default::default()
        };
        assert_eq!(
            params.query(),
            "from=2026-07-01&label=VIP%20%26%20co&team_id=3"
        );
        assert_eq!(ReportParams::default().query(), "");
    }
}
