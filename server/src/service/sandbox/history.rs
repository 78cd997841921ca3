//! Four weeks of the demo team's past work, so that `/reports` has history to show on the
//! first start: returning customers write on weekdays (more in office hours, fewer at
//! weekends), the demo agents take their conversations from the teams' queues, answer within
//! minutes (now and then hours) and resolve them; a few customers are never answered and
//! their windows lapse; most rate the conversation afterwards. It goes through the same store operations as live traffic, each at
//! its own past moment, so the history is the one real work would have written.

use super::DemoTeams;
use crate::domain::Millis;
use crate::domain::conversation::{ConversationChange, StatusChange};
use crate::domain::history::{bucket_start, weekday_and_hour};
use crate::sandbox::{DEMO_NUMBERS, DEMO_WABA_ID};
use crate::store::{ConversationQuery, ParsedWebhook, Store, StoreError, User};
use crate::whatsapp::webhook::Notification;
use parley_app::model::{Role, UserId};
use parley_app::reports::TimeBucket;
use serde_json::{Value, json};

const DAYS: i64 = 28;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// Returning customers (UK numbers Ofcom keeps for drama: nobody's phone).
const REGULARS: [&str; 12] = [
    "Olivia Brown",
    "Jack Wilson",
    "Amelia Taylor",
    "Harry Evans",
    "Isla Thomas",
    "Oscar Roberts",
    "Ava Johnson",
    "George Walker",
    "Mia Wright",
    "Noah Hughes",
    "Emily Green",
    "Leo Hall",
];
/// Customers nobody answered, each once in a while.
const UNANSWERED: [&str; 3] = ["Grace Lewis", "Freddie King", "Sophie Scott"];
const QUESTIONS: [&str; 4] = [
    "Hi, where is my order?",
    "Can I change the delivery address?",
    "Do you have this in a larger size?",
    "My parcel arrived damaged.",
];
/// The ratings customers give (1 to 5), in turn: mostly good.
const RATINGS: [u8; 8] = [5, 4, 5, 5, 3, 4, 5, 2];
const COMMENTS: [&str; 3] = [
    "Quick and friendly, thanks!",
    "Took a while, but sorted in the end.",
    "Great service as always 🙌",
];
/// Hours customers write at, office hours weighted.
const HOURS: [i64; 8] = [9, 10, 11, 11, 14, 15, 16, 19];

pub(super) async fn seed_report_history(
    store: &Store,
    users: &[User],
    teams: &DemoTeams,
    now: Millis,
) -> Result<(), StoreError> {
    let agents: Vec<UserId> = users
        .iter()
        .filter(|user| user.role == Role::Agent && !user.disabled)
        .map(|user| user.id)
        .collect();
    let Some(admin) = users.iter().find(|u| u.role == Role::Admin).map(|u| u.id) else {
        return Ok(());
    };
    if agents.is_empty() {
        return Ok(());
    }
    let today = bucket_start(TimeBucket::Day, now, 0);
    let mut seq: i64 = 0;
    for days_ago in (1..=DAYS).rev() {
        let day = Millis(today.0 - days_ago * 24 * HOUR);
        let (weekday, _) = weekday_and_hour(day, 0);
        let customers = if weekday >= 5 {
            1
        } else {
            2 + (days_ago * 7 % 3)
        };
        for i in 0..customers {
            seq += 1;
            let hour = HOURS[((seq * 5) % 8) as usize];
            let wrote = Millis(day.0 + hour * HOUR + (seq * 17 % 60) * MINUTE);
            let unanswered = seq % 9 == 4;
            let (name, wa_id) = if unanswered {
                let n = (seq / 9) as usize % UNANSWERED.len();
                (UNANSWERED[n], format!("4477009005{:02}", 50 + n))
            } else {
                let n = ((days_ago * 5 + i) % REGULARS.len() as i64) as usize;
                (REGULARS[n], format!("4477009005{n:02}"))
            };
            let question = QUESTIONS[(seq % 4) as usize];
            let wamid = format!("wamid.demo-history.{seq}.in");
            let inbound = customer_writes(&wa_id, name, &wamid, wrote, question);
            apply(store, -(seq * 10), &inbound, wrote).await?;
            let Some(id) = conversation_of(store, &wa_id, wrote).await? else {
                continue;
            };
            let agent = agents[(seq as usize) % agents.len()];
            let team = if seq % 4 == 0 {
                teams.sales
            } else {
                teams.support
            };
            let assign = ConversationChange {
                assignee: Some(Some(agent)),
                team: Some(Some(team)),
                ..Default::default()
            };
            let picked_up = Millis(wrote.0 + (1 + seq % 4) * MINUTE);
            store
                .conversations
                .change(id, assign, Some(admin), picked_up)
                .await?;
            let resolve = ConversationChange {
                status: Some(StatusChange::Resolved),
                ..Default::default()
            };
            if unanswered {
                // The window closes on the waiting customer; the clock notices; the next
                // morning someone tidies it away.
                let lapsed = Millis(wrote.0 + 24 * HOUR + MINUTE);
                store.reports.mark_lapsed_windows(lapsed).await?;
                let tidied = Millis(lapsed.0 + 30 * MINUTE);
                store
                    .conversations
                    .change(id, resolve, Some(admin), tidied)
                    .await?;
                continue;
            }
            let wait = (2 + seq * 13 % 40) * MINUTE + if seq % 6 == 0 { 3 * HOUR } else { 0 };
            let answered = Millis(wrote.0 + wait);
            let reply =
                business_replies(&wa_id, &format!("wamid.demo-history.{seq}.out"), answered);
            apply(store, -(seq * 10 + 1), &reply, answered).await?;
            let resolved = Millis(answered.0 + (10 + seq * 29 % 180) * MINUTE);
            store
                .conversations
                .change(id, resolve, Some(agent), resolved)
                .await?;
            // Most customers answer the rating request (mostly happy), some with a comment.
            if seq % 4 != 3 {
                store
                    .automations
                    .asked_for_rating(id, true, resolved)
                    .await?;
                let rating = RATINGS[(seq % RATINGS.len() as i64) as usize];
                let tapped = Millis(resolved.0 + (2 + seq % 7) * MINUTE);
                let tap = customer_rates(
                    &wa_id,
                    &format!("wamid.demo-history.{seq}.csat"),
                    tapped,
                    id,
                    rating,
                );
                apply(store, -(seq * 10 + 2), &tap, tapped).await?;
                if seq % 3 == 0 {
                    let said = Millis(tapped.0 + MINUTE);
                    let comment = COMMENTS[(seq % COMMENTS.len() as i64) as usize];
                    let wamid = format!("wamid.demo-history.{seq}.comment");
                    let comment = customer_writes(&wa_id, name, &wamid, said, comment);
                    apply(store, -(seq * 10 + 3), &comment, said).await?;
                }
            }
        }
    }
    Ok(())
}

