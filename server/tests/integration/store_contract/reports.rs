//! Conversations' history and the reports read from it: a small history built at fixed times
//! (a reply, a resolve, a reopen, a reassignment to another team's member, a window lapsing on
//! a waiting customer) counts and measures as worked out by hand.

use super::labels::add_label;
use super::{add_user, conversation_with, outbound};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::contacts::PhoneNumber;
use parley_app::model::{Role, UserId};
use parley_app::reports::TimeBucket;
use parley_server::domain::Millis;
use parley_server::domain::conversation::{ConversationChange, StatusChange};
use parley_server::domain::history::{HistoryKind, bucket_millis};
use parley_server::domain::report;
use parley_server::store::reports::{Buckets, ReportFilter};
use parley_server::store::{ParsedWebhook, SharedStore, TeamUpdate};
use parley_server::whatsapp::webhook::Notification;

on_both_engines!(
    a_conversations_history_is_written_with_each_change,
    a_conversation_the_business_started_has_no_first_response,
    reports_count_and_measure_the_history,
    a_lapsed_window_is_marked_once_and_only_on_a_waiting_customer,
    daily_totals_count_whole_days_as_the_rows_do,
);

const ANN: &str = "15551501";
const BOB: &str = "15551502";
/// 2026-07-01 09:00 UTC, in milliseconds.
const T0: i64 = 1_782_896_400_000;

fn at(seconds: i64) -> Millis {
    Millis(T0 + seconds * 1000)
}

/// The customer writes (webhook `event`), processed at `seconds` after T0.
async fn writes(store: &SharedStore, event: i64, customer: &str, seconds: i64) -> i64 {
    let wamid = format!("wamid.{customer}.{event}");
    let sent = (T0 / 1000) + seconds;
    let payload = wa::inbound_text(wa::NUMBER_A, customer, "Customer", &wamid, sent, "hello");
    let body = serde_json::to_vec(&payload).unwrap();
    let parsed = ParsedWebhook::new(event, &body, Some(Notification::parse(&body).unwrap()));
    let failures = store.intake.apply(&[parsed], at(seconds)).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    conversation_with(store, customer).await
}

async fn change(store: &SharedStore, id: i64, change: ConversationChange, by: UserId, s: i64) {
    store
        .conversations
        .change(id, change, Some(by), at(s))
        .await
        .unwrap();
}

fn assign(to: UserId) -> ConversationChange {
    ConversationChange {
        assignee: Some(Some(to)),
        ..Default::default()
    }
}

fn resolve() -> ConversationChange {
    ConversationChange {
        status: Some(StatusChange::Resolved),
        ..Default::default()
    }
}

struct Story {
    store: SharedStore,
    ana: UserId,
    ben: UserId,
    team: i64,
    ann: i64,
    bob: i64,
}

/// Ann writes at 0, is assigned to Ana at 60, answered at 300 and 400, resolved at 3,600;
/// writes again at 7,200 (reopened), moves to the billing team at 7,230 and to Ben at 7,260,
/// who answers at 8,100 and resolves at 8,200. Bob writes at 100 and is never answered.
async fn story(engine: Engine) -> Story {
    let store = fresh_store(engine).await;
    let admin = add_user(&store, "admin@example.com", Role::Admin).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let members = TeamUpdate {
        members: Some(vec![ben]),
        ..Default::default()
    };
    let team = store
        .routing
        .create_team("Billing", &members, at(0))
        .await
        .unwrap()
        .id;
    let ann = writes(&store, 1, ANN, 0).await;
    let bob = writes(&store, 2, BOB, 100).await;
    change(&store, ann, assign(ana), admin, 60).await;
    for (seconds, text) in [(300, "Hello Ann"), (400, "Anything else?")] {
        let reply = outbound(ann, ana, ANN, text);
        store.outbox.enqueue(&reply, at(seconds)).await.unwrap();
    }
    change(&store, ann, resolve(), ana, 3_600).await;
    assert_eq!(
        writes(&store, 3, ANN, 7_200).await,
        ann,
        "reopened, not new"
    );
    let to_billing = ConversationChange {
        team: Some(Some(team)),
        ..Default::default()
    };
    change(&store, ann, to_billing, admin, 7_230).await;
    change(&store, ann, assign(ben), admin, 7_260).await;
    let reply = outbound(ann, ben, ANN, "Refund sent");
    store.outbox.enqueue(&reply, at(8_100)).await.unwrap();
    change(&store, ann, resolve(), ben, 8_200).await;
    Story {
        store,
        ana,
        ben,
        team,
        ann,
        bob,
    }
}

