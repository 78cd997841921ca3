//! `/admin`: the team. Admins add members (who get a one-time set-password link to hand
//! over: Parley sends no mail), rename them, change roles, disable and enable them, and make
//! a new link when someone forgot their password. The server refuses the page to agents (403)
//! before it renders; the server functions check the role again.

use super::frame::AppFrame;
use crate::api::{
    add_member, member_password_link, reset_two_factor, set_two_factor_policy, team_members,
    update_member, workspace_two_factor_policy,
};
use crate::model::{Role, TeamMember};
use crate::pages::ErrorNotice;
use crate::team::{LinkPurpose, MemberChange, MemberDraft, PasswordLink, TwoFactorPolicy};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminTeam() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let members = Resource::new(move || changed.get(), |_| team_members());
    // The link just made, shown until the next one (it cannot be shown again).
    let handed = RwSignal::new(None::<(String, PasswordLink)>);
    // What went wrong with the last change to a row (rows are rebuilt after each change).
    let problem = RwSignal::new(None::<String>);
    view! {
        <Title text="Team · Parley" />
        <AppFrame>
            <main class="admin team-admin">
                <h1>"Team"</h1>
                <AddMemberForm changed handed />
                <TwoFactorPolicyPicker />
                {move || handed.get().map(|(who, link)| view! { <LinkToHand who link /> })}
                {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match members.await {
                            Ok(members) => view! { <TeamTable members changed handed problem /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="hint">
                    <a href="/admin/audit">"Audit log"</a>
                    ": every change to the team, password links, sign-ins and failed sign-ins."
                </p>
            </main>
        </AppFrame>
    }
}

/// The full address of a link path, on the origin the admin is using.
fn full_link(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_owned()
}

#[component]
fn LinkToHand(who: String, link: PasswordLink) -> impl IntoView {
    let url = full_link(&link.path);
    let copied = RwSignal::new(false);
    let to_copy = url.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&to_copy);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
    };
    let what = match link.purpose {
        LinkPurpose::Invite => "sets their first password",
        LinkPurpose::Reset => "sets a new password (the old one no longer works)",
    };
    view! {
        <section class="banner info password-link" aria-live="polite">
            <p>
                <strong>{format!("One-time link for {who}")}</strong>
                {format!(": it {what}, works once and expires ")}
                <super::DateTime at=link.expires_at />
                ". Hand it over yourself (Parley sends no mail); it is not shown again."
            </p>
            <p class="link-row">
                <input type="text" readonly class="link-url" aria-label="Set-password link" prop:value=url.clone() />
                <button type="button" class="secondary" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </p>
        </section>
    }
}

#[component]
fn AddMemberForm(
    changed: RwSignal<u32>,
    handed: RwSignal<Option<(String, PasswordLink)>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let problem = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.set(true);
        let draft = MemberDraft {
            name: name.get_untracked(),
            email: email.get_untracked(),
            role: Some(role.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match add_member(draft).await {
                Ok(added) => {
                    problem.set(None);
                    name.set(String::new());
                    email.set(String::new());
                    handed.set(Some((added.member.name.to_string(), added.password_link)));
                    changed.update(|n| *n += 1);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
            saving.set(false);
        });
    };
    view! {
        <form class="add-member" on:submit=submit aria-label="Add a member">
            <h2>"Add a member"</h2>
            <label>
                "Name"
                <input type="text" required maxlength="100" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>
                "Email"
                <input type="email" required prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev)) />
            </label>
            <label>
                "Role"
                <RoleSelect role />
            </label>
            <button type="submit" class="primary" disabled=move || saving.get()>"Add member"</button>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
}

#[component]
fn RoleSelect(role: RwSignal<Role>) -> impl IntoView {
    view! {
        <select on:change=move |ev| {
            role.set(if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Agent })
        }>
            <option value="agent" selected=move || role.get() == Role::Agent>"Agent"</option>
            <option value="admin" selected=move || role.get() == Role::Admin>"Admin"</option>
        </select>
    }
}

