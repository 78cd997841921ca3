//! A draft's parts checked one by one: the trigger's settings, each action complete and
//! within WhatsApp's limits, each condition's field, operator and value fitting together (and
//! compiled, for a pattern). The message names what is wrong.

use super::{Test, fold};
use parley_app::automation::{
    AutomationAction, AutomationDraft, AutomationTrigger, Condition, ConditionOp,
};
use parley_app::compose::Outgoing;
use regex::RegexBuilder;

/// A contact attribute's field: `contact.attribute.<key>`.
pub const ATTRIBUTE: &str = "contact.attribute.";
/// Longest automatic reply (WhatsApp's text limit).
const LONGEST_TEXT: usize = 4096;
/// A pattern compiles to at most this much memory: a rule never takes the worker down.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
/// The clock's triggers and snoozes look at most thirty days ahead.
const LONGEST_WAIT_MINUTES: u32 = 30 * 24 * 60;
/// A window lasts a day: it closes within a day of any moment in it.
const WINDOW_MINUTES: u32 = 24 * 60;
const LONGEST_NOTICE: usize = 500;
/// An interactive message's body limit.
const LONGEST_QUESTION: usize = 1024;

/// The trigger's own settings: minutes for the clock's triggers (within what makes sense for
/// each), a label for `label_added`, nothing otherwise.
pub(super) fn check_trigger(draft: &mut AutomationDraft) -> Result<(), String> {
    let trigger = draft.trigger;
    let name = trigger.as_str();
    match (trigger.is_timed(), draft.minutes) {
        (true, None) => return Err(format!("{name} needs minutes")),
        (true, Some(minutes)) => {
            let most = match trigger {
                AutomationTrigger::WindowClosing => WINDOW_MINUTES - 1,
                _ => LONGEST_WAIT_MINUTES,
            };
            if minutes == 0 || minutes > most {
                return Err(format!("{name} takes 1 to {most} minutes"));
            }
        }
        (false, Some(_)) => return Err(format!("{name} takes no minutes")),
        (false, None) => {}
    }
    draft.label = draft.label.take().map(|label| label.trim().to_owned());
    match (trigger, &draft.label) {
        (AutomationTrigger::LabelAdded, Some(label)) if label.is_empty() => {
            draft.label = None;
        }
        (AutomationTrigger::LabelAdded, _) | (_, None) => {}
        (_, Some(_)) => return Err(format!("{name} takes no label")),
    }
    Ok(())
}

pub(super) fn check_action(action: &AutomationAction) -> Result<(), String> {
    match action {
        AutomationAction::SendTemplate { name, language, .. }
            if name.trim().is_empty() || language.trim().is_empty() =>
        {
            return Err("send_template needs the template's name and language".into());
        }
        AutomationAction::SendCanned { shortcut } if shortcut.trim().is_empty() => {
            return Err("send_canned needs a canned reply's shortcut".into());
        }
        AutomationAction::SendInteractive { interactive } => {
            let message = Outgoing::Interactive {
                interactive: interactive.clone(),
            };
            message
                .check_limits()
                .map_err(|why| format!("send_interactive: {why}"))?;
        }
        AutomationAction::Notify { text, member_id } => {
            let length = text.trim().chars().count();
            if length == 0 || length > LONGEST_NOTICE {
                return Err(format!(
                    "notify needs a text of 1 to {LONGEST_NOTICE} characters"
                ));
            }
            if member_id.is_some_and(|id| id < 1) {
                return Err("notify's member_id is a member's id".into());
            }
        }
        AutomationAction::Snooze { minutes }
            if *minutes == 0 || *minutes > LONGEST_WAIT_MINUTES =>
        {
            return Err(format!("snooze takes 1 to {LONGEST_WAIT_MINUTES} minutes"));
        }
        AutomationAction::AskCsat {
            question: Some(question),
            ..
        } if question.chars().count() > LONGEST_QUESTION => {
            return Err(format!(
                "the rating question is at most {LONGEST_QUESTION} characters"
            ));
        }
        AutomationAction::SendText { text } => {
            let length = text.trim().chars().count();
            if length == 0 || length > LONGEST_TEXT {
                return Err(format!(
                    "send_text needs a text of 1 to {LONGEST_TEXT} characters"
                ));
            }
        }
        AutomationAction::AddLabel { label } | AutomationAction::RemoveLabel { label }
            if label.trim().is_empty() =>
        {
            return Err("a label action needs the label's name".into());
        }
        AutomationAction::AssignTeam { team_id } if *team_id < 1 => {
            return Err("assign_team needs a team's id".into());
        }
        AutomationAction::AssignMember { member_id } if *member_id < 1 => {
            return Err("assign_member needs a member's id".into());
        }
        _ => {}
    }
    Ok(())
}