fn the_day() -> ReportFilter {
    ReportFilter {
        from: at(-3_600),
        to: at(2 * 86_400),
        phone_number_id: None,
        team_id: None,
        agent_id: None,
        label: None,
        campaign_id: None,
    }
}

async fn a_conversations_history_is_written_with_each_change(engine: Engine) {
    let story = story(engine).await;
    let history = story.store.reports.history(story.ann).await.unwrap();
    let steps: Vec<(HistoryKind, i64, Option<i64>)> = history
        .iter()
        .map(|entry| (entry.kind, (entry.at.0 - T0) / 1000, entry.value))
        .collect();
    let ana = Some(story.ana.0);
    let ben = Some(story.ben.0);
    assert_eq!(
        steps,
        [
            (HistoryKind::Opened, 0, None),
            (HistoryKind::Assigned, 60, ana),
            (HistoryKind::FirstReply, 300, Some(300)),
            (HistoryKind::Replied, 300, None),
            (HistoryKind::Replied, 400, None),
            (HistoryKind::Resolved, 3_600, Some(3_600)),
            (HistoryKind::Reopened, 7_200, None),
            (HistoryKind::TeamChanged, 7_230, Some(story.team)),
            (HistoryKind::Assigned, 7_260, ben),
            (HistoryKind::FirstReply, 8_100, Some(900)),
            (HistoryKind::Replied, 8_100, None),
            (HistoryKind::Resolved, 8_200, Some(1_000)),
        ]
    );
    // Each mark counts for the member then in charge (a reply: its author), in the team then.
    let resolved_by_ana = &history[5];
    assert_eq!(resolved_by_ana.agent_id, Some(story.ana));
    assert_eq!(resolved_by_ana.actor_id, Some(story.ana));
    assert_eq!(resolved_by_ana.team_id, None);
    let answered_by_ben = &history[9];
    assert_eq!(answered_by_ben.agent_id, Some(story.ben));
    assert_eq!(answered_by_ben.team_id, Some(story.team));
    let bob = story.store.reports.history(story.bob).await.unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].kind, HistoryKind::Opened);
}

