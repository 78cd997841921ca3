//! The server functions' side for running the team: thin adapters over the team and audit
//! use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::audit::Origin;
use crate::service::{audit, business_hours, team, teams, two_factor};
use crate::views;
use parley_app::api::AppError;
use parley_app::api::ssr::TeamBackend;
use parley_app::business_hours::{BusinessHours, TeamBusinessHours};
use parley_app::model::{TeamMember, UserId, Viewer};
use parley_app::team::{
    AddedMember, AuditPage, AuditQuery, Availability, Me, MemberChange, MemberDraft, NumberTeam,
    PasswordChange, PasswordLink, PendingLink, ProfileChange, TeamDraft, TeamView,
    TwoFactorEnrolment, TwoFactorPolicy, TwoFactorStatus,
};

impl AppState {
    /// Where the server function's request came from, for the audit log.
    pub(super) fn origin(&self) -> Origin {
        let address = leptos::prelude::use_context::<axum::http::request::Parts>()
            .map(|parts| {
                crate::http::client_address_of(
                    &parts.extensions,
                    &parts.headers,
                    self.config.trusted_proxies,
                )
            })
            .unwrap_or_else(|| "unknown".into());
        Origin(address)
    }
}

/// The session of the server function's request (none for a bearer token).
fn request_session() -> Option<tower_sessions::Session> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
}

#[async_trait::async_trait]
impl TeamBackend for AppState {
    async fn add_member(
        &self,
        viewer: &Viewer,
        draft: MemberDraft,
    ) -> Result<AddedMember, AppError> {
        let (user, link) = team::add_member(&self.services, viewer, &self.origin(), draft)
            .await
            .map_err(app_error)?;
        Ok(AddedMember {
            member: views::team_member(&user),
            password_link: views::password_link(&link),
        })
    }

    async fn update_member(
        &self,
        viewer: &Viewer,
        id: i64,
        change: MemberChange,
    ) -> Result<TeamMember, AppError> {
        let origin = self.origin();
        let user = team::update_member(&self.services, Some(viewer), &origin, UserId(id), change)
            .await
            .map_err(app_error)?;
        Ok(views::team_member(&user))
    }

