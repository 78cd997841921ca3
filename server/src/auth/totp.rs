//! Time-based one-time passwords (RFC 6238, as every authenticator app speaks them): HMAC-SHA1
//! over 30-second steps, 6 digits, one step of clock drift either way. Pure functions with the
//! time passed in; a used step is remembered by the caller so a code works once.

use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps of clock drift accepted either side of now.
const DRIFT: i64 = 1;
/// Bytes of secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

/// A shared secret, in the base32 form apps are given.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        TotpSecret(base32(&bytes))
    }

    /// A stored secret; `None` if it is not base32.
    pub fn from_base32(raw: &str) -> Option<Self> {
        unbase32(raw).map(|_| TotpSecret(raw.to_owned()))
    }

    pub fn as_base32(&self) -> &str {
        &self.0
    }

    /// The `otpauth://` URI an authenticator app reads from the QR code.
    pub fn uri(&self, account: &str) -> String {
        let account: String = account
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        format!(
            "otpauth://totp/Parley:{account}?secret={}&issuer=Parley&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.0
        )
    }

    /// The code for a step.
    fn code_at(&self, step: i64) -> u32 {
        let key = unbase32(&self.0).expect("a valid secret");
        let mut mac = Hmac::<Sha1>::new_from_slice(&key).expect("any key length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = (digest[19] & 0x0f) as usize;
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        binary % 10u32.pow(DIGITS)
    }

    /// The step a presented code matches at `unix_seconds` (within the drift), if any and if it
    /// is later than `last_used`: a code, once used, cannot be used again.
    pub fn verify(&self, code: &str, unix_seconds: i64, last_used: Option<i64>) -> Option<i64> {
        let code = code.trim().replace(' ', "");
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = code.parse().ok()?;
        let now = unix_seconds.div_euclid(STEP_SECONDS);
        (now - DRIFT..=now + DRIFT)
            .filter(|step| last_used.is_none_or(|used| *step > used))
            .find(|step| self.code_at(*step) == wanted)
    }

    /// The code an app shows at `unix_seconds` (for tests and the sandbox).
    pub fn code_now(&self, unix_seconds: i64) -> String {
        format!("{:06}", self.code_at(unix_seconds.div_euclid(STEP_SECONDS)))
    }
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (as otpauth URIs carry it).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([
            0, 0, 0, buffer[0], buffer[1], buffer[2], buffer[3], buffer[4],
        ]);
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..symbols {
            let index = (bits >> (35 - 5 * i)) & 0x1f;
            out.push(ALPHABET[index as usize] as char);
        }
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 secret: the ASCII of "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret(base32(b"12345678901234567890"))
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(unbase32("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(unbase32("mzxw6ytboi").unwrap(), b"foobar", "any case");
        assert!(unbase32("not base32!").is_none());
        let secret = TotpSecret::generate();
        assert_eq!(unbase32(secret.as_base32()).unwrap().len(), SECRET_BYTES);
        assert_ne!(secret, TotpSecret::generate());
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // The RFC's 8-digit values, of which apps show the last 6.
        let secret = rfc_secret();
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_now(time), expected[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_verifies_within_a_step_of_drift_and_only_once() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let code = secret.code_now(now);
        let step = now / STEP_SECONDS;
        assert_eq!(secret.verify(&code, now, None), Some(step));
        assert_eq!(
            secret.verify(&format!(" {} {} ", &code[..3], &code[3..]), now, None),
            Some(step)
        );
        assert_eq!(
            secret.verify(&code, now + STEP_SECONDS, None),
            Some(step),
            "a step late"
        );
        assert_eq!(
            secret.verify(&code, now - STEP_SECONDS, None),
            Some(step),
            "a step early"
        );
        assert_eq!(
            secret.verify(&code, now + 2 * STEP_SECONDS, None),
            None,
            "too late"
        );
        assert_eq!(secret.verify(&code, now, Some(step)), None, "used already");
        assert_eq!(secret.verify("12345", now, None), None);
        assert_eq!(secret.verify("abcdef", now, None), None);
    }

    #[test]
    fn the_uri_names_parley_and_the_account() {
        let secret = rfc_secret();
        let uri = secret.uri("ana@example.com");
        assert!(
            uri.starts_with("otpauth://totp/Parley:ana%40example.com?secret=GEZDGNBV"),
            "{uri}"
        );
        assert!(uri.ends_with("&issuer=Parley&algorithm=SHA1&digits=6&period=30"));
        assert_eq!(format!("{secret:?}"), "TotpSecret(…)", "never printed");
    }
}
