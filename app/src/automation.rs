//! Automations as admins write them and the API carries them: when something happens, if
//! the conditions hold, take the actions. The server checks a rule whole before saving it.

use crate::collaboration::Priority;
use crate::consent::wire_enum;
use serde::{Deserialize, Serialize};

wire_enum!(
    /// What sets a rule off.
    AutomationTrigger {
        /// A customer's message arrives (each message once).
        MessageReceived = "message_received",
        /// A customer starts a conversation, or comes back to a resolved one.
        ConversationOpened = "conversation_opened",
        /// The customer has waited `minutes` for a member's reply (automated replies do not
        /// count as answers). Once per wait.
        ConversationUnanswered = "conversation_unanswered",
        /// The customer is waiting for a reply and the 24-hour window closes within
        /// `minutes`. Once per window.
        WindowClosing = "window_closing",
        /// No customer message for `minutes` in an open or pending conversation. Once per
        /// quiet spell.
        ConversationIdle = "conversation_idle",
        /// A label (`label`, or any when empty) is put on the conversation.
        LabelAdded = "label_added",
        /// The conversation is resolved (by a member, a rule or the API).
        ConversationResolved = "conversation_resolved",
    }
);

impl AutomationTrigger {
    /// Whether the clock sets the rule off (after `minutes`), rather than an event.
    pub fn is_timed(self) -> bool {
        matches!(
            self,
            AutomationTrigger::ConversationUnanswered
                | AutomationTrigger::WindowClosing
                | AutomationTrigger::ConversationIdle
        )
    }
}

wire_enum!(
    /// How a customer rates a conversation: five list rows (1 to 5 stars), or two buttons
    /// (👍 counts 5, 👎 counts 1).
    CsatScale { Stars = "stars", Thumbs = "thumbs" }
);

wire_enum!(
    /// Whether every condition must hold, or one is enough.
    ConditionMatch { All = "all", Any = "any" }
);

wire_enum!(
    /// How a condition compares its field with its value. Text comparisons ignore case,
    /// full- and half-width forms and accents, in any script.
    ConditionOp {
        /// The text contains the value (a phrase).
        Contains = "contains",
        /// The text contains one of the values (a keyword list).
        ContainsAny = "contains_any",
        /// The text is the value.
        Equals = "equals",
        /// The text is one of the values.
        IsOneOf = "is_one_of",
        /// The text matches the value, a regular expression (already case-insensitive).
        Matches = "matches",
        /// The field is the value (a label, a number's id, a team's id, `open`/`closed`,
        /// `true`/`false`).
        Is = "is",
        /// The field is not the value.
        IsNot = "is_not",
    }
);

/// One condition: `field` is `message.text`, `contact.label`, `contact.attribute.<key>`
/// (`is`, `is_not`, `contains`; compared like text), `business_number`, `team`,
/// `business_hours` (`open` or `closed`) or `first_message` (`true`: the conversation's first
/// customer message).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Condition {
    #[cfg_attr(feature = "ssr", schema(example = "message.text"))]
    pub field: String,
    pub op: ConditionOp,
    /// A text, a number, `true`/`false`, or (for `contains_any` and `is_one_of`) a list of
    /// texts.
    #[cfg_attr(feature = "ssr", schema(value_type = Object, example = json!(["price", "价格"])))]
    pub value: serde_json::Value,
}

/// What a rule does, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AutomationAction {
    /// Replies with a text, sent by "Automation" through the outbox (window rules, pacing and
    /// retries apply).
    SendText {
        text: String,
    },
    AddLabel {
        label: String,
    },
    RemoveLabel {
        label: String,
    },
    /// Puts the conversation in a team's queue.
    AssignTeam {
        team_id: i64,
    },
    /// Gives the conversation to a member.
    AssignMember {
        member_id: i64,
    },
    SetPriority {
        priority: Priority,
    },
    Resolve,
    /// Replies with a shared canned reply, by its shortcut (its text, placeholders as they
    /// are).
    SendCanned {
        shortcut: String,
    },
    /// Sends an approved template (the only message that reaches a customer whose window has
    /// closed): `parameters` fill its body's variables in order, and may hold a canned
    /// reply's placeholders (`{{contact.name}}`). Templates with a header image, video or
    /// document are not sent by rules.
    SendTemplate {
        name: String,
        language: String,
        #[serde(default)]
        parameters: Vec<String>,
    },
    /// Sends reply buttons, a list or a link button, as in the composer.
    SendInteractive {
        interactive: crate::compose::Interactive,
    },
    /// Tells members: `member_id`, or else the assignee, or else the team's members, or else
    /// the admins.
    Notify {
        #[serde(default)]
        member_id: Option<i64>,
        text: String,
    },
    /// Snoozes the conversation for `minutes` (a customer's message wakes it).
    Snooze {
        minutes: u32,
    },
    /// Asks the customer to rate the conversation; the answer is stored on it and in the
    /// reports. With `ask_comment`, a thank-you invites a comment, and the customer's next
    /// message within an hour is kept with the rating.
    AskCsat {
        scale: CsatScale,
        /// The question (default: "How did we do?").
        #[serde(default)]
        question: Option<String>,
        #[serde(default)]
        ask_comment: bool,
    },
}

