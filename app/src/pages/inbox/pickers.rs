//! The composer's pickers: `@` in a note suggests teammates to mention, `/` at the start
//! suggests canned replies. What the draft is asking for is a pure function of its text.

use leptos::prelude::*;

/// What the end of a draft asks the composer to suggest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `@` and the start of a name (notes only).
    Mention(String),
    /// `/` and the start of a shortcut, as the whole draft.
    Canned(String),
}

pub fn trigger(draft: &str, note_mode: bool) -> Option<Trigger> {
    if let Some(query) = draft.strip_prefix('/')
        && !query.contains(char::is_whitespace)
    {
        return Some(Trigger::Canned(query.to_lowercase()));
    }
    if !note_mode {
        return None;
    }
    let at = draft.rfind('@')?;
    let before_ok = draft[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let query = &draft[at + 1..];
    // Names have spaces: up to three words, on one line.
    (before_ok && !query.contains('\n') && query.split(' ').count() <= 3)
        .then(|| Trigger::Mention(query.to_lowercase()))
}

/// The draft with its trailing `@query` replaced by the chosen member's name.
pub fn with_mention(draft: &str, name: &str) -> String {
    let at = draft.rfind('@').unwrap_or(draft.len());
    format!("{}@{name} ", &draft[..at])
}

/// One suggestion in a picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub title: String,
    pub detail: String,
}

/// The list of suggestions under the composer; the highlighted one is what Enter picks.
#[component]
pub fn Suggestions(
    label: &'static str,
    items: Memo<Vec<Suggestion>>,
    highlighted: RwSignal<usize>,
    pick: Callback<usize>,
) -> impl IntoView {
    view! {
        <ul class="suggestions" role="listbox" aria-label=label>
            {move || {
                items
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let selected = move || highlighted.get() == index;
                        view! {
                            <li
                                role="option"
                                aria-selected=move || selected().to_string()
                                class:highlighted=selected
                                on:mousedown=move |ev| {
                                    // Before the textarea loses focus.
                                    ev.prevent_default();
                                    pick.run(index);
                                }
                            >
                                <strong>{item.title}</strong>
                                <span class="suggestion-detail">{item.detail}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_draft_asks_for_canned_replies() {
        assert_eq!(trigger("/ref", false), Some(Trigger::Canned("ref".into())));
        assert_eq!(trigger("/", true), Some(Trigger::Canned(String::new())));
        assert_eq!(trigger("/refund please", false), None);
        assert_eq!(trigger("see /ref", false), None);
    }

    #[test]
    fn an_at_sign_in_a_note_asks_for_a_teammate() {
        assert_eq!(
            trigger("cc @Ana Li", true),
            Some(Trigger::Mention("ana li".into()))
        );
        assert_eq!(trigger("@", true), Some(Trigger::Mention(String::new())));
        assert_eq!(trigger("cc @Ana", false), None, "replies mention nobody");
        assert_eq!(trigger("mail ana@example.com", true), None);
        assert_eq!(trigger("@Ana Lima thanks a lot", true), None);
    }

    #[test]
    fn a_chosen_mention_replaces_what_was_typed() {
        assert_eq!(with_mention("cc @an", "Ana Lima"), "cc @Ana Lima ");
    }
}
