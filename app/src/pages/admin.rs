//! Admin pages. The server refuses them to agents (403) before they render; the server
//! functions they call check the role again.

use super::frame::AppFrame;
use crate::api::team_members;
use crate::model::TeamMember;
use crate::pages::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminTeam() -> impl IntoView {
    let members = Resource::new(|| (), |_| team_members());
    view! {
        <Title text="Team · Parley" />
        <AppFrame>
            <main class="admin">
                <h1>"Team"</h1>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match members.await {
                            Ok(members) => view! { <TeamTable members /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any()
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

#[component]
fn TeamTable(members: Vec<TeamMember>) -> impl IntoView {
    view! {
        <table class="team">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {members
                    .into_iter()
                    .map(|member| {
                        view! {
                            <tr>
                                <td>{member.name.to_string()}</td>
                                <td>{member.email.to_string()}</td>
                                <td>{member.role.as_str()}</td>
                                <td>{if member.disabled { "disabled" } else { "active" }}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
