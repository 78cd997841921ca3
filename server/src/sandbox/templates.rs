//! Message templates at the simulated Meta: listed (paged), created (validated as Meta
//! documents), reviewed after a delay (PENDING → APPROVED, or REJECTED with a reason) with
//! `message_template_status_update` webhooks, and deleted.

use super::errors::GraphApiError;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub components: Value,
    pub rejected_reason: Option<String>,
}

impl Template {
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "name": self.name, "language": self.language, "category": self.category,
                "status": self.status, "components": self.components,
                "rejected_reason": self.rejected_reason.clone().unwrap_or_else(|| "NONE".into()),
                "quality_score": { "score": "UNKNOWN" }, "parameter_format": "POSITIONAL" })
    }
}

/// Templates every demo account starts with, approved.
pub fn seeded() -> Vec<Template> {
    let body = |text: &str| json!([{ "type": "BODY", "text": text }]);
    vec![
        Template {
            id: "1000000000000001".into(),
            name: "hello_world".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: "APPROVED".into(),
            components: json!([{ "type": "HEADER", "format": "TEXT", "text": "Hello World" },
                { "type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification." },
                { "type": "FOOTER", "text": "WhatsApp Business Platform sample message" }]),
            rejected_reason: None,
        },
        Template {
            id: "1000000000000002".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: "APPROVED".into(),
            components: json!([{ "type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way.",
                                  "example": { "body_text": [["Ana", "#4471"]] } }]),
            rejected_reason: None,
        },
        Template {
            id: "1000000000000003".into(),
            name: "follow_up".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: "APPROVED".into(),
            components: body(
                "Hi! We are following up on your request. Reply to continue the conversation.",
            ),
            rejected_reason: None,
        },
        Template {
            id: "1000000000000004".into(),
            name: "spring_sale".into(),
            language: "en_US".into(),
            category: "MARKETING".into(),
            status: "APPROVED".into(),
            components: body("Our spring sale is on: 20% off everything this week 🌷"),
            rejected_reason: None,
        },
    ]
}

fn invalid(details: impl Into<String>) -> GraphApiError {
    GraphApiError::invalid_parameter(details)
}

/// Counts `{{n}}` placeholders and checks they run 1, 2, 3… without gaps.
fn positional_parameters(text: &str) -> Result<usize, GraphApiError> {
    let mut numbers = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| invalid("Unclosed variable parameter."))?;
        let inner = after[..end].trim();
        if let Ok(n) = inner.parse::<usize>() {
            numbers.push(n);
        } else if !inner
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || inner.is_empty()
        {
            return Err(invalid(format!(
                "Invalid variable parameter {{{{{inner}}}}}."
            )));
        }
        rest = &after[end + 2..];
    }
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.iter().enumerate().any(|(i, n)| *n != i + 1) {
        return Err(invalid(
            "Variable parameters must be sequential: {{1}}, {{2}}, …",
        ));
    }
    Ok(numbers.len())
}

