//! Contacts from a spreadsheet: CSV as Excel, Google Sheets and other CRMs write it (RFC 4180,
//! `,` or `;` between cells, a byte-order mark, line breaks inside quoted cells), which column
//! means what (guessed from the headers, or as the member maps them), and each row read into a
//! contact or refused with the reason. The browser uses the same rules for its preview as the
//! server for the import.

use super::{
    AttributeDefinition, AttributeKey, PhoneNumber, parse_language, parse_line, parse_note,
    parse_time_zone,
};
use crate::model::Email;
use serde::{Deserialize, Serialize};

/// A CSV record and the line of the file it starts on (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads CSV text into records: the first is the header. Cells are separated by `,` or by `;`
/// (whichever the header line has more of, outside quotes).
pub fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let separator = separator_of(text.lines().next().unwrap_or_default());
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            c if c == separator => cells.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                cells.push(std::mem::take(&mut cell));
                if !(cells.len() == 1 && cells[0].is_empty()) {
                    records.push(CsvRecord {
                        line: record_line,
                        cells: std::mem::take(&mut cells),
                    });
                }
                cells.clear();
                line += 1;
                record_line = line;
            }
            c => cell.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "line {record_line}: a quoted cell is never closed (a \" is missing)"
        ));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push(CsvRecord {
            line: record_line,
            cells,
        });
    }
    Ok(records)
}

fn separator_of(header: &str) -> char {
    let mut quoted = false;
    let (mut commas, mut semicolons) = (0, 0);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { ';' } else { ',' }
}

/// What a column holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ImportTarget {
    Phone,
    /// The business-scoped user id WhatsApp gave the customer.
    UserId,
    Name,
    Email,
    Company,
    Language,
    TimeZone,
    /// Label names, separated by `,`, `;` or `|`; added to the contact's labels.
    Labels,
    Note,
    /// Marketing consent: yes / no (and the usual spellings); recorded in the contact's
    /// consent ledger with the file and line as evidence.
    MarketingConsent,
    Attribute(AttributeKey),
    Ignore,
}

impl ImportTarget {
    pub fn as_string(&self) -> String {
        match self {
            ImportTarget::Phone => "phone".into(),
            ImportTarget::UserId => "user_id".into(),
            ImportTarget::Name => "name".into(),
            ImportTarget::Email => "email".into(),
            ImportTarget::Company => "company".into(),
            ImportTarget::Language => "language".into(),
            ImportTarget::TimeZone => "time_zone".into(),
            ImportTarget::Labels => "labels".into(),
            ImportTarget::Note => "note".into(),
            ImportTarget::MarketingConsent => "marketing_consent".into(),
            ImportTarget::Attribute(key) => format!("attr.{key}"),
            ImportTarget::Ignore => "ignore".into(),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Ok(match raw.trim() {
            "phone" => ImportTarget::Phone,
            "user_id" | "bsuid" => ImportTarget::UserId,
            "name" => ImportTarget::Name,
            "email" => ImportTarget::Email,
            "company" => ImportTarget::Company,
            "language" => ImportTarget::Language,
            "time_zone" => ImportTarget::TimeZone,
            "labels" => ImportTarget::Labels,
            "note" => ImportTarget::Note,
            "marketing_consent" => ImportTarget::MarketingConsent,
            "ignore" | "" => ImportTarget::Ignore,
            other => match other.strip_prefix("attr.") {
                Some(key) => ImportTarget::Attribute(
                    AttributeKey::parse(key).map_err(|e| format!("{other}: {e}"))?,
                ),
                None => {
                    return Err(format!(
                        "{other:?} is not a column Parley imports: phone, user_id, name, email, \
                         company, language, time_zone, labels, note, marketing_consent, \
                         attr.<key> or ignore"
                    ));
                }
            },
        })
    }

    /// What a header most likely means: Parley's own export's headers, the usual names in
    /// English, and attributes by key or label; `Ignore` when nothing fits.
    pub fn guess(header: &str, attributes: &[AttributeDefinition]) -> Self {
        let folded: String = header
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let folded = folded.trim_matches('_');
        if let Ok(parsed) = ImportTarget::parse(folded)
            && parsed != ImportTarget::Ignore
        {
            return parsed;
        }
        match folded {
            "phone_number" | "mobile" | "mobile_phone" | "cell" | "whatsapp"
            | "whatsapp_number" | "wa_id" | "telephone" | "tel" | "number" | "msisdn"
            | "telefone" | "telefono" | "teléfono" | "téléphone" | "telefon" | "celular"
            | "móvil" | "movil" | "handy" | "电话" | "手机" | "手机号" | "電話" => {
                ImportTarget::Phone
            }
            "full_name" | "contact_name" | "customer" | "customer_name" | "display_name"
            | "nome" | "nombre" | "nom" | "姓名" | "名字" => ImportTarget::Name,
            "e_mail" | "email_address" | "mail" | "correo" | "邮箱" => ImportTarget::Email,
            "organisation" | "organization" | "business" | "company_name" | "empresa" | "firma"
            | "société" | "公司" => ImportTarget::Company,
            "locale" | "lang" => ImportTarget::Language,
            "timezone" | "tz" | "zone" => ImportTarget::TimeZone,
            "tags" | "label" | "tag" => ImportTarget::Labels,
            "notes" | "comment" | "comments" => ImportTarget::Note,
            "consent" | "marketing" | "opt_in" | "optin" | "opted_in" | "accepts_marketing"
            | "marketing_opt_in" | "subscribed" | "营销同意" => ImportTarget::MarketingConsent,
            _ => attributes
                .iter()
                .find(|a| {
                    a.key.as_str() == folded
                        || a.label.to_lowercase() == header.trim().to_lowercase()
                })
                .map(|a| ImportTarget::Attribute(a.key.clone()))
                .unwrap_or(ImportTarget::Ignore),
        }
    }
}

impl TryFrom<String> for ImportTarget {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ImportTarget::parse(&value)
    }
}

