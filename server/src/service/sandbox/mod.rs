//! The sandbox: in sandbox mode, admins make a simulated customer write in (demos, and the
//! browser tests, which cannot reach the simulator's own controls).

mod campaigns;
mod crm;
mod history;

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use parley_app::business_hours::{BusinessHours, Opening, WeeklyHours};
use parley_app::model::Viewer;
use std::time::Duration;

/// What Parley asked of the simulated Graph API: every request (`METHOD /path`) and the body of
/// every message it accepted, in order. Shows, in the sandbox, exactly what would reach Meta.
pub fn graph_calls(
    svc: &Services,
    viewer: &Viewer,
) -> ServiceResult<(Vec<String>, Vec<serde_json::Value>)> {
    require_admin(viewer)?;
    let sim = svc
        .sandbox
        .as_ref()
        .ok_or(ServiceError::NotFound("sandbox"))?;
    Ok((sim.calls(), sim.accepted()))
}

/// The customer (by phone or business-scoped user id) sends `content`, a message's
/// type-specific part as in Meta's webhooks; answers its wamid.
pub fn customer_writes(
    svc: &Services,
    viewer: &Viewer,
    address: &str,
    content: serde_json::Value,
) -> ServiceResult<String> {
    require_admin(viewer)?;
    let sim = svc
        .sandbox
        .as_ref()
        .ok_or(ServiceError::NotFound("sandbox"))?;
    let persona = crate::sandbox::personas_by_address(address)
        .ok_or(ServiceError::NotFound("simulated customer"))?;
    if !content
        .get("type")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(ServiceError::Invalid(
            "the message needs a `type` and its part, e.g. {\"type\": \"text\", \"text\": \
             {\"body\": \"Hi\"}}"
                .into(),
        ));
    }
    Ok(sim.customer_writes(persona, content, Duration::ZERO))
}

/// Meta changes a simulated number's quality, flag or messaging limit; the simulator sends the
/// webhooks Meta would.
pub fn change_number_health(
    svc: &Services,
    viewer: &Viewer,
    phone_number_id: &str,
    change: &crate::sandbox::HealthChange,
) -> ServiceResult<()> {
    require_admin(viewer)?;
    let sim = svc
        .sandbox
        .as_ref()
        .ok_or(ServiceError::NotFound("sandbox"))?;
    if crate::sandbox::demo_number(phone_number_id).is_none() {
        return Err(ServiceError::NotFound("simulated number"));
    }
    sim.change_health(phone_number_id, change)
        .map_err(ServiceError::Invalid)
}

/// The demo workspace's teamwork, seeded once the first customers' conversations have arrived:
/// labels on them, priorities, a pending and a snoozed one, notes (one mentions the demo agent),
/// canned replies for the team and for the agent, an invited member and an audit trail.
pub async fn seed_teamwork(store: &crate::store::Store, clock: &crate::domain::SharedClock) {
    if let Err(error) = try_seed_teamwork(store, clock).await {
        tracing::warn!(%error, "cannot seed the demo's labels, notes and canned replies");
    }
}

/// A member invited but not yet arrived (their link is pending, its secret never shown), and
/// what the audit log would have recorded of the team's first days.
async fn seed_team(
    store: &crate::store::Store,
    admin: &parley_app::model::Viewer,
    now: crate::domain::Millis,
) -> Result<(), crate::store::StoreError> {
    use crate::store::{NewPasswordLink, NewUser};
    use parley_app::model::{DisplayName, Email, Role};
    use parley_app::team::LinkPurpose;

    let origin = Origin::sandbox();
    let invited = NewUser {
        email: Email::parse("sam@demo.parley").expect("a valid address"),
        name: DisplayName::parse("Sam Support").expect("a valid name"),
        role: Role::Agent,
        password_hash: None,
    };
    let sam = store.team.create_user(invited, now).await?;
    let link = NewPasswordLink {
        user: sam.id,
        digest: crate::auth::password_link::mint().digest,
        purpose: LinkPurpose::Invite,
        created_by: Some(admin.id),
        expires_at: now.plus(crate::auth::password_link::LIFETIME),
    };
    store.team.create_password_link(&link, now).await?;
    let target = format!("member {}", sam.id);
    let added = serde_json::json!({"email": sam.email.as_str(), "name": sam.name.as_str(), "role": "agent"});
    let linked = serde_json::json!({"purpose": "invite", "expires_at": link.expires_at.0 / 1000});
    for (action, details) in [
        (AuditAction::MemberAdded, added),
        (AuditAction::PasswordLinkCreated, linked),
    ] {
        audit::write(
            store,
            now,
            Actor::Member(admin),
            &origin,
            action,
            target.clone(),
            details,
        )
        .await;
    }
    // Someone guessing at the admin's password from a documentation address (RFC 5737).
    let guesser = Origin("203.0.113.7".into());
    let tried = admin.email.to_string();
    for _ in 0..3 {
        let action = AuditAction::SignInFailed;
        let actor = Actor::Anonymous(&tried);
        let details = serde_json::json!({});
        audit::write(
            store,
            now,
            actor,
            &guesser,
            action,
            "sign-in".into(),
            details,
        )
        .await;
    }
    Ok(())
}

