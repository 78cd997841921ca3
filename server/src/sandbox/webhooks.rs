//! What the simulator sends Parley: signed webhooks for customers who write, read, react and
//! answer, for the statuses of accepted sends, and for template reviews.

use super::{
    DEMO_NUMBERS, DeliveryFailure, DemoNumber, MediaObject, Persona, Simulator, audience, now_ms,
    personas, templates,
};
use crate::whatsapp::signature::{meta_json, sign};
use rand::Rng as _;
use serde_json::{Value, json};
use std::time::Duration;

impl Simulator {
    /// Signs and posts a webhook after `delay`, retrying as Meta does when it is not accepted.
    pub(super) fn post_webhook(&self, payload: Value, delay: Duration) {
        let Some(url) = self.inner.webhook_url.lock().unwrap().clone() else {
            return;
        };
        if self.state().webhooks_unsubscribed {
            return; // no app subscribed to the WABA: Meta calls no one
        }
        let sim = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let body = meta_json(&payload);
            let signature = sign(sim.inner.config.app_secret.as_bytes(), body.as_bytes());
            for attempt in 0..6u32 {
                let sent = sim
                    .inner
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &signature)
                    .body(body.clone())
                    .send()
                    .await;
                if matches!(&sent, Ok(response) if response.status().is_success()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
            }
            tracing::warn!("simulator: a webhook was not accepted after 6 attempts");
        });
    }

    /// An account-level webhook (template status and the like).
    pub(super) fn account_webhook(&self, field: &str, value: Value, delay: Duration) {
        let payload = json!({ "object": "whatsapp_business_account",
            "entry": [{ "id": self.inner.config.waba_id, "time": now_ms() / 1000, "changes": [{ "field": field, "value": value }] }] });
        self.post_webhook(payload, delay);
    }

    /// Submits a template for review: PENDING now, the verdict (and its webhook) later.
    pub(super) fn submit_template(&self, template: templates::Template) {
        let (verdict, reason) = templates::review(&template);
        let delay = self.paced(self.inner.config.template_review);
        let sim = self.clone();
        let id = template.id.clone();
        self.state().templates.push(template);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let reviewed = {
                let mut state = sim.state();
                let Some(template) = state.templates.iter_mut().find(|t| t.id == id) else {
                    return;
                };
                template.status = verdict.to_owned();
                template.rejected_reason = reason.map(str::to_owned);
                template.clone()
            };
            let mut value = json!({ "event": verdict, "message_template_id": reviewed.id.parse::<u64>().unwrap_or_default(),
                "message_template_name": reviewed.name, "message_template_language": reviewed.language,
                "message_template_category": reviewed.category, "reason": reason.unwrap_or("NONE") });
            if let Some(reason) = reason {
                value["rejection_info"] = json!({ "reason": format!("The template was rejected: {reason}."),
                    "recommendation": "Review the template guidelines and submit again." });
            }
            sim.account_webhook("message_template_status_update", value, Duration::ZERO);
        });
    }

    /// Changes a template's status at "Meta" (e.g. PAUSED for low quality) and says so.
    pub fn set_template_status(&self, name: &str, status: &str, reason: &str) {
        let changed = {
            let mut state = self.state();
            state
                .templates
                .iter_mut()
                .filter(|t| t.name == name)
                .map(|t| {
                    t.status = status.to_owned();
                    t.clone()
                })
                .collect::<Vec<_>>()
        };
        for template in changed {
            let value = json!({ "event": status, "message_template_id": template.id.parse::<u64>().unwrap_or_default(),
                "message_template_name": template.name, "message_template_language": template.language,
                "message_template_category": template.category, "reason": reason });
            self.account_webhook("message_template_status_update", value, Duration::ZERO);
        }
    }

    pub(super) fn envelope(&self, number: &DemoNumber, value: Value) -> Value {
        let mut value = value;
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] = json!({ "display_phone_number": number.display.replace(['+', ' ', '-'], ""), "phone_number_id": number.id });
        json!({ "object": "whatsapp_business_account",
                "entry": [{ "id": self.inner.config.waba_id, "changes": [{ "field": "messages", "value": value }] }] })
    }

    pub(super) fn contact_of(persona: &Persona) -> Value {
        let mut profile = json!({ "name": persona.name });
        if let Some(username) = persona.username {
            profile["username"] = json!(username);
        }
        let mut contact = json!({ "profile": profile, "user_id": persona.bsuid });
        if let Some(wa_id) = persona.wa_id {
            contact["wa_id"] = json!(wa_id);
        }
        contact
    }

    /// A customer writes to their business number. `content` is the type-specific part of a
    /// message (`{"type": "text", "text": {...}}`); returns the new message's wamid.
    pub fn customer_writes(&self, persona: &Persona, content: Value, delay: Duration) -> String {
        self.customer_writes_at(persona, content, delay, now_ms())
    }

    /// As [`Simulator::customer_writes`], with Meta's timestamp set to `sent_at_ms` (to seed
    /// conversations whose window is already running out).
    pub fn customer_writes_at(
        &self,
        persona: &Persona,
        content: Value,
        delay: Duration,
        sent_at_ms: i64,
    ) -> String {
        let number = &DEMO_NUMBERS[persona.number % DEMO_NUMBERS.len()];
        let wamid = self.next_id("wamid.SIM");
        let mut message = content;
        message["id"] = json!(wamid);
        message["timestamp"] = json!((sent_at_ms / 1000).to_string());
        message["from_user_id"] = json!(persona.bsuid);
        if let Some(wa_id) = persona.wa_id {
            message["from"] = json!(wa_id);
        }
        {
            let mut state = self.state();
            let key = (number.id.to_owned(), persona.address().to_owned());
            let last = state.last_inbound.entry(key).or_insert(sent_at_ms);
            *last = (*last).max(sent_at_ms);
        }
        let payload = self.envelope(
            number,
            json!({ "contacts": [Self::contact_of(persona)], "messages": [message] }),
        );
        self.post_webhook(payload, delay);
        wamid
    }

    /// A member of the simulated audience writes `text` to the first demo number.
    fn audience_writes(&self, address: &str, text: &str, delay: Duration) {
        let number = &DEMO_NUMBERS[0];
        let wamid = self.next_id("wamid.SIM");
        let sent_at_ms = now_ms() + delay.as_millis() as i64;
        let message = json!({ "id": wamid, "from": address, "timestamp": (sent_at_ms / 1000).to_string(),
            "type": "text", "text": { "body": text } });
        {
            let mut state = self.state();
            let key = (number.id.to_owned(), address.to_owned());
            state.last_inbound.insert(key, sent_at_ms);
        }
        let contact =
            json!({ "profile": { "name": audience::profile_name(address) }, "wa_id": address });
        let payload = self.envelope(
            number,
            json!({ "contacts": [contact], "messages": [message] }),
        );
        self.post_webhook(payload, delay);
    }

    /// Stores media as if a customer had uploaded it; returns its id.
    pub fn store_media(&self, bytes: bytes::Bytes, mime_type: &str) -> String {
        let id = format!(
            "{}",
            rand::thread_rng().gen_range(10_000_000_000_000u64..99_999_999_999_999)
        );
        self.state().media.insert(
            id.clone(),
            MediaObject {
                bytes,
                mime_type: mime_type.to_owned(),
            },
        );
        id
    }

    /// After an accepted send: the delivery story, as status webhooks, each carrying `pricing`
    /// (see [`pricing_of`]) as Meta's do.
    pub(super) fn schedule_statuses(
        &self,
        number: &DemoNumber,
        to: &str,
        wamid: &str,
        failure: Option<DeliveryFailure>,
        pricing: Value,
    ) {
        let persona = personas::by_address(to);
        let fate = audience::fate(to);
        let reads = persona.is_some_and(|p| p.responsive)
            || matches!(fate, Some(audience::Fate::Reads { .. }));
        let statuses: Vec<(&str, Option<DeliveryFailure>)> = match failure {
            Some(error) => vec![("failed", Some(error))],
            None if reads => vec![("sent", None), ("delivered", None), ("read", None)],
            None => vec![("sent", None), ("delivered", None)],
        };
        // A crowd's phones answer slowly: receipts spread over seconds.
        let spread = if fate.is_some() {
            300..6_000
        } else {
            300..1_500
        };
        let mut rng = rand::thread_rng();
        let mut at = Duration::ZERO;
        let mut deliveries: Vec<(Value, Duration)> = Vec::new();
        for (status, error) in statuses {
            at += self.paced(Duration::from_millis(rng.gen_range(spread.clone())));
            let mut value = json!({ "id": wamid, "status": status, "timestamp": (now_ms() / 1000).to_string(),
                                    "recipient_id": to });
            if let Some(p) = persona {
                value["recipient_user_id"] = json!(p.bsuid);
            }
            match error {
                Some(DeliveryFailure {
                    code,
                    title,
                    details,
                }) => {
                    value["errors"] = json!([{ "code": code, "title": title, "message": title,
                        "error_data": { "details": details },
                        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/" }]);
                }
                None => {
                    value["conversation"] = json!({ "id": format!("CONV{:08x}", rng.r#gen::<u32>()), "origin": { "type": "service" } });
                    value["pricing"] = pricing.clone();
                }
            }
            // Since 2026 Meta names the recipient in `contacts` on status webhooks too.
            let contact = match persona {
                Some(p) => Self::contact_of(p),
                None => json!({ "wa_id": to, "user_id": format!("US.{to}") }),
            };
            let payload = self.envelope(
                number,
                json!({ "contacts": [contact], "statuses": [value] }),
            );
            deliveries.push((payload, at));
        }
        // Like Meta: sometimes out of order, sometimes twice.
        if deliveries.len() >= 2 && rng.gen_bool(0.15) {
            let (first, second) = (deliveries[0].1, deliveries[1].1);
            deliveries[0].1 = second;
            deliveries[1].1 = first;
        }
        if rng.gen_bool(0.15) {
            let index = rng.gen_range(0..deliveries.len());
            let (payload, at) = deliveries[index].clone();
            deliveries.push((payload, at + self.paced(Duration::from_millis(400))));
        }
        for (payload, at) in deliveries {
            self.post_webhook(payload, at);
        }
    }

    /// The customer's side of an accepted send: they may read, react and answer.
    pub(super) fn customer_responds(&self, to: &str, kind: &str, body: &Value, wamid: &str) {
        if let Some(audience::Fate::Reads {
            answer: Some(answer),
        }) = audience::fate(to)
        {
            let text = match answer {
                audience::Answer::Interested => "Interested! How do I order? 😀",
                audience::Answer::Stop => "STOP",
            };
            let delay = self.paced(Duration::from_millis(
                rand::thread_rng().gen_range(4_000..20_000),
            ));
            self.audience_writes(to, text, delay);
            return;
        }
        let Some(persona) = personas::by_address(to) else {
            return;
        };
        if !persona.responsive {
            return;
        }
        let mut rng = rand::thread_rng();
        let delay = self.paced(Duration::from_millis(rng.gen_range(2_000..6_000)));
        let reply = match kind {
            "interactive" => {
                let interactive = &body["interactive"];
                match interactive["type"].as_str() {
                    Some("button") => {
                        let buttons = interactive["action"]["buttons"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        let chosen = &buttons[rng
                            .gen_range(0..buttons.len().max(1))
                            .min(buttons.len().saturating_sub(1))]["reply"];
                        json!({ "type": "interactive", "context": { "id": wamid },
                                "interactive": { "type": "button_reply", "button_reply": { "id": chosen["id"], "title": chosen["title"] } } })
                    }
                    Some("list") => {
                        let rows: Vec<Value> = interactive["action"]["sections"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .flat_map(|s| s["rows"].as_array().cloned().unwrap_or_default())
                            .collect();
                        let row = rows
                            .get(rng.gen_range(0..rows.len().max(1)))
                            .cloned()
                            .unwrap_or_default();
                        json!({ "type": "interactive", "context": { "id": wamid },
                                "interactive": { "type": "list_reply", "list_reply": { "id": row["id"], "title": row["title"], "description": row["description"] } } })
                    }
                    _ => return,
                }
            }
            _ if rng.gen_bool(0.25) => {
                let emoji = ["👍", "❤️", "🙏", "😂"][rng.gen_range(0..4)];
                json!({ "type": "reaction", "reaction": { "message_id": wamid, "emoji": emoji } })
            }
            _ => {
                json!({ "type": "text", "text": { "body": persona.lines[rng.gen_range(0..persona.lines.len())] } })
            }
        };
        self.customer_writes(persona, reply, delay);
    }
}

/// What Meta charges for a send, as its statuses' `pricing` says (per-message pricing, since
/// 2025-07-01): a template by its category, except that a utility template inside an open
/// customer-service window is free, as is every other message there.
pub(super) fn pricing_of(template_category: Option<&str>, window_open: bool) -> Value {
    let (category, free) = match template_category {
        Some("utility") => ("utility", window_open),
        Some(category) => (category, false),
        None => ("service", true),
    };
    let kind = if free {
        "free_customer_service"
    } else {
        "regular"
    };
    json!({ "billable": !free, "pricing_model": "PMP", "category": category, "type": kind })
}

#[cfg(test)]
mod tests {
    use super::pricing_of;

    #[test]
    fn sends_are_priced_as_meta_prices_them() {
        let reply = pricing_of(None, true);
        assert_eq!(
            (reply["category"].as_str(), reply["billable"].as_bool()),
            (Some("service"), Some(false))
        );
        assert_eq!(reply["type"], "free_customer_service");
        let marketing = pricing_of(Some("marketing"), true);
        assert_eq!(
            (marketing["type"].as_str(), marketing["billable"].as_bool()),
            (Some("regular"), Some(true))
        );
        // Utility templates are free inside an open window, charged outside it.
        assert_eq!(pricing_of(Some("utility"), true)["billable"], false);
        assert_eq!(pricing_of(Some("utility"), false)["billable"], true);
        assert_eq!(
            pricing_of(Some("authentication"), false)["category"],
            "authentication"
        );
    }
}
