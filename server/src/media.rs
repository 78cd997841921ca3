//! Downloads inbound media from Meta into `PARLEY_DATA_DIR`, in the background: the message is
//! shown at once, the picture follows. Each attempt asks Meta for a fresh URL (they expire),
//! streams the file to disk (never whole in memory), checks the SHA-256, renames it into place,
//! and failures retry with backoff. Stored media is kept under a disk quota: a file that would
//! exceed it is not downloaded, and the thread says why.

use crate::domain::{SharedClock, retry};
use crate::graph::{GraphClient, GraphError, MAX_MEDIA_BYTES};
use crate::store::{MediaJob, SharedStore};
use crate::whatsapp::ids::MediaId;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

const MAX_ATTEMPTS: i64 = 8;
const POLL: Duration = Duration::from_secs(2);

/// Where media lives and how much of it may be kept.
#[derive(Clone, Debug)]
pub struct MediaStorage {
    pub data_dir: PathBuf,
    /// Bytes of stored media (downloads and uploads together) Parley may keep.
    pub quota_bytes: u64,
}

impl MediaStorage {
    /// How many more bytes fit under the quota.
    pub async fn room(&self, store: &SharedStore) -> crate::store::StoreResult<u64> {
        let used = u64::try_from(store.media.stored_bytes().await?).unwrap_or(0);
        Ok(self.quota_bytes.saturating_sub(used))
    }

    /// The error a member sees when the quota is full.
    pub fn quota_message(&self) -> String {
        format!(
            "the media storage quota ({} MiB, PARLEY_MEDIA_QUOTA_MB) is full",
            self.quota_bytes / (1024 * 1024)
        )
    }
}

/// The download worker: it looks for due downloads every few seconds.
pub fn spawn_downloader(
    store: SharedStore,
    graph: GraphClient,
    storage: MediaStorage,
    clock: SharedClock,
) {
    tokio::spawn(async move {
        loop {
            match store.media.due(clock.now(), 8).await {
                Ok(jobs) => {
                    for job in jobs {
                        download_one(&store, &graph, &storage, &clock, job).await;
                    }
                }
                Err(error) => tracing::warn!(%error, "media: cannot list pending downloads"),
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

async fn download_one(
    store: &SharedStore,
    graph: &GraphClient,
    storage: &MediaStorage,
    clock: &SharedClock,
    job: MediaJob,
) {
    let outcome = fetch(store, graph, storage, &job).await;
    let now = clock.now();
    let result = match outcome {
        Ok((path, size, mime)) => {
            store
                .media
                .stored(&job.media_id, &path.to_string_lossy(), size, &mime, now)
                .await
        }
        Err(failure) => {
            let attempts = job.attempts + 1;
            let retry_at = (failure.retryable && attempts < MAX_ATTEMPTS)
                .then(|| now.plus(retry::MEDIA_DOWNLOAD.after(attempts as u32)));
            tracing::warn!(media_id = %job.media_id, attempts, error = %failure.reason, retry = retry_at.is_some(), "media download failed");
            store
                .media
                .failed(&job.media_id, &failure.reason, retry_at, now)
                .await
        }
    };
    if let Err(error) = result {
        tracing::warn!(%error, "media: cannot record the download outcome");
    }
}

struct Failure {
    /// Shown to members in the thread: never an upstream body.
    reason: String,
    retryable: bool,
}

impl Failure {
    fn permanent(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            retryable: false,
        }
    }
}

impl From<GraphError> for Failure {
    fn from(error: GraphError) -> Self {
        // An expired or missing URL is worth another attempt: the next one asks for a new URL.
        let retryable = error.is_retryable()
            || matches!(
                error,
                GraphError::Api {
                    status: 401 | 403 | 404,
                    ..
                }
            );
        tracing::debug!(%error, "media: Graph API failure");
        Failure {
            reason: error.for_members(),
            retryable,
        }
    }
}

fn declared_size(value: &Option<serde_json::Value>) -> Option<u64> {
    match value.as_ref()? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

async fn fetch(
    store: &SharedStore,
    graph: &GraphClient,
    storage: &MediaStorage,
    job: &MediaJob,
) -> Result<(PathBuf, i64, String), Failure> {
    let media_id = MediaId::parse(&job.media_id).map_err(|e| Failure::permanent(e.to_string()))?;
    let room = storage.room(store).await.map_err(|e| Failure {
        reason: format!("cannot read the media storage in use: {e}"),
        retryable: true,
    })?;
    let info = graph.media_info(&media_id).await?;
    if declared_size(&info.file_size).is_some_and(|size| size > room) || room == 0 {
        return Err(Failure::permanent(storage.quota_message()));
    }
    let limit = room.min(MAX_MEDIA_BYTES);
    let mime = info
        .mime_type
        .clone()
        .or_else(|| job.mime_type.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    let dir = storage.data_dir.join("media");
    let path = dir.join(file_name(&job.media_id));
    let partial = path.with_extension("partial");
    let mut response = graph.download(&info.url).await?;
    let disk = |e: std::io::Error| Failure {
        reason: format!("cannot write {}: {e}", path.display()),
        retryable: true,
    };
    tokio::fs::create_dir_all(&dir).await.map_err(disk)?;
    let mut file = tokio::fs::File::create(&partial).await.map_err(disk)?;
    let mut digest = Sha256::new();
    let mut size: u64 = 0;
    let written: Result<(), Failure> = async {
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?
        {
            size += chunk.len() as u64;
            if size > limit {
                return Err(if limit < MAX_MEDIA_BYTES {
                    Failure::permanent(storage.quota_message())
                } else {
                    Failure::permanent(format!("the file is larger than {MAX_MEDIA_BYTES} bytes"))
                });
            }
            digest.update(&chunk);
            file.write_all(&chunk).await.map_err(disk)?;
        }
        file.sync_all().await.map_err(disk)
    }
    .await;
    if let Err(failure) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(failure);
    }
    let digest = digest.finalize();
    let expected = job.sha256.as_deref().or(info.sha256.as_deref());
    if let Some(expected) = expected
        && !digest_matches(&digest, expected)
    {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(Failure {
            reason: "downloaded media does not match its SHA-256".into(),
            retryable: true,
        });
    }
    tokio::fs::rename(&partial, &path).await.map_err(disk)?;
    Ok((path, size as i64, mime))
}

/// Meta sends the digest as hex in some places and base64 in others.
fn digest_matches(digest: &[u8], expected: &str) -> bool {
    use base64::Engine as _;
    let expected = expected.trim();
    expected.eq_ignore_ascii_case(&hex::encode(digest))
        || expected == base64::engine::general_purpose::STANDARD.encode(digest)
        || expected == base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
}

/// A file name that cannot escape the media directory, whatever the id contains.
fn file_name(media_id: &str) -> String {
    if !media_id.is_empty()
        && media_id.len() <= 64
        && media_id.chars().all(|c| c.is_ascii_alphanumeric())
    {
        media_id.to_owned()
    } else {
        hex::encode(Sha256::digest(media_id.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_in_either_encoding() {
        let hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let hello = Sha256::digest(b"hello");
        assert!(digest_matches(&hello, hex));
        assert!(digest_matches(
            &hello,
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        ));
        assert!(!digest_matches(&Sha256::digest(b"hullo"), hex));
    }

    #[test]
    fn file_names_stay_inside() {
        assert_eq!(file_name("1234567890"), "1234567890");
        assert_eq!(file_name("../../etc/passwd").len(), 64);
    }
}