/// Validates a creation request as Meta documents it; returns the template, PENDING.
pub fn create(body: &Value, id: String) -> Result<Template, GraphApiError> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Parameter 'name' is required."))?;
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(invalid(
            "Template name can only contain lowercase letters, numbers and underscores.",
        ));
    }
    let language = body
        .get("language")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid("Parameter 'language' is required."))?;
    let category = body
        .get("category")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Parameter 'category' is required."))?;
    if !matches!(category, "MARKETING" | "UTILITY" | "AUTHENTICATION") {
        return Err(invalid(
            "Param category must be one of MARKETING, UTILITY, AUTHENTICATION.",
        ));
    }
    let components = body
        .get("components")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("Parameter 'components' is required."))?;
    let kind = |c: &Value| {
        c.get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase()
    };
    let bodies: Vec<&Value> = components.iter().filter(|c| kind(c) == "BODY").collect();
    if bodies.len() != 1 {
        return Err(invalid("A template needs exactly one BODY component."));
    }
    for component in components {
        match kind(component).as_str() {
            "BODY" if category != "AUTHENTICATION" => {
                let text = component
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("BODY needs 'text'."))?;
                if text.chars().count() > 1024 {
                    return Err(invalid("BODY text must be at most 1024 characters."));
                }
                let parameters = positional_parameters(text)?;
                let examples = component
                    .pointer("/example/body_text/0")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let named = component
                    .pointer("/example/body_text_named_params")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if parameters > 0 && examples < parameters && named == 0 {
                    return Err(invalid(
                        "Variables in BODY need sample values in example.body_text.",
                    ));
                }
            }
            "BODY" => {}
            "HEADER" => {
                let format = component
                    .get("format")
                    .and_then(Value::as_str)
                    .unwrap_or("TEXT");
                match format {
                    "TEXT" => {
                        let text = component
                            .get("text")
                            .and_then(Value::as_str)
                            .ok_or_else(|| invalid("A TEXT header needs 'text'."))?;
                        if text.chars().count() > 60 {
                            return Err(invalid("Header text must be at most 60 characters."));
                        }
                        if positional_parameters(text)? > 0
                            && component.pointer("/example/header_text").is_none()
                        {
                            return Err(invalid(
                                "Variables in HEADER need sample values in example.header_text.",
                            ));
                        }
                    }
                    "IMAGE" | "VIDEO" | "DOCUMENT" => {
                        if component.pointer("/example/header_handle").is_none() {
                            return Err(invalid(
                                "Media headers need a sample in example.header_handle.",
                            ));
                        }
                    }
                    "LOCATION" => {}
                    other => return Err(invalid(format!("Unsupported header format {other}."))),
                }
            }
            "FOOTER" => {
                if component
                    .get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.chars().count() > 60)
                {
                    return Err(invalid("Footer text must be at most 60 characters."));
                }
            }
            "BUTTONS" => {
                let buttons = component
                    .get("buttons")
                    .and_then(Value::as_array)
                    .ok_or_else(|| invalid("BUTTONS needs 'buttons'."))?;
                if buttons.is_empty() || buttons.len() > 10 {
                    return Err(invalid("A template can have 1 to 10 buttons."));
                }
                for button in buttons {
                    let button_type = button
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if !matches!(
                        button_type,
                        "QUICK_REPLY"
                            | "URL"
                            | "PHONE_NUMBER"
                            | "OTP"
                            | "FLOW"
                            | "COPY_CODE"
                            | "CATALOG"
                            | "MPM"
                    ) {
                        return Err(invalid(format!("Unsupported button type {button_type:?}.")));
                    }
                }
            }
            other => return Err(invalid(format!("Unsupported component type {other:?}."))),
        }
    }
    Ok(Template {
        id,
        name: name.to_owned(),
        language: language.to_owned(),
        category: category.to_owned(),
        status: "PENDING".into(),
        components: Value::Array(components.clone()),
        rejected_reason: None,
    })
}

/// The simulated review's verdict. Deterministic, so tests and demos can choose: a name
/// containing `reject` is rejected (`INVALID_FORMAT`), a MARKETING body asking for passwords
/// is rejected as `INCORRECT_CATEGORY`… everything else is approved.
pub fn review(template: &Template) -> (&'static str, Option<&'static str>) {
    let body = template
        .components
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|c| c.get("text").and_then(Value::as_str))
        .unwrap_or("");
    if template.name.contains("reject") {
        ("REJECTED", Some("INVALID_FORMAT"))
    } else if template.category == "MARKETING" && body.to_lowercase().contains("password") {
        ("REJECTED", Some("INCORRECT_CATEGORY"))
    } else {
        ("APPROVED", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, text: &str, example: Option<Value>) -> Value {
        let mut body = json!({ "type": "BODY", "text": text });
        if let Some(example) = example {
            body["example"] = example;
        }
        json!({ "name": name, "language": "en_US", "category": "UTILITY", "components": [body] })
    }

    #[test]
    fn validates_like_meta() {
        assert!(
            create(
                &request("order_ready", "Your order is ready", None),
                "1".into()
            )
            .is_ok()
        );
        assert!(
            create(&request("Order-Ready", "x", None), "1".into()).is_err(),
            "name format"
        );
        assert!(
            create(&request("order_ready", "Hi {{1}}", None), "1".into()).is_err(),
            "examples required"
        );
        assert!(
            create(
                &request(
                    "order_ready",
                    "Hi {{1}}",
                    Some(json!({"body_text": [["Ana"]]}))
                ),
                "1".into()
            )
            .is_ok()
        );
        assert!(
            create(
                &request(
                    "order_ready",
                    "Hi {{2}}",
                    Some(json!({"body_text": [["Ana"]]}))
                ),
                "1".into()
            )
            .is_err(),
            "sequential"
        );
    }

    #[test]
    fn review_is_deterministic() {
        let approved = create(
            &request("order_ready", "Your order is ready", None),
            "1".into(),
        )
        .unwrap();
        assert_eq!(review(&approved), ("APPROVED", None));
        let rejected = create(
            &request("reject_me", "Your order is ready", None),
            "2".into(),
        )
        .unwrap();
        assert_eq!(review(&rejected), ("REJECTED", Some("INVALID_FORMAT")));
    }
}