    async fn member_password_link(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<PasswordLink, AppError> {
        let origin = self.origin();
        let link = team::password_link(&self.services, Some(viewer), &origin, UserId(id))
            .await
            .map_err(app_error)?;
        Ok(views::password_link(&link))
    }

    async fn audit_log(&self, viewer: &Viewer, query: AuditQuery) -> Result<AuditPage, AppError> {
        let (records, next_before) = audit::page(&self.services, viewer, &query)
            .await
            .map_err(app_error)?;
        Ok(AuditPage {
            entries: records.iter().map(views::audit_entry).collect(),
            next_before,
        })
    }

    async fn my_profile(&self, viewer: &Viewer) -> Result<Me, AppError> {
        let user = team::me(&self.services, viewer).await.map_err(app_error)?;
        Ok(views::me(&user))
    }

    async fn update_my_profile(
        &self,
        viewer: &Viewer,
        change: ProfileChange,
    ) -> Result<Me, AppError> {
        let user = team::update_me(&self.services, viewer, change)
            .await
            .map_err(app_error)?;
        Ok(views::me(&user))
    }

    async fn change_my_password(
        &self,
        viewer: &Viewer,
        change: PasswordChange,
    ) -> Result<(), AppError> {
        let svc = &self.services;
        team::change_password(svc, viewer, &self.origin(), change)
            .await
            .map_err(app_error)?;
        if let Some(session) = request_session()
            && let Err(error) = crate::auth::session::renew(&session, viewer.id, svc.now()).await
        {
            tracing::error!(%error, "could not renew the session after a password change");
            return Err(AppError::Internal);
        }
        Ok(())
    }

    async fn pending_password_link(&self, token: String) -> Result<PendingLink, AppError> {
        let link = team::pending_link(&self.services, &token)
            .await
            .map_err(app_error)?;
        Ok(views::pending_link(&link))
    }

    async fn team_list(&self, viewer: &Viewer) -> Result<Vec<TeamView>, AppError> {
        let found = teams::list(&self.services, viewer)
            .await
            .map_err(app_error)?;
        let users = team::assignable(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(found.iter().map(|t| views::team(t, &users)).collect())
    }

    async fn save_team(
        &self,
        viewer: &Viewer,
        id: Option<i64>,
        draft: TeamDraft,
    ) -> Result<TeamView, AppError> {
        let origin = self.origin();
        let saved = match id {
            Some(id) => teams::update(&self.services, viewer, &origin, id, draft).await,
            None => teams::create(&self.services, viewer, &origin, draft).await,
        }
        .map_err(app_error)?;
        let users = team::assignable(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(views::team(&saved, &users))
    }

    async fn delete_team(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        teams::delete(&self.services, viewer, &self.origin(), id)
            .await
            .map_err(app_error)
    }

    async fn business_hours(&self, viewer: &Viewer) -> Result<BusinessHours, AppError> {
        business_hours::get(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn save_business_hours(
        &self,
        viewer: &Viewer,
        hours: BusinessHours,
    ) -> Result<BusinessHours, AppError> {
        business_hours::set(&self.services, viewer, &self.origin(), hours)
            .await
            .map_err(app_error)
    }

    async fn team_business_hours(
        &self,
        viewer: &Viewer,
        team_id: i64,
    ) -> Result<TeamBusinessHours, AppError> {
        business_hours::of_team(&self.services, viewer, team_id)
            .await
            .map_err(app_error)
    }

    async fn save_team_business_hours(
        &self,
        viewer: &Viewer,
        team_id: i64,
        hours: Option<BusinessHours>,
    ) -> Result<TeamBusinessHours, AppError> {
        business_hours::set_for_team(&self.services, viewer, &self.origin(), team_id, hours)
            .await
            .map_err(app_error)
    }

    async fn number_teams(&self, viewer: &Viewer) -> Result<Vec<NumberTeam>, AppError> {
        let numbers = teams::default_teams(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(numbers
            .into_iter()
            .map(|(phone_number_id, default_team_id)| NumberTeam {
                phone_number_id,
                default_team_id,
            })
            .collect())
    }

    async fn set_number_team(
        &self,
        viewer: &Viewer,
        phone_number_id: String,
        team_id: Option<i64>,
    ) -> Result<(), AppError> {
        let origin = self.origin();
        teams::set_default_team(&self.services, viewer, &origin, &phone_number_id, team_id)
            .await
            .map_err(app_error)
    }

    async fn two_factor_status(&self, viewer: &Viewer) -> Result<TwoFactorStatus, AppError> {
        two_factor::status(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn begin_two_factor(&self, viewer: &Viewer) -> Result<TwoFactorEnrolment, AppError> {
        two_factor::begin(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn confirm_two_factor(
        &self,
        viewer: &Viewer,
        code: String,
    ) -> Result<Vec<String>, AppError> {
        let codes = two_factor::confirm(&self.services, viewer, &self.origin(), &code)
            .await
            .map_err(app_error)?;
        if let Some(session) = request_session()
            && let Err(error) = crate::auth::session::enrolled(&session).await
        {
            tracing::error!(%error, "could not mark the session as enrolled");
        }
        Ok(codes)
    }

    async fn disable_two_factor(&self, viewer: &Viewer, password: String) -> Result<(), AppError> {
        two_factor::disable(&self.services, viewer, &self.origin(), &password)
            .await
            .map_err(app_error)
    }

    async fn reset_two_factor(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        two_factor::reset(&self.services, viewer, &self.origin(), UserId(id))
            .await
            .map_err(app_error)
    }

    async fn two_factor_policy(&self, viewer: &Viewer) -> Result<TwoFactorPolicy, AppError> {
        two_factor::policy(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn set_two_factor_policy(
        &self,
        viewer: &Viewer,
        policy: TwoFactorPolicy,
    ) -> Result<(), AppError> {
        two_factor::set_policy(&self.services, viewer, &self.origin(), policy)
            .await
            .map_err(app_error)
    }

    async fn availability(&self, viewer: &Viewer) -> Result<Availability, AppError> {
        teams::availability(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn set_availability(
        &self,
        viewer: &Viewer,
        availability: Availability,
    ) -> Result<(), AppError> {
        teams::set_availability(&self.services, viewer, availability)
            .await
            .map_err(app_error)
    }
}
