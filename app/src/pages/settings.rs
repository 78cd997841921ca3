//! `/settings`: what a member changes about themselves: their name, which notifications reach
//! their bell, and their password (the current one is required; their other sessions end).

use super::ErrorNotice;
use super::frame::AppFrame;
use crate::api::{
    begin_two_factor, change_my_password, confirm_two_factor, disable_two_factor, my_profile,
    my_two_factor, update_my_profile,
};
use crate::team::{Me, NotificationSettings, PasswordChange, ProfileChange};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| my_profile());
    let required =
        move || use_query_map().with(|q| q.get("two_factor").is_some_and(|v| v == "required"));
    view! {
        <Title text="Settings · Parley" />
        <AppFrame>
            <main class="admin settings">
                <h1>"Your settings"</h1>
                {move || required().then(|| view! {
                    <p class="banner warning" role="alert">
                        "Your workspace requires two-factor sign-in. Set it up below to continue."
                    </p>
                })}
                <TwoFactorSection />
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

/// Two-factor sign-in: set up an authenticator app (QR code, then a code to confirm), keep
/// the recovery codes shown once, or turn it off with the password.
#[component]
fn TwoFactorSection() -> impl IntoView {
    let refreshed = RwSignal::new(0u32);
    let status = Resource::new(move || refreshed.get(), |_| my_two_factor());
    let enrolment = RwSignal::new(None::<crate::team::TwoFactorEnrolment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let start = move |_| {
        leptos::task::spawn_local(async move {
            match begin_two_factor().await {
                Ok(started) => {
                    problem.set(None);
                    enrolment.set(Some(started));
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        leptos::task::spawn_local(async move {
            match confirm_two_factor(typed).await {
                Ok(recovery) => {
                    problem.set(None);
                    enrolment.set(None);
                    code.set(String::new());
                    codes.set(Some(recovery));
                    refreshed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    let turn_off = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        leptos::task::spawn_local(async move {
            match disable_two_factor(typed).await {
                Ok(()) => {
                    problem.set(None);
                    password.set(String::new());
                    refreshed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <section class="stack two-factor" aria-label="Two-factor sign-in">
            <h2>"Two-factor sign-in"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(status) = status.await else { return ().into_any() };
                    let state = if status.enabled {
                        format!("On: signing in asks for a code from your app. {} recovery codes left.", status.recovery_codes_left)
                    } else if status.required {
                        "Off, and your workspace requires it.".to_owned()
                    } else {
                        "Off.".to_owned()
                    };
                    view! {
                        <p class="two-factor-state">{state}</p>
                        {status.enabled.then(|| view! {
                            <form class="stack" on:submit=turn_off aria-label="Turn off two-factor sign-in">
                                <label>
                                    "Password, to turn it off"
                                    <input type="password" autocomplete="current-password" required
                                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                                </label>
                                <button type="submit" class="secondary">"Turn off"</button>
                            </form>
                        })}
                    }.into_any()
                })}
            </Transition>
            {move || match enrolment.get() {
                None => view! {
                    <button type="button" class="primary" on:click=start>"Set up an authenticator app"</button>
                }.into_any(),
                Some(started) => {
                    let image = format!("data:image/svg+xml;base64,{}", base64_encode(started.qr_svg.as_bytes()));
                    view! {
                        <form class="stack" on:submit=confirm aria-label="Confirm two-factor sign-in">
                            <p>"Scan this with your authenticator app (or type the key), then enter the code it shows."</p>
                            <img class="qr" src=image alt="QR code for your authenticator app" width="200" height="200" />
                            <p>"Key: " <code class="totp-secret">{started.secret.clone()}</code></p>
                            <label>
                                "Code from the app"
                                <input type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="8"
                                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                            </label>
                            <button type="submit" class="primary">"Confirm"</button>
                        </form>
                    }.into_any()
                }
            }}
            {move || codes.get().map(|codes| view! {
                <div class="recovery-codes" role="status">
                    <p><strong>"Your recovery codes"</strong>": each signs you in once without your phone. Keep them somewhere safe; they are not shown again."</p>
                    <ul>{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                </div>
            })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </section>
    }
}

/// Standard base64, for a data URL (no dependency in the browser bundle for one image).
fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64_encode;

    #[test]
    fn base64_matches_rfc_4648() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(raw.as_bytes()), encoded);
        }
    }
}