#[component]
fn TeamTable(
    members: Vec<TeamMember>,
    changed: RwSignal<u32>,
    handed: RwSignal<Option<(String, PasswordLink)>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <table class="team">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {members
                    .into_iter()
                    .map(|member| view! { <MemberRow member changed handed problem /> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn MemberRow(
    member: TeamMember,
    changed: RwSignal<u32>,
    handed: RwSignal<Option<(String, PasswordLink)>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = member.id.0;
    let apply = move |change: MemberChange| {
        leptos::task::spawn_local(async move {
            let outcome = update_member(id, change).await;
            problem.set(outcome.err().map(|error| error.to_string()));
            // Refused or not, the table shows the team as it now stands.
            changed.update(|n| *n += 1);
        });
    };
    let disabled = member.disabled;
    let name = member.name.to_string();
    let rename = {
        let name = name.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            if let Ok(Some(new)) = window().prompt_with_message_and_default("New name", &name)
                && !new.trim().is_empty()
            {
                apply(MemberChange {
                    name: Some(new),
                    ..MemberChange::default()
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &name;
        }
    };
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        if !disabled
            && !window()
                .confirm_with_message("Disable this member? They are signed out everywhere and their API tokens stop working.")
                .unwrap_or(false)
        {
            return;
        }
        apply(MemberChange {
            disabled: Some(!disabled),
            ..MemberChange::default()
        });
    };
    let reset_factor = move |_| {
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message("Take away this member's second factor (a lost phone)? They sign in with their password and may set up a new one.")
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            let outcome = reset_two_factor(id).await;
            problem.set(outcome.err().map(|error| error.to_string()));
            changed.update(|n| *n += 1);
        });
    };
    let link_name = name.clone();
    let new_link = move |_| {
        #[cfg(feature = "hydrate")]
        if !window()
            .confirm_with_message("Make a new one-time password link? If they have a password, it stops working and they are signed out.")
            .unwrap_or(false)
        {
            return;
        }
        let who = link_name.clone();
        leptos::task::spawn_local(async move {
            match member_password_link(id).await {
                Ok(link) => {
                    problem.set(None);
                    handed.set(Some((who, link)));
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
        <tr class:disabled-member=disabled data-member=member.email.to_string()>
            <td>{name.clone()}</td>
            <td>{member.email.to_string()}</td>
            <td>
                <label class="visually-hidden" for=format!("role-{id}")>{format!("Role of {name}")}</label>
                <select id=format!("role-{id}") class="member-role" on:change=move |ev| {
                    let role = if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Agent };
                    apply(MemberChange { role: Some(role), ..MemberChange::default() });
                }>
                    <option value="agent" selected=member.role == Role::Agent>"Agent"</option>
                    <option value="admin" selected=member.role == Role::Admin>"Admin"</option>
                </select>
            </td>
            <td>
                {if disabled { "disabled" } else { "active" }}
                {member.two_factor.then(|| view! { <span class="role-badge" title="Signs in with a second factor">"2FA"</span> })}
            </td>
            <td>
                <div class="member-actions">
                <button type="button" class="link-button" on:click=rename>"Rename"</button>
                <button type="button" class="link-button" on:click=toggle>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                {(!disabled).then(|| view! {
                    <button type="button" class="link-button" on:click=new_link.clone()>"Password link"</button>
                })}
                {member.two_factor.then(|| view! {
                    <button type="button" class="link-button" on:click=reset_factor>"Reset 2FA"</button>
                })}
                </div>
            </td>
        </tr>
    }
}

/// Who must sign in with a second factor.
#[component]
fn TwoFactorPolicyPicker() -> impl IntoView {
    let current = Resource::new(|| (), |_| workspace_two_factor_policy());
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let choose = move |ev: leptos::ev::Event| {
        let Some(policy) = TwoFactorPolicy::parse(&event_target_value(&ev)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let saved = set_two_factor_policy(policy).await;
            outcome.set(Some(saved.map_err(|e| e.to_string())));
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let policy = current.await.unwrap_or_default();
                view! {
                    <label class="two-factor-policy">
                        "Two-factor sign-in "
                        <select on:change=choose>
                            {[
                                (TwoFactorPolicy::Optional, "each member chooses"),
                                (TwoFactorPolicy::Admins, "required for admins"),
                                (TwoFactorPolicy::Everyone, "required for everyone"),
                            ].into_iter().map(|(value, text)| view! {
                                <option value=value.as_str() selected=policy == value>{text}</option>
                            }).collect_view()}
                        </select>
                    </label>
                }
            })}
        </Transition>
        {move || outcome.get().map(|result| match result {
            Ok(()) => view! { <p class="form-ok" role="status">"Saved: it applies from each member's next sign-in."</p> }.into_any(),
            Err(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
        })}
    }
}