/// A rule as an admin writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationDraft {
    pub name: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub trigger: AutomationTrigger,
    /// For the clock's triggers: how many minutes (waited, before the window closes, quiet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// For `label_added`: the label's name (none: any label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `all` (default) or `any` of the conditions; no conditions: always.
    #[serde(rename = "match", default = "all_by_default")]
    pub match_: ConditionMatch,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    pub actions: Vec<AutomationAction>,
    /// A rule acts at most once per conversation in this many minutes (default 60).
    #[serde(default)]
    pub cooldown_minutes: Option<u32>,
    /// At most once per conversation while the business stays closed (the conversation's
    /// team's hours, else the workspace's): an out-of-office reply, sent again only after the
    /// business was open in between.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub once_per_closed_period: bool,
}

fn enabled_by_default() -> bool {
    true
}

fn all_by_default() -> ConditionMatch {
    ConditionMatch::All
}

/// A saved rule as the API answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Automation {
    pub id: i64,
    /// Rules are judged in this order (0 first).
    pub position: i64,
    #[serde(flatten)]
    pub rule: AutomationDraft,
    /// Why Parley turned the rule off (a label, team or member it names is gone).
    pub disabled_reason: Option<String>,
    pub created_at: crate::model::UnixTime,
    pub updated_at: crate::model::UnixTime,
}

/// A change to a rule: any field of the rule, and `position` to move it (0 first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub trigger: Option<AutomationTrigger>,
    /// `0` clears it.
    pub minutes: Option<u32>,
    /// An empty text clears it.
    pub label: Option<String>,
    #[serde(rename = "match")]
    pub match_: Option<ConditionMatch>,
    pub conditions: Option<Vec<Condition>>,
    pub actions: Option<Vec<AutomationAction>>,
    /// `0` goes back to the default.
    pub cooldown_minutes: Option<u32>,
    pub once_per_closed_period: Option<bool>,
    pub position: Option<i64>,
}

/// What one action did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionResult {
    pub action: AutomationAction,
    /// `done`, or why not.
    pub result: String,
}

/// An event a rule matched, and what it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationRunView {
    pub id: i64,
    /// The domain event that set it off (none for the clock's triggers).
    pub event_id: Option<i64>,
    /// For the clock's triggers, the moment it was about: since when the customer waited,
    /// when the window closes, when the customer last wrote.
    pub occasion_at: Option<crate::model::UnixTime>,
    pub conversation_id: Option<i64>,
    pub matched: bool,
    /// Held back (not acted): within the cooldown, or a message too old to answer.
    pub acted: bool,
    /// Why it matched or not, a line per condition.
    pub reasons: Vec<String>,
    pub actions: Vec<ActionResult>,
    pub at: crate::model::UnixTime,
}

/// A sample event to try a rule on, without acting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationSample {
    /// The customer's message.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub contact_labels: Vec<String>,
    /// The contact's attributes, by key.
    #[serde(default)]
    pub contact_attributes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub business_number: Option<String>,
    #[serde(default)]
    pub team_id: Option<i64>,
    /// Whether the business is open (default: as it is now).
    #[serde(default)]
    pub business_hours_open: Option<bool>,
    #[serde(default)]
    pub first_message: bool,
}

/// `POST /automations/test`: a rule (saved or not) and a sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationTrial {
    pub rule: AutomationDraft,
    pub sample: AutomationSample,
}

/// What a rule would do with a sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AutomationVerdict {
    pub matched: bool,
    pub reasons: Vec<String>,
    /// The actions it would take (none when it does not match).
    pub actions: Vec<AutomationAction>,
}
