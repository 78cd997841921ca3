//! Server functions for contacts: the list, one contact, adding and editing contacts, and the
//! custom attributes admins define (under `/rpc/admin/`). The same use cases as the REST API's,
//! through [`ssr::ContactsBackend`].

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr as base;
use crate::contacts::{
    AttributeDefinition, AttributeDraft, ContactDetails, ContactListQuery, ContactPage,
    ContactPatch, NewContactRequest, SegmentDraft, SegmentView,
};
use leptos::prelude::*;

/// Merges contact `other` into contact `id` (admins).
#[server(prefix = "/rpc", endpoint = "admin/merge_contacts")]
pub async fn merge_contacts(id: i64, other: i64) -> Result<ContactDetails, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.merge_contacts(&viewer, id, other).await
}

/// Erases a contact (admins; a GDPR request).
#[server(prefix = "/rpc", endpoint = "admin/erase_contact")]
pub async fn erase_contact(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.erase_contact(&viewer, id).await
}

/// Starts (or reopens) a conversation with the contact; answers its id.
#[server(prefix = "/rpc", endpoint = "start_conversation")]
pub async fn start_conversation(id: i64, phone_number_id: Option<String>) -> Result<i64, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?
        .start_conversation(&viewer, id, phone_number_id)
        .await
}

/// The business numbers members write from.
#[server(prefix = "/rpc", endpoint = "business_numbers")]
pub async fn business_numbers() -> Result<Vec<crate::contacts::NumberOption>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.business_numbers(&viewer).await
}

/// Saved segments, each with its count now.
#[server(prefix = "/rpc", endpoint = "segment_list")]
pub async fn segment_list() -> Result<Vec<SegmentView>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.segment_list(&viewer).await
}

/// Saves a new segment (no `id`) or changes one (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_segment", input = leptos::server_fn::codec::Json)]
pub async fn save_segment(id: Option<i64>, draft: SegmentDraft) -> Result<SegmentView, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.save_segment(&viewer, id, draft).await
}

/// Deletes a segment (admins).
#[server(prefix = "/rpc", endpoint = "admin/delete_segment")]
pub async fn delete_segment(id: i64) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.delete_segment(&viewer, id).await
}

/// A page of contacts, newest first.
#[server(prefix = "/rpc", endpoint = "contact_list", input = leptos::server_fn::codec::Json)]
pub async fn contact_list(query: ContactListQuery) -> Result<ContactPage, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.contact_list(&viewer, query).await
}

/// One contact with its history.
#[server(prefix = "/rpc", endpoint = "contact_profile")]
pub async fn contact_profile(id: i64) -> Result<ContactDetails, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.contact_details(&viewer, id).await
}

/// Edits a contact.
#[server(prefix = "/rpc", endpoint = "update_contact", input = leptos::server_fn::codec::Json)]
pub async fn update_contact(id: i64, patch: ContactPatch) -> Result<ContactDetails, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.update_contact(&viewer, id, patch).await
}

/// Adds a contact by phone.
#[server(prefix = "/rpc", endpoint = "create_contact", input = leptos::server_fn::codec::Json)]
pub async fn create_contact(request: NewContactRequest) -> Result<ContactDetails, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.create_contact(&viewer, request).await
}

/// The custom contact attributes, in order.
#[server(prefix = "/rpc", endpoint = "contact_attributes")]
pub async fn contact_attributes() -> Result<Vec<AttributeDefinition>, AppError> {
    let viewer = base::require_viewer()?;
    base::backend()?.contact_attributes(&viewer).await
}

/// Creates an attribute (no `key`) or changes the one `key` names (admins).
#[server(prefix = "/rpc", endpoint = "admin/save_attribute", input = leptos::server_fn::codec::Json)]
pub async fn save_attribute(
    key: Option<String>,
    draft: AttributeDraft,
) -> Result<AttributeDefinition, AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.save_attribute(&viewer, key, draft).await
}

/// Deletes an attribute and every contact's value of it (admins).
#[server(prefix = "/rpc", endpoint = "admin/delete_attribute")]
pub async fn delete_attribute(key: String) -> Result<(), AppError> {
    let viewer = base::require_admin()?;
    base::backend()?.delete_attribute(&viewer, key).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::api::AppError;
    use crate::contacts::{
        AttributeDefinition, AttributeDraft, ContactDetails, ContactListQuery, ContactPage,
        ContactPatch, NewContactRequest, SegmentDraft, SegmentView,
    };
    use crate::model::Viewer;

    /// The contact use cases, as server functions reach them.
    #[async_trait::async_trait]
    pub trait ContactsBackend: Send + Sync {
        async fn contact_list(
            &self,
            viewer: &Viewer,
            query: ContactListQuery,
        ) -> Result<ContactPage, AppError>;
        async fn contact_details(
            &self,
            viewer: &Viewer,
            id: i64,
        ) -> Result<ContactDetails, AppError>;
        async fn update_contact(
            &self,
            viewer: &Viewer,
            id: i64,
            patch: ContactPatch,
        ) -> Result<ContactDetails, AppError>;
        async fn create_contact(
            &self,
            viewer: &Viewer,
            request: NewContactRequest,
        ) -> Result<ContactDetails, AppError>;
        async fn contact_attributes(
            &self,
            viewer: &Viewer,
        ) -> Result<Vec<AttributeDefinition>, AppError>;
        async fn save_attribute(
            &self,
            viewer: &Viewer,
            key: Option<String>,
            draft: AttributeDraft,
        ) -> Result<AttributeDefinition, AppError>;
        async fn delete_attribute(&self, viewer: &Viewer, key: String) -> Result<(), AppError>;
        async fn merge_contacts(
            &self,
            viewer: &Viewer,
            id: i64,
            other: i64,
        ) -> Result<ContactDetails, AppError>;
        async fn erase_contact(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
        async fn start_conversation(
            &self,
            viewer: &Viewer,
            id: i64,
            phone_number_id: Option<String>,
        ) -> Result<i64, AppError>;
        async fn business_numbers(
            &self,
            viewer: &Viewer,
        ) -> Result<Vec<crate::contacts::NumberOption>, AppError>;
        async fn segment_list(&self, viewer: &Viewer) -> Result<Vec<SegmentView>, AppError>;
        async fn save_segment(
            &self,
            viewer: &Viewer,
            id: Option<i64>,
            draft: SegmentDraft,
        ) -> Result<SegmentView, AppError>;
        async fn delete_segment(&self, viewer: &Viewer, id: i64) -> Result<(), AppError>;
    }
}
