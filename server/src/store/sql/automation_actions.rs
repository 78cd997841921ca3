//! What a rule does, inside the worker's transaction: messages through the outbox as
//! "Automation" (never more than a few an hour per conversation), conversation and label
//! changes through the code members' changes use, notifications for members. Something a
//! rule names that is gone (a label, team, member, canned reply) turns the rule off with the
//! reason, for an admin to see.

use super::Tx;
use super::notifications::{NewNotification, notify};
use super::outbox::{OwnMessage, send_own_in};
use crate::domain::Millis;
use crate::domain::conversation::{ConversationChange, StatusChange};
use crate::domain::{csat, outgoing};
use crate::store::StoreResult;
use parley_app::automation::AutomationAction;
use parley_app::collaboration::{
    NotificationKind, PlaceholderValues, check_shortcut, fill_placeholders,
};
use parley_app::compose::Interactive;
use parley_app::model::UserId;
use parley_app::templates::TemplateStatus;
use std::time::Duration;

/// At most this many automated messages per conversation in an hour: rules never flood a
/// customer, whatever they say.
const AUTOMATED_PER_HOUR: i64 = 3;
const HOUR: Duration = Duration::from_secs(3600);

/// Does one action; `done`, or why not.
pub(super) async fn apply(
    tx: &mut Tx<'_>,
    rule_id: i64,
    conversation_id: i64,
    action: &AutomationAction,
    now: Millis,
) -> StoreResult<String> {
    let done = "done".to_owned();
    match action {
        AutomationAction::SendText { text } => {
            send(tx, rule_id, conversation_id, OwnMessage::text(text), now).await
        }
        AutomationAction::SendTemplate {
            name,
            language,
            parameters,
        } => {
            let template =
                template_message(tx, conversation_id, name, language, parameters).await?;
            match template {
                Ok(message) => send(tx, rule_id, conversation_id, message.as_own(), now).await,
                Err(Unsendable::Gone(why)) => turn_off(tx, rule_id, why, now).await,
                Err(Unsendable::NotNow(why)) => Ok(format!("not sent: {why}")),
            }
        }
        AutomationAction::SendCanned { shortcut } => {
            let shortcut = check_shortcut(shortcut).unwrap_or_default();
            let body: Option<String> = sqlx::query_scalar(
                "SELECT body FROM canned_replies WHERE owner_id IS NULL AND shortcut = $1",
            )
            .bind(&shortcut)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(body) = body else {
                let why = format!("the canned reply “{shortcut}” no longer exists");
                return turn_off(tx, rule_id, why, now).await;
            };
            let filled = fill_placeholders(&body, &placeholders(tx, conversation_id).await?);
            if !filled.missing.is_empty() {
                return Ok(format!(
                    "not sent: no value for {} in this conversation",
                    filled.missing.join(", ")
                ));
            }
            let text = OwnMessage::text(&filled.text);
            send(tx, rule_id, conversation_id, text, now).await
        }
        AutomationAction::SendInteractive { interactive } => {
            send(tx, rule_id, conversation_id, buttons(interactive), now).await
        }
        AutomationAction::AskCsat {
            scale,
            question,
            ask_comment,
        } => {
            let question = csat::question(*scale, question.as_deref(), conversation_id);
            let sent = send(tx, rule_id, conversation_id, buttons(&question), now).await?;
            if sent == done {
                sqlx::query(
                    "UPDATE conversations SET csat_asked_at = $1, csat_wants_comment = $2,
                       csat_rating = NULL, csat_comment = NULL, csat_comment_until = NULL
                     WHERE id = $3",
                )
                .bind(now.0)
                .bind(*ask_comment)
                .bind(conversation_id)
                .execute(&mut **tx)
                .await?;
            }
            Ok(sent)
        }
        AutomationAction::AddLabel { label } | AutomationAction::RemoveLabel { label } => {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM labels WHERE name_key = $1")
                    .bind(label.trim().to_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some(label_id) = found else {
                let why = format!("the label “{}” no longer exists", label.trim());
                return turn_off(tx, rule_id, why, now).await;
            };
            let mut labels: Vec<i64> = sqlx::query_scalar(
                "SELECT label_id FROM conversation_labels WHERE conversation_id = $1",
            )
            .bind(conversation_id)
            .fetch_all(&mut **tx)
            .await?;
            labels.retain(|id| *id != label_id);
            if matches!(action, AutomationAction::AddLabel { .. }) {
                labels.push(label_id);
            }
            super::conversation_labels::set_labels(tx, conversation_id, &labels, None, now).await?;
            Ok(done)
        }
        AutomationAction::AssignTeam { team_id } => {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                .bind(team_id)
                .fetch_optional(&mut **tx)
                .await?;
            if found.is_none() {
                return turn_off(tx, rule_id, format!("team {team_id} no longer exists"), now)
                    .await;
            }
            let team = ConversationChange {
                team: Some(Some(*team_id)),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &team, None, now).await?;
            Ok(done)
        }
        AutomationAction::AssignMember { member_id } => {
            if !active(tx, *member_id).await? {
                let why = format!("member {member_id} is gone or disabled");
                return turn_off(tx, rule_id, why, now).await;
            }
            let assign = ConversationChange {
                assignee: Some(Some(UserId(*member_id))),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &assign, None, now).await?;
            Ok(done)
        }
        AutomationAction::SetPriority { priority } => {
            let set = ConversationChange {
                priority: Some(*priority),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &set, None, now).await?;
            Ok(done)
        }
        AutomationAction::Resolve | AutomationAction::Snooze { .. } => {
            let status = match action {
                AutomationAction::Snooze { minutes } => StatusChange::Snoozed {
                    until: now.plus(Duration::from_secs(u64::from(*minutes) * 60)),
                },
                _ => StatusChange::Resolved,
            };
            let current: String =
                sqlx::query_scalar("SELECT status FROM conversations WHERE id = $1")
                    .bind(conversation_id)
                    .fetch_one(&mut **tx)
                    .await?;
            if current == "resolved" {
                return Ok("not done: the conversation is resolved".into());
            }
            let set = ConversationChange {
                status: Some(status),
                ..Default::default()
            };
            super::conversations::change_in(tx, conversation_id, &set, None, now).await?;
            Ok(done)
        }
        AutomationAction::Notify { member_id, text } => {
            if let Some(member) = member_id
                && !active(tx, *member).await?
            {
                let why = format!("member {member} is gone or disabled");
                return turn_off(tx, rule_id, why, now).await;
            }
            let told = notify_members(tx, conversation_id, *member_id, text, now).await?;
            Ok(if told == 0 {
                "not done: nobody to notify".into()
            } else {
                done
            })
        }
    }
}

fn buttons(interactive: &Interactive) -> OwnMessage<'_> {
    OwnMessage {
        kind: "interactive",
        text: interactive.body(),
        object: outgoing::interactive_object(interactive),
        template: None,
    }
}