/// The value as texts: one text, or a list of them (each folded, none empty).
fn texts(value: &serde_json::Value, list_allowed: bool) -> Result<Vec<String>, String> {
    let raw: Vec<&str> = match value {
        serde_json::Value::String(text) => vec![text.as_str()],
        serde_json::Value::Array(items) if list_allowed => items
            .iter()
            .map(|item| item.as_str().ok_or("the list holds texts only"))
            .collect::<Result<_, _>>()?,
        _ if list_allowed => return Err("the value is a text or a list of texts".into()),
        _ => return Err("the value is a text".into()),
    };
    let folded: Vec<String> = raw
        .iter()
        .map(|text| fold(text.trim()))
        .filter(|text| !text.is_empty())
        .collect();
    if folded.is_empty() || folded.len() != raw.len() {
        return Err("a keyword cannot be empty".into());
    }
    Ok(folded)
}

pub(super) fn test_of(condition: &Condition) -> Result<Test, String> {
    let value = &condition.value;
    let positive = |op: ConditionOp| match op {
        ConditionOp::Is => Ok(true),
        ConditionOp::IsNot => Ok(false),
        other => Err(format!(
            "{} takes is or is_not, not {}",
            condition.field,
            other.as_str()
        )),
    };
    match condition.field.as_str() {
        "message.text" => match condition.op {
            ConditionOp::Contains => Ok(Test::TextContains(texts(value, false)?)),
            ConditionOp::ContainsAny => Ok(Test::TextContains(texts(value, true)?)),
            ConditionOp::Equals => Ok(Test::TextEquals(texts(value, false)?)),
            ConditionOp::IsOneOf => Ok(Test::TextEquals(texts(value, true)?)),
            ConditionOp::Matches => {
                let pattern = value.as_str().ok_or("a pattern is a text")?;
                let regex = RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .map_err(|error| format!("the pattern does not compile: {error}"))?;
                Ok(Test::TextMatches(regex))
            }
            other => Err(format!(
                "message.text takes contains, contains_any, equals, is_one_of or matches, not {}",
                other.as_str()
            )),
        },
        "contact.label" => {
            let label = value.as_str().map(str::trim).filter(|l| !l.is_empty());
            let label = label.ok_or("contact.label takes a label's name")?;
            Ok(Test::LabelIs(label.to_lowercase(), positive(condition.op)?))
        }
        "business_number" => {
            let number = value
                .as_str()
                .ok_or("business_number takes a number's id")?;
            Ok(Test::NumberIs(number.to_owned(), positive(condition.op)?))
        }
        "team" => {
            let team = value.as_i64().ok_or("team takes a team's id")?;
            Ok(Test::TeamIs(team, positive(condition.op)?))
        }
        "business_hours" => {
            let open = match value.as_str() {
                Some("open") => true,
                Some("closed") => false,
                _ => return Err("business_hours is open or closed".into()),
            };
            Ok(Test::OpenIs(open == positive(condition.op)?))
        }
        "first_message" => {
            let first = value.as_bool().ok_or("first_message is true or false")?;
            Ok(Test::FirstMessageIs(first == positive(condition.op)?))
        }
        field if field.starts_with(ATTRIBUTE) => {
            let key = &field[ATTRIBUTE.len()..];
            if key.trim().is_empty() {
                return Err(format!("{ATTRIBUTE}<key> needs an attribute's key"));
            }
            let wanted = (value.as_str().map(|text| fold(text.trim())))
                .ok_or("an attribute condition takes a text")?;
            let key = key.to_owned();
            match condition.op {
                ConditionOp::Is => Ok(Test::AttributeIs(key, wanted, true)),
                ConditionOp::IsNot => Ok(Test::AttributeIs(key, wanted, false)),
                ConditionOp::Contains => Ok(Test::AttributeContains(key, wanted)),
                other => Err(format!(
                    "{field} takes is, is_not or contains, not {}",
                    other.as_str()
                )),
            }
        }
        other => Err(format!(
            "no field {other:?} (message.text, contact.label, contact.attribute.<key>, \
             business_number, team, business_hours, first_message)"
        )),
    }
}
