//! Customer satisfaction: the question a resolved conversation's customer is asked (five list
//! rows or two buttons, each answer naming its conversation and rating) and reading the
//! answer back. Thumbs count as 5 (👍) and 1 (👎), so every rating sits on one scale.

use parley_app::automation::CsatScale;
use parley_app::compose::{Interactive, ListRow, ListSection, ReplyButton};
use std::time::Duration;

const ANSWER_PREFIX: &str = "csat:";
pub const DEFAULT_QUESTION: &str = "How did we do? Please rate your conversation with us.";
/// Sent after a rating when a comment is asked for.
pub const COMMENT_INVITATION: &str =
    "Thank you! Anything you'd like to add? Just reply here (optional).";
/// How long the customer's next message counts as their comment.
pub const COMMENT_FOR: Duration = Duration::from_secs(3600);
const STARS: [(&str, &str); 5] = [
    ("★☆☆☆☆", "Very poor"),
    ("★★☆☆☆", "Poor"),
    ("★★★☆☆", "Okay"),
    ("★★★★☆", "Good"),
    ("★★★★★", "Excellent"),
];

/// The question for `conversation_id`, as an interactive message.
pub fn question(scale: CsatScale, text: Option<&str>, conversation_id: i64) -> Interactive {
    let body = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_QUESTION)
        .to_owned();
    let id = |rating: u8| format!("{ANSWER_PREFIX}{conversation_id}:{rating}");
    match scale {
        CsatScale::Stars => Interactive::List {
            body,
            button: "Rate us".into(),
            header: None,
            footer: None,
            sections: vec![ListSection {
                title: None,
                rows: (1..=5u8)
                    .rev()
                    .map(|rating| {
                        let (stars, words) = STARS[usize::from(rating) - 1];
                        ListRow {
                            id: id(rating),
                            title: stars.into(),
                            description: Some(words.into()),
                        }
                    })
                    .collect(),
            }],
        },
        CsatScale::Thumbs => Interactive::Button {
            body,
            header: None,
            footer: None,
            buttons: vec![
                ReplyButton {
                    id: id(5),
                    title: "👍 Good".into(),
                },
                ReplyButton {
                    id: id(1),
                    title: "👎 Not good".into(),
                },
            ],
        },
    }
}

/// The conversation and rating a reply's id answers, if it is a CSAT answer.
pub fn answer(reply_id: &str) -> Option<(i64, u8)> {
    let rest = reply_id.strip_prefix(ANSWER_PREFIX)?;
    let (conversation, rating) = rest.split_once(':')?;
    let conversation: i64 = conversation.parse().ok().filter(|c| *c > 0)?;
    let rating: u8 = rating.parse().ok().filter(|r| (1..=5).contains(r))?;
    Some((conversation, rating))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_answers_its_conversation_with_its_rating() {
        let Interactive::List { sections, .. } = question(CsatScale::Stars, None, 42) else {
            panic!("stars are a list");
        };
        let ratings: Vec<_> = (sections[0].rows.iter())
            .map(|row| answer(&row.id).expect("an answer"))
            .collect();
        assert_eq!(ratings, [(42, 5), (42, 4), (42, 3), (42, 2), (42, 1)]);
        let Interactive::Button { buttons, body, .. } =
            question(CsatScale::Thumbs, Some("  Happy? "), 7)
        else {
            panic!("thumbs are buttons");
        };
        assert_eq!(body, "Happy?");
        let thumbs: Vec<_> = buttons.iter().map(|b| answer(&b.id).unwrap()).collect();
        assert_eq!(thumbs, [(7, 5), (7, 1)]);
    }

    #[test]
    fn the_question_fits_whatsapps_limits() {
        for scale in CsatScale::ALL {
            let message = parley_app::compose::Outgoing::Interactive {
                interactive: question(*scale, None, i64::MAX),
            };
            assert_eq!(message.check_limits(), Ok(()));
        }
    }

    #[test]
    fn other_replies_are_no_answers() {
        for id in [
            "",
            "csat:",
            "csat:1",
            "csat:1:0",
            "csat:1:6",
            "csat:x:3",
            "csat:-4:3",
            "menu:1:3",
        ] {
            assert_eq!(answer(id), None, "{id}");
        }
    }
}