async fn reports_count_and_measure_the_history(engine: Engine) {
    let story = story(engine).await;
    let reports = &story.store.reports;
    let measured = [
        HistoryKind::FirstReply,
        HistoryKind::Resolved,
        HistoryKind::Csat,
    ];
    let figures_for = |filter: ReportFilter| async move {
        let counts = reports.count_marks(&filter).await.unwrap();
        let values = reports.tally_values(&filter, &measured).await.unwrap();
        // The tallies are the marks' values, counted.
        let each = reports.mark_values(&filter, &measured).await.unwrap();
        let tallied: Vec<report::Tally> = each.iter().map(report::Measured::tally).collect();
        assert_eq!(
            report::figures(&counts, &tallied),
            report::figures(&counts, &values)
        );
        assert_eq!(
            values.iter().map(|tally| tally.count).sum::<i64>(),
            each.len() as i64
        );
        (report::figures(&counts, &values), counts, values)
    };
    let (all, counts, values) = figures_for(the_day()).await;
    assert_eq!(all.conversations_opened(), 3, "two opened, one reopened");
    assert_eq!(all.resolved, 2);
    assert_eq!(all.replies, 3);
    assert_eq!(all.first_response.p50, Some(300));
    assert_eq!(all.first_response.p90, Some(900));
    assert_eq!(all.resolution.p50, Some(1_000));
    assert_eq!(all.resolution.p90, Some(3_600));

    let agents = report::figures_by_agent(&counts, &values);
    let ana = &agents[&story.ana];
    assert_eq!((ana.assigned, ana.replies, ana.resolved), (1, 2, 1));
    assert_eq!(ana.first_response.p50, Some(300));
    let ben = &agents[&story.ben];
    assert_eq!((ben.assigned, ben.replies, ben.resolved), (1, 1, 1));
    assert_eq!(ben.resolution.p50, Some(1_000));
    let teams = report::figures_by_team(&counts, &values);
    assert_eq!(teams[&Some(story.team)].first_response.p50, Some(900));
    assert_eq!(teams[&None].conversations_opened(), 3);

    // Filtered by what was true at each step.
    let bens = ReportFilter {
        agent_id: Some(story.ben),
        ..the_day()
    };
    let (bens, _, _) = figures_for(bens).await;
    assert_eq!(bens.first_response.count, 1);
    assert_eq!(bens.resolved, 1);
    let billing = ReportFilter {
        team_id: Some(story.team),
        ..the_day()
    };
    assert_eq!(figures_for(billing).await.0.replies, 1);
    let vip = add_label(&story.store, "VIP", "#d97706").await;
    let labelled = ConversationChange {
        labels: Some(vec![vip.id]),
        ..Default::default()
    };
    change(&story.store, story.bob, labelled, story.ana, 200).await;
    let vips = ReportFilter {
        label: Some("vip".into()),
        ..the_day()
    };
    let (vips, _, _) = figures_for(vips).await;
    assert_eq!(vips.conversations_opened(), 1);
    assert_eq!(vips.replies, 0);
    let elsewhere = ReportFilter {
        phone_number_id: Some("another-number".into()),
        ..the_day()
    };
    assert_eq!(figures_for(elsewhere).await.0, report::Figures::default());
    let no_campaign_sent_here = ReportFilter {
        campaign_id: Some(404),
        ..the_day()
    };
    assert_eq!(
        figures_for(no_campaign_sent_here.clone()).await.0,
        report::Figures::default()
    );
    let messages = reports
        .count_messages(&no_campaign_sent_here, None)
        .await
        .unwrap();
    assert!(messages.is_empty(), "{messages:?}");

    // Messages: Ann wrote twice and Bob once; Ana twice and Ben once.
    let messages = reports.count_messages(&the_day(), None).await.unwrap();
    let sum = |inbound: bool| -> i64 {
        messages
            .iter()
            .filter(|m| m.inbound == inbound)
            .map(|m| m.count)
            .sum()
    };
    assert_eq!((sum(true), sum(false)), (3, 3));
    let ben_s = ReportFilter {
        agent_id: Some(story.ben),
        ..the_day()
    };
    let ben_s = reports.count_messages(&ben_s, None).await.unwrap();
    assert_eq!(
        ben_s.iter().map(|m| m.count).sum::<i64>(),
        5,
        "Ann's conversation is Ben's now"
    );

    // Per hour: resolutions at 09:00 and 11:00 (3,600 s is 10:00; 8,200 s is 11:16).
    let hours = Buckets {
        width: bucket_millis(TimeBucket::Hour),
        offset: 0,
    };
    let mut resolved = reports
        .count_marks_by_bucket(&the_day(), HistoryKind::Resolved, hours)
        .await
        .unwrap();
    resolved.sort();
    assert_eq!(resolved, [(at(3_600), 1), (at(7_200), 1)]);
    let mut inbound = reports
        .count_messages(&the_day(), Some(hours))
        .await
        .unwrap();
    inbound.retain(|m| m.inbound);
    inbound.sort_by_key(|m| m.bucket);
    let per_hour: Vec<(Option<Millis>, i64)> =
        inbound.iter().map(|m| (m.bucket, m.count)).collect();
    assert_eq!(per_hour, [(Some(at(0)), 2), (Some(at(7_200)), 1)]);
}

async fn a_lapsed_window_is_marked_once_and_only_on_a_waiting_customer(engine: Engine) {
    let story = story(engine).await;
    let reports = &story.store.reports;
    // Bob's window (from 100 s) is open a day: nothing has lapsed an hour before it closes.
    assert_eq!(reports.mark_lapsed_windows(at(86_000)).await.unwrap(), 0);
    // Ann was answered last; Bob waits and his window closes.
    assert_eq!(reports.mark_lapsed_windows(at(90_000)).await.unwrap(), 1);
    assert_eq!(
        reports.mark_lapsed_windows(at(95_000)).await.unwrap(),
        0,
        "once"
    );
    let bob = reports.history(story.bob).await.unwrap();
    let lapse = bob.last().unwrap();
    assert_eq!(lapse.kind, HistoryKind::WindowLapsed);
    assert_eq!(
        lapse.at,
        at(100 + 86_400),
        "when it closed, not when it was noticed"
    );
    // The lapse fell on the next whole day, which the daily totals answer for once rolled up.
    reports.roll_up().await.unwrap();
    let counts = reports.count_marks(&the_day()).await.unwrap();
    assert_eq!(report::figures(&counts, &[]).windows_lapsed, 1);
    assert!(
        reports
            .history(story.ann)
            .await
            .unwrap()
            .iter()
            .all(|entry| entry.kind != HistoryKind::WindowLapsed)
    );
}

