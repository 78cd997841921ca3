//! Server functions for running the team: members and their set-password links, teams, numbers'
//! default teams and the audit log (admins, under `/rpc/admin/`), one's own profile, password
//! availability and second factor, and the public lookup of a set-password link. The same use cases as the REST API's, through [`ssr::TeamBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::business_hours::{BusinessHours, TeamBusinessHours};
use crate::model::TeamMember;
use crate::team::{
    AddedMember, AuditPage, AuditQuery, Availability, Me, MemberChange, MemberDraft, NumberTeam,
    PasswordChange, PasswordLink, PendingLink, ProfileChange, TeamDraft, TeamView,
    TwoFactorEnrolment, TwoFactorPolicy, TwoFactorStatus,
};
use leptos::prelude::*;

/// Every team, by name.
#[server(prefix = "/rpc", endpoint = "team_list")]
pub async fn team_list() -> Result<Vec<TeamView>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.team_list(&viewer).await
}

/// Creates a team (no `id`) or changes one (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_team", input = leptos::server_fn::codec::Json)]
pub async fn save_team(id: Option<i64>, draft: TeamDraft) -> Result<TeamView, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.save_team(&viewer, id, draft).await
}

/// Deletes a team: its conversations leave its queue (admins).
#[server(prefix = "/rpc", endpoint = "admin/delete_team")]
pub async fn delete_team(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.delete_team(&viewer, id).await
}

/// The workspace's business hours (admins edit them here; the API lets every member read).
#[server(prefix = "/rpc", endpoint = "admin/business_hours")]
pub async fn read_business_hours() -> Result<BusinessHours, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.business_hours(&viewer).await
}

/// Sets the workspace's business hours (admins); a clear message names what is wrong.
#[server(prefix = "/rpc", endpoint = "admin/save_business_hours", input = leptos::server_fn::codec::Json)]
pub async fn save_business_hours(hours: BusinessHours) -> Result<BusinessHours, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.save_business_hours(&viewer, hours).await
}

/// A team's business hours: its own, or the workspace's it follows (admins edit them here).
#[server(prefix = "/rpc", endpoint = "admin/team_business_hours")]
pub async fn read_team_business_hours(team_id: i64) -> Result<TeamBusinessHours, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.team_business_hours(&viewer, team_id).await
}

/// Gives a team its own hours, or (`None`) the workspace's again (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_team_business_hours", input = leptos::server_fn::codec::Json)]
pub async fn save_team_business_hours(
    team_id: i64,
    hours: Option<BusinessHours>,
) -> Result<TeamBusinessHours, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .save_team_business_hours(&viewer, team_id, hours)
        .await
}

/// Business numbers and their default teams (admins).
#[server(prefix = "/rpc", endpoint = "admin/number_teams")]
pub async fn number_teams() -> Result<Vec<NumberTeam>, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.number_teams(&viewer).await
}

/// Which team a number's new conversations join (admins).
#[server(prefix = "/rpc", endpoint = "admin/set_number_team", input = leptos::server_fn::codec::Json)]
pub async fn set_number_team(
    phone_number_id: String,
    team_id: Option<i64>,
) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .set_number_team(&viewer, phone_number_id, team_id)
        .await
}

/// The member's second factor.
#[server(prefix = "/rpc", endpoint = "my_two_factor")]
pub async fn my_two_factor() -> Result<TwoFactorStatus, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.two_factor_status(&viewer).await
}

/// Starts setting up an authenticator app.
#[server(prefix = "/rpc", endpoint = "begin_two_factor")]
pub async fn begin_two_factor() -> Result<TwoFactorEnrolment, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.begin_two_factor(&viewer).await
}

/// Confirms the app with a code it shows; answers the recovery codes, shown once.
#[server(prefix = "/rpc", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.confirm_two_factor(&viewer, code).await
}

/// Turns the member's second factor off (their password is required).
#[server(prefix = "/rpc", endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.disable_two_factor(&viewer, password).await
}

/// Takes a member's second factor away (admins).
#[server(prefix = "/rpc", endpoint = "admin/reset_two_factor")]
pub async fn reset_two_factor(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.reset_two_factor(&viewer, id).await
}

/// Who must sign in with a second factor (admins).
#[server(prefix = "/rpc", endpoint = "admin/workspace_two_factor_policy")]
pub async fn workspace_two_factor_policy() -> Result<TwoFactorPolicy, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.two_factor_policy(&viewer).await
}

/// Requires a second factor of admins, of everyone, or of nobody (admins).
#[server(prefix = "/rpc", endpoint = "admin/set_two_factor_policy", input = leptos::server_fn::codec::Json)]
pub async fn set_two_factor_policy(policy: TwoFactorPolicy) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?
        .set_two_factor_policy(&viewer, policy)
        .await
}

/// Whether the member takes new conversations.
#[server(prefix = "/rpc", endpoint = "my_availability")]
pub async fn my_availability() -> Result<Availability, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.availability(&viewer).await
}

/// The member goes online, away or offline.
#[server(prefix = "/rpc", endpoint = "set_my_availability", input = leptos::server_fn::codec::Json)]
pub async fn set_my_availability(availability: Availability) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .set_availability(&viewer, availability)
        .await
}

/// Adds a member and answers their one-time set-password link (admins).
#[server(prefix = "/rpc", endpoint = "admin/add_member", input = leptos::server_fn::codec::Json)]
pub async fn add_member(draft: MemberDraft) -> Result<AddedMember, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.add_member(&viewer, draft).await
}

