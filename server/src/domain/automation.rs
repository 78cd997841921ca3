//! Automation rules checked and evaluated: an admin's draft becomes a [`Rule`] only when every
//! condition and action makes sense (a pattern that compiles, a keyword that is not empty, a
//! reply that fits a message), and a rule judges the facts of an event, saying why it matched
//! or not. Pure, so keyword matching in any script is checked by hand.

use parley_app::automation::{
    AutomationAction, AutomationDraft, AutomationTrigger, Condition, ConditionMatch, ConditionOp,
};
use parley_app::compose::Outgoing;
use regex::{Regex, RegexBuilder};
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest rule name, and longest automatic reply (WhatsApp's text limit).
const LONGEST_NAME: usize = 100;
const LONGEST_TEXT: usize = 4096;
/// A pattern compiles to at most this much memory: a rule never takes the worker down.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
const DEFAULT_COOLDOWN_MINUTES: u32 = 60;
/// The clock's triggers and snoozes look at most thirty days ahead.
const LONGEST_WAIT_MINUTES: u32 = 30 * 24 * 60;
/// A window lasts a day: it closes within a day of any moment in it.
const WINDOW_MINUTES: u32 = 24 * 60;
const LONGEST_NOTICE: usize = 500;
/// An interactive message's body limit.
const LONGEST_QUESTION: usize = 1024;

/// Text as rules compare it: full-width forms folded (ＰＲＩＣＥ is PRICE), accents dropped
/// (précio is precio), lower case, in any script (价格 stays 价格).
pub fn fold(text: &str) -> String {
    let compatible: String = text.nfkc().collect();
    compatible
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// What an event tells a rule about its conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// The customer's message text (a caption, a button's title), if the event has one.
    pub text: Option<String>,
    pub contact_labels: Vec<String>,
    pub phone_number_id: String,
    pub team_id: Option<i64>,
    /// Whether the workspace is open at the event.
    pub open: bool,
    /// Whether this is the conversation's first customer message.
    pub first_message: bool,
    /// `text` folded, once for every rule that reads it.
    pub(crate) folded: std::sync::OnceLock<String>,
}

impl Facts {
    /// The message text as rules compare it.
    fn folded_text(&self) -> &str {
        self.folded
            .get_or_init(|| self.text.as_deref().map(fold).unwrap_or_default())
    }
}

/// A condition ready to judge.
#[derive(Clone, Debug)]
enum Test {
    TextContains(Vec<String>),
    TextEquals(Vec<String>),
    TextMatches(Regex),
    LabelIs(String, bool),
    NumberIs(String, bool),
    TeamIs(i64, bool),
    OpenIs(bool),
    FirstMessageIs(bool),
}

/// A rule checked whole, ready to judge events.
#[derive(Clone, Debug)]
pub struct Rule {
    pub draft: AutomationDraft,
    tests: Vec<Test>,
}

/// Whether a rule matched an event, and why (a line per condition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub matched: bool,
    pub reasons: Vec<String>,
}

