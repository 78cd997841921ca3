//! The ids Meta gives Graph API objects, checked once where they enter Parley. The Graph client
//! builds every URL from these types, each id one percent-encoded path segment, so no caller
//! can steer a request (and the access token) to another edge, version or host.

use std::fmt;

/// Why a text is not a usable id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be {rule}, not {shown:?}")]
pub struct InvalidId {
    what: &'static str,
    rule: &'static str,
    shown: String,
}

impl InvalidId {
    fn new(what: &'static str, rule: &'static str, raw: &str) -> Self {
        InvalidId {
            what,
            rule,
            shown: raw.chars().take(40).collect(),
        }
    }
}

/// Meta's numeric object ids (phone numbers, business accounts, apps) fit in 64 bits.
const MAX_NUMERIC_DIGITS: usize = 20;

fn numeric(what: &'static str, raw: &str) -> Result<String, InvalidId> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_NUMERIC_DIGITS
        && raw.bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(InvalidId::new(what, "digits only", raw))
    }
}

/// An opaque id that will become exactly one path segment: printable, without the characters
/// that end a segment, and never a dot segment (which a URL parser would resolve away).
fn opaque(what: &'static str, raw: &str) -> Result<String, InvalidId> {
    let valid = !raw.is_empty()
        && raw.len() <= 256
        && !matches!(raw, "." | "..")
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'\\' | b'?' | b'#' | b'%'));
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(InvalidId::new(
            what,
            "one printable segment without / \\ ? # %",
            raw,
        ))
    }
}

macro_rules! graph_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                $check($what, raw).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(raw: &str) -> Result<Self, InvalidId> {
                $name::parse(raw)
            }
        }
    };
}

graph_id!(
    /// A business phone number's id (not the phone number itself).
    PhoneNumberId,
    "a phone number id",
    numeric
);
graph_id!(
    /// A WhatsApp Business Account's id.
    WabaId,
    "a WhatsApp Business Account id",
    numeric
);
graph_id!(
    /// A Meta app's id (template media samples go through its resumable upload).
    AppId,
    "a Meta app id",
    numeric
);
graph_id!(
    /// A media object's id, as uploads answer and webhooks carry it.
    MediaId,
    "a media id",
    opaque
);
graph_id!(
    /// A message template's id.
    TemplateId,
    "a template id",
    numeric
);

/// A resumable upload session, as `POST /{app-id}/uploads` answers it: `upload:<session>`,
/// optionally followed by `?sig=…`, which belongs in the query string, not the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSession {
    segment: String,
    /// Passed on as Meta wrote it (`+` in a signature must not become a space).
    query: Option<String>,
}

impl UploadSession {
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
        let segment = opaque("an upload session", path)?;
        if !segment.starts_with("upload:") {
            return Err(InvalidId::new(
                "an upload session",
                "upload:<session id>",
                raw,
            ));
        }
        if query.bytes().any(|b| !b.is_ascii_graphic() || b == b'#') {
            return Err(InvalidId::new(
                "an upload session",
                "a query of printable characters",
                raw,
            ));
        }
        let query = Some(query.to_owned()).filter(|q| !q.is_empty());
        Ok(UploadSession { segment, query })
    }

    /// The path segment (`upload:<session>`).
    pub fn segment(&self) -> &str {
        &self.segment
    }

    /// The query string the session carries (Meta's `sig=…`).
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_are_digits_only() {
        assert_eq!(
            PhoneNumberId::parse("1100000000001").unwrap().as_str(),
            "1100000000001"
        );
        for hostile in [
            "",
            "900000000001/message_templates?",
            "../_simulator/faults?",
            "12 34",
            "١٢٣",
            "123456789012345678901",
        ] {
            assert!(PhoneNumberId::parse(hostile).is_err(), "{hostile:?}");
            assert!(WabaId::parse(hostile).is_err(), "{hostile:?}");
        }
    }

    #[test]
    fn opaque_ids_are_one_segment() {
        assert!(MediaId::parse("1234567890").is_ok());
        assert!(MediaId::parse("media-1.jpeg").is_ok());
        for hostile in [
            "", ".", "..", "a/b", "a?b", "a#b", "%2e%2e", "a\\b", "a b", "a\nb",
        ] {
            assert!(MediaId::parse(hostile).is_err(), "{hostile:?}");
        }
    }

    #[test]
    fn an_upload_session_keeps_its_signature_in_the_query() {
        let session = UploadSession::parse("upload:MTphdHRhY2g6OWM1?sig=ARZh+q/x").unwrap();
        assert_eq!(session.segment(), "upload:MTphdHRhY2g6OWM1");
        assert_eq!(session.query(), Some("sig=ARZh+q/x"));
        assert!(UploadSession::parse("upload:../x").is_err());
        assert!(UploadSession::parse("12345").is_err());
    }
}