/// Renames a member, changes their role, disables or enables them (admins).
#[server(prefix = "/rpc", endpoint = "admin/update_member", input = leptos::server_fn::codec::Json)]
pub async fn update_member(id: i64, change: MemberChange) -> Result<TeamMember, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.update_member(&viewer, id, change).await
}

/// A fresh one-time set-password link for a member (admins); a reset for one with a password.
#[server(prefix = "/rpc", endpoint = "admin/member_password_link")]
pub async fn member_password_link(id: i64) -> Result<PasswordLink, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.member_password_link(&viewer, id).await
}

/// A page of the audit log (admins).
#[server(prefix = "/rpc", endpoint = "admin/audit_log", input = leptos::server_fn::codec::Json)]
pub async fn audit_log(query: AuditQuery) -> Result<AuditPage, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.audit_log(&viewer, query).await
}

/// The signed-in member and their settings.
#[server(prefix = "/rpc", endpoint = "my_profile")]
pub async fn my_profile() -> Result<Me, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.my_profile(&viewer).await
}

/// Changes the member's own name or notification settings.
#[server(prefix = "/rpc", endpoint = "update_my_profile", input = leptos::server_fn::codec::Json)]
pub async fn update_my_profile(change: ProfileChange) -> Result<Me, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.update_my_profile(&viewer, change).await
}

/// Changes the member's own password; their other sessions end, this one continues.
#[server(prefix = "/rpc", endpoint = "change_my_password", input = leptos::server_fn::codec::Json)]
pub async fn change_my_password(change: PasswordChange) -> Result<(), AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.change_my_password(&viewer, change).await
}

/// Whose a set-password link is, while it works (no sign-in: the link is the credential).
#[server(prefix = "/rpc", endpoint = "pending_password_link")]
pub async fn pending_password_link(token: String) -> Result<PendingLink, AppError> {
    base::backend()?.pending_password_link(token).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::api::AppError;
    use crate::business_hours::{BusinessHours, TeamBusinessHours};
    use crate::model::{TeamMember, Viewer};
    use crate::team::{
        AddedMember, AuditPage, AuditQuery, Availability, Me, MemberChange, MemberDraft,
        NumberTeam, PasswordChange, PasswordLink, PendingLink, ProfileChange, TeamDraft, TeamView,
        TwoFactorEnrolment, TwoFactorPolicy, TwoFactorStatus,
    };

    /// The team use cases, as server functions reach them.
    #[async_trait::async_trait]
    pub trait TeamBackend: Send + Sync {
        async fn add_member(
            &self,
            viewer: &Viewer,
            draft: MemberDraft,
        ) -> Result<AddedMember, AppError>;
        async fn update_member(
            &self,
            viewer: &Viewer,
            id: i64,
            change: MemberChange,
        ) -> Result<TeamMember, AppError>;
        async fn member_password_link(
            &self,
            viewer: &Viewer,
            id: i64,
        ) -> Result<PasswordLink, AppError>;
        async fn audit_log(
            &self,
            viewer: &Viewer,
            query: AuditQuery,
        ) -> Result<AuditPage, AppError>;
        async fn my_profile(&self, viewer: &Viewer) -> Result<Me, AppError>;
        async fn update_my_profile(
            &self,
            viewer: &Viewer,
            change: ProfileChange,
        ) -> Result<Me, AppError>;
        async fn change_my_password(
            &self,
            viewer: &Viewer,
            change: PasswordChange,
        ) -> Result<(), AppError>;
        async fn pending_password_link(&self, token: String) -> Result<PendingLink, AppError>;
        async fn team_list(&self, viewer: &Viewer) -> Result<Vec<TeamView>, AppError>;
        async fn save_team(
            &self,
            viewer: &Viewer,
            id: Option<i64>,
            draft: TeamDraft,
        ) -> Result<TeamView, AppError>;
        async fn delete_team(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn number_teams(&self, viewer: &Viewer) -> Result<Vec<NumberTeam>, AppError>;
        async fn business_hours(&self, viewer: &Viewer) -> Result<BusinessHours, AppError>;
        async fn save_business_hours(
            &self,
            viewer: &Viewer,
            hours: BusinessHours,
        ) -> Result<BusinessHours, AppError>;
        async fn team_business_hours(
            &self,
            viewer: &Viewer,
            team_id: i64,
        ) -> Result<TeamBusinessHours, AppError>;
        async fn save_team_business_hours(
            &self,
            viewer: &Viewer,
            team_id: i64,
            hours: Option<BusinessHours>,
        ) -> Result<TeamBusinessHours, AppError>;
        async fn set_number_team(
            &self,
            viewer: &Viewer,
            phone_number_id: String,
            team_id: Option<i64>,
        ) -> Result<(), AppError>;
        async fn two_factor_status(&self, viewer: &Viewer) -> Result<TwoFactorStatus, AppError>;
        async fn begin_two_factor(&self, viewer: &Viewer) -> Result<TwoFactorEnrolment, AppError>;
        async fn confirm_two_factor(
            &self,
            viewer: &Viewer,
            code: String,
        ) -> Result<Vec<String>, AppError>;
        async fn disable_two_factor(
            &self,
            viewer: &Viewer,
            password: String,
        ) -> Result<(), AppError>;
        async fn reset_two_factor(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn two_factor_policy(&self, viewer: &Viewer) -> Result<TwoFactorPolicy, AppError>;
        async fn set_two_factor_policy(
            &self,
            viewer: &Viewer,
            policy: TwoFactorPolicy,
        ) -> Result<(), AppError>;
        async fn availability(&self, viewer: &Viewer) -> Result<Availability, AppError>;
        async fn set_availability(
            &self,
            viewer: &Viewer,
            availability: Availability,
        ) -> Result<(), AppError>;
    }
}
