//! Phone numbers as customers and spreadsheets write them, brought to one form (E.164), and
//! the key that finds one customer however WhatsApp spells their number.

use crate::model::ParseError;
use serde::{Deserialize, Serialize};

/// A phone number in E.164: a country code and subscriber number, 8 to 15 digits in all,
/// kept without the `+` (WhatsApp's `wa_id` spelling).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "+5511987654321"))]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// A number written in international form (`+44 20 7946 0958`, `0044…`, or bare digits
    /// that start with a country code, as WhatsApp sends them).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::parse_with_country(raw, None)
    }

    /// A number in any common spelling; one without a country code (`020 7946 0958`) is read
    /// as a number of `default_country` (ISO 3166 code, e.g. `GB`), its trunk `0` dropped.
    pub fn parse_with_country(
        raw: &str,
        default_country: Option<&str>,
    ) -> Result<Self, ParseError> {
        let invalid = |why: &str| Err(ParseError::new("phone", why));
        // A leading `'` is how spreadsheets (and Parley's own exports) keep `+44…` as text.
        let trimmed = raw.trim().trim_start_matches('\'').trim();
        if trimmed.is_empty() {
            return invalid("is empty");
        }
        // Extensions are not dialled by WhatsApp.
        let trimmed = trimmed
            .split(['x', 'X', ';', ','])
            .next()
            .unwrap_or_default()
            .trim();
        let international = trimmed.starts_with('+') || trimmed.starts_with("00");
        let mut digits = String::with_capacity(trimmed.len());
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                // Arabic-Indic and other Unicode digits count as the digits they are.
                c if c.is_numeric() => match c.to_digit(10).or_else(|| unicode_digit(c)) {
                    Some(d) => digits.push(char::from(b'0' + d as u8)),
                    None => return invalid("contains something that is not a digit"),
                },
                '+' | ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                _ => return invalid("contains something that is not a digit"),
            }
        }
        let national_or_international = if trimmed.starts_with("00") {
            digits[2..].to_owned()
        } else if international {
            digits
        } else {
            match default_country {
                Some(country) => {
                    let Some(code) = calling_code(country) else {
                        return Err(ParseError::new(
                            "country",
                            "is not a country code Parley knows (use ISO codes such as GB or BR)",
                        ));
                    };
                    let national = digits.trim_start_matches('0');
                    if digits.starts_with(code) && digits.len() > 10 {
                        // Already carries the country code, just without the `+`.
                        digits
                    } else {
                        format!("{code}{national}")
                    }
                }
                None => digits,
            }
        };
        let digits = national_or_international;
        if digits.starts_with('0') {
            return invalid("needs a country code (write it as +44 20 7946 0958)");
        }
        match digits.len() {
            0..=7 => invalid("is too short for a phone number"),
            8..=15 => Ok(PhoneNumber(digits)),
            _ => invalid("is longer than 15 digits"),
        }
    }

    /// The digits, as WhatsApp's `wa_id` spells the number.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `+` and the digits.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// The key that finds this customer however the number is spelt: see [`phone_key`].
    pub fn key(&self) -> String {
        phone_key(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> String {
        phone.e164()
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{}", self.0)
    }
}

fn unicode_digit(c: char) -> Option<u32> {
    // Digit blocks that start at a code point ending in 0: Arabic-Indic, Extended
    // Arabic-Indic, Devanagari, Bengali, full-width.
    const ZEROS: [u32; 5] = [0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10];
    let code = c as u32;
    ZEROS
        .iter()
        .find(|zero| (**zero..**zero + 10).contains(&code))
        .map(|zero| code - zero)
}

/// The digits that identify a customer's phone whichever of its spellings WhatsApp or a
/// spreadsheet uses: Brazilian mobiles with and without the ninth digit (`55 11 9xxxx-xxxx`
/// and `55 11 xxxx-xxxx` are one phone) and Mexican mobiles with and without the `1` after
/// `52` (WhatsApp's `wa_id` keeps it; E.164 has dropped it since 2019).
pub fn phone_key(digits: &str) -> String {
    if let Some(rest) = digits.strip_prefix("55")
        && rest.len() == 11
        && rest.as_bytes()[2] == b'9'
    {
        return format!("55{}{}", &rest[..2], &rest[3..]);
    }
    if let Some(rest) = digits.strip_prefix("521")
        && rest.len() == 10
    {
        return format!("52{rest}");
    }
    digits.to_owned()
}

/// The country calling code of an ISO 3166-1 alpha-2 country (any case).
pub fn calling_code(country: &str) -> Option<&'static str> {
    let country = country.trim().to_ascii_uppercase();
    CALLING_CODES
        .iter()
        .find(|(iso, _)| *iso == country)
        .map(|(_, code)| *code)
}

