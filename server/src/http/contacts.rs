//! The contacts API: the list (and its CSV export), one contact, adding and editing contacts,
//! and the custom attributes admins define.

use super::identity::{ClientOrigin, RequireViewer};
use super::{ApiError, AppState, JsonBody};
use crate::service::contact_import::{self, ImportRequest};
use crate::service::contacts::{self, ContactFilter};
use crate::views;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use parley_app::contacts::{
    AttributeDefinition, AttributeDraft, ContactDetails, ContactPage, ContactPatch, ImportReport,
    ImportTarget, NewContactRequest, csv_safe,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest CSV an import takes (200,000 rows of a dozen columns fit well inside).
const MAX_IMPORT_BODY: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(export))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_IMPORT_BODY)),
        )
        .routes(routes!(one, update, erase))
        .routes(routes!(merge))
        .routes(routes!(export_one))
        .routes(routes!(start_conversation))
        .routes(routes!(attributes, create_attribute))
        .routes(routes!(update_attribute, delete_attribute))
        .merge(super::segments::router())
}

/// The list's query parameters, documented for OpenAPI (the handler reads them as pairs, since
/// `attr.<key>` names are the admins' own).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListParams {
    /// Text in the name, WhatsApp profile name, username, email or company, or digits of
    /// the phone.
    q: Option<String>,
    /// Label names, comma separated (or the parameter repeated): contacts carrying all.
    label: Option<String>,
    /// `attr.<key>=<value>`: contacts whose attribute `<key>` equals the value (compared in
    /// the attribute's type: `attr.vip=yes` matches a checked checkbox).
    #[param(rename = "attr.<key>")]
    attr: Option<String>,
    /// Only the contacts of this segment (combined with the other filters).
    segment_id: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
}

/// A page of contacts as the API answers it.
pub(super) fn page(found: &contacts::ContactList) -> ContactPage {
    ContactPage {
        contacts: found
            .contacts
            .iter()
            .map(|c| views::contact_summary(c, &found.attributes))
            .collect(),
        next_cursor: found.next_cursor.clone(),
    }
}

pub(super) fn filter(pairs: Vec<(String, String)>) -> Result<ContactFilter, ApiError> {
    let mut filter = ContactFilter::default();
    for (name, value) in pairs {
        match name.as_str() {
            "q" => filter.search = Some(value),
            "label" => filter.labels.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            ),
            "cursor" => filter.cursor = Some(value),
            "segment_id" if !value.is_empty() => {
                filter.segment_id = Some(value.parse().map_err(|_| {
                    ApiError::Invalid(format!("segment_id must be a number, not {value:?}"))
                })?)
            }
            "limit" if !value.is_empty() => {
                filter.limit = Some(value.parse().map_err(|_| {
                    ApiError::Invalid(format!("limit must be a number, not {value:?}"))
                })?)
            }
            _ => {
                if let Some(key) = name.strip_prefix("attr.") {
                    filter.attributes.push((key.to_owned(), value));
                }
            }
        }
    }
    Ok(filter)
}

