//! Server functions for running the team: members and their set-password links and the audit
//! log (admins, under `/rpc/admin/`), one's own profile and password, and the public lookup of
//! a set-password link. The same use cases as the REST API's, through [`ssr::TeamBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::model::TeamMember;
use crate::team::{
    AddedMember, AuditPage, AuditQuery, Me, MemberChange, MemberDraft, PasswordChange,
    PasswordLink, PendingLink, ProfileChange,
};
use leptos::prelude::*;

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
    use crate::model::{TeamMember, Viewer};
    use crate::team::{
        AddedMember, AuditPage, AuditQuery, Me, MemberChange, MemberDraft, PasswordChange,
        PasswordLink, PendingLink, ProfileChange,
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
    }
}