/// The country (ISO 3166-1 alpha-2) a number in international format (`wa_id`: digits, no
/// `+`) is numbered in, by its calling code; `None` when no code matches. Meta prices each
/// message by the recipient's country, so the cost ledger records it.
pub fn country_of(number: &str) -> Option<&'static str> {
    let digits = number.trim().trim_start_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(national) = digits.strip_prefix('1') {
        return Some(north_american(national.get(..3).unwrap_or_default()));
    }
    if let Some(national) = digits.strip_prefix('7') {
        // Kazakhstan shares +7 with Russia: its numbers start 76 and 77.
        let kazakh = national.starts_with('6') || national.starts_with('7');
        return Some(if kazakh { "KZ" } else { "RU" });
    }
    (2..=3)
        .rev()
        .filter_map(|length| digits.get(..length))
        .find_map(|prefix| {
            let home = SHARED_CODE_HOMES.iter().find(|(code, _)| *code == prefix);
            let any = || CALLING_CODES.iter().find(|(_, code)| *code == prefix);
            home.map(|(_, iso)| *iso)
                .or_else(|| any().map(|(iso, _)| *iso))
        })
}

/// Codes several territories share, and the country their numbers are counted in.
const SHARED_CODE_HOMES: &[(&str, &str)] = &[
    ("212", "MA"),
    ("262", "RE"),
    ("358", "FI"),
    ("39", "IT"),
    ("44", "GB"),
    ("47", "NO"),
    ("590", "GP"),
    ("599", "CW"),
    ("61", "AU"),
];

/// +1 is shared by the United States, Canada and Caribbean and Pacific territories, told
/// apart by area code.
fn north_american(area: &str) -> &'static str {
    const CANADA: &[&str] = &[
        "204", "226", "236", "249", "250", "263", "289", "306", "343", "354", "365", "367", "368",
        "382", "387", "403", "416", "418", "428", "431", "437", "438", "450", "460", "468", "474",
        "506", "514", "519", "548", "579", "581", "584", "587", "604", "613", "639", "647", "672",
        "683", "705", "709", "742", "753", "778", "780", "782", "807", "819", "825", "867", "873",
        "879", "902", "905",
    ];
    const OTHERS: &[(&str, &str)] = &[
        ("242", "BS"),
        ("246", "BB"),
        ("264", "AI"),
        ("268", "AG"),
        ("284", "VG"),
        ("340", "VI"),
        ("345", "KY"),
        ("441", "BM"),
        ("473", "GD"),
        ("649", "TC"),
        ("658", "JM"),
        ("664", "MS"),
        ("670", "MP"),
        ("671", "GU"),
        ("684", "AS"),
        ("721", "SX"),
        ("758", "LC"),
        ("767", "DM"),
        ("784", "VC"),
        ("787", "PR"),
        ("809", "DO"),
        ("829", "DO"),
        ("849", "DO"),
        ("868", "TT"),
        ("869", "KN"),
        ("876", "JM"),
        ("939", "PR"),
    ];
    if CANADA.contains(&area) {
        return "CA";
    }
    OTHERS
        .iter()
        .find(|(code, _)| *code == area)
        .map_or("US", |(_, country)| country)
}

