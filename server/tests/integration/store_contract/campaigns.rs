//! Consent and campaigns: the ledger and what writes to it (members, keywords, Meta's
//! preferences and errors), a campaign's audience divided by eligibility, recipients fixed at
//! the start, sends queued behind members' messages and checked again as they are queued,
//! opt-outs that withdraw queued sends, replies, completion and cancelling.

use super::labels::add_label;
use super::{add_user, apply, conversation_of, outbound};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use crate::wa;
use parley_app::campaigns::{Audience, CampaignState, CampaignTemplate, RecipientState};
use parley_app::consent::{ConsentPurpose, ConsentSource, ConsentState, OptOutLanguage};
use parley_app::contacts::PhoneNumber;
use parley_app::model::Role;
use parley_server::domain::Millis;
use parley_server::store::campaigns::{CampaignWrite, Dispatch, Eligibility};
use parley_server::store::{ContactChange, ContactQuery, NewConsentEntry, SharedStore, StoreError};
use serde_json::json;
use std::collections::HashMap;

on_both_engines!(
    the_ledger_keeps_every_entry_and_keywords_opt_out,
    a_campaign_divides_its_audience_and_queues_behind_members,
);

fn entry(contact_id: i64, state: ConsentState, source: ConsentSource) -> NewConsentEntry {
    NewConsentEntry {
        contact_id,
        purpose: ConsentPurpose::Marketing,
        state,
        source,
        actor: None,
        note: None,
        evidence: None,
    }
}

async fn contact_id(store: &SharedStore, wa_id: &str) -> i64 {
    let found = store
        .contacts
        .list(&ContactQuery {
            search: Some(wa_id.to_owned()),
            limit: 5,
            ..ContactQuery::default()
        })
        .await
        .unwrap();
    found[0].id
}

