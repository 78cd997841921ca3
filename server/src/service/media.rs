//! Media members upload (checked against Meta's types and sizes, kept locally so the thread
//! shows it, uploaded to Meta once per file and number) and media members fetch.
//!
//! A file streams to disk as it arrives, hashed on the way, never whole in memory; a few
//! uploads at a time; everything stored stays under the media quota.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{StoredMedia, UploadFile, UploadedMedia};
use crate::whatsapp::ids::PhoneNumberId;
use parley_app::compose::{media_kind_for, media_rules};
use parley_app::model::Viewer;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::OwnedSemaphorePermit;

/// Uploads streamed to disk at once; more get [`ServiceError::Busy`].
pub const MAX_CONCURRENT_UPLOADS: usize = 4;
/// Meta keeps uploaded media for 30 days; reuse an upload for a little less than that.
const REUSE_UPLOADS_FOR: Duration = Duration::from_secs(29 * 24 * 3600);

/// A place among the uploads in progress, held until the upload ends.
pub fn upload_slot(svc: &Services) -> ServiceResult<OwnedSemaphorePermit> {
    svc.uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| ServiceError::Busy {
            retry_after_secs: 5,
        })
}

/// Guesses a media type from a file name, for browsers that send none.
pub fn mime_from_filename(filename: &str) -> Option<&'static str> {
    let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "opus" => "audio/ogg",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// A file on its way in: written to a temporary file beside its final place as its bytes
/// arrive, hashed, and held to Meta's size for its kind and to the room left under the quota.
pub struct Incoming {
    temp: TempFile,
    out: tokio::fs::File,
    digest: Sha256,
    size: u64,
    max_bytes: u64,
    room: u64,
    quota_message: String,
    filename: Option<String>,
    mime_type: String,
    kind: &'static str,
}

/// A file that arrived whole.
pub struct ReceivedFile {
    temp: TempFile,
    pub sha256: String,
    pub size: u64,
    pub filename: Option<String>,
    pub mime_type: String,
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: &'static str,
}

fn internal(what: &str, path: &Path, error: std::io::Error) -> ServiceError {
    ServiceError::Internal(format!("{what} {}: {error}", path.display()))
}

/// Starts receiving a file; `declared` is the type the client said, if any.
pub async fn begin(
    svc: &Services,
    filename: Option<String>,
    declared: Option<String>,
) -> ServiceResult<Incoming> {
    let filename = filename
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(&name).to_owned())
        .filter(|name| !name.is_empty());
    let mime_type = declared
        .filter(|t| t != "application/octet-stream")
        .or_else(|| {
            filename
                .as_deref()
                .and_then(mime_from_filename)
                .map(str::to_owned)
        })
        .ok_or_else(|| ServiceError::Invalid("the file's media type is unknown".into()))?;
    let kind = media_kind_for(&mime_type).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "WhatsApp does not accept {mime_type} files (images: JPEG, PNG; video: MP4, 3GPP; \
             audio: AAC, AMR, MP3, M4A, OGG; documents: PDF, text, Office; stickers: WebP)"
        ))
    })?;
    let (_, max_bytes) = media_rules(kind).unwrap_or((&[], 0));
    let storage = svc.config.media_storage();
    let room = storage.room(&svc.store).await?;
    let directory = uploads_dir(svc);
    tokio::fs::create_dir_all(&directory)
        .await
        .map_err(|e| internal("creating", &directory, e))?;
    let temp = TempFile::new_in(&directory);
    let out = tokio::fs::File::create(temp.path())
        .await
        .map_err(|e| internal("writing", temp.path(), e))?;
    Ok(Incoming {
        temp,
        out,
        digest: Sha256::new(),
        size: 0,
        max_bytes,
        room,
        quota_message: storage.quota_message(),
        filename,
        mime_type,
        kind,
    })
}

fn uploads_dir(svc: &Services) -> PathBuf {
    svc.config.data_dir.join("uploads")
}