async fn a_conversation_the_business_started_has_no_first_response(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    // Number A exists once a customer has written to it.
    writes(&store, 1, BOB, 0).await;
    let phone = PhoneNumber::parse("+1 555 150 3").unwrap();
    let lead = store
        .contacts
        .create(&phone, &Default::default(), at(10))
        .await
        .unwrap();
    let id = store
        .contacts
        .start_conversation(lead, wa::NUMBER_A, at(20))
        .await
        .unwrap();
    let hello = outbound(id, ana, "15551503", "Hello from the shop");
    store.outbox.enqueue(&hello, at(80)).await.unwrap();
    // The lead answers an hour later, and Ana again: the business spoke first, so no wait.
    assert_eq!(
        writes(&store, 2, "15551503", 3_680).await,
        id,
        "the same conversation"
    );
    let again = outbound(id, ana, "15551503", "Great!");
    store.outbox.enqueue(&again, at(3_700)).await.unwrap();
    let kinds: Vec<HistoryKind> = store
        .reports
        .history(id)
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            HistoryKind::Opened,
            HistoryKind::Replied,
            HistoryKind::Replied
        ]
    );
}

/// 2026-06-30 12:00 to 2026-07-03 12:00: the story's day is a whole day inside, read from the
/// daily totals, with half days of nothing at either edge.
fn three_days() -> ReportFilter {
    ReportFilter {
        from: at(-21 * 3_600),
        to: at(51 * 3_600),
        ..the_day()
    }
}

async fn daily_totals_count_whole_days_as_the_rows_do(engine: Engine) {
    let story = story(engine).await;
    let reports = &story.store.reports;
    let figures_for = |filter: ReportFilter| async move {
        let counts = reports.count_marks(&filter).await.unwrap();
        report::figures(&counts, &[])
    };
    let messages_for = |filter: ReportFilter| async move {
        let counts = reports.count_messages(&filter, None).await.unwrap();
        let sum = |inbound: bool| -> i64 {
            counts
                .iter()
                .filter(|m| m.inbound == inbound)
                .map(|m| m.count)
                .sum()
        };
        (sum(true), sum(false))
    };
    // Two callers at once (as two nodes' clocks): the cursor lets one count each row.
    let (first, second) = tokio::join!(reports.roll_up(), reports.roll_up());
    assert!(first.unwrap() + second.unwrap() > 0);
    assert_eq!(reports.roll_up().await.unwrap(), 0, "nothing left to count");

    let from_rows = figures_for(the_day()).await;
    let from_totals = figures_for(three_days()).await;
    assert_eq!(from_totals, from_rows);
    assert_eq!(
        (
            from_totals.conversations_opened(),
            from_totals.resolved,
            from_totals.replies
        ),
        (3, 2, 3)
    );
    assert_eq!(messages_for(three_days()).await, (3, 3));
    // Totals filter by the member and team at each step, and messages by the conversation's
    // member when counted (Ann's is Ben's by then).
    let bens = ReportFilter {
        agent_id: Some(story.ben),
        ..three_days()
    };
    let bens_figures = figures_for(bens.clone()).await;
    assert_eq!((bens_figures.assigned, bens_figures.replies), (1, 1));
    assert_eq!(messages_for(bens).await, (2, 3));
    let billing = ReportFilter {
        team_id: Some(story.team),
        ..three_days()
    };
    assert_eq!(figures_for(billing).await.replies, 1);
    let elsewhere = ReportFilter {
        phone_number_id: Some("another-number".into()),
        ..three_days()
    };
    assert_eq!(figures_for(elsewhere).await, report::Figures::default());

    // What comes later counts once it is rolled up; a recount from scratch agrees.
    writes(&story.store, 9, "15551509", 600).await;
    reports.roll_up().await.unwrap();
    let later = figures_for(three_days()).await;
    assert_eq!(later.conversations_opened(), 4);
    assert_eq!(messages_for(three_days()).await, (4, 3));
    reports.recount_totals().await.unwrap();
    assert_eq!(figures_for(three_days()).await, later);
    assert_eq!(messages_for(three_days()).await, (4, 3));
    assert_eq!(reports.roll_up().await.unwrap(), 0);
}
