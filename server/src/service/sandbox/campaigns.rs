//! The demo's consent and campaigns: who opted in (from a signup file, on the phone), who
//! opted out, a marketing campaign to the customers who wrote in, sent at once through the
//! simulator (so its funnel fills with real statuses and replies), and a utility campaign
//! scheduled for tomorrow with parameters from contact fields and attributes; and a rate card
//! that prices what they cost.

use crate::domain::Millis;
use crate::domain::conversation::Conversation;
use crate::domain::rate_card::RateCard;
use crate::store::campaigns::{CampaignWrite, Eligibility};
use crate::store::{ContactQuery, NewConsentEntry, Store, StoreResult};
use parley_app::campaigns::{Audience, CampaignState, CampaignTemplate};
use parley_app::consent::{ConsentPurpose, ConsentSource, ConsentState};
use parley_app::costs::{RateCardInput, RateView};
use parley_app::model::UserId;
use serde_json::json;
use std::time::Duration;

pub(super) async fn seed_campaigns(
    store: &Store,
    conversations: &[Conversation],
    admin: Option<UserId>,
    now: Millis,
) -> StoreResult<()> {
    let Some(admin) = admin else {
        return Ok(());
    };
    let contact_of = |name: &str| {
        conversations
            .iter()
            .find(|c| c.contact.name.as_deref() == Some(name))
            .map(|c| c.contact.id)
    };
    let hand_made = store
        .contacts
        .list(&ContactQuery {
            search: Some("Carvalho".into()),
            limit: 1,
            ..ContactQuery::default()
        })
        .await?;
    let mut entries = Vec::new();
    let signups = [
        ("Amira Haddad", 2),
        ("Priya Sharma", 3),
        ("Mateo García", 5),
    ];
    for (name, line) in signups {
        if let Some(contact_id) = contact_of(name) {
            entries.push(NewConsentEntry {
                contact_id,
                purpose: ConsentPurpose::Marketing,
                state: ConsentState::OptedIn,
                source: ConsentSource::Import,
                actor: Some(admin),
                note: Some("Ticked “send me offers” at checkout".into()),
                evidence: Some(json!({ "file": "newsletter-signups.csv", "line": line })),
            });
        }
    }
    if let Some(contact) = hand_made.first() {
        entries.push(NewConsentEntry {
            contact_id: contact.id,
            purpose: ConsentPurpose::Marketing,
            state: ConsentState::OptedIn,
            source: ConsentSource::Agent,
            actor: Some(admin),
            note: Some("Said yes to offers at the trade fair".into()),
            evidence: None,
        });
    }
    if let Some(contact_id) = contact_of("张伟") {
        entries.push(NewConsentEntry {
            contact_id,
            purpose: ConsentPurpose::Marketing,
            state: ConsentState::OptedOut,
            source: ConsentSource::Agent,
            actor: Some(admin),
            note: Some("不要促销信息 — asked for no offers".into()),
            evidence: None,
        });
    }
    store.consent.record_many(&entries, now).await?;

    // The runner checks the template is approved: wait for the first sync.
    let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
    while store
        .templates
        .by_name(None, "spring_sale", "en_US")
        .await?
        .is_none()
    {
        if tokio::time::Instant::now() > give_up {
            tracing::warn!("no templates synced: the demo has no campaigns");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The customers who have written in (the leads added by hand are left for the browser
    // tests and the demo's own first campaign).
    let mut audience: Vec<i64> = conversations.iter().map(|c| c.contact.id).collect();
    audience.sort_unstable();
    audience.dedup();
    let spring = CampaignWrite {
        name: "Spring sale 🌷".into(),
        phone_number_id: crate::sandbox::DEMO_NUMBERS[0].id.into(),
        template: CampaignTemplate {
            name: "spring_sale".into(),
            language: "en_US".into(),
            parameters: vec![],
            header_media_id: None,
        },
        template_category: "MARKETING".into(),
        audience: Audience::Contacts {
            contact_ids: audience.clone(),
        },
        state: CampaignState::Draft,
        scheduled_at: None,
    };
    let created = store.campaigns.create(&spring, admin, now).await?;
    let rules = Eligibility {
        marketing: true,
        frequency_cap: 4,
        cap_since: now.minus(Duration::from_secs(30 * 86_400)),
    };
    let query = ContactQuery {
        ids: Some(audience.clone()),
        ..ContactQuery::default()
    };
    store
        .campaigns
        .start(created.id, &query, &rules, now)
        .await?;

    let tomorrow = Millis(now.0 - now.0.rem_euclid(86_400_000) + 86_400_000 + 10 * 3_600_000);
    let follow_up = CampaignWrite {
        name: "Order follow-up".into(),
        phone_number_id: crate::sandbox::DEMO_NUMBERS[0].id.into(),
        template: CampaignTemplate {
            name: "order_update".into(),
            language: "en_US".into(),
            parameters: vec![
                "{{contact.first_name|there}}".into(),
                "{{attr.order_id|#1001}}".into(),
            ],
            header_media_id: None,
        },
        template_category: "UTILITY".into(),
        audience: Audience::Labels {
            labels: vec!["VIP".into(), "sales lead".into()],
        },
        state: CampaignState::Scheduled,
        scheduled_at: Some(tomorrow),
    };
    store.campaigns.create(&follow_up, admin, now).await?;
    Ok(())
}

/// Rates in the shape of Meta's rate card (USD, per delivered message, from 2025-07-01), so
/// the demo's spend has prices. Illustrative: an admin replaces them with Meta's current card.
pub(super) async fn seed_rate_card(store: &Store) -> StoreResult<()> {
    if !store.costs.rate_card().await?.rates.is_empty() {
        return Ok(());
    }
    // Volume tiers: utility messages to the US cost less past the month's 100,000th.
    const RATES: [(&str, &str, &str, u64); 17] = [
        ("US", "marketing", "0.0250", 0),
        ("US", "utility", "0.0040", 0),
        ("US", "utility", "0.0034", 100_000),
        ("US", "utility", "0.0028", 500_000),
        ("US", "authentication", "0.0135", 0),
        ("IN", "marketing", "0.0107", 0),
        ("IN", "utility", "0.0014", 0),
        ("IN", "authentication", "0.0014", 0),
        ("IN", "authentication_international", "0.0280", 0),
        ("BR", "marketing", "0.0625", 0),
        ("BR", "utility", "0.0068", 0),
        ("GB", "marketing", "0.0529", 0),
        ("GB", "utility", "0.0220", 0),
        ("*", "marketing", "0.0604", 0),
        ("*", "utility", "0.0077", 0),
        ("*", "authentication", "0.0075", 0),
        ("*", "marketing_lite", "0.0400", 0),
    ];
    let input = RateCardInput {
        currency: "USD".into(),
        rates: (RATES.iter())
            .map(|(country, category, rate, volume_from)| RateView {
                country: (*country).into(),
                category: (*category).into(),
                rate: (*rate).into(),
                effective_from: "2025-07-01".into(),
                volume_from: *volume_from,
            })
            .collect(),
    };
    let card = RateCard::from_input(&input).expect("the demo's rates are well formed");
    store.costs.replace_rate_card(&card).await
}
