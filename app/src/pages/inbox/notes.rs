//! Internal notes in the timeline: styled apart from messages, with their mentions marked.
//! The text is the member's own and rendered inert, like customer text.

use crate::collaboration::NoteView;
use crate::live::Live;
use crate::model::MemberRef;
use crate::time::{clock_time, iso};
use leptos::prelude::*;

/// The note's text in pieces: plain text, and `@Name` for each member it mentions.
fn pieces(body: &str, mentions: &[MemberRef]) -> Vec<(String, bool)> {
    let mut names: Vec<&str> = mentions.iter().map(|m| m.name.as_str()).collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut pieces = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while let Some(offset) = body[at..].find('@') {
        let start = at + offset;
        let after = &body[start + 1..];
        let hit = names.iter().find(|name| {
            after
                .get(..name.len())
                .is_some_and(|candidate| candidate.to_lowercase() == name.to_lowercase())
        });
        match hit {
            Some(name) => {
                if plain_from < start {
                    pieces.push((body[plain_from..start].to_owned(), false));
                }
                let end = start + 1 + name.len();
                pieces.push((body[start..end].to_owned(), true));
                plain_from = end;
                at = end;
            }
            None => at = start + 1,
        }
    }
    if plain_from < body.len() {
        pieces.push((body[plain_from..].to_owned(), false));
    }
    pieces
}

#[component]
pub fn NoteBubble(note: NoteView, live: Live) -> impl IntoView {
    let at = note.created_at;
    let time = move || clock_time(at, live.local_time.get());
    let text = pieces(&note.body, &note.mentions)
        .into_iter()
        .map(|(text, mention)| {
            if mention {
                view! { <span class="mention">{text}</span> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view();
    view! {
        <li class="bubble-row note-row" id=format!("note-{}", note.id)>
            <article class="bubble note" aria-label="Internal note">
                <p class="note-label">"🔒 Internal note · only your team sees this"</p>
                <p class="text" dir="auto">{text}</p>
                <footer class="bubble-meta">
                    <span class="author">{note.author.name.to_string()}</span>
                    <time datetime=iso(at)>{time}</time>
                </footer>
            </article>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DisplayName, UserId};

    #[test]
    fn mentions_are_marked_and_everything_else_stays_text() {
        let ana = MemberRef {
            id: UserId(1),
            name: DisplayName::parse("Ana Lima").unwrap(),
        };
        assert_eq!(
            pieces("ask @ana lima, <b>not</b> @bob", &[ana]),
            vec![
                ("ask ".to_owned(), false),
                ("@ana lima".to_owned(), true),
                (", <b>not</b> @bob".to_owned(), false),
            ]
        );
        assert_eq!(pieces("no one", &[]), vec![("no one".to_owned(), false)]);
    }
}
