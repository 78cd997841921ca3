//! The sign-in page. A plain HTML form posted to `/login`, so it works before (and without)
//! the WASM bundle; the server answers with a redirect carrying the outcome.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the server's redirect says went wrong, as a sentence for the person signing in.
fn login_problem(code: &str) -> Option<&'static str> {
    match code {
        "invalid" => Some("Wrong email or password."),
        "expired" => Some("Your session ended. Please sign in again."),
        "throttled" => Some("Too many attempts. Please wait a few minutes and try again."),
        _ => None,
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let problem = move || query.with(|q| q.get("error").and_then(|code| login_problem(&code)));
    // Only a local path may be the target after sign-in (no open redirect).
    let next = move || {
        query.with(|q| {
            q.get("next")
                .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        })
    };
    view! {
        <Title text="Sign in · Parley" />
        <main class="centered-card">
            <h1>"Sign in to Parley"</h1>
            <form method="post" action="/login" class="stack">
                {move || {
                    problem()
                        .map(|text| {
                            view! {
                                <p class="form-error" role="alert">
                                    {text}
                                </p>
                            }
                        })
                }}
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <input type="hidden" name="next" value=move || next().unwrap_or_default() />
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}

/// The second step of signing in for a member with two-factor sign-in: a code from their
/// authenticator app, or one of their recovery codes. A plain form, like the first step.
#[component]
pub fn LoginCode() -> impl IntoView {
    let query = use_query_map();
    let wrong = move || query.with(|q| q.get("error").is_some_and(|e| e == "invalid"));
    view! {
        <Title text="Your code · Parley" />
        <main class="centered-card">
            <h1>"Two-factor sign-in"</h1>
            <form method="post" action="/login/code" class="stack">
                {move || wrong().then(|| view! {
                    <p class="form-error" role="alert">"That code does not work. Try the newest one."</p>
                })}
                <label>
                    "Code from your authenticator app"
                    <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                        required autofocus maxlength="20" />
                </label>
                <p class="hint">"No phone? Type one of your recovery codes instead (each works once)."</p>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p><a href="/login">"Start again"</a></p>
        </main>
    }
}