impl From<ImportTarget> for String {
    fn from(target: ImportTarget) -> String {
        target.as_string()
    }
}

/// One row of an import, read and checked: empty cells are `None` (the contact keeps what it
/// has); attribute values are in their canonical form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedContact {
    pub line: usize,
    pub phone: Option<PhoneNumber>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub note: Option<String>,
    pub labels: Vec<String>,
    pub attributes: Vec<(AttributeKey, String)>,
    pub consent: Option<crate::consent::ConsentState>,
}

/// A refused row: its line and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    pub line: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// Every refused row, by line, with the reason.
    pub rejected: Vec<RejectedRow>,
    /// Labels the file named that did not exist yet, created by the import.
    pub labels_created: Vec<String>,
}

/// A consent cell: yes or no, as spreadsheets and other CRMs write them.
pub fn parse_consent(cell: &str) -> Result<crate::consent::ConsentState, String> {
    use crate::consent::ConsentState;
    match cell.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "opted_in" | "opt-in" | "opt in" | "subscribed"
        | "sim" | "sí" | "si" | "oui" | "ja" | "是" => Ok(ConsentState::OptedIn),
        "no" | "n" | "false" | "0" | "opted_out" | "opt-out" | "opt out" | "unsubscribed"
        | "não" | "nao" | "non" | "nein" | "否" => Ok(ConsentState::OptedOut),
        other => Err(format!(
            "marketing consent {other:?} is neither yes nor no (yes, no, true, false, 1, 0, \
             opted_in, opted_out)"
        )),
    }
}