/// The demo's teams, for putting conversations in them.
struct DemoTeams {
    sales: i64,
    support: i64,
}

impl DemoTeams {
    fn for_conversation(&self, customer: &str) -> Option<i64> {
        Some(if customer == "Amira Haddad" {
            self.sales
        } else {
            self.support
        })
    }
}

/// Support (round-robin, 10 each; the first number's new conversations join it) and Sales
/// (least busy). Nobody is online yet: what arrives waits in Support's queue until a member
/// goes online (the availability picker in the top bar), and then routing hands it out.
async fn seed_teams(
    store: &crate::store::Store,
    users: &[crate::store::User],
    now: crate::domain::Millis,
) -> Result<DemoTeams, crate::store::StoreError> {
    use crate::store::TeamUpdate;
    use parley_app::model::Role;
    use parley_app::team::AutoAssignment;

    let agents: Vec<_> = users
        .iter()
        .filter(|u| u.role == Role::Agent)
        .map(|u| u.id)
        .collect();
    let admins: Vec<_> = users
        .iter()
        .filter(|u| u.role == Role::Admin)
        .map(|u| u.id)
        .collect();
    let support = TeamUpdate {
        members: Some(agents.clone()),
        assignment: Some(AutoAssignment::RoundRobin),
        capacity: Some(Some(10)),
        ..TeamUpdate::default()
    };
    let support = store.routing.create_team("Support", &support, now).await?;
    let sales = TeamUpdate {
        members: Some(admins.iter().chain(agents.first()).copied().collect()),
        assignment: Some(AutoAssignment::LeastBusy),
        ..TeamUpdate::default()
    };
    let sales = store.routing.create_team("Sales", &sales, now).await?;
    if let Some((number, _)) = store.routing.default_teams().await?.first() {
        store
            .routing
            .set_default_team(number, Some(support.id), now)
            .await?;
    }
    Ok(DemoTeams {
        sales: sales.id,
        support: support.id,
    })
}

/// The demo's rules, which its customers set off: keyword replies that understand Hebrew,
/// Chinese and Spanish without accents (one a canned reply), an out-of-hours reply, VIPs
/// first, a window reminder, auto-resolve after a quiet day and a rating request.
async fn seed_automations(
    store: &crate::store::Store,
    now: crate::domain::Millis,
) -> crate::store::StoreResult<()> {
    let rules = [
        serde_json::json!({
            "name": "Refunds",
            "trigger": "message_received",
            "conditions": [{"field": "message.text", "op": "contains_any",
                "value": ["refund", "reembolso", "退货", "החזר"]}],
            "actions": [
                {"type": "send_text", "text": "Sorry to hear that! Refunds reach you within 5 working days; a teammate is looking at yours now."},
                {"type": "add_label", "label": "refund"},
            ],
        }),
        serde_json::json!({
            "name": "Shipping questions",
            "trigger": "message_received",
            "conditions": [{"field": "message.text", "op": "contains_any",
                "value": ["shipping", "deliver", "envio", "配送", "発送"]}],
            "actions": [{"type": "send_canned", "shortcut": "shipping"}],
        }),
        serde_json::json!({
            "name": "Out of hours",
            "trigger": "message_received",
            "conditions": [{"field": "business_hours", "op": "is", "value": "closed"}],
            "actions": [{"type": "send_text", "text": "Thanks for writing! We're closed right now (weekdays 08:00–18:00, Saturdays 10:00–14:00, Berlin time) and will answer as soon as we open."}],
            "once_per_closed_period": true,
        }),
        serde_json::json!({
            "name": "VIPs first",
            "trigger": "label_added",
            "label": "VIP",
            "actions": [{"type": "set_priority", "priority": "high"}],
        }),
        serde_json::json!({
            "name": "Window reminder",
            "trigger": "window_closing",
            "minutes": 60,
            "actions": [{"type": "notify", "text": "The customer is waiting and the window closes within the hour: answer now or only a paid template will reach them."}],
        }),
        serde_json::json!({
            "name": "Auto-resolve",
            "trigger": "conversation_idle",
            "minutes": 1440,
            "actions": [
                {"type": "send_text", "text": "We'll close this chat for now — write any time and we'll pick it up."},
                {"type": "resolve"},
            ],
        }),
        serde_json::json!({
            "name": "Rating request",
            "trigger": "conversation_resolved",
            "actions": [{"type": "ask_csat", "scale": "stars", "ask_comment": true}],
        }),
    ];
    for rule in rules {
        let draft = serde_json::from_value(rule).expect("the demo's rules are well formed");
        store.automations.create_automation(&draft, now).await?;
    }
    Ok(())
}