/// Applies a webhook as processing would, at `at` (ids below zero: never a journal row's).
async fn apply(store: &Store, id: i64, payload: &Value, at: Millis) -> Result<(), StoreError> {
    let body = serde_json::to_vec(payload).expect("json serialises");
    let Ok(notification) = Notification::parse(&body) else {
        return Ok(());
    };
    let parsed = ParsedWebhook::new(id, &body, Some(notification));
    let failures = store.intake.apply(&[parsed], at).await?;
    match failures.into_iter().next() {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

async fn conversation_of(
    store: &Store,
    wa_id: &str,
    now: Millis,
) -> Result<Option<i64>, StoreError> {
    let query = ConversationQuery {
        search: Some(wa_id.to_owned()),
        ..ConversationQuery::all(5, now)
    };
    let page = store.conversations.list(&query).await?;
    Ok(page
        .items
        .iter()
        .find(|c| c.contact.wa_id.as_deref() == Some(wa_id))
        .map(|c| c.id))
}

fn envelope(field: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": DEMO_WABA_ID,
        "changes": [{"field": field, "value": value}]}]})
}

/// The demo's first number, as Meta writes it in webhooks (digits only).
fn business_phone() -> String {
    DEMO_NUMBERS[0].display.replace(['+', ' ', '-'], "")
}

fn metadata() -> Value {
    json!({"display_phone_number": business_phone(), "phone_number_id": DEMO_NUMBERS[0].id})
}

fn customer_writes(wa_id: &str, name: &str, wamid: &str, at: Millis, text: &str) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"wa_id": wa_id, "profile": {"name": name}}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": (at.0 / 1000).to_string(),
                "type": "text", "text": {"body": text}}]}),
    )
}

/// The customer's tap on a rating request's row.
fn customer_rates(wa_id: &str, wamid: &str, at: Millis, conversation_id: i64, rating: u8) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"wa_id": wa_id, "profile": {"name": ""}}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": (at.0 / 1000).to_string(),
                "type": "interactive", "interactive": {"type": "list_reply", "list_reply": {
                    "id": format!("csat:{conversation_id}:{rating}"),
                    "title": "★".repeat(usize::from(rating))}}}]}),
    )
}

/// The agent's answer, as the WhatsApp Business app's echo records it (no send now: it was
/// sent weeks ago).
fn business_replies(wa_id: &str, wamid: &str, at: Millis) -> Value {
    envelope(
        "smb_message_echoes",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "message_echoes": [{"from": business_phone(), "to": wa_id,
                "id": wamid, "timestamp": (at.0 / 1000).to_string(), "type": "text",
                "text": {"body": "Thanks for waiting! It is sorted: you will have an update today."}}]}),
    )
}
