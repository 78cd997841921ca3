//! What an agent sends: the body of `POST /api/v1/conversations/{id}/messages` and of the
//! browser composer alike, with Meta's published limits checked before anything is queued.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Meta's limits for the Cloud API's message types.
pub mod limits {
    pub const TEXT: usize = 4096;
    pub const CAPTION: usize = 1024;
    pub const FILENAME: usize = 240;
    pub const INTERACTIVE_BODY: usize = 1024;
    pub const LIST_BODY: usize = 4096;
    pub const HEADER_TEXT: usize = 60;
    pub const FOOTER: usize = 60;
    pub const REPLY_BUTTONS: usize = 3;
    pub const BUTTON_TITLE: usize = 20;
    pub const BUTTON_ID: usize = 256;
    pub const LIST_SECTIONS: usize = 10;
    pub const LIST_ROWS: usize = 10;
    pub const ROW_TITLE: usize = 24;
    pub const ROW_DESCRIPTION: usize = 72;
    pub const ROW_ID: usize = 200;
    pub const SECTION_TITLE: usize = 24;
    pub const CONTACTS: usize = 257;
    pub const LOCATION_TEXT: usize = 1000;
    pub const TEMPLATE_PARAMETER: usize = 1024;
}

/// A message to send, with the message it quotes (`reply_to`, a wamid), if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SendRequest {
    #[serde(flatten)]
    pub content: Outgoing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The newest message the member had seen when they began writing (its id). When another
    /// member has replied since, the send is refused (`replied_meanwhile`) so the member can
    /// read that reply first; sending again without it goes ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_up_to: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outgoing {
    Text {
        text: String,
    },
    Image(MediaContent),
    Video(MediaContent),
    Audio(MediaContent),
    Document(MediaContent),
    Sticker(MediaContent),
    Template {
        template: TemplateContent,
    },
    Interactive {
        interactive: Interactive,
    },
    /// A reaction to a message of the conversation (`message_id` is its wamid); an empty
    /// emoji removes the reaction.
    Reaction {
        message_id: String,
        emoji: String,
    },
    Location(LocationContent),
    /// Contact cards in Meta's format (`name.formatted_name` is required).
    Contacts {
        #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
        contacts: Vec<Value>,
    },
}

