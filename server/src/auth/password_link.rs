//! One-time set-password links. Parley has no mail server, so an admin hands the link over;
//! it carries 256 random bits, only their SHA-256 digest is stored (like API tokens), it works
//! once, and for [`LIFETIME`].

use base64::Engine as _;
use rand::RngCore as _;
use std::time::Duration;

pub const LIFETIME: Duration = Duration::from_secs(72 * 3600);

/// The page that takes the link.
pub const PATH: &str = "/set-password";

/// A fresh link's secret and the digest to store.
pub struct LinkSecret {
    pub secret: String,
    pub digest: String,
}

pub fn mint() -> LinkSecret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    LinkSecret {
        digest: super::token::digest(&secret),
        secret,
    }
}

/// The path (with the secret) a member opens.
pub fn path(secret: &str) -> String {
    format!("{PATH}?token={secret}")
}

/// Whether a presented secret has the shape of one (saves a query if not).
pub fn looks_like_secret(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_url_safe_and_stored_only_as_digests() {
        let first = mint();
        let second = mint();
        assert_ne!(first.secret, second.secret);
        assert!(looks_like_secret(&first.secret));
        assert_eq!(first.digest, crate::auth::token::digest(&first.secret));
        assert!(!first.digest.contains(&first.secret));
        assert_eq!(path("abc"), "/set-password?token=abc");
        assert!(!looks_like_secret("short"));
        assert!(!looks_like_secret(&"a/".repeat(22)[..43]));
    }
}
