//! Recovery codes: ten one-time codes a member keeps for when their authenticator app is
//! gone. 60 random bits each, written `abcd-efgh-ijkm`; only their SHA-256 digest is stored
//! (like API tokens, a fast digest suffices for values nobody can guess).

use rand::Rng as _;

pub const COUNT: usize = 10;
/// Easy to read aloud and type: no 0/o, 1/l/i.
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";

/// Ten fresh codes.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let symbols: Vec<char> = (0..12)
                .map(|_| ALPHABET[rng.gen_range(0..31)] as char)
                .collect();
            symbols
                .chunks(4)
                .map(|chunk| chunk.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The form a code is compared in: lower case, without dashes or spaces.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether what a member typed is a recovery code rather than an app's six digits.
pub fn looks_like_code(code: &str) -> bool {
    let code = normalise(code);
    code.len() == 12 && code.bytes().all(|b| ALPHABET[..31].contains(&b))
}

pub fn digest(code: &str) -> String {
    super::token::digest(&normalise(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_distinct_readable_and_recognised_however_typed() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 14, "{code}");
            assert!(looks_like_code(code));
            assert_eq!(digest(code), digest(&code.to_uppercase().replace('-', " ")));
        }
        assert!(!looks_like_code("123456"), "an app's code");
        assert!(!looks_like_code("abcd-efgh-ijk0"), "no zero");
        assert_ne!(digest(&codes[0]), digest(&codes[1]));
    }
}