/// Media uploaded with `POST /api/v1/media`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MediaContent {
    pub media_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Documents only: the name the customer sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateContent {
    pub name: String,
    pub language: String,
    /// The body's parameters, in order.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// For a template with a media header: the file to show, uploaded with `POST /api/v1/media`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_media_id: Option<String>,
    /// Meta's `components`, verbatim, instead of `parameters` (header media, button values…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<Object>>))]
    pub components: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interactive {
    /// Up to three reply buttons.
    Button {
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        buttons: Vec<ReplyButton>,
    },
    /// A menu of up to ten rows in sections.
    List {
        body: String,
        /// The label of the button that opens the list.
        button: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        sections: Vec<ListSection>,
    },
    /// A call-to-action button opening a URL.
    CtaUrl {
        body: String,
        display_text: String,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplyButton {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LocationContent {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A file uploaded with `POST /api/v1/media`, ready to be sent by its media id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Upload {
    /// Use it as `media_id` in a message of type `type`.
    pub media_id: String,
    /// `image`, `video`, `audio`, `document` or `sticker`.
    #[serde(rename = "type")]
    pub kind: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub filename: Option<String>,
    pub phone_number_id: String,
    /// True when the same file was uploaded for this number recently and its id is reused.
    pub reused: bool,
}

impl Upload {
    /// The message that sends this file, with a caption (documents keep their name).
    pub fn message(&self, caption: &str) -> Outgoing {
        let media = MediaContent {
            media_id: self.media_id.clone(),
            caption: Some(caption.trim().to_owned()).filter(|c| !c.is_empty()),
            filename: None,
        };
        match self.kind.as_str() {
            "image" => Outgoing::Image(media),
            "video" => Outgoing::Video(media),
            "audio" => Outgoing::Audio(MediaContent {
                caption: None,
                ..media
            }),
            "sticker" => Outgoing::Sticker(MediaContent {
                caption: None,
                ..media
            }),
            _ => Outgoing::Document(MediaContent {
                filename: self.filename.clone(),
                ..media
            }),
        }
    }
}

/// The media types Meta accepts for each kind, and its size limit in bytes.
pub fn media_rules(kind: &str) -> Option<(&'static [&'static str], u64)> {
    const MB: u64 = 1024 * 1024;
    Some(match kind {
        "image" => (&["image/jpeg", "image/png"], 5 * MB),
        "video" => (&["video/mp4", "video/3gpp"], 16 * MB),
        "audio" => (
            &[
                "audio/aac",
                "audio/amr",
                "audio/mpeg",
                "audio/mp4",
                "audio/ogg",
            ],
            16 * MB,
        ),
        "document" => (
            &[
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ],
            100 * MB,
        ),
        "sticker" => (&["image/webp"], 500 * 1024),
        _ => return None,
    })
}

/// The kind a file of this media type is sent as (an image, a document…), if Meta takes it.
pub fn media_kind_for(mime_type: &str) -> Option<&'static str> {
    let essence = mime_type.split(';').next().unwrap_or("").trim();
    ["image", "video", "audio", "document", "sticker"]
        .into_iter()
        .find(|kind| media_rules(kind).is_some_and(|(types, _)| types.contains(&essence)))
}

/// A file size as agents read it: `512 B`, `12 KB`, `3.4 MB` (rounded to the nearest unit shown).
/// Integer arithmetic only: formatting a float would add Rust's float printer to the browser
/// bundle for this one label.
pub fn human_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * KB;
    match bytes.max(0) {
        b if b < KB => format!("{b} B"),
        b if b < MB - KB / 2 => format!("{} KB", (b + KB / 2) / KB),
        b => {
            let tenths = (b * 10 + MB / 2) / MB;
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

fn at_most(what: &str, value: &str, max: usize) -> Result<(), String> {
    let count = value.chars().count();
    if count > max {
        return Err(format!(
            "{what} must be at most {max} characters (it has {count})"
        ));
    }
    Ok(())
}

fn required(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    at_most(what, value, max)
}

fn optional(what: &str, value: &Option<String>, max: usize) -> Result<(), String> {
    value.as_deref().map_or(Ok(()), |v| at_most(what, v, max))
}

impl Outgoing {
    /// The Cloud API's `type` of this message.
    pub fn kind(&self) -> &'static str {
        match self {
            Outgoing::Text { .. } => "text",
            Outgoing::Image(_) => "image",
            Outgoing::Video(_) => "video",
            Outgoing::Audio(_) => "audio",
            Outgoing::Document(_) => "document",
            Outgoing::Sticker(_) => "sticker",
            Outgoing::Template { .. } => "template",
            Outgoing::Interactive { .. } => "interactive",
            Outgoing::Reaction { .. } => "reaction",
            Outgoing::Location(_) => "location",
            Outgoing::Contacts { .. } => "contacts",
        }
    }

    /// Media content, for the media kinds.
    pub fn media(&self) -> Option<&MediaContent> {
        match self {
            Outgoing::Image(m)
            | Outgoing::Video(m)
            | Outgoing::Audio(m)
            | Outgoing::Document(m)
            | Outgoing::Sticker(m) => Some(m),
            _ => None,
        }
    }

    /// Whether only a template may be sent once the service window has closed: everything but
    /// a template needs the window open.
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, Outgoing::Template { .. })
    }

    /// Checks Meta's published limits; the error says which one, in words an agent can act on.
    pub fn check_limits(&self) -> Result<(), String> {
        use limits::*;
        match self {
            Outgoing::Text { text } => required("text", text, TEXT),
            Outgoing::Image(m) | Outgoing::Video(m) | Outgoing::Document(m) => {
                required("media_id", &m.media_id, 200)?;
                optional("caption", &m.caption, CAPTION)?;
                if matches!(self, Outgoing::Document(_)) {
                    optional("filename", &m.filename, FILENAME)
                } else if m.filename.is_some() {
                    Err("only documents have a filename".into())
                } else {
                    Ok(())
                }
            }
            Outgoing::Audio(m) | Outgoing::Sticker(m) => {
                required("media_id", &m.media_id, 200)?;
                if m.caption.as_deref().is_some_and(|c| !c.is_empty()) || m.filename.is_some() {
                    return Err(format!("a {} has no caption or filename", self.kind()));
                }
                Ok(())
            }
            Outgoing::Template { template } => {
                required("template name", &template.name, 512)?;
                required("template language", &template.language, 20)?;
                for (i, parameter) in template.parameters.iter().enumerate() {
                    required(
                        &format!("template parameter {}", i + 1),
                        parameter,
                        TEMPLATE_PARAMETER,
                    )?;
                }
                match &template.components {
                    Some(c) if !c.is_array() => Err("template components must be a list".into()),
                    _ => Ok(()),
                }
            }
            Outgoing::Interactive { interactive } => interactive.check_limits(),
            Outgoing::Reaction { message_id, emoji } => {
                required("message_id", message_id, 200)?;
                if emoji.chars().count() > 10 {
                    return Err("emoji must be a single emoji".into());
                }
                Ok(())
            }
            Outgoing::Location(l) => {
                if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude)
                {
                    return Err("latitude must be within ±90 and longitude within ±180".into());
                }
                optional("location name", &l.name, LOCATION_TEXT)?;
                optional("location address", &l.address, LOCATION_TEXT)
            }
            Outgoing::Contacts { contacts } => {
                if contacts.is_empty() || contacts.len() > CONTACTS {
                    return Err(format!("send between 1 and {CONTACTS} contacts"));
                }
                for (i, card) in contacts.iter().enumerate() {
                    let name = card.pointer("/name/formatted_name").and_then(Value::as_str);
                    if name.is_none_or(|n| n.trim().is_empty()) {
                        return Err(format!("contact {} needs name.formatted_name", i + 1));
                    }
                }
                Ok(())
            }
        }
    }
}

impl Interactive {
    pub fn body(&self) -> &str {
        match self {
            Interactive::Button { body, .. }
            | Interactive::List { body, .. }
            | Interactive::CtaUrl { body, .. } => body,
        }
    }

    fn check_limits(&self) -> Result<(), String> {
        use limits::*;
        let (header, footer) = match self {
            Interactive::Button { header, footer, .. }
            | Interactive::List { header, footer, .. }
            | Interactive::CtaUrl { header, footer, .. } => (header, footer),
        };
        optional("header", header, HEADER_TEXT)?;
        optional("footer", footer, FOOTER)?;
        match self {
            Interactive::Button { body, buttons, .. } => {
                required("body", body, INTERACTIVE_BODY)?;
                if buttons.is_empty() || buttons.len() > REPLY_BUTTONS {
                    return Err(format!(
                        "reply buttons: between 1 and {REPLY_BUTTONS} (there are {})",
                        buttons.len()
                    ));
                }
                for (i, button) in buttons.iter().enumerate() {
                    required("button id", &button.id, BUTTON_ID)?;
                    required("button title", &button.title, BUTTON_TITLE)?;
                    if buttons[..i]
                        .iter()
                        .any(|b| b.id == button.id || b.title == button.title)
                    {
                        return Err("button ids and titles must be unique".into());
                    }
                }
                Ok(())
            }
            Interactive::List {
                body,
                button,
                sections,
                ..
            } => {
                required("body", body, LIST_BODY)?;
                required("list button", button, BUTTON_TITLE)?;
                if sections.is_empty() || sections.len() > LIST_SECTIONS {
                    return Err(format!("list sections: between 1 and {LIST_SECTIONS}"));
                }
                let rows: Vec<&ListRow> = sections.iter().flat_map(|s| &s.rows).collect();
                if rows.is_empty() || rows.len() > LIST_ROWS {
                    return Err(format!(
                        "list rows: between 1 and {LIST_ROWS} in all (there are {})",
                        rows.len()
                    ));
                }
                for section in sections {
                    if sections.len() > 1 && section.title.is_none() {
                        return Err("every section needs a title when there are several".into());
                    }
                    optional("section title", &section.title, SECTION_TITLE)?;
                }
                for (i, row) in rows.iter().enumerate() {
                    required("row id", &row.id, ROW_ID)?;
                    required("row title", &row.title, ROW_TITLE)?;
                    optional("row description", &row.description, ROW_DESCRIPTION)?;
                    if rows[..i].iter().any(|r| r.id == row.id) {
                        return Err("row ids must be unique".into());
                    }
                }
                Ok(())
            }
            Interactive::CtaUrl {
                body,
                display_text,
                url,
                ..
            } => {
                required("body", body, INTERACTIVE_BODY)?;
                required("display_text", display_text, BUTTON_TITLE)?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err("url must be an http or https address".into());
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> SendRequest {
        serde_json::from_value(value).expect("a send request")
    }

    #[test]
    fn file_sizes_read_the_way_agents_expect() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(1535), "1 KB");
        assert_eq!(human_size(1536), "2 KB");
        assert_eq!(human_size(1024 * 1024 - 513), "1023 KB");
        assert_eq!(human_size(1024 * 1024 - 512), "1.0 MB");
        assert_eq!(human_size(3_565_158), "3.4 MB");
        assert_eq!(human_size(100 * 1024 * 1024), "100.0 MB");
        assert_eq!(human_size(-5), "0 B");
    }

    #[test]
    fn reads_the_documented_shapes() {
        let text = parse(json!({ "type": "text", "text": "hi", "reply_to": "wamid.1" }));
        assert_eq!(text.content.kind(), "text");
        assert_eq!(text.reply_to.as_deref(), Some("wamid.1"));
        let image = parse(json!({ "type": "image", "media_id": "m1", "caption": "look" }));
        assert_eq!(image.content.media().unwrap().media_id, "m1");
        let template = parse(
            json!({ "type": "template", "template": { "name": "t", "language": "en_US", "parameters": ["a"] } }),
        );
        assert!(!template.content.needs_open_window());
        let list = parse(
            json!({ "type": "interactive", "interactive": { "type": "list", "body": "Pick",
            "button": "Options", "sections": [{ "rows": [{ "id": "a", "title": "A" }] }] } }),
        );
        assert_eq!(list.content.check_limits(), Ok(()));
    }

    #[test]
    fn refuses_what_meta_refuses() {
        let buttons = (0..4)
            .map(|i| ReplyButton {
                id: format!("b{i}"),
                title: format!("B{i}"),
            })
            .collect();
        let four = Outgoing::Interactive {
            interactive: Interactive::Button {
                body: "Pick".into(),
                header: None,
                footer: None,
                buttons,
            },
        };
        assert!(four.check_limits().unwrap_err().contains("between 1 and 3"));
        let long = Outgoing::Text {
            text: "x".repeat(4097),
        };
        assert!(long.check_limits().unwrap_err().contains("4096"));
        let caption = Outgoing::Image(MediaContent {
            media_id: "m".into(),
            caption: Some("c".repeat(1025)),
            filename: None,
        });
        assert!(caption.check_limits().unwrap_err().contains("1024"));
        assert_eq!(media_kind_for("image/png"), Some("image"));
        assert_eq!(media_kind_for("application/pdf"), Some("document"));
        assert_eq!(media_kind_for("image/svg+xml"), None);
    }
}