impl Rule {
    /// Checks a draft: a name, at least one action, each condition's field, operator and
    /// value fitting together, each action complete. The message names what is wrong.
    pub fn check(mut draft: AutomationDraft) -> Result<Rule, String> {
        draft.name = draft.name.trim().to_owned();
        if draft.name.is_empty() || draft.name.chars().count() > LONGEST_NAME {
            return Err(format!(
                "a rule needs a name of 1 to {LONGEST_NAME} characters"
            ));
        }
        if draft.actions.is_empty() {
            return Err("a rule needs at least one action".into());
        }
        for action in &draft.actions {
            check_action(action)?;
        }
        let tests = (draft.conditions.iter().enumerate())
            .map(|(index, condition)| {
                test_of(condition).map_err(|why| format!("condition {}: {why}", index + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if draft.cooldown_minutes == Some(0) {
            return Err("a cooldown is at least a minute".into());
        }
        check_trigger(&mut draft)?;
        Ok(Rule { draft, tests })
    }

    pub fn trigger(&self) -> AutomationTrigger {
        self.draft.trigger
    }

    /// For the clock's triggers, how long (checked: set for those, and only those).
    pub fn minutes(&self) -> Option<Duration> {
        (self.draft.minutes).map(|minutes| Duration::from_secs(u64::from(minutes) * 60))
    }

    /// Whether a `label_added` rule is set off by this label (by name, whatever its case).
    pub fn wants_label(&self, added: &str) -> bool {
        (self.draft.label.as_deref()).is_none_or(|label| label.eq_ignore_ascii_case(added.trim()))
    }

    /// How long the rule waits before acting again in the same conversation.
    pub fn cooldown_minutes(&self) -> u32 {
        self.draft
            .cooldown_minutes
            .unwrap_or(DEFAULT_COOLDOWN_MINUTES)
    }

    /// Judges `facts`: every condition (or, with `any`, one) must hold.
    pub fn judge(&self, facts: &Facts) -> Verdict {
        let results: Vec<(bool, String)> = (self.tests.iter())
            .zip(&self.draft.conditions)
            .map(|(test, condition)| judge(test, condition, facts))
            .collect();
        let matched = match self.draft.match_ {
            _ if results.is_empty() => true,
            ConditionMatch::All => results.iter().all(|(held, _)| *held),
            ConditionMatch::Any => results.iter().any(|(held, _)| *held),
        };
        Verdict {
            matched,
            reasons: results.into_iter().map(|(_, why)| why).collect(),
        }
    }
}

/// The trigger's own settings: minutes for the clock's triggers (within what makes sense for
/// each), a label for `label_added`, nothing otherwise.
fn check_trigger(draft: &mut AutomationDraft) -> Result<(), String> {
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

fn check_action(action: &AutomationAction) -> Result<(), String> {
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

fn test_of(condition: &Condition) -> Result<Test, String> {
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
        other => Err(format!(
            "no field {other:?} (message.text, contact.label, business_number, team, \
             business_hours, first_message)"
        )),
    }
}

fn judge(test: &Test, condition: &Condition, facts: &Facts) -> (bool, String) {
    let text = facts.folded_text();
    let field = &condition.field;
    match test {
        Test::TextContains(needles) => match needles.iter().find(|n| text.contains(n.as_str())) {
            Some(found) => (true, format!("{field} contains “{found}”")),
            None => (false, format!("{field} contains none of the keywords")),
        },
        Test::TextEquals(texts) => {
            let held = texts.iter().any(|candidate| candidate == text.trim());
            (
                held,
                format!("{field} {} the value", if held { "is" } else { "is not" }),
            )
        }
        Test::TextMatches(regex) => {
            let raw = facts.text.as_deref().unwrap_or("");
            let held = regex.is_match(raw) || regex.is_match(text);
            (
                held,
                format!(
                    "{field} {} the pattern",
                    if held { "matches" } else { "does not match" }
                ),
            )
        }
        Test::LabelIs(label, wanted) => {
            let has = facts
                .contact_labels
                .iter()
                .any(|l| l.to_lowercase() == *label);
            let said = if has { "has" } else { "does not have" };
            (
                has == *wanted,
                format!("the contact {said} the label “{label}”"),
            )
        }
        Test::NumberIs(number, wanted) => {
            let is = facts.phone_number_id == *number;
            (
                is == *wanted,
                format!("the business number is {}", facts.phone_number_id),
            )
        }
        Test::TeamIs(team, wanted) => {
            let is = facts.team_id == Some(*team);
            let said = facts
                .team_id
                .map_or("no team".to_owned(), |t| format!("team {t}"));
            (is == *wanted, format!("the conversation is in {said}"))
        }
        Test::OpenIs(open) => {
            let said = if facts.open { "open" } else { "closed" };
            (facts.open == *open, format!("the business is {said}"))
        }
        Test::FirstMessageIs(first) => {
            let said = if facts.first_message {
                "the first"
            } else {
                "not the first"
            };
            (
                facts.first_message == *first,
                format!("this is {said} customer message"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(conditions: serde_json::Value, actions: serde_json::Value) -> AutomationDraft {
        serde_json::from_value(json!({
            "name": "Pricing",
            "trigger": "message_received",
            "conditions": conditions,
            "actions": actions,
        }))
        .unwrap()
    }

    fn saying(text: &str) -> Facts {
        Facts {
            text: Some(text.into()),
            phone_number_id: "1100".into(),
            ..Facts::default()
        }
    }

    #[test]
    fn keywords_match_whatever_the_case_width_or_accents_in_any_script() {
        assert_eq!(fold("ＰＲＩＣＥ Précio"), "price precio");
        let rule = Rule::check(draft(
            json!([{"field": "message.text", "op": "contains_any", "value": ["price", "价格", "precio"]}]),
            json!([{"type": "send_text", "text": "Our prices: …"}, {"type": "add_label", "label": "pricing"}]),
        ))
        .unwrap();
        for text in [
            "What's the PRICE?",
            "这个价格是多少",
            "¿Qué PRÉCIO tiene?",
            "ｐｒｉｃｅ please",
        ] {
            let verdict = rule.judge(&saying(text));
            assert!(verdict.matched, "{text}: {verdict:?}");
        }
        let verdict = rule.judge(&saying("hello"));
        assert!(!verdict.matched);
        assert_eq!(
            verdict.reasons,
            ["message.text contains none of the keywords"]
        );
        assert_eq!(rule.cooldown_minutes(), 60);
    }

    #[test]
    fn all_or_any_of_the_conditions_and_the_reasons_for_each() {
        let conditions = json!([
            {"field": "message.text", "op": "matches", "value": r"order\s*#?\d{4,}"},
            {"field": "business_hours", "op": "is", "value": "closed"},
            {"field": "first_message", "op": "is", "value": true},
        ]);
        let all = Rule::check(draft(conditions.clone(), json!([{"type": "resolve"}]))).unwrap();
        let mut facts = saying("Where is ORDER #12345?");
        facts.first_message = true;
        assert!(all.judge(&facts).matched);
        facts.open = true;
        let verdict = all.judge(&facts);
        assert!(!verdict.matched);
        assert_eq!(verdict.reasons[1], "the business is open");
        let mut any = draft(conditions, json!([{"type": "resolve"}]));
        any.match_ = ConditionMatch::Any;
        assert!(Rule::check(any).unwrap().judge(&facts).matched);
        let always = Rule::check(draft(json!([]), json!([{"type": "resolve"}]))).unwrap();
        assert!(always.judge(&Facts::default()).matched);
        let vip = Rule::check(draft(
            json!([{"field": "contact.label", "op": "is_not", "value": "VIP"}]),
            json!([{"type": "assign_team", "team_id": 2}]),
        ))
        .unwrap();
        facts.contact_labels = vec!["vip".into()];
        assert!(!vip.judge(&facts).matched);
    }

    #[test]
    fn a_rule_that_makes_no_sense_is_refused_with_what_is_wrong() {
        let refused = |conditions: serde_json::Value, actions: serde_json::Value| {
            Rule::check(draft(conditions, actions)).unwrap_err()
        };
        let reply = json!([{"type": "send_text", "text": "Hi"}]);
        let bad_pattern = refused(
            json!([{"field": "message.text", "op": "matches", "value": "(unclosed"}]),
            reply.clone(),
        );
        assert!(
            bad_pattern.starts_with("condition 1: the pattern"),
            "{bad_pattern}"
        );
        assert!(
            refused(
                json!([{"field": "message.mood", "op": "is", "value": "x"}]),
                reply.clone()
            )
            .contains("no field")
        );
        assert!(
            refused(
                json!([{"field": "message.text", "op": "contains_any", "value": ["", "x"]}]),
                reply.clone()
            )
            .contains("empty")
        );
        assert!(
            refused(
                json!([{"field": "team", "op": "contains", "value": 1}]),
                reply.clone()
            )
            .contains("is or is_not")
        );
        assert!(refused(json!([]), json!([])).contains("at least one action"));
        assert!(
            refused(json!([]), json!([{"type": "send_text", "text": "  "}])).contains("send_text")
        );
        let mut nameless = draft(json!([]), reply);
        nameless.name = " ".into();
        assert!(Rule::check(nameless).unwrap_err().contains("name"));
    }

    #[test]
    fn the_clocks_triggers_need_minutes_that_make_sense_and_only_they_take_them() {
        let rule = |trigger: &str, minutes: Option<u32>, label: Option<&str>| {
            let mut draft = draft(json!([]), json!([{"type": "resolve"}]));
            draft.trigger = trigger.parse().unwrap();
            draft.minutes = minutes;
            draft.label = label.map(str::to_owned);
            Rule::check(draft)
        };
        let idle = rule("conversation_idle", Some(1440), None).unwrap();
        assert_eq!(idle.minutes(), Some(Duration::from_secs(86_400)));
        assert!(
            rule("conversation_unanswered", None, None)
                .unwrap_err()
                .contains("needs minutes")
        );
        assert!(
            rule("window_closing", Some(1440), None)
                .unwrap_err()
                .contains("1 to 1439")
        );
        assert!(
            rule("message_received", Some(5), None)
                .unwrap_err()
                .contains("no minutes")
        );
        assert!(
            rule("message_received", None, Some("vip"))
                .unwrap_err()
                .contains("no label")
        );
        let vip = rule("label_added", None, Some(" VIP ")).unwrap();
        assert!(vip.wants_label("vip") && !vip.wants_label("spam"));
        assert!(
            rule("label_added", None, Some(""))
                .unwrap()
                .wants_label("spam")
        );
    }

    #[test]
    fn new_actions_are_checked_whole() {
        let refused = |action: serde_json::Value| Rule::check(draft(json!([]), json!([action])));
        assert!(refused(json!({"type": "send_canned", "shortcut": " "})).is_err());
        let four_buttons = json!({"type": "send_interactive", "interactive": {"type": "button",
            "body": "Pick", "buttons": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"},
            {"id": "c", "title": "C"}, {"id": "d", "title": "D"}]}});
        assert!(
            refused(four_buttons)
                .unwrap_err()
                .starts_with("send_interactive")
        );
        assert!(refused(json!({"type": "notify", "text": ""})).is_err());
        assert!(refused(json!({"type": "snooze", "minutes": 0})).is_err());
        let ask = json!({"type": "ask_csat", "scale": "thumbs", "ask_comment": true});
        assert!(refused(ask).is_ok());
    }
}
