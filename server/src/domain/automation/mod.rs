//! Automation rules checked and evaluated: an admin's draft becomes a [`Rule`] only when every
//! condition and action makes sense (a pattern that compiles, a keyword that is not empty, a
//! reply that fits a message), and a rule judges the facts of an event, saying why it matched
//! or not. Pure, so keyword matching in any script is checked by hand.

use parley_app::automation::{AutomationDraft, AutomationTrigger, Condition, ConditionMatch};
use regex::Regex;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

mod check;

pub use check::ATTRIBUTE;
use check::{check_action, check_trigger, test_of};

/// Longest rule name.
const LONGEST_NAME: usize = 100;
const DEFAULT_COOLDOWN_MINUTES: u32 = 60;

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
    /// The contact's attributes, by key.
    pub contact_attributes: Vec<(String, String)>,
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
    /// A contact attribute (by key) is (or is not) the folded value.
    AttributeIs(String, String, bool),
    AttributeContains(String, String),
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

/// The contact's value of an attribute, if set.
fn attribute<'a>(facts: &'a Facts, key: &str) -> Option<&'a str> {
    (facts.contact_attributes.iter())
        .find(|(k, _)| k == key)
        .map(|(_, value)| value.as_str())
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
        Test::AttributeIs(key, wanted, positive) => {
            let value = attribute(facts, key);
            let is = value.is_some_and(|v| fold(v.trim()) == *wanted);
            let said = value.map_or("not set".to_owned(), |v| format!("“{v}”"));
            (is == *positive, format!("the contact's {key} is {said}"))
        }
        Test::AttributeContains(key, needle) => {
            let has = attribute(facts, key).is_some_and(|v| fold(v).contains(needle.as_str()));
            let said = if has { "contains" } else { "does not contain" };
            (has, format!("the contact's {key} {said} “{needle}”"))
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

    #[test]
    fn contact_attributes_are_compared_folded() {
        let rule = Rule::check(draft(
            json!([{"field": "contact.attribute.plan", "op": "is", "value": "Gold"},
                   {"field": "contact.attribute.city", "op": "contains", "value": "münchen"}]),
            json!([{"type": "resolve"}]),
        ))
        .unwrap();
        let mut facts = saying("hi");
        facts.contact_attributes = vec![
            ("plan".into(), "GOLD".into()),
            ("city".into(), "80331 Munchen".into()),
        ];
        assert!(rule.judge(&facts).matched);
        facts.contact_attributes.truncate(1);
        let verdict = rule.judge(&facts);
        assert!(!verdict.matched);
        assert_eq!(
            verdict.reasons[1],
            "the contact's city does not contain “munchen”"
        );
        let bad = draft(
            json!([{"field": "contact.attribute.plan", "op": "matches", "value": "x"}]),
            json!([{"type": "resolve"}]),
        );
        assert!(
            Rule::check(bad)
                .unwrap_err()
                .contains("is, is_not or contains")
        );
    }
}