/// ITU-T E.164 country codes by ISO 3166-1 alpha-2 code (the North American and Russian
/// shared codes listed under each country that uses them).
const CALLING_CODES: &[(&str, &str)] = &[
    ("AD", "376"),
    ("AE", "971"),
    ("AF", "93"),
    ("AG", "1"),
    ("AI", "1"),
    ("AL", "355"),
    ("AM", "374"),
    ("AO", "244"),
    ("AR", "54"),
    ("AS", "1"),
    ("AT", "43"),
    ("AU", "61"),
    ("AW", "297"),
    ("AZ", "994"),
    ("BA", "387"),
    ("BB", "1"),
    ("BD", "880"),
    ("BE", "32"),
    ("BF", "226"),
    ("BG", "359"),
    ("BH", "973"),
    ("BI", "257"),
    ("BJ", "229"),
    ("BM", "1"),
    ("BN", "673"),
    ("BO", "591"),
    ("BR", "55"),
    ("BS", "1"),
    ("BT", "975"),
    ("BW", "267"),
    ("BY", "375"),
    ("BZ", "501"),
    ("CA", "1"),
    ("CD", "243"),
    ("CF", "236"),
    ("CG", "242"),
    ("CH", "41"),
    ("CI", "225"),
    ("CL", "56"),
    ("CM", "237"),
    ("CN", "86"),
    ("CO", "57"),
    ("CR", "506"),
    ("CU", "53"),
    ("CV", "238"),
    ("CY", "357"),
    ("CZ", "420"),
    ("DE", "49"),
    ("DJ", "253"),
    ("DK", "45"),
    ("DM", "1"),
    ("DO", "1"),
    ("DZ", "213"),
    ("EC", "593"),
    ("EE", "372"),
    ("EG", "20"),
    ("ER", "291"),
    ("ES", "34"),
    ("ET", "251"),
    ("FI", "358"),
    ("FJ", "679"),
    ("FO", "298"),
    ("FR", "33"),
    ("GA", "241"),
    ("GB", "44"),
    ("GD", "1"),
    ("GE", "995"),
    ("GF", "594"),
    ("GH", "233"),
    ("GI", "350"),
    ("GL", "299"),
    ("GM", "220"),
    ("GN", "224"),
    ("GP", "590"),
    ("GQ", "240"),
    ("GR", "30"),
    ("GT", "502"),
    ("GU", "1"),
    ("GW", "245"),
    ("GY", "592"),
    ("HK", "852"),
    ("HN", "504"),
    ("HR", "385"),
    ("HT", "509"),
    ("HU", "36"),
    ("ID", "62"),
    ("IE", "353"),
    ("IL", "972"),
    ("IN", "91"),
    ("IQ", "964"),
    ("IR", "98"),
    ("IS", "354"),
    ("IT", "39"),
    ("JM", "1"),
    ("JO", "962"),
    ("JP", "81"),
    ("KE", "254"),
    ("KG", "996"),
    ("KH", "855"),
    ("KM", "269"),
    ("KN", "1"),
    ("KR", "82"),
    ("KW", "965"),
    ("KY", "1"),
    ("KZ", "7"),
    ("LA", "856"),
    ("LB", "961"),
    ("LC", "1"),
    ("LI", "423"),
    ("LK", "94"),
    ("LR", "231"),
    ("LS", "266"),
    ("LT", "370"),
    ("LU", "352"),
    ("LV", "371"),
    ("LY", "218"),
    ("MA", "212"),
    ("MC", "377"),
    ("MD", "373"),
    ("ME", "382"),
    ("MG", "261"),
    ("MK", "389"),
    ("ML", "223"),
    ("MM", "95"),
    ("MN", "976"),
    ("MO", "853"),
    ("MQ", "596"),
    ("MR", "222"),
    ("MT", "356"),
    ("MU", "230"),
    ("MV", "960"),
    ("MW", "265"),
    ("MX", "52"),
    ("MY", "60"),
    ("MZ", "258"),
    ("NA", "264"),
    ("NC", "687"),
    ("NE", "227"),
    ("NG", "234"),
    ("NI", "505"),
    ("NL", "31"),
    ("NO", "47"),
    ("NP", "977"),
    ("NZ", "64"),
    ("OM", "968"),
    ("PA", "507"),
    ("PE", "51"),
    ("PF", "689"),
    ("PG", "675"),
    ("PH", "63"),
    ("PK", "92"),
    ("PL", "48"),
    ("PR", "1"),
    ("PS", "970"),
    ("PT", "351"),
    ("PY", "595"),
    ("QA", "974"),
    ("RE", "262"),
    ("RO", "40"),
    ("RS", "381"),
    ("RU", "7"),
    ("RW", "250"),
    ("SA", "966"),
    ("SB", "677"),
    ("SC", "248"),
    ("SD", "249"),
    ("SE", "46"),
    ("SG", "65"),
    ("SI", "386"),
    ("SK", "421"),
    ("SL", "232"),
    ("SM", "378"),
    ("SN", "221"),
    ("SO", "252"),
    ("SR", "597"),
    ("SS", "211"),
    ("SV", "503"),
    ("SY", "963"),
    ("SZ", "268"),
    ("TC", "1"),
    ("TD", "235"),
    ("TG", "228"),
    ("TH", "66"),
    ("TJ", "992"),
    ("TL", "670"),
    ("TM", "993"),
    ("TN", "216"),
    ("TO", "676"),
    ("TR", "90"),
    ("TT", "1"),
    ("TW", "886"),
    ("TZ", "255"),
    ("UA", "380"),
    ("UG", "256"),
    ("US", "1"),
    ("UY", "598"),
    ("UZ", "998"),
    ("VC", "1"),
    ("VE", "58"),
    ("VG", "1"),
    ("VI", "1"),
    ("VN", "84"),
    ("VU", "678"),
    ("WS", "685"),
    ("YE", "967"),
    ("ZA", "27"),
    ("ZM", "260"),
    ("ZW", "263"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str, country: Option<&str>) -> Result<String, String> {
        PhoneNumber::parse_with_country(raw, country)
            .map(|p| p.e164())
            .map_err(|e| e.problem)
    }

    #[test]
    fn common_spellings_become_e164() {
        for raw in [
            "+44 20 7946 0958",
            "0044 20 7946 0958",
            "+44-20-7946-0958",
            "442079460958",
        ] {
            assert_eq!(parsed(raw, None).as_deref(), Ok("+442079460958"), "{raw}");
        }
        assert_eq!(
            parsed("020 7946 0958", Some("gb")).as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            parsed("(415) 555-0100", Some("US")).as_deref(),
            Ok("+14155550100")
        );
        assert_eq!(
            parsed("+1 415 555 0100 x12", None).as_deref(),
            Ok("+14155550100")
        );
        // Arabic-Indic digits.
        assert_eq!(
            parsed("+٩٧١٥٠١٢٣٤٥٦٧", None).as_deref(),
            Ok("+971501234567")
        );
    }

    #[test]
    fn what_is_not_a_phone_number_says_why() {
        assert!(parsed("", None).unwrap_err().contains("empty"));
        assert!(
            parsed("=HYPERLINK(1)", None)
                .unwrap_err()
                .contains("not a digit")
        );
        assert!(
            parsed("020 7946 0958", None)
                .unwrap_err()
                .contains("country code")
        );
        assert!(parsed("+1234", None).unwrap_err().contains("too short"));
        assert!(
            parsed("+1234567890123456", None)
                .unwrap_err()
                .contains("15 digits")
        );
        assert!(parsed("0207946", Some("ZZ")).is_err());
    }

    #[test]
    fn brazil_and_mexico_spellings_share_a_key() {
        let key = |raw: &str| PhoneNumber::parse(raw).unwrap().key();
        // Brazilian mobile, with and without the ninth digit.
        assert_eq!(key("+55 11 98765-4321"), key("+55 11 8765-4321"));
        // Mexican mobile, as WhatsApp and as E.164 spell it.
        assert_eq!(key("+52 1 55 1234 5678"), key("+52 55 1234 5678"));
        // Others are their digits.
        assert_eq!(key("+44 20 7946 0958"), "442079460958");
    }

    #[test]
    fn every_country_code_is_digits() {
        for (iso, code) in CALLING_CODES {
            assert_eq!(iso.len(), 2);
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{iso}");
        }
        assert_eq!(calling_code("br"), Some("55"));
    }
    #[test]
    fn numbers_are_placed_in_a_country_by_their_calling_code() {
        for (number, country) in [
            ("447700900123", "GB"),
            ("+5511987654321", "BR"),
            ("919876543210", "IN"),
            ("971501234567", "AE"),
            ("2348012345678", "NG"),
            ("8613800138000", "CN"),
            ("85291234567", "HK"),
            ("358401234567", "FI"),
            ("79161234567", "RU"),
            ("77011234567", "KZ"),
            ("15551234567", "US"),
            ("14165551234", "CA"),
            ("18765551234", "JM"),
            ("17875551234", "PR"),
        ] {
            assert_eq!(country_of(number), Some(country), "{number}");
        }
        for nothing in ["", "abc", "0044123", "8881234"] {
            assert_eq!(country_of(nothing), None, "{nothing}");
        }
    }
}