impl Incoming {
    /// The next bytes of the file.
    pub async fn push(&mut self, chunk: &[u8]) -> ServiceResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.max_bytes {
            return Err(ServiceError::Invalid(format!(
                "a {} may be at most {} KiB; this file is larger",
                self.kind,
                self.max_bytes / 1024,
            )));
        }
        if self.size > self.room {
            return Err(ServiceError::StorageFull(self.quota_message.clone()));
        }
        self.digest.update(chunk);
        self.out
            .write_all(chunk)
            .await
            .map_err(|e| internal("writing", self.temp.path(), e))
    }

    /// The whole file, on disk.
    pub async fn finish(self) -> ServiceResult<ReceivedFile> {
        self.out
            .sync_all()
            .await
            .map_err(|e| internal("writing", self.temp.path(), e))?;
        if self.size == 0 {
            return Err(ServiceError::Invalid("the file is empty".into()));
        }
        Ok(ReceivedFile {
            temp: self.temp,
            sha256: hex::encode(self.digest.finalize()),
            size: self.size,
            filename: self.filename,
            mime_type: self.mime_type,
            kind: self.kind,
        })
    }
}

/// Which business number an upload is for.
pub enum UploadFor {
    /// A number the client named (it must be the account's).
    Number(String),
    /// The number of this conversation.
    Conversation(i64),
    /// The account's only number.
    OnlyNumber,
    /// Any of the account's numbers (a canned reply's file, sent again for the number of each
    /// conversation it is used in).
    AnyNumber,
}

/// What an upload produced.
pub struct Uploaded {
    pub media: UploadedMedia,
    pub kind: &'static str,
    /// The same file was uploaded for this number recently: its media id is reused.
    pub reused: bool,
}

/// A business number of this account, by id; anything else is refused before any Graph call.
pub async fn known_number(svc: &Services, raw: &str) -> ServiceResult<PhoneNumberId> {
    let number = PhoneNumberId::parse(raw).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let known = svc.store.numbers.list().await?;
    if known.iter().any(|n| n.phone_number_id == number.as_str()) {
        Ok(number)
    } else {
        Err(ServiceError::Invalid(format!(
            "{number} is not a business number of this account"
        )))
    }
}

async fn number_for(svc: &Services, target: UploadFor) -> ServiceResult<PhoneNumberId> {
    match target {
        UploadFor::Number(raw) => known_number(svc, raw.trim()).await,
        UploadFor::Conversation(id) => {
            let route = svc
                .store
                .conversations
                .route(id)
                .await?
                .ok_or(ServiceError::NotFound("conversation"))?;
            known_number(svc, &route.phone_number_id).await
        }
        UploadFor::AnyNumber => match svc.store.numbers.list().await?.first() {
            Some(first) => PhoneNumberId::parse(&first.phone_number_id)
                .map_err(|e| ServiceError::Internal(e.to_string())),
            None => Err(ServiceError::Conflict(
                "no business number is known yet".into(),
            )),
        },
        UploadFor::OnlyNumber => match svc.store.numbers.list().await?.as_slice() {
            [only] => PhoneNumberId::parse(&only.phone_number_id)
                .map_err(|e| ServiceError::Internal(e.to_string())),
            [] => Err(ServiceError::Conflict(
                "no business number is known yet".into(),
            )),
            _ => Err(ServiceError::Invalid(
                "this account has several numbers: say which with phone_number_id or \
                 conversation_id"
                    .into(),
            )),
        },
    }
}