/// Contacts, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ListParams),
    responses((status = 200, body = ContactPage), (status = 401, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<ContactPage>, ApiError> {
    let found = contacts::list(&app.services, &viewer, filter(pairs)?).await?;
    Ok(Json(page(&found)))
}

/// Adds a contact by phone (E.164) with any of the fields `PATCH` takes; opens no
/// conversation. 409 when a contact already has this phone, however spelt (Brazil's ninth
/// digit, Mexico's `1` after 52).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContactRequest,
    responses((status = 201, body = ContactDetails), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    JsonBody(request): JsonBody<NewContactRequest>,
) -> Result<(StatusCode, Json<ContactDetails>), ApiError> {
    let contact = contacts::create(&app.services, &viewer, request).await?;
    Ok((StatusCode::CREATED, Json(views::contact_details(&contact))))
}

/// A contact with its labels, attributes, note and every conversation on every number.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    responses((status = 200, body = ContactDetails), (status = 404, body = super::error::ErrorBody)))]
async fn one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
) -> Result<Json<ContactDetails>, ApiError> {
    let contact = contacts::get(&app.services, &viewer, id).await?;
    Ok(Json(views::contact_details(&contact)))
}

/// Edits a contact: `name`, `email`, `company`, `language`, `time_zone` (`null` clears one),
/// `note`, `labels` (replaces the set), `attributes` (`{key: value}`; `null` clears a key, keys
/// not named keep their values). Each value is checked against its attribute's type; only
/// admins set attributes agents may not edit.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactPatch,
    responses((status = 200, body = ContactDetails), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(patch): JsonBody<ContactPatch>,
) -> Result<Json<ContactDetails>, ApiError> {
    let contact = contacts::update(&app.services, &viewer, id, patch).await?;
    Ok(Json(views::contact_details(&contact)))
}

/// The contacts the same filters as the list select, as CSV, streamed a page at a time (so an
/// export of any size takes constant memory). Cells a spreadsheet would run as formulas
/// (`=`, `+`, `-`, `@`) start with `'`.
#[utoipa::path(get, path = "/api/v1/contacts/export.csv", tag = "contacts", params(ListParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 422, body = super::error::ErrorBody)))]
async fn export(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut filter = filter(pairs)?;
    filter.limit = Some(contacts::MAX_PAGE);
    filter.cursor = None;
    // The first page is read before answering, so a bad filter is a 422, not a broken file.
    let first = contacts::list(&app.services, &viewer, filter.clone()).await?;
    let header_row = csv_header(&first.attributes);
    let state = Some((app, viewer, filter, Some(first)));
    let pages = futures_util::stream::unfold(state, |state| async move {
        let (app, viewer, mut filter, page) = state?;
        let page = match page {
            Some(page) => page,
            None => match contacts::list(&app.services, &viewer, filter.clone()).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "contact export stopped");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            },
        };
        let chunk = csv_rows(&page);
        filter.cursor = page.next_cursor.clone();
        let next = page.next_cursor.is_some().then_some((
            app,
            viewer,
            filter,
            None::<contacts::ContactList>,
        ));
        Some((Ok::<_, std::io::Error>(chunk), next))
    });
    let body = futures_util::stream::once(async move { Ok(header_row) }).chain(pages);
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"contacts.csv\""),
        )
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

const FIXED_COLUMNS: [&str; 12] = [
    "id",
    "name",
    "profile_name",
    "phone",
    "email",
    "company",
    "language",
    "time_zone",
    "labels",
    "note",
    "last_message_at",
    "conversations",
];

fn csv_header(attributes: &[AttributeDefinition]) -> String {
    let mut cells: Vec<String> = FIXED_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    cells.extend(attributes.iter().map(|a| format!("attr.{}", a.key)));
    csv_line(cells.iter().map(String::as_str))
}

fn csv_rows(page: &contacts::ContactList) -> String {
    let mut out = String::new();
    for c in &page.contacts {
        let last = c
            .last_message_at
            .map(|at| views::time(at).0.to_string())
            .unwrap_or_default();
        let mut cells = vec![
            c.id.to_string(),
            c.edited_name
                .clone()
                .or(c.profile_name.clone())
                .unwrap_or_default(),
            c.profile_name.clone().unwrap_or_default(),
            c.wa_id
                .as_ref()
                .map(|w| format!("+{w}"))
                .unwrap_or_default(),
            c.email.clone().unwrap_or_default(),
            c.company.clone().unwrap_or_default(),
            c.language.clone().unwrap_or_default(),
            c.time_zone.clone().unwrap_or_default(),
            c.labels.join(", "),
            c.note.clone(),
            last,
            c.conversation_count.to_string(),
        ];
        cells.extend(page.attributes.iter().map(|a| {
            c.attributes
                .get(a.key.as_str())
                .cloned()
                .unwrap_or_default()
        }));
        out.push_str(&csv_line(cells.iter().map(String::as_str)));
    }
    out
}

/// One CSV line (RFC 4180): formulas defused, cells with commas, quotes or line breaks quoted.
/// A CSV download named `name`.
pub(super) fn csv_file(name: &str, csv: String) -> impl IntoResponse + use<> {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
}

pub(super) fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut line = String::new();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        let cell = csv_safe(cell);
        if cell.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

/// The custom contact attributes, in order.
#[utoipa::path(get, path = "/api/v1/contact-attributes", tag = "contacts",
    responses((status = 200, body = Vec<AttributeDefinition>)))]
