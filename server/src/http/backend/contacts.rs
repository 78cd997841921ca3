//! The server functions' side for contacts: thin adapters over the contact use cases.

use super::app_error;
use crate::http::AppState;
use crate::service::contacts::{self, ContactFilter};
use crate::service::segments;
use crate::views;
use parley_app::api::AppError;
use parley_app::api::ssr::ContactsBackend;
use parley_app::contacts::{
    AttributeDefinition, AttributeDraft, ContactDetails, ContactListQuery, ContactPage,
    ContactPatch, NewContactRequest, SegmentDraft, SegmentView,
};
use parley_app::model::Viewer;

#[async_trait::async_trait]
impl ContactsBackend for AppState {
    async fn contact_list(
        &self,
        viewer: &Viewer,
        query: ContactListQuery,
    ) -> Result<ContactPage, AppError> {
        let filter = ContactFilter {
            search: query.q,
            labels: query.labels,
            attributes: query.attributes,
            segment_id: query.segment_id,
            cursor: query.cursor,
            limit: query.limit,
        };
        let found = contacts::list(&self.services, viewer, filter)
            .await
            .map_err(app_error)?;
        Ok(ContactPage {
            contacts: found
                .contacts
                .iter()
                .map(|c| views::contact_summary(c, &found.attributes))
                .collect(),
            next_cursor: found.next_cursor,
        })
    }

    async fn contact_details(&self, viewer: &Viewer, id: i64) -> Result<ContactDetails, AppError> {
        let contact = contacts::get(&self.services, viewer, id)
            .await
            .map_err(app_error)?;
        Ok(views::contact_details(&contact))
    }

    async fn update_contact(
        &self,
        viewer: &Viewer,
        id: i64,
        patch: ContactPatch,
    ) -> Result<ContactDetails, AppError> {
        let contact = contacts::update(&self.services, viewer, id, patch)
            .await
            .map_err(app_error)?;
        Ok(views::contact_details(&contact))
    }

    async fn create_contact(
        &self,
        viewer: &Viewer,
        request: NewContactRequest,
    ) -> Result<ContactDetails, AppError> {
        let contact = contacts::create(&self.services, viewer, request)
            .await
            .map_err(app_error)?;
        Ok(views::contact_details(&contact))
    }

    async fn contact_attributes(
        &self,
        viewer: &Viewer,
    ) -> Result<Vec<AttributeDefinition>, AppError> {
        contacts::attributes(&self.services, viewer)
            .await
            .map_err(app_error)
    }

    async fn save_attribute(
        &self,
        viewer: &Viewer,
        key: Option<String>,
        draft: AttributeDraft,
    ) -> Result<AttributeDefinition, AppError> {
        let origin = self.origin();
        match key {
            Some(key) => {
                contacts::update_attribute(&self.services, viewer, &origin, &key, draft).await
            }
            None => contacts::create_attribute(&self.services, viewer, &origin, draft).await,
        }
        .map_err(app_error)
    }

    async fn delete_attribute(&self, viewer: &Viewer, key: String) -> Result<(), AppError> {
        contacts::delete_attribute(&self.services, viewer, &self.origin(), &key)
            .await
            .map_err(app_error)
    }

    async fn merge_contacts(
        &self,
        viewer: &Viewer,
        id: i64,
        other: i64,
    ) -> Result<ContactDetails, AppError> {
        let merged = contacts::merge(&self.services, viewer, &self.origin(), id, other)
            .await
            .map_err(app_error)?;
        Ok(views::contact_details(&merged))
    }

    async fn erase_contact(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        contacts::erase(&self.services, viewer, &self.origin(), id)
            .await
            .map(|_| ())
            .map_err(app_error)
    }

    async fn start_conversation(
        &self,
        viewer: &Viewer,
        id: i64,
        phone_number_id: Option<String>,
    ) -> Result<i64, AppError> {
        contacts::start_conversation(&self.services, viewer, id, phone_number_id)
            .await
            .map_err(app_error)
    }

    async fn business_numbers(
        &self,
        _viewer: &Viewer,
    ) -> Result<Vec<parley_app::contacts::NumberOption>, AppError> {
        let numbers = self
            .services
            .store
            .numbers
            .list()
            .await
            .map_err(|e| app_error(e.into()))?;
        Ok(numbers
            .into_iter()
            .map(|n| parley_app::contacts::NumberOption {
                phone_number_id: n.phone_number_id,
                display_phone_number: n.display_phone_number,
            })
            .collect())
    }

    async fn segment_list(&self, viewer: &Viewer) -> Result<Vec<SegmentView>, AppError> {
        let found = segments::list(&self.services, viewer)
            .await
            .map_err(app_error)?;
        Ok(found.iter().map(views::segment).collect())
    }

    async fn save_segment(
        &self,
        viewer: &Viewer,
        id: Option<i64>,
        draft: SegmentDraft,
    ) -> Result<SegmentView, AppError> {
        let saved = segments::save(&self.services, viewer, &self.origin(), id, draft)
            .await
            .map_err(app_error)?;
        Ok(views::segment(&saved))
    }

    async fn delete_segment(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        segments::delete(&self.services, viewer, &self.origin(), id)
            .await
            .map_err(app_error)
    }
}
