//! `/set-password?token=…`: where a one-time link from an admin lands. A plain HTML form posted
//! to `/set-password`, so it works before (and without) the WASM bundle; the server signs the
//! member in, or redirects back here saying what was wrong.

use crate::api::pending_password_link;
use crate::team::LinkPurpose;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn problem_text(code: &str) -> Option<&'static str> {
    match code {
        "mismatch" => Some("The two passwords differ."),
        "weak" => Some("Choose a password of at least 8 characters."),
        "gone" => Some("This link has been used or has expired. Ask an admin for a new one."),
        _ => None,
    }
}

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let problem = move || query.with(|q| q.get("error").and_then(|code| problem_text(&code)));
    let link = Resource::new(token, pending_password_link);
    view! {
        <Title text="Set your password · Parley" />
        <main class="centered-card">
            <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(link) => {
                            let heading = match link.purpose {
                                LinkPurpose::Invite => format!("Welcome to Parley, {}", link.name),
                                LinkPurpose::Reset => format!("Choose a new password, {}", link.name),
                            };
                            view! {
                                <h1>{heading}</h1>
                                <form method="post" action="/set-password" class="stack">
                                    {move || problem().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
                                    <p class="hint">{format!("You sign in as {}.", link.email)}</p>
                                    <input type="hidden" name="token" value=token />
                                    <label>
                                        "New password (at least 8 characters)"
                                        <input type="password" name="password" autocomplete="new-password" required minlength="8" autofocus />
                                    </label>
                                    <label>
                                        "The same password again"
                                        <input type="password" name="confirm" autocomplete="new-password" required minlength="8" />
                                    </label>
                                    <button type="submit" class="primary">"Set password and sign in"</button>
                                </form>
                            }.into_any()
                        }
                        Err(_) => view! {
                            <h1>"This link no longer works"</h1>
                            <p class="form-error" role="alert">
                                "It has been used, has expired (links last 72 hours) or was replaced by a newer one. Ask an admin for a new link."
                            </p>
                            <p><a href="/login">"Sign in"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