async fn attributes(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
) -> Result<Json<Vec<AttributeDefinition>>, ApiError> {
    Ok(Json(contacts::attributes(&app.services, &viewer).await?))
}

/// A new custom attribute (admins): `key` (lower case, digits, `_`), `label`, `type` (`text`,
/// `number`, `date`, `list`, `checkbox`, `url`), `options` (a list's choices),
/// `agent_editable` (default true).
#[utoipa::path(post, path = "/api/v1/contact-attributes", tag = "contacts", request_body = AttributeDraft,
    responses((status = 201, body = AttributeDefinition), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn create_attribute(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    JsonBody(draft): JsonBody<AttributeDraft>,
) -> Result<(StatusCode, Json<AttributeDefinition>), ApiError> {
    let created = contacts::create_attribute(&app.services, &viewer, &origin, draft).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes an attribute's `label`, `options`, `agent_editable` or `position` (admins); its key
/// and type are fixed.
#[utoipa::path(patch, path = "/api/v1/contact-attributes/{key}", tag = "contacts", request_body = AttributeDraft,
    responses((status = 200, body = AttributeDefinition), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn update_attribute(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(key): Path<String>,
    JsonBody(draft): JsonBody<AttributeDraft>,
) -> Result<Json<AttributeDefinition>, ApiError> {
    Ok(Json(
        contacts::update_attribute(&app.services, &viewer, &origin, &key, draft).await?,
    ))
}

/// Deletes an attribute and every contact's value of it (admins).
#[utoipa::path(delete, path = "/api/v1/contact-attributes/{key}", tag = "contacts",
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn delete_attribute(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    contacts::delete_attribute(&app.services, &viewer, &origin, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports contacts from CSV (admins). Rows update the contact their phone (however spelt) or
/// WhatsApp user id finds, or create one; labels the file names are added (and created when
/// new); refused rows are reported by line with the reason and nothing of them is written.
/// Rows are written 500 per transaction: importing the same file again is safe. With
/// `Accept: application/x-ndjson` the answer streams progress lines `{"done": n, "total": m}`
/// and ends with `{"report": …}` (or `{"message": …}` if writing failed).
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts",
    request_body(content_type = "multipart/form-data", description = "`file`: the CSV (UTF-8; `,` or `;` between cells; the first line names the columns). `mapping` (optional): a JSON array with one target per column, in order: `phone`, `user_id`, `name`, `email`, `company`, `language`, `time_zone`, `labels`, `note`, `marketing_consent` (yes/no: recorded in the consent ledger with the file and line), `attr.<key>` or `ignore`; guessed from the headers when absent. `country` (optional): the ISO code of phones written without a country code. `label` (optional): a label every row gets (created if new): how a campaign reaches the contacts of a file."),
    responses((status = 200, body = ImportReport), (status = 403, body = super::error::ErrorBody),
        (status = 413, description = "over 64 MiB"), (status = 422, body = super::error::ErrorBody)))]
async fn import(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    headers: axum::http::HeaderMap,
    mut form: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    crate::service::require_admin(&viewer)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::Invalid(format!("the upload could not be read: {e}"))
    };
    let (mut csv, mut mapping, mut country, mut file_name, mut label) =
        (None, None, None, None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(unreadable)?;
                csv = Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::Invalid("the file is not UTF-8 text: save it as “CSV UTF-8”".into())
                })?);
            }
            Some("mapping") => {
                let text = field.text().await.map_err(unreadable)?;
                if !text.trim().is_empty() {
                    mapping = Some(
                        serde_json::from_str::<Vec<ImportTarget>>(&text)
                            .map_err(|e| ApiError::Invalid(format!("mapping: {e}")))?,
                    );
                }
            }
            Some("label") => label = Some(field.text().await.map_err(unreadable)?),
            Some("country") => {
                let text = field.text().await.map_err(unreadable)?;
                country = Some(text.trim().to_uppercase()).filter(|c| !c.is_empty());
            }
            _ => {}
        }
    }
    let csv = csv.ok_or_else(|| ApiError::Invalid("the upload needs a `file` field".into()))?;
    let request = ImportRequest {
        csv,
        mapping,
        country,
        file_name,
        label,
    };
    let prepared = contact_import::prepare(&app.services, &viewer, request).await?;
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/x-ndjson"));
    if !streamed {
        let report =
            contact_import::write(&app.services, &viewer, &origin, prepared, &|_, _| {}).await?;
        return Ok(Json(report).into_response());
    }
    // The import goes on if the browser leaves: its rows are written either way.
    let (lines, received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let progress_lines = lines.clone();
    tokio::spawn(async move {
        let progress = move |done: usize, total: usize| {
            let _ = progress_lines.send(format!("{{\"done\":{done},\"total\":{total}}}\n"));
        };
        let last = match contact_import::write(&app.services, &viewer, &origin, prepared, &progress)
            .await
        {
            Ok(report) => serde_json::json!({ "report": report }),
            Err(error) => {
                tracing::error!(%error, "contact import failed");
                serde_json::json!({ "message": ApiError::from(error).to_string() })
            }
        };
        let _ = lines.send(format!("{last}\n"));
    });
    let body = tokio_stream::wrappers::UnboundedReceiverStream::new(received)
        .map(Ok::<_, std::convert::Infallible>);
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        )
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// What to merge into a contact.
#[derive(serde::Deserialize, utoipa::ToSchema)]
struct MergeRequest {
    /// The duplicate: merged in, then deleted.
    contact_id: i64,
}

