//! Importing contacts from CSV (admins): each row read and checked by the rules of
//! `parley_app::contacts::import`, refused rows reported by line with the reason, the rest
//! written a chunk per transaction. A row updates the contact its phone (however spelt) or
//! WhatsApp user id finds, so importing the same file again (say, after a crash halfway) gives
//! the same contacts, never duplicates.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::store::{ImportRow, NewLabel};
use parley_app::collaboration::{Colour, LabelName};
use parley_app::contacts::{
    ImportReport, ImportTarget, ImportedContact, RejectedRow, parse_csv, read_row,
};
use parley_app::model::Viewer;
use serde_json::json;
use std::collections::HashMap;

/// Rows written per transaction: long enough to be quick, short enough that webhooks waiting
/// for the database (SQLite has one writer) wait milliseconds, not seconds.
const CHUNK: usize = 500;
/// The most rows one import takes.
pub const MAX_ROWS: usize = 200_000;

/// A CSV file and how to read it.
pub struct ImportRequest {
    pub csv: String,
    /// One target per column, in order; guessed from the headers when absent.
    pub mapping: Option<Vec<ImportTarget>>,
    /// ISO country of phones written without a country code.
    pub country: Option<String>,
    /// The file's name: the evidence of the consent it records.
    pub file_name: Option<String>,
    /// A label every row gets besides its own (a campaign's audience from a file).
    pub label: Option<String>,
}

/// How far an import has come: rows written of rows to write.
pub type Progress = dyn Fn(usize, usize) + Send + Sync;

/// Reads, checks and writes a file in one go.
pub async fn import(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    request: ImportRequest,
) -> ServiceResult<ImportReport> {
    let prepared = prepare(svc, viewer, request).await?;
    write(svc, viewer, origin, prepared, &|_, _| {}).await
}

/// A file read and checked, nothing written yet: the rows to write, and those refused.
pub struct PreparedImport {
    rows: Vec<ImportedContact>,
    report: ImportReport,
    file_name: Option<String>,
}

impl PreparedImport {
    /// The rows to write.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }
}

/// Reads and checks the file: a file that cannot be imported at all (not CSV, no phone column,
/// a mapping that does not fit) is refused here, before anything is written.
pub async fn prepare(
    svc: &Services,
    viewer: &Viewer,
    request: ImportRequest,
) -> ServiceResult<PreparedImport> {
    require_admin(viewer)?;
    let records = parse_csv(&request.csv).map_err(ServiceError::Invalid)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(ServiceError::Invalid("the file is empty".into()));
    };
    if rows.len() > MAX_ROWS {
        return Err(ServiceError::Invalid(format!(
            "the file has {} rows; import at most {MAX_ROWS} at a time",
            rows.len()
        )));
    }
    let attributes = svc.store.contacts.attributes().await?;
    let mapping = match request.mapping {
        Some(mapping) if mapping.len() != header.cells.len() => {
            return Err(ServiceError::Invalid(format!(
                "the mapping names {} columns; the file has {}",
                mapping.len(),
                header.cells.len()
            )));
        }
        Some(mapping) => mapping,
        None => header
            .cells
            .iter()
            .map(|h| ImportTarget::guess(h, &attributes))
            .collect(),
    };
    if !mapping
        .iter()
        .any(|t| matches!(t, ImportTarget::Phone | ImportTarget::UserId))
    {
        return Err(ServiceError::Invalid(
            "no column holds the phone: map one to phone (or user_id)".into(),
        ));
    }
    if let Some(country) = &request.country
        && parley_app::contacts::calling_code(country).is_none()
    {
        return Err(ServiceError::Invalid(format!(
            "country {country:?} is not an ISO country code Parley knows (GB, BR, US…)"
        )));
    }
    let label = request
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            LabelName::parse(l)
                .map(|name| name.to_string())
                .map_err(|e| ServiceError::Invalid(format!("label: {e}")))
        })
        .transpose()?;
    let mut report = ImportReport::default();
    let mut read = Vec::with_capacity(rows.len());
    for record in rows {
        match read_row(record, &mapping, &attributes, request.country.as_deref()) {
            Ok(mut row) => {
                row.labels.extend(label.clone());
                read.push(row)
            }
            Err(reason) => report.rejected.push(RejectedRow {
                line: record.line,
                reason,
            }),
        }
    }
    Ok(PreparedImport {
        rows: read,
        report,
        file_name: request.file_name,
    })
}

/// Writes a prepared import a chunk per transaction, telling `progress` after each.
pub async fn write(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    prepared: PreparedImport,
    progress: &Progress,
) -> ServiceResult<ImportReport> {
    require_admin(viewer)?;
    let PreparedImport {
        rows: mut read,
        mut report,
        file_name,
    } = prepared;
    let labels = labels_for(svc, viewer, origin, &mut read, &mut report).await?;
    let total = read.len();
    progress(0, total);
    for (done, chunk) in read.chunks(CHUNK).enumerate() {
        let rows: Vec<ImportRow> = chunk
            .iter()
            .map(|contact| ImportRow {
                labels: contact
                    .labels
                    .iter()
                    .filter_map(|name| labels.get(&name.to_lowercase()).copied())
                    .collect(),
                contact: contact.clone(),
                imported_by: Some(viewer.id),
                file: file_name.clone(),
            })
            .collect();
        let created = svc.store.contacts.import(&rows, svc.now()).await?;
        report.created += created.iter().filter(|c| **c).count();
        report.updated += created.iter().filter(|c| !**c).count();
        progress((done * CHUNK + chunk.len()).min(total), total);
    }
    report.rejected.sort_by_key(|r| r.line);
    let details = json!({
        "created": report.created, "updated": report.updated,
        "rejected": report.rejected.len(), "labels_created": report.labels_created,
    });
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::ContactsImported,
        "contacts".into(),
        details,
    )
    .await;
    Ok(report)
}

/// The ids of the labels the rows name (by lower-case name), creating those that do not exist
/// yet; a row naming a label that cannot be a label name is refused.
async fn labels_for(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    rows: &mut Vec<ImportedContact>,
    report: &mut ImportReport,
) -> ServiceResult<HashMap<String, i64>> {
    let mut ids: HashMap<String, i64> = svc
        .store
        .labels
        .list()
        .await?
        .into_iter()
        .map(|l| (l.name.key(), l.id))
        .collect();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows.drain(..) {
        let mut refused = None;
        for name in &row.labels {
            if ids.contains_key(&name.to_lowercase()) {
                continue;
            }
            match LabelName::parse(name) {
                Ok(label) => {
                    let new = NewLabel {
                        name: label.clone(),
                        colour: Colour::parse("#64748b").expect("a valid colour"),
                        description: "Created by a contact import".into(),
                    };
                    let created = svc.store.labels.create(&new, svc.now()).await?;
                    ids.insert(created.name.key(), created.id);
                    report.labels_created.push(created.name.to_string());
                    let details = json!({"name": created.name.as_str(), "by": "import"});
                    audit::record(
                        svc,
                        Actor::Member(viewer),
                        origin,
                        AuditAction::LabelCreated,
                        format!("label {}", created.id),
                        details,
                    )
                    .await;
                }
                Err(error) => {
                    refused = Some(error.to_string());
                    break;
                }
            }
        }
        match refused {
            Some(reason) => report.rejected.push(RejectedRow {
                line: row.line,
                reason,
            }),
            None => kept.push(row),
        }
    }
    *rows = kept;
    Ok(ids)
}
