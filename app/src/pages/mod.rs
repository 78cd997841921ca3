//! One module per page. Pages that need a signed-in member are wrapped in [`AppFrame`].

mod admin;
mod audit;
mod automation_presets;
mod automations;
mod bell;
mod business_hours;
mod campaigns;
mod canned;
mod contacts;
mod costs;
mod frame;
mod inbox;
mod labels;
mod login;
mod numbers;
mod reports;
mod set_password;
mod settings;
mod teams;
mod templates;

pub use admin::AdminTeam;
pub use audit::AuditPage;
pub use automations::AutomationsPage;
pub use campaigns::{CampaignPage, CampaignsPage, OptOutKeywordsPage};
pub use canned::{CannedRepliesPage, SharedCannedRepliesPage};
pub use contacts::{AttributesPage, ContactPage, ContactsPage};
pub use costs::CostsPage;
pub use inbox::Inbox;
pub use labels::LabelsPage;
pub use login::{Login, LoginCode};
pub use numbers::{NumberPage, NumbersPage};
pub use reports::ReportsPage;
pub use set_password::SetPasswordPage;
pub use settings::SettingsPage;
pub use teams::TeamsPage;
pub use templates::{NewTemplatePage, TemplatePage, TemplatesPage};

use leptos::prelude::*;
use leptos_router::components::Redirect;

/// A failed request, told to the person in words (and to screen readers as an alert).
#[component]
pub fn ErrorNotice(error: crate::api::AppError) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// A moment as a date and time, in the member's zone once the page is live.
#[component]
pub fn DateTime(at: crate::model::UnixTime) -> impl IntoView {
    let live = crate::live::use_live();
    view! {
        <time datetime=crate::time::iso(at)>
            {move || crate::time::date_time(at, live.local_time.get())}
        </time>
    }
}

#[component]
pub fn Home() -> impl IntoView {
    view! { <Redirect path="/inbox" /> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="centered-card">
            <h1>"Page not found"</h1>
            <p>
                <a href="/inbox">"Back to the inbox"</a>
            </p>
        </main>
    }
}
