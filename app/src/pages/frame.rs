//! The frame around every signed-in page: top bar with navigation, the member's name and
//! sign-out.

use crate::api::{admin_alerts, current_viewer};
use crate::model::Viewer;
use leptos::prelude::*;

#[component]
pub fn AppFrame(children: ChildrenFn) -> impl IntoView {
    let viewer = Resource::new(|| (), |_| current_viewer());
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/inbox">"Parley"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        viewer.await.ok().flatten().map(|viewer| view! { <MainNav viewer /> })
                    })}
                </Transition>
                // Outside the suspense: its own data is read once, not again each time the
                // suspense above renders.
                <super::bell::NotificationBell />
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => view! { <WhoAmI viewer /> }.into_any(),
                            _ => view! { <a href="/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Transition>
            </header>
            <AdminAlertBanner />
            {children()}
        </div>
    }
}

#[component]
fn MainNav(viewer: Viewer) -> impl IntoView {
    let is_admin = viewer.is_admin();
    view! {
        <nav class="topnav" aria-label="Main">
            <a href="/inbox">"Inbox"</a>
            <a href="/contacts">"Contacts"</a>
            <a href="/campaigns">"Campaigns"</a>
            <a href="/canned-replies">"Canned replies"</a>
            <a href="/reports">"Reports"</a>
            <Show when=move || is_admin>
                <a href="/admin/templates">"Templates"</a>
                <a href="/admin/labels">"Labels"</a>
                <a href="/admin/attributes">"Attributes"</a>
                <a href="/admin/consent">"Opt-out keywords"</a>
                <a href="/admin/numbers">"Numbers"</a>
                <a href="/reports/costs">"Costs"</a>
                <a href="/admin">"Team"</a>
                <a href="/admin/teams">"Teams"</a>
                <a href="/admin/automations">"Automations"</a>
                <a href="/admin/audit">"Audit"</a>
            </Show>
        </nav>
    }
}

#[component]
fn WhoAmI(viewer: Viewer) -> impl IntoView {
    view! {
        <div class="whoami">
            <a class="whoami-name" href="/settings" title=format!("{} · your settings", viewer.email)>
                {viewer.name.to_string()}
            </a>
            <span class="role-badge">{viewer.role.as_str()}</span>
            <AvailabilityPicker />
            <form method="post" action="/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}

/// For admins: an access token Meta refuses, templates used in the last 30 days that Meta has
/// paused, disabled or rejected, and numbers or the account in trouble (agents get nothing).
/// Live: it rereads when a template or a number changes or a send fails.
#[component]
fn AdminAlertBanner() -> impl IntoView {
    let live = crate::live::use_live();
    let alerts = Resource::new(
        move || (live.alerts.get(), live.reset.get()),
        |_| admin_alerts(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let alerts = alerts.await.unwrap_or_default();
                let token = alerts.token_problem.map(|problem| view! {
                    <p>
                        <strong>"Meta refuses Parley's access token: "</strong>
                        {problem}
                        " — sending has stopped. Set a valid WA_ACCESS_TOKEN and restart Parley."
                    </p>
                });
                let templates = alerts.templates.into_iter().map(|t| {
                    let href = format!("/admin/templates/{}", t.id);
                    view! {
                        <p>
                            "Template " <a href=href>{t.name.clone()}</a>
                            {format!(" ({}) is {} at Meta: sends that use it will fail.", t.language, t.status)}
                        </p>
                    }
                }).collect_view();
                let numbers = alerts.numbers.into_iter().map(|alert| {
                    let what = match &alert.phone_number_id {
                        Some(id) => view! {
                            "Number " <a href=format!("/admin/numbers/{id}")>
                                {alert.display_phone_number.clone().unwrap_or_else(|| id.clone())}
                            </a>
                        }.into_any(),
                        None => view! { <a href="/admin/numbers">"The WhatsApp account"</a> }.into_any(),
                    };
                    view! {
                        <p class=format!("number-alert {}", alert.level.as_str())>
                            {what} " — " <strong>{alert.meta.clone()}</strong> ": " {alert.meaning.clone()}
                        </p>
                    }
                }).collect_view();
                let any = token.is_some() || !templates.is_empty() || !numbers.is_empty();
                any.then(|| view! {
                    <div class="banner warning" role="alert">{token}{templates}{numbers}</div>
                })
            })}
        </Transition>
    }
}

/// Whether the member takes new conversations: routing gives them only to who is online.
#[component]
fn AvailabilityPicker() -> impl IntoView {
    use crate::team::Availability;
    // Read once the page is live, not as a resource: a resource created here, inside the
    // frame's suspense, would shift the ids of the page's own resources during hydration.
    let current = RwSignal::new(None::<Availability>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(availability) = crate::api::my_availability().await {
                current.set(Some(availability));
            }
        });
    };
    Effect::new(move |_| reload());
    let choose = move |ev: leptos::ev::Event| {
        let Some(availability) = Availability::parse(&event_target_value(&ev)) else {
            return;
        };
        current.set(Some(availability));
        leptos::task::spawn_local(async move {
            if crate::api::set_my_availability(availability).await.is_err() {
                reload();
            }
        });
    };
    view! {
        <select
            class=move || format!("availability {}", current.get().map_or("", Availability::as_str))
            aria-label="Availability"
            on:change=choose
        >
            {[
                (Availability::Online, "● Online"),
                (Availability::Away, "◐ Away"),
                (Availability::Offline, "○ Offline"),
            ]
                .into_iter()
                .map(|(value, text)| view! {
                    <option value=value.as_str() selected=move || current.get() == Some(value)>{text}</option>
                })
                .collect_view()}
        </select>
    }
}