/// Merges another contact into this one (admins): its conversations, labels, attribute values
/// (this contact's win where both have one), the fields this one lacks and its note move here;
/// the other record is deleted. Audited.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", request_body = MergeRequest,
    responses((status = 200, body = ContactDetails), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn merge(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<MergeRequest>,
) -> Result<Json<ContactDetails>, ApiError> {
    let merged = contacts::merge(&app.services, &viewer, &origin, id, request.contact_id).await?;
    Ok(Json(views::contact_details(&merged)))
}

/// What an erasure removed.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ErasureReport {
    conversations: i64,
    messages: i64,
    /// Meta's raw webhooks (the intake journal) that named the customer.
    webhooks: i64,
    media_files: usize,
}

/// Erases a contact (admins; a GDPR request): names, phone, user id, profile, labels, values,
/// note, the text and media of every message with them, the team's notes on their
/// conversations and the raw webhooks that name them. Their conversations and messages stay as
/// anonymous rows so that counts survive. Audited (without the erased data).
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    responses((status = 200, body = ErasureReport), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)))]
async fn erase(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<Json<ErasureReport>, ApiError> {
    let erased = contacts::erase(&app.services, &viewer, &origin, id).await?;
    Ok(Json(ErasureReport {
        conversations: erased.conversations,
        messages: erased.messages,
        webhooks: erased.webhooks,
        media_files: erased.media_paths.len(),
    }))
}

/// Everything Parley holds about a contact (admins; a GDPR access request), as a ZIP:
/// `contact.json` (profile, labels, values, note, every conversation with its messages and the
/// team's internal notes) and their media files under `media/`. Audited.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/export", tag = "contacts",
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
async fn export_one(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let bytes = crate::service::contact_export::export(&app.services, &viewer, &origin, id).await?;
    let disposition = format!("attachment; filename=\"contact-{id}.zip\"");
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        )
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
        )
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Which number to write from.
#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
struct StartRequest {
    /// The business number; by default the one the contact last wrote to, else the only one.
    #[serde(default)]
    phone_number_id: Option<String>,
}

/// Starts a conversation with the contact (their unresolved one on that number, else their
/// latest reopened, else a new one) and answers it; no message is sent. 422 for a contact
/// without a phone number.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/conversations", tag = "contacts", request_body = StartRequest,
    responses((status = 201, body = parley_app::model::ConversationSummary),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
async fn start_conversation(
    State(app): State<AppState>,
    RequireViewer(viewer): RequireViewer,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<StartRequest>,
) -> Result<(StatusCode, Json<parley_app::model::ConversationSummary>), ApiError> {
    let conversation =
        contacts::start_conversation(&app.services, &viewer, id, request.phone_number_id).await?;
    let found = app
        .services
        .store
        .conversations
        .get(conversation)
        .await
        .map_err(crate::service::ServiceError::from)?
        .ok_or(ApiError::NotFound("conversation"))?;
    Ok((StatusCode::CREATED, Json(views::conversation(&found))))
}