/// Reads one record by the columns' `mapping` (one target per column); `country` (ISO code)
/// is the country of phones written without one.
pub fn read_row(
    record: &CsvRecord,
    mapping: &[ImportTarget],
    attributes: &[AttributeDefinition],
    country: Option<&str>,
) -> Result<ImportedContact, String> {
    let mut row = ImportedContact {
        line: record.line,
        ..ImportedContact::default()
    };
    for (target, cell) in mapping.iter().zip(&record.cells) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let fail = |e: crate::model::ParseError| e.to_string();
        match target {
            ImportTarget::Phone => {
                row.phone = Some(PhoneNumber::parse_with_country(cell, country).map_err(fail)?)
            }
            ImportTarget::UserId => row.user_id = parse_line("user_id", cell, 200).map_err(fail)?,
            ImportTarget::Name => row.name = parse_line("name", cell, 100).map_err(fail)?,
            ImportTarget::Email => {
                row.email = Some(Email::parse(cell).map_err(fail)?.as_str().to_owned())
            }
            ImportTarget::Company => {
                row.company = parse_line("company", cell, 100).map_err(fail)?
            }
            ImportTarget::Language => row.language = parse_language(cell).map_err(fail)?,
            ImportTarget::TimeZone => row.time_zone = parse_time_zone(cell).map_err(fail)?,
            ImportTarget::Note => row.note = Some(parse_note(cell).map_err(fail)?),
            ImportTarget::Labels => row.labels.extend(
                cell.split([',', ';', '|'])
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            ),
            ImportTarget::Attribute(key) => {
                let Some(attribute) = attributes.iter().find(|a| &a.key == key) else {
                    return Err(format!("there is no contact attribute {key:?}"));
                };
                if let Some(value) = attribute.value_from_text(cell).map_err(fail)? {
                    row.attributes.push((key.clone(), value));
                }
            }
            ImportTarget::MarketingConsent => row.consent = Some(parse_consent(cell)?),
            ImportTarget::Ignore => {}
        }
    }
    if row.phone.is_none() && row.user_id.is_none() {
        return Err("no phone (or WhatsApp user id) to know the contact by".into());
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::AttributeType;

    fn tier() -> AttributeDefinition {
        AttributeDefinition {
            key: AttributeKey::parse("tier").unwrap(),
            label: "Tier".into(),
            kind: AttributeType::List,
            options: vec!["Gold".into(), "Silver".into()],
            agent_editable: true,
            position: 0,
        }
    }

    #[test]
    fn consent_columns_read_yes_and_no() {
        use crate::consent::ConsentState;
        assert_eq!(parse_consent(" Yes ").unwrap(), ConsentState::OptedIn);
        assert_eq!(parse_consent("opted_out").unwrap(), ConsentState::OptedOut);
        assert_eq!(parse_consent("0").unwrap(), ConsentState::OptedOut);
        assert!(parse_consent("maybe").is_err());
        assert_eq!(
            ImportTarget::guess("Accepts Marketing", &[]),
            ImportTarget::MarketingConsent
        );
        let record = CsvRecord {
            line: 7,
            cells: vec!["+14155550100".into(), "yes".into()],
        };
        let mapping = [ImportTarget::Phone, ImportTarget::MarketingConsent];
        let row = read_row(&record, &mapping, &[], None).unwrap();
        assert_eq!(row.consent, Some(ConsentState::OptedIn));
    }

    #[test]
    fn csv_as_spreadsheets_write_it() {
        let text = "\u{feff}name,phone,note\r\n\"Doe, Jane\",+1 415 555 0100,\"said \"\"hi\"\"\nthen left\"\r\n\r\nBo,+44 20 7946 0958,\n";
        let records = parse_csv(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].cells, ["name", "phone", "note"]);
        assert_eq!(
            records[1].cells,
            ["Doe, Jane", "+1 415 555 0100", "said \"hi\"\nthen left"]
        );
        assert_eq!(records[1].line, 2);
        assert_eq!(records[2].line, 5, "after a two-line cell and a blank line");
        assert_eq!(records[2].cells, ["Bo", "+44 20 7946 0958", ""]);
        let european = parse_csv("Name;Telefon\nAnna;0151 23456789").unwrap();
        assert_eq!(european[1].cells, ["Anna", "0151 23456789"]);
        assert!(parse_csv("a,b\n\"open,1").unwrap_err().contains("line 2"));
    }

    #[test]
    fn headers_are_understood() {
        let attributes = [tier()];
        let guess = |h: &str| ImportTarget::guess(h, &attributes);
        assert_eq!(guess("Phone Number"), ImportTarget::Phone);
        assert_eq!(guess("WhatsApp"), ImportTarget::Phone);
        assert_eq!(guess("Telefone"), ImportTarget::Phone);
        assert_eq!(guess("电话"), ImportTarget::Phone);
        assert_eq!(guess("E-mail"), ImportTarget::Email);
        assert_eq!(guess("Tags"), ImportTarget::Labels);
        assert_eq!(guess("Tier"), ImportTarget::Attribute(tier().key));
        assert_eq!(guess("attr.tier"), ImportTarget::Attribute(tier().key));
        assert_eq!(guess("time_zone"), ImportTarget::TimeZone);
        assert_eq!(guess("Favourite colour"), ImportTarget::Ignore);
        assert!(ImportTarget::parse("shoe_size").is_err());
    }

    #[test]
    fn rows_are_read_or_refused_with_the_reason() {
        let mapping = [
            ImportTarget::Name,
            ImportTarget::Phone,
            ImportTarget::Labels,
            ImportTarget::Attribute(tier().key),
        ];
        let record = |cells: &[&str]| CsvRecord {
            line: 7,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        };
        let row = read_row(
            &record(&["Ana", "011 98765-4321", "vip; refund", "gold"]),
            &mapping,
            &[tier()],
            Some("BR"),
        )
        .unwrap();
        assert_eq!(row.phone.unwrap().e164(), "+5511987654321");
        assert_eq!(row.labels, ["vip", "refund"]);
        assert_eq!(row.attributes, [(tier().key, "Gold".to_owned())]);
        assert_eq!(row.email, None);
        let refused =
            |cells: &[&str]| read_row(&record(cells), &mapping, &[tier()], None).unwrap_err();
        assert!(refused(&["Ana", "", "", ""]).contains("no phone"));
        assert!(refused(&["Ana", "98765", "", ""]).contains("phone"));
        assert!(refused(&["Ana", "+14155550100", "", "bronze"]).contains("Tier (tier)"));
    }
}
