//! Personal API tokens: 256 random bits shown once; only their SHA-256 digest is stored. A
//! fast digest is enough here because the token, unlike a password, cannot be guessed.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

const PREFIX: &str = "pat_";

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
}
