//! Personal API tokens: 256 random bits shown once; only their SHA-256 digest is stored. A
//! fast digest is enough here because the token, unlike a password, cannot be guessed. Each
//! token has a name, an expiry (90 days unless chosen otherwise) and can be revoked alone.

use crate::domain::Millis;
use crate::store::{ApiToken, NewApiToken, SharedStore, StoreResult};
use base64::Engine as _;
use parley_app::model::UserId;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use std::time::Duration;

const PREFIX: &str = "pat_";
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;
pub const MAX_LIFETIME_DAYS: u32 = 3650;

/// A freshly minted token and the digest to store.
pub struct NewToken {
    pub token: String,
    pub digest: String,
}

pub fn mint() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    NewToken {
        digest: digest(&token),
        token,
    }
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented bearer value has the shape of a Parley token (saves a query if not).
pub fn looks_like_token(value: &str) -> bool {
    value.starts_with(PREFIX) && value.len() == PREFIX.len() + 43
}

/// A token's name: what it is for, 1 to 100 printable characters.
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("a token needs a name (what it is for)".into()),
        n if n > 100 => Err("a token's name may have at most 100 characters".into()),
        _ if name.chars().any(char::is_control) => {
            Err("a token's name must not contain control characters".into())
        }
        _ => Ok(name.to_owned()),
    }
}

/// How long a new token works: `days` from 1 to 3,650 (`None`: the default of 90 days).
pub fn lifetime(days: Option<u32>) -> Result<Duration, String> {
    match days.unwrap_or(DEFAULT_LIFETIME_DAYS) {
        days @ 1..=MAX_LIFETIME_DAYS => Ok(Duration::from_secs(u64::from(days) * 24 * 3600)),
        other => Err(format!(
            "a token may live 1 to {MAX_LIFETIME_DAYS} days, not {other}"
        )),
    }
}

/// Mints a token for `user` and stores its digest; answers the token (to show once) and its
/// record. `lifetime` `None` never expires (the command line's choice only).
pub async fn issue(
    store: &SharedStore,
    user: UserId,
    name: String,
    lifetime: Option<Duration>,
    now: Millis,
) -> StoreResult<(String, ApiToken)> {
    let minted = mint();
    let record = store
        .team
        .create_api_token(
            &NewApiToken {
                user,
                digest: minted.digest,
                name,
                expires_at: lifetime.map(|lifetime| now.plus(lifetime)),
            },
            now,
        )
        .await?;
    Ok((minted.token, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_digests_stable() {
        let a = mint();
        let b = mint();
        assert_ne!(a.token, b.token);
        assert!(looks_like_token(&a.token));
        assert_eq!(digest(&a.token), a.digest);
        assert_eq!(a.digest.len(), 64);
    }

    #[test]
    fn names_and_lifetimes_are_checked() {
        assert_eq!(parse_name("  CI deploys ").unwrap(), "CI deploys");
        assert!(parse_name(" ").is_err());
        assert!(parse_name("a\nb").is_err());
        assert_eq!(lifetime(None).unwrap(), Duration::from_secs(90 * 24 * 3600));
        assert!(lifetime(Some(0)).is_err());
        assert!(lifetime(Some(3651)).is_err());
    }
}
