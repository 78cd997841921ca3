//! The frame around every signed-in page: top bar with navigation, the member's name and
//! sign-out.

use crate::api::current_viewer;
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
                        match viewer.await {
                            Ok(Some(viewer)) => view! { <TopNav viewer /> }.into_any(),
                            _ => view! { <a href="/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Transition>
            </header>
            {children()}
        </div>
    }
}

#[component]
fn TopNav(viewer: Viewer) -> impl IntoView {
    let is_admin = viewer.is_admin();
    view! {
        <nav class="topnav" aria-label="Main">
            <a href="/inbox">"Inbox"</a>
            <Show when=move || is_admin>
                <a href="/admin">"Team"</a>
            </Show>
        </nav>
        <div class="whoami">
            <span class="whoami-name" title=viewer.email.to_string()>
                {viewer.name.to_string()}
            </span>
            <span class="role-badge">{viewer.role.as_str()}</span>
            <form method="post" action="/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}