async fn the_ledger_keeps_every_entry_and_keywords_opt_out(engine: Engine) {
    let store = fresh_store(engine).await;
    let conversation = conversation_of(&store, 1, "15550001111").await;
    let ana = contact_id(&store, "15550001111").await;
    let admin = add_user(&store, "ada@example.com", Role::Admin).await;

    let opted_in = NewConsentEntry {
        actor: Some(admin),
        note: Some("Said yes on the phone".into()),
        ..entry(ana, ConsentState::OptedIn, ConsentSource::Agent)
    };
    let recorded = store
        .consent
        .record(&opted_in, Millis(10_000))
        .await
        .unwrap();
    assert_eq!(recorded.state, ConsentState::OptedIn);
    assert_eq!(recorded.recorded_by_name.as_deref(), Some("ada"));
    let missing = entry(999_999, ConsentState::OptedIn, ConsentSource::Api);
    assert!(matches!(
        store.consent.record(&missing, Millis(1)).await,
        Err(StoreError::NotFound(_))
    ));

    // "Stop!" (any case, width, punctuation) opts out once and queues the confirmation.
    let stop = wa::inbound_text(
        wa::NUMBER_A,
        "15550001111",
        "Ana",
        "wamid.stop1",
        wa::now_secs(),
        " Ｓtop! ",
    );
    apply(&store, 2, &stop).await;
    let again = wa::inbound_text(
        wa::NUMBER_A,
        "15550001111",
        "Ana",
        "wamid.stop2",
        wa::now_secs(),
        "STOP",
    );
    apply(&store, 3, &again).await;
    let ledger = store
        .consent
        .ledger(ana, ConsentPurpose::Marketing)
        .await
        .unwrap();
    assert_eq!(ledger.len(), 2, "{ledger:?}");
    assert_eq!(ledger[0].state, ConsentState::OptedOut);
    assert_eq!(ledger[0].source, ConsentSource::Keyword);
    assert_eq!(ledger[0].evidence.as_ref().unwrap()["keyword"], "stop");
    assert_eq!(ledger[1].source, ConsentSource::Agent);
    let page = store.messages.page(conversation, None, 50).await.unwrap();
    let confirmations: Vec<_> = page
        .messages
        .iter()
        .filter(|m| {
            m.text
                .as_deref()
                .is_some_and(|t| t.starts_with("You will no longer"))
        })
        .collect();
    assert_eq!(confirmations.len(), 2, "a confirmation for each STOP");

    // Meta's user_preferences webhook resumes marketing.
    let resume = wa::notification(vec![json!({ "field": "user_preferences", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "+1100000000001", "phone_number_id": wa::NUMBER_A },
        "user_preferences": [{ "wa_id": "15550001111", "detail": "User requested to resume marketing messages",
            "category": "marketing_messages", "value": "resume", "timestamp": 1731705721 }] } })]);
    apply(&store, 4, &resume).await;
    let ledger = store
        .consent
        .ledger(ana, ConsentPurpose::Marketing)
        .await
        .unwrap();
    assert_eq!(ledger[0].state, ConsentState::OptedIn);
    assert_eq!(ledger[0].source, ConsentSource::Webhook);

    // Keywords are replaced whole; a keyword belongs to one language.
    let languages = vec![
        OptOutLanguage {
            language: "en".into(),
            keywords: vec!["halt".into(), "stop".into()],
            confirmation: "Bye.".into(),
        },
        OptOutLanguage {
            language: "zh".into(),
            keywords: vec!["退订".into()],
            confirmation: "再见".into(),
        },
    ];
    store
        .consent
        .set_opt_out_languages(&languages)
        .await
        .unwrap();
    assert_eq!(store.consent.opt_out_languages().await.unwrap(), languages);
    let clash = vec![
        languages[0].clone(),
        OptOutLanguage {
            language: "de".into(),
            keywords: vec!["halt".into()],
            confirmation: "Tschüss.".into(),
        },
    ];
    assert!(matches!(
        store.consent.set_opt_out_languages(&clash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.consent.opt_out_languages().await.unwrap(), languages);
}

async fn a_campaign_divides_its_audience_and_queues_behind_members(engine: Engine) {
    let store = fresh_store(engine).await;
    let admin = add_user(&store, "ada@example.com", Role::Admin).await;
    // Customers who wrote in (the number becomes known), and two added by hand.
    let mut ids = HashMap::new();
    for (event, wa_id) in ["15550000001", "15550000002", "15550000003", "15550000004"]
        .into_iter()
        .enumerate()
    {
        conversation_of(&store, event as i64 + 1, wa_id).await;
        ids.insert(wa_id, contact_id(&store, wa_id).await);
    }
    let vip = add_label(&store, "vip", "#d97706").await;
    let tagged = ContactChange {
        labels: Some(vec![vip.id]),
        ..ContactChange::default()
    };
    for id in ids.values() {
        store
            .contacts
            .update(*id, &tagged, Millis(1))
            .await
            .unwrap();
    }
    let hand_made = store
        .contacts
        .create(
            &PhoneNumber::parse("+15550000005").unwrap(),
            &tagged,
            Millis(1),
        )
        .await
        .unwrap();
    let now = Millis::now();
    let opt = |id: i64, state| entry(id, state, ConsentSource::Import);
    store
        .consent
        .record_many(
            &[
                opt(ids["15550000001"], ConsentState::OptedIn),
                opt(ids["15550000002"], ConsentState::OptedIn),
                opt(ids["15550000003"], ConsentState::OptedOut),
                opt(hand_made, ConsentState::OptedIn),
            ],
            now,
        )
        .await
        .unwrap();

    let write = CampaignWrite {
        name: "Spring".into(),
        phone_number_id: wa::NUMBER_A.into(),
        template: CampaignTemplate {
            name: "spring_sale".into(),
            language: "en_US".into(),
            parameters: vec![],
            header_media_id: None,
        },
        template_category: "MARKETING".into(),
        audience: Audience::Labels {
            labels: vec!["vip".into()],
        },
        state: CampaignState::Draft,
        scheduled_at: None,
    };
    let campaign = store.campaigns.create(&write, admin, now).await.unwrap();
    assert_eq!(campaign.state, CampaignState::Draft);
    let query = ContactQuery {
        any_labels: vec![vip.id],
        ..ContactQuery::default()
    };
    let rules = Eligibility {
        marketing: true,
        frequency_cap: 4,
        cap_since: Millis(now.0 - 30 * 86_400_000),
    };
    let mut preview = store.campaigns.preview(&query, &rules).await.unwrap();
    preview.sort_by_key(|(state, _)| state.as_str());
    assert_eq!(
        preview,
        [
            (RecipientState::Pending, 3),
            (RecipientState::SkippedNoConsent, 1),
            (RecipientState::SkippedOptedOut, 1),
        ]
    );
    // A utility template needs no consent.
    let utility = Eligibility {
        marketing: false,
        ..rules
    };
    let all = store.campaigns.preview(&query, &utility).await.unwrap();
    assert_eq!(all, [(RecipientState::Pending, 5)]);

    store
        .campaigns
        .start(campaign.id, &query, &rules, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .campaigns
            .start(campaign.id, &query, &rules, now)
            .await,
        Err(StoreError::WrongState(_))
    ));
    let campaign = store.campaigns.get(campaign.id).await.unwrap().unwrap();
    assert_eq!(campaign.state, CampaignState::Sending);
    assert_eq!(store.campaigns.sending().await.unwrap().len(), 1);

    // A member's reply queued after the campaign's sends is claimed first.
    let due = store
        .campaigns
        .due_recipients(campaign.id, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 3);
    // One opts out between the start and the dispatch: skipped, not sent.
    store
        .consent
        .record(&opt(ids["15550000002"], ConsentState::OptedOut), now)
        .await
        .unwrap();
    let dispatches: Vec<Dispatch> = due
        .iter()
        .map(|r| Dispatch::Send {
            contact_id: r.contact_id,
            to: r.to.clone().unwrap(),
            request: json!({ "to": r.to, "type": "template" }),
            text: "Our spring sale is on".into(),
        })
        .collect();
    let queued = store
        .campaigns
        .dispatch(&campaign, &dispatches, &rules, now)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    assert_eq!(
        store
            .campaigns
            .dispatch(&campaign, &dispatches, &rules, now)
            .await
            .unwrap(),
        0,
        "a recipient is queued once"
    );
    assert_eq!(
        store
            .campaigns
            .waiting_on_number(wa::NUMBER_A)
            .await
            .unwrap(),
        2
    );
    let member_conversation = conversation_of(&store, 9, "15550000004").await;
    let reply = outbound(member_conversation, admin, "15550000004", "Hi!");
    let reply_id = store.outbox.enqueue(&reply, now).await.unwrap();
    let claimed = store
        .outbox
        .claim(now, Millis(now.0 + 60_000), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].message_id, reply_id, "members go first");

    // The hand-made contact opts out while queued: their send is withdrawn.
    store
        .consent
        .record(&opt(hand_made, ConsentState::OptedOut), now)
        .await
        .unwrap();
    assert_eq!(
        store
            .campaigns
            .waiting_on_number(wa::NUMBER_A)
            .await
            .unwrap(),
        1
    );

    // The first customer answers: a reply to the campaign.
    let answer = wa::inbound_text(
        wa::NUMBER_A,
        "15550000001",
        "C",
        "wamid.answer",
        wa::now_secs() + 5,
        "Nice!",
    );
    apply(&store, 10, &answer).await;
    let counts = store.campaigns.counts(campaign.id).await.unwrap();
    let total = |state: RecipientState| -> i64 {
        counts.iter().filter(|c| c.0 == state).map(|c| c.3).sum()
    };
    assert_eq!(total(RecipientState::Queued), 1);
    assert_eq!(total(RecipientState::SkippedOptedOut), 3);
    assert_eq!(total(RecipientState::SkippedNoConsent), 1);
    assert!(
        counts.iter().any(|c| c.0 == RecipientState::Queued && c.2),
        "{counts:?}"
    );
    let replied = store
        .campaigns
        .recipients(
            campaign.id,
            Some(parley_app::campaigns::RecipientFilter::Replied),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(replied.len(), 1);
    assert_eq!(replied[0].contact_id, ids["15550000001"]);

    // Not done while a send waits; cancelling withdraws it and finishes the campaign.
    assert!(
        !store
            .campaigns
            .complete_if_done(campaign.id, now)
            .await
            .unwrap()
    );
    store.campaigns.cancel(campaign.id, now).await.unwrap();
    let campaign = store.campaigns.get(campaign.id).await.unwrap().unwrap();
    assert_eq!(campaign.state, CampaignState::Cancelled);
    assert_eq!(
        store
            .campaigns
            .waiting_on_number(wa::NUMBER_A)
            .await
            .unwrap(),
        0
    );
    assert!(matches!(
        store.campaigns.delete(campaign.id).await,
        Err(StoreError::WrongState(_))
    ));
}