/// The demo shop's hours: weekdays 08:00–18:00 and Saturday mornings in Berlin, closed for
/// Christmas and New Year.
fn demo_business_hours(now: crate::domain::Millis) -> BusinessHours {
    let year = jiff::Timestamp::from_millisecond(now.0)
        .map(|at| at.to_zoned_datetime(jiff::tz::TimeZone::UTC).year())
        .unwrap_or(2026);
    let open = |opens: &str, closes: &str| {
        vec![Opening {
            opens: opens.into(),
            closes: closes.into(),
        }]
    };
    BusinessHours {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHours {
            monday: open("08:00", "18:00"),
            tuesday: open("08:00", "18:00"),
            wednesday: open("08:00", "18:00"),
            thursday: open("08:00", "18:00"),
            friday: open("08:00", "18:00"),
            saturday: open("10:00", "14:00"),
            sunday: Vec::new(),
        },
        holidays: vec![
            format!("{year}-12-25"),
            format!("{year}-12-26"),
            format!("{}-01-01", year + 1),
        ],
    }
}

async fn try_seed_teamwork(
    store: &crate::store::Store,
    clock: &crate::domain::SharedClock,
) -> Result<(), crate::store::StoreError> {
    use crate::domain::conversation::{ConversationChange, StatusChange};
    use crate::store::{ConversationQuery, NewCannedReply, NewLabel, NewNote};
    use parley_app::collaboration::{Colour, LabelName, Priority};
    use parley_app::model::Role;

    // The seeded customers write in over the first seconds (longer on a busy machine); the
    // seed names some of them, so it waits for those.
    const NAMED: [&str; 2] = ["Amira Haddad", "Noa Levi"];
    let written = store.wakeups.subscribe();
    let mut conversations = Vec::new();
    let give_up = tokio::time::Instant::now() + Duration::from_secs(90);
    while tokio::time::Instant::now() < give_up {
        let query = ConversationQuery::all(50, clock.now());
        conversations = store.conversations.list(&query).await?.items;
        let named = NAMED.iter().all(|name| {
            conversations
                .iter()
                .any(|c| c.contact.name.as_deref() == Some(*name))
        });
        if conversations.len() >= 6 && named {
            break;
        }
        // Woken by the next commit that writes events (the bound covers one missed between
        // the read above and this wait).
        let _ = tokio::time::timeout(Duration::from_millis(500), written.notified()).await;
    }
    let by_name = |name: &str| {
        conversations
            .iter()
            .find(|c| c.contact.name.as_deref() == Some(name))
            .map(|c| c.id)
    };
    let users = store.team.list_users().await?;
    let admin = users.iter().find(|u| u.role == Role::Admin).map(|u| u.id);
    let admin_viewer = users
        .iter()
        .find(|u| u.role == Role::Admin)
        .map(crate::auth::viewer_of);
    if let Some(admin) = &admin_viewer {
        seed_team(store, admin, clock.now()).await?;
    }
    let agent = users
        .iter()
        .find(|u| u.role == Role::Agent)
        .map(|u| (u.id, u.name.clone()));
    let now = clock.now();
    let mut labels = std::collections::HashMap::new();
    for (name, colour, description) in [
        ("VIP", "#d97706", "Customers we look after first"),
        ("refund", "#dc2626", "Asking for money back"),
        ("delivery", "#2563eb", "Where is my order"),
        ("sales lead", "#16a34a", "Might buy more"),
        ("complaint", "#7c3aed", "Unhappy: handle with care"),
    ] {
        let label = NewLabel {
            name: LabelName::parse(name).expect("a valid name"),
            colour: Colour::parse(colour).expect("a valid colour"),
            description: description.into(),
        };
        let created = store.labels.create(&label, now).await?;
        labels.insert(name, created.id);
        if let Some(admin) = &admin_viewer {
            let details = serde_json::json!({"name": name, "colour": colour});
            let target = format!("label {}", created.id);
            let actor = Actor::Member(admin);
            let action = AuditAction::LabelCreated;
            audit::write(
                store,
                now,
                actor,
                &Origin::sandbox(),
                action,
                target,
                details,
            )
            .await;
        }
    }
    let teams = seed_teams(store, &users, now).await?;
    store
        .routing
        .set_business_hours(&demo_business_hours(now), now)
        .await?;
    crm::seed_contacts(store, &conversations, &labels, admin_viewer.as_ref(), now).await?;
    campaigns::seed_campaigns(store, &conversations, admin, now).await?;
    campaigns::seed_rate_card(store).await?;
    history::seed_report_history(store, &users, &teams, now).await?;
    let plan: [(&str, &[&str], Priority, Option<StatusChange>); 4] = [
        ("Amira Haddad", &["VIP", "sales lead"], Priority::High, None),
        ("Noa Levi", &["refund", "complaint"], Priority::Urgent, None),
        (
            "Mateo García",
            &["delivery"],
            Priority::Medium,
            Some(StatusChange::Pending),
        ),
        (
            "Priya Sharma",
            &["delivery"],
            Priority::Low,
            Some(StatusChange::Snoozed {
                until: now.plus(Duration::from_secs(2 * 3600)),
            }),
        ),
    ];
    for (name, names, priority, status) in plan {
        let Some(id) = by_name(name) else { continue };
        let change = ConversationChange {
            assignee: agent.as_ref().map(|(id, _)| Some(*id)),
            status,
            priority: Some(priority),
            labels: Some(
                names
                    .iter()
                    .filter_map(|n| labels.get(n).copied())
                    .collect(),
            ),
            team: Some(teams.for_conversation(name)),
        };
        store.conversations.change(id, change, admin, now).await?;
    }
    if let (Some(admin), Some((agent, agent_name)), Some(noa)) = (admin, agent, by_name("Noa Levi"))
    {
        let notes = [
            (
                noa,
                admin,
                format!(
                    "@{agent_name} she was charged twice for order #4471: refund one, then tell her."
                ),
                vec![agent],
            ),
            (
                noa,
                agent,
                "Refund requested in the payment console; waiting for the bank.".to_owned(),
                vec![],
            ),
        ];
        for (conversation_id, author, body, mentions) in notes {
            let note = NewNote {
                conversation_id,
                author,
                body,
                mentions,
            };
            store.notes.add(&note, now).await?;
        }
        if let Some(amira) = by_name("Amira Haddad") {
            let note = NewNote {
                conversation_id: amira,
                author: admin,
                body: "Wholesale buyer: offer the 10% volume discount if she orders 50+.".into(),
                mentions: vec![],
            };
            store.notes.add(&note, now).await?;
        }
        for (owner, shortcut, title, body) in [
            (
                None,
                "hours",
                "Opening hours",
                "Hi {{contact.name}}! We are open Monday to Saturday, 9:00–19:00. — {{agent.name}}",
            ),
            (
                None,
                "refund",
                "How refunds work",
                "Hi {{contact.name}}, refunds reach your card within 5 working days of our confirmation.",
            ),
            (
                None,
                "shipping",
                "Shipping times",
                "Orders leave the warehouse within 24 hours; delivery takes 2–4 days.",
            ),
            (
                Some(agent),
                "thanks",
                "Thank you",
                "Thank you, {{contact.name}}! Anything else I can help with?",
            ),
        ] {
            let reply = NewCannedReply {
                owner,
                shortcut: shortcut.into(),
                title: title.into(),
                body: body.into(),
                attachment_media_id: None,
            };
            store.canned_replies.create(&reply, now).await?;
        }
    }
    // The seeded past is not for rules to judge: they start from here.
    store.automations.skip_logged().await?;
    seed_automations(store, now).await?;
    Ok(())
}