/// Why a rule's template cannot go: gone for good (the rule turns off), or not now.
enum Unsendable {
    Gone(String),
    NotNow(String),
}

/// A template message ready to queue: the thread's text, Meta's object, id and category.
struct TemplateMessage {
    text: String,
    object: serde_json::Value,
    id: String,
    category: String,
}

impl TemplateMessage {
    fn as_own(&self) -> OwnMessage<'_> {
        OwnMessage {
            kind: "template",
            text: &self.text,
            object: self.object.clone(),
            template: Some((self.id.clone(), self.category.clone())),
        }
    }
}

/// The named template for this conversation's number, its variables filled.
async fn template_message(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    name: &str,
    language: &str,
    parameters: &[String],
) -> StoreResult<Result<TemplateMessage, Unsendable>> {
    let waba: Option<String> = sqlx::query_scalar(
        "SELECT n.waba_id FROM conversations c
         JOIN business_numbers n ON n.phone_number_id = c.phone_number_id WHERE c.id = $1",
    )
    .bind(conversation_id)
    .fetch_optional(&mut **tx)
    .await?
    .flatten();
    let Some(found) = super::templates::by_name_in(tx, waba.as_deref(), name, language).await?
    else {
        return Ok(Err(Unsendable::Gone(format!(
            "the template {name} ({language}) no longer exists"
        ))));
    };
    let template = crate::views::template(&found);
    if template.status != TemplateStatus::Approved {
        let why = format!("template {name} ({language}) is {}", template.status);
        return Ok(Err(Unsendable::NotNow(why)));
    }
    if template.header_media().is_some() {
        let why = format!("template {name} needs a header image, video or document");
        return Ok(Err(Unsendable::Gone(why)));
    }
    let names = template.parameters();
    if names.len() != parameters.len() {
        let why = format!(
            "template {name} takes {} parameter(s); the rule gives {}",
            names.len(),
            parameters.len()
        );
        return Ok(Err(Unsendable::Gone(why)));
    }
    let values = placeholders(tx, conversation_id).await?;
    let mut filled = Vec::new();
    for parameter in parameters {
        let value = fill_placeholders(parameter, &values);
        if !value.missing.is_empty() || value.text.trim().is_empty() {
            let why = format!("no value for {parameter} in this conversation");
            return Ok(Err(Unsendable::NotNow(why)));
        }
        filled.push(value.text);
    }
    let mut object = serde_json::json!({ "name": template.name,
        "language": { "code": template.language } });
    if !names.is_empty() {
        let values: Vec<serde_json::Value> = (names.iter().zip(&filled))
            .map(|(name, text)| match name.parse::<usize>() {
                Ok(_) => serde_json::json!({ "type": "text", "text": text }),
                Err(_) => {
                    serde_json::json!({ "type": "text", "parameter_name": name, "text": text })
                }
            })
            .collect();
        object["components"] = serde_json::json!([{ "type": "body", "parameters": values }]);
    }
    Ok(Ok(TemplateMessage {
        text: template.render(&filled),
        object,
        id: template.id.clone(),
        category: template.category.to_ascii_uppercase(),
    }))
}

