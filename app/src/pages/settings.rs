//! `/settings`: what a member changes about themselves: their name, which notifications reach
//! their bell, and their password (the current one is required; their other sessions end).

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{change_my_password, my_profile, update_my_profile};
use crate::team::{Me, NotificationSettings, PasswordChange, ProfileChange};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| my_profile());
    view! {
        <Title text="Settings · Parley" />
        <AppFrame>
            <main class="admin settings">
                <h1>"Your settings"</h1>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(me) => view! { <ProfileForm me /> <PasswordForm /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="hint">
                    "Personal API tokens: " <code>"GET /api/v1/me/tokens"</code>
                    " (see the API documentation)."
                </p>
            </main>
        </AppFrame>
    }
}

#[component]
fn ProfileForm(me: Me) -> impl IntoView {
    let name = RwSignal::new(me.viewer.name.to_string());
    let mention = RwSignal::new(me.notifications.mention);
    let snooze_ended = RwSignal::new(me.notifications.snooze_ended);
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = ProfileChange {
            name: Some(name.get_untracked()),
            notifications: Some(NotificationSettings {
                mention: mention.get_untracked(),
                snooze_ended: snooze_ended.get_untracked(),
            }),
        };
        leptos::task::spawn_local(async move {
            let saved = update_my_profile(change).await;
            outcome.set(Some(saved.map(|_| ()).map_err(|e| e.to_string())));
        });
    };
    view! {
        <form class="stack settings-profile" on:submit=save aria-label="Profile">
            <h2>"Profile"</h2>
            <p class="hint">{format!("Signed in as {} ({})", me.viewer.email, me.viewer.role.as_str())}</p>
            <label>
                "Name"
                <input type="text" name="name" required maxlength="100" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <fieldset>
                <legend>"Notify me when"</legend>
                <label class="checkbox">
                    <input type="checkbox" name="notify_mention" prop:checked=move || mention.get()
                        on:change=move |ev| mention.set(event_target_checked(&ev)) />
                    "a colleague mentions me in a note"
                </label>
                <label class="checkbox">
                    <input type="checkbox" name="notify_snooze_ended" prop:checked=move || snooze_ended.get()
                        on:change=move |ev| snooze_ended.set(event_target_checked(&ev)) />
                    "a conversation of mine comes back from snooze"
                </label>
            </fieldset>
            <button type="submit" class="primary">"Save"</button>
            <Outcome outcome saved="Saved." />
        </form>
    }
}

#[component]
fn Outcome(outcome: RwSignal<Option<Result<(), String>>>, saved: &'static str) -> impl IntoView {
    move || {
        outcome.get().map(|result| match result {
            Ok(()) => view! { <p class="form-ok" role="status">{saved}</p> }.into_any(),
            Err(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
        })
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != confirm.get_untracked() {
            outcome.set(Some(Err("The two new passwords differ.".into())));
            return;
        }
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let changed = change_my_password(change).await;
            if changed.is_ok() {
                for field in [current, new, confirm] {
                    field.set(String::new());
                }
            }
            outcome.set(Some(changed.map_err(|e| e.to_string())));
        });
    };
    let field = |label: &'static str,
                 name: &'static str,
                 value: RwSignal<String>,
                 autocomplete: &'static str| {
        view! {
            <label>
                {label}
                <input type="password" name=name required autocomplete=autocomplete
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <form class="stack settings-password" on:submit=save aria-label="Password">
            <h2>"Password"</h2>
            {field("Current password", "current_password", current, "current-password")}
            {field("New password (at least 8 characters)", "new_password", new, "new-password")}
            {field("New password again", "confirm", confirm, "new-password")}
            <button type="submit" class="primary">"Change password"</button>
            <Outcome outcome saved="Password changed. You are signed out everywhere else." />
        </form>
    }
}
