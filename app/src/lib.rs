//! Parley's user interface: pages and components rendered on the server and hydrated in the
//! browser, the server functions they call, and the types both sides share.

pub mod api;
pub mod automation;
pub mod business_hours;
pub mod campaigns;
pub mod collaboration;
pub mod compose;
pub mod consent;
pub mod contacts;
pub mod costs;
pub mod live;
pub mod model;
pub mod numbers;
mod pages;
pub mod reports;
pub mod team;
pub mod templates;
pub mod time;
#[cfg(feature = "hydrate")]
mod upload;
pub mod window;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::provide_live();
    // Effects run only in the browser: this marks the page live once hydration has finished,
    // which the end-to-end tests (and curious admins) can observe.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="parley" href="/pkg/parley.css" />
        <Title text="Parley" />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Home />
                <Route path=path!("/login") view=pages::Login />
                <Route path=path!("/login/code") view=pages::LoginCode />
                <Route path=path!("/set-password") view=pages::SetPasswordPage />
                <Route path=path!("/settings") view=pages::SettingsPage />
                <Route path=path!("/inbox") view=pages::Inbox />
                <Route path=path!("/inbox/:conversation_id") view=pages::Inbox />
                <Route path=path!("/canned-replies") view=pages::CannedRepliesPage />
                <Route path=path!("/contacts") view=pages::ContactsPage />
                <Route path=path!("/contacts/:contact_id") view=pages::ContactPage />
                <Route path=path!("/campaigns") view=pages::CampaignsPage />
                <Route path=path!("/campaigns/:campaign_id") view=pages::CampaignPage />
                <Route path=path!("/admin/consent") view=pages::OptOutKeywordsPage />
                <Route path=path!("/admin/numbers") view=pages::NumbersPage />
                <Route path=path!("/admin/numbers/:phone_number_id") view=pages::NumberPage />
                <Route path=path!("/admin") view=pages::AdminTeam />
                <Route path=path!("/admin/labels") view=pages::LabelsPage />
                <Route path=path!("/admin/attributes") view=pages::AttributesPage />
                <Route path=path!("/admin/audit") view=pages::AuditPage />
                <Route path=path!("/reports") view=pages::ReportsPage />
                <Route path=path!("/reports/costs") view=pages::CostsPage />
                <Route path=path!("/admin/teams") view=pages::TeamsPage />
                <Route path=path!("/admin/automations") view=pages::AutomationsPage />
                <Route path=path!("/admin/canned-replies") view=pages::SharedCannedRepliesPage />
                <Route path=path!("/admin/templates") view=pages::TemplatesPage />
                <Route path=path!("/admin/templates/new") view=pages::NewTemplatePage />
                <Route path=path!("/admin/templates/:template_id") view=pages::TemplatePage />
            </Routes>
        </Router>
    }
}

/// The browser entry point, called from the WASM crate once the page has loaded.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}
