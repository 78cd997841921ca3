//! The demo: conversations at every stage of the service window, and customers who keep
//! writing in, at a pace set by the speed knob.

use super::personas::{PERSONAS, Persona};
use super::{DEMO_NUMBERS, Simulator, now_ms};
use rand::Rng as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use std::time::Duration;

/// A 1×1 PNG and a one-page PDF: real files, so media downloads and previews work.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0xB8, 0xF5, 0xFF,
    0x3F, 0x00, 0x05, 0x7E, 0x02, 0xD5, 0xC4, 0x33, 0x2B, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A random inbound message of any everyday type, as a persona would send it.
pub fn customer_content(sim: &Simulator, persona: &Persona) -> Value {
    let mut rng = rand::thread_rng();
    match rng.gen_range(0..100) {
        0..=59 => {
            json!({ "type": "text", "text": { "body": persona.lines[rng.gen_range(0..persona.lines.len())] } })
        }
        60..=71 => {
            let id = sim.store_media(bytes::Bytes::from_static(PNG), "image/png");
            json!({ "type": "image", "image": { "id": id, "mime_type": "image/png",
                     "sha256": hex::encode(sha2::Sha256::digest(PNG)), "caption": "Here is a photo 📷" } })
        }
        72..=81 => {
            let id = sim.store_media(bytes::Bytes::from_static(PDF), "application/pdf");
            json!({ "type": "document", "document": { "id": id, "mime_type": "application/pdf", "filename": "invoice-4471.pdf",
                     "sha256": hex::encode(sha2::Sha256::digest(PDF)) } })
        }
        82..=89 => {
            json!({ "type": "location", "location": { "latitude": 38.7223 + rng.gen_range(-0.05..0.05),
                            "longitude": -9.1393 + rng.gen_range(-0.05..0.05), "name": "Pickup point", "address": "Rua Augusta 1, Lisboa" } })
        }
        _ => {
            json!({ "type": "contacts", "contacts": [{ "name": { "formatted_name": "Sam Rivera", "first_name": "Sam", "last_name": "Rivera" },
                      "phones": [{ "phone": "+1 555 010 9999", "type": "CELL" }] }] })
        }
    }
}

/// A first-run history for the support number: Meta flagged it for low quality, then
/// unflagged it as quality recovered (its page shows both webhooks beside the refreshes); five
/// minutes later its quality slips to YELLOW, which the next refresh brings to the admins'
/// banner.
pub fn seed_number_history(sim: &Simulator) {
    let sim = sim.clone();
    tokio::spawn(async move {
        // After the start-up refresh has read the number as it was.
        tokio::time::sleep(Duration::from_secs(1)).await;
        sim.set_quality(DEMO_NUMBERS[1].id, "RED");
        tokio::time::sleep(Duration::from_millis(500)).await;
        sim.set_quality(DEMO_NUMBERS[1].id, "GREEN");
        tokio::time::sleep(Duration::from_secs(5 * 60)).await;
        sim.set_quality(DEMO_NUMBERS[1].id, "YELLOW");
    });
}

/// First-run conversations: one fresh, one with about 40 minutes of window left, one expired,
/// and the rest spread over the day.
pub fn seed_conversations(sim: &Simulator) {
    let hour = 3600 * 1000;
    let ages_ms = [
        0,
        23 * hour + 20 * 60 * 1000,
        26 * hour,
        2 * hour,
        5 * hour,
        30 * 60 * 1000,
        12 * hour,
        50 * hour,
    ];
    for (persona, age) in PERSONAS.iter().zip(ages_ms) {
        let content = json!({ "type": "text", "text": { "body": persona.lines[0] } });
        // Delayed slightly so that Parley is listening; Meta's timestamp sets the window.
        sim.customer_writes_at(persona, content, Duration::from_millis(300), now_ms() - age);
    }
}

/// Keeps customers writing in: about one message every 30 s at speed 1.
pub fn spawn_traffic(sim: &Simulator) {
    let sim = sim.clone();
    tokio::spawn(async move {
        loop {
            let pause = {
                sim.paced(Duration::from_millis(
                    rand::thread_rng().gen_range(15_000..45_000),
                ))
            };
            tokio::time::sleep(pause).await;
            // The quiet ones stay quiet, so their windows run out.
            let talkative: Vec<&Persona> = PERSONAS.iter().filter(|p| p.responsive).collect();
            let persona = talkative[rand::thread_rng().gen_range(0..talkative.len())];
            let content = customer_content(&sim, persona);
            sim.customer_writes(persona, content, Duration::ZERO);
        }
    });
}