/// Keeps a received file and uploads it to Meta for the number (or reuses an upload of the
/// same file from the last 29 days).
pub async fn upload(
    svc: &Services,
    _viewer: &Viewer,
    file: ReceivedFile,
    target: UploadFor,
) -> ServiceResult<Uploaded> {
    let number = number_for(svc, target).await?;
    let now = svc.now();
    let since = now.minus(REUSE_UPLOADS_FOR);
    if let Some(earlier) = svc
        .store
        .media
        .reusable_upload(&file.sha256, number.as_str(), since)
        .await?
    {
        return Ok(Uploaded {
            media: earlier,
            kind: file.kind,
            reused: true,
        });
    }
    // Kept under its digest: the same file uploaded twice is stored once.
    let path = uploads_dir(svc).join(&file.sha256);
    file.temp
        .persist(&path)
        .await
        .map_err(|e| internal("writing", &path, e))?;
    let on_disk = UploadFile {
        media: UploadedMedia {
            media_id: String::new(),
            mime_type: file.mime_type,
            size_bytes: file.size as i64,
            filename: file.filename,
            phone_number_id: number.to_string(),
        },
        sha256: file.sha256,
        path: path.to_string_lossy().into_owned(),
    };
    let media = send_to_meta(svc, &number, on_disk).await?;
    Ok(Uploaded {
        media,
        kind: file.kind,
        reused: false,
    })
}

/// Uploads Parley's copy of a file to Meta for `number`, and records the new media id.
async fn send_to_meta(
    svc: &Services,
    number: &PhoneNumberId,
    file: UploadFile,
) -> ServiceResult<UploadedMedia> {
    let graph = svc.graph()?;
    let path = PathBuf::from(&file.path);
    let kind = media_kind_for(&file.media.mime_type).unwrap_or("document");
    let upload_name = file
        .media
        .filename
        .clone()
        .unwrap_or_else(|| format!("{kind}-{}", file.sha256));
    let stream = tokio::fs::File::open(&path)
        .await
        .map_err(|e| internal("reading", &path, e))?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(stream));
    let size = u64::try_from(file.media.size_bytes).unwrap_or_default();
    let media_id = graph
        .upload_media(number, body, size, &file.media.mime_type, &upload_name)
        .await?;
    let media = UploadedMedia {
        media_id,
        phone_number_id: number.to_string(),
        ..file.media
    };
    svc.store
        .media
        .record_upload(&media, &file.sha256, &file.path, svc.now())
        .await?;
    Ok(media)
}

/// An earlier upload (a canned reply's attachment, say), made sendable on `target`'s number:
/// its own media id when it was uploaded for that number in the last 29 days, else the same
/// file uploaded again from Parley's copy.
pub async fn reuse(
    svc: &Services,
    _viewer: &Viewer,
    media_id: &str,
    target: UploadFor,
) -> ServiceResult<Uploaded> {
    let file = svc
        .store
        .media
        .upload_file(media_id)
        .await?
        .ok_or(ServiceError::NotFound("media"))?;
    let kind = media_kind_for(&file.media.mime_type)
        .ok_or_else(|| ServiceError::Invalid("this file cannot be sent".into()))?;
    let number = number_for(svc, target).await?;
    let since = svc.now().minus(REUSE_UPLOADS_FOR);
    if let Some(earlier) = svc
        .store
        .media
        .reusable_upload(&file.sha256, number.as_str(), since)
        .await?
    {
        return Ok(Uploaded {
            media: earlier,
            kind,
            reused: true,
        });
    }
    let media = send_to_meta(svc, &number, file).await?;
    Ok(Uploaded {
        media,
        kind,
        reused: false,
    })
}

/// A stored media file, for a signed-in member.
pub async fn file(svc: &Services, _viewer: &Viewer, media_id: &str) -> ServiceResult<StoredMedia> {
    svc.store
        .media
        .file(media_id)
        .await?
        .ok_or(ServiceError::NotFound("media"))
}

/// A file that is removed unless it is moved into place.
struct TempFile(Option<PathBuf>);

impl TempFile {
    /// A fresh name in `directory` (the file itself is created by the writer).
    fn new_in(directory: &Path) -> TempFile {
        let name = format!(".upload-{:016x}", rand::random::<u64>());
        TempFile(Some(directory.join(name)))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().expect("not yet persisted")
    }

    /// Moves the file to `to`, replacing what is there (the same bytes, by digest).
    async fn persist(mut self, to: &Path) -> std::io::Result<()> {
        let from = self.0.take().expect("persisted once");
        tokio::fs::rename(&from, to).await
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