/// Queues an automated message unless the conversation had its hour's share of them.
async fn send(
    tx: &mut Tx<'_>,
    rule_id: i64,
    conversation_id: i64,
    message: OwnMessage<'_>,
    now: Millis,
) -> StoreResult<String> {
    let sent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1
           AND automation_id IS NOT NULL AND created_at > $2",
    )
    .bind(conversation_id)
    .bind(now.minus(HOUR).0)
    .fetch_one(&mut **tx)
    .await?;
    if sent >= AUTOMATED_PER_HOUR {
        return Ok(format!(
            "not sent: {AUTOMATED_PER_HOUR} automated messages in this conversation within the hour"
        ));
    }
    let queued = send_own_in(tx, conversation_id, message, Some(rule_id), now).await?;
    Ok(match queued {
        Some(_) => "done".into(),
        None => "not sent: no one to send to".into(),
    })
}

/// A canned reply's values in this conversation: the customer's name and number, and the
/// assignee's name (else "our team").
async fn placeholders(tx: &mut Tx<'_>, conversation_id: i64) -> StoreResult<PlaceholderValues> {
    let (contact_name, contact_phone, agent_name): (
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT COALESCE(ct.edited_name, ct.name), ct.wa_id, u.name FROM conversations c
             JOIN contacts ct ON ct.id = c.contact_id
             LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = $1",
    )
    .bind(conversation_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(PlaceholderValues {
        contact_name,
        contact_phone: contact_phone.map(|number| format!("+{number}")),
        agent_name: Some(agent_name.unwrap_or_else(|| "our team".into())),
        contact_attributes: Vec::new(),
    })
}

async fn active(tx: &mut Tx<'_>, member_id: i64) -> StoreResult<bool> {
    let active: Option<bool> =
        sqlx::query_scalar("SELECT disabled_at IS NULL FROM users WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(active == Some(true))
}

/// Notifies `member`, or else the assignee, or else the team's members, or else the admins
/// (active members only); how many were told.
async fn notify_members(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    member: Option<i64>,
    text: &str,
    now: Millis,
) -> StoreResult<usize> {
    let recipients: Vec<i64> = match member {
        Some(member) => vec![member],
        None => {
            sqlx::query_scalar(
                "SELECT u.id FROM conversations c JOIN users u ON u.id = c.assignee_id
                 WHERE c.id = $1 AND u.disabled_at IS NULL
                 UNION
                 SELECT u.id FROM conversations c
                 JOIN team_members tm ON tm.team_id = c.team_id
                 JOIN users u ON u.id = tm.user_id
                 WHERE c.id = $1 AND c.assignee_id IS NULL AND u.disabled_at IS NULL
                 UNION
                 SELECT u.id FROM conversations c, users u
                 WHERE c.id = $1 AND c.assignee_id IS NULL AND c.team_id IS NULL
                   AND u.role = 'admin' AND u.disabled_at IS NULL",
            )
            .bind(conversation_id)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    for user in &recipients {
        let notification = NewNotification {
            user: UserId(*user),
            kind: NotificationKind::Automation,
            conversation_id,
            note_id: None,
            actor: None,
            detail: Some(text.trim().to_owned()),
        };
        notify(tx, &notification, now).await?;
    }
    Ok(recipients.len())
}

/// Turns the rule off with `why` (shown to admins), and says so as the action's result.
pub(super) async fn turn_off(
    tx: &mut Tx<'_>,
    rule_id: i64,
    why: String,
    now: Millis,
) -> StoreResult<String> {
    sqlx::query(
        "UPDATE automations SET enabled = $1, disabled_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(false)
    .bind(&why)
    .bind(now.0)
    .bind(rule_id)
    .execute(&mut **tx)
    .await?;
    Ok(format!("not done: {why}; the rule is turned off"))
}
