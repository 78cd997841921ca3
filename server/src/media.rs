//! Downloads inbound media from Meta into `PARLEY_DATA_DIR`, in the background: the message is
//! shown at once, the picture follows. Each attempt asks Meta for a fresh URL (they expire),
//! checks the SHA-256, writes atomically, and failures retry with backoff.

use crate::graph::{GraphClient, GraphError};
use crate::store::{MediaJob, Millis, SharedStore};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MAX_ATTEMPTS: i64 = 8;
const POLL: Duration = Duration::from_secs(2);

pub fn spawn_downloader(
    store: SharedStore,
    graph: GraphClient,
    data_dir: PathBuf,
    wake: Arc<Notify>,
) {
    tokio::spawn(async move {
        loop {
            match store.due_media(Millis::now(), 8).await {
                Ok(jobs) => {
                    for job in jobs {
                        download_one(&store, &graph, &data_dir, job).await;
                    }
                }
                Err(error) => tracing::warn!(%error, "media: cannot list pending downloads"),
            }
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    });
}

async fn download_one(store: &SharedStore, graph: &GraphClient, data_dir: &Path, job: MediaJob) {
    let outcome = fetch(graph, data_dir, &job).await;
    let result = match outcome {
        Ok((path, size, mime)) => {
            store
                .media_stored(&job.media_id, &path.to_string_lossy(), size, &mime)
                .await
        }
        Err(failure) => {
            let attempts = job.attempts + 1;
            let retry_at = (failure.retryable && attempts < MAX_ATTEMPTS).then(|| {
                Millis::now().plus(Duration::from_secs(2u64.pow(attempts.clamp(1, 12) as u32)))
            });
            tracing::warn!(media_id = %job.media_id, attempts, error = %failure.reason, retry = retry_at.is_some(), "media download failed");
            store
                .media_failed(&job.media_id, &failure.reason, retry_at)
                .await
        }
    };
    if let Err(error) = result {
        tracing::warn!(%error, "media: cannot record the download outcome");
    }
}

struct Failure {
    reason: String,
    retryable: bool,
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
        Failure {
            reason: error.to_string(),
            retryable,
        }
    }
}

async fn fetch(
    graph: &GraphClient,
    data_dir: &Path,
    job: &MediaJob,
) -> Result<(PathBuf, i64, String), Failure> {
    let info = graph.media_info(&job.media_id).await?;
    let bytes = graph.download(&info.url).await?;
    let expected = job.sha256.as_deref().or(info.sha256.as_deref());
    if let Some(expected) = expected
        && !sha256_matches(&bytes, expected)
    {
        return Err(Failure {
            reason: "downloaded media does not match its SHA-256".into(),
            retryable: true,
        });
    }
    let mime = info
        .mime_type
        .or_else(|| job.mime_type.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    let dir = data_dir.join("media");
    let path = dir.join(file_name(&job.media_id));
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, &bytes).await?;
        tokio::fs::File::open(&partial).await?.sync_all().await?;
        tokio::fs::rename(&partial, &path).await
    };
    write.await.map_err(|e| Failure {
        reason: format!("cannot write {}: {e}", path.display()),
        retryable: true,
    })?;
    Ok((path, bytes.len() as i64, mime))
}

/// Meta sends the digest as hex in some places and base64 in others.
fn sha256_matches(bytes: &[u8], expected: &str) -> bool {
    use base64::Engine as _;
    let digest = Sha256::digest(bytes);
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
        assert!(sha256_matches(b"hello", hex));
        assert!(sha256_matches(
            b"hello",
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        ));
        assert!(!sha256_matches(b"hullo", hex));
    }

    #[test]
    fn file_names_stay_inside() {
        assert_eq!(file_name("1234567890"), "1234567890");
        assert_eq!(file_name("../../etc/passwd").len(), 64);
    }
}
