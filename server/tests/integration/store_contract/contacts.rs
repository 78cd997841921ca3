//! Contacts: added by hand, edited, listed and filtered, custom attributes defined and
//! dropped, one customer however their phone is spelt, and merges that keep everything.

use super::labels::add_label;
use super::{apply, conversation_of, conversation_with, events};
use crate::on_both_engines;
use crate::support::{Engine, fresh_database, fresh_store, tables_referencing};
use crate::wa;
use parley_app::contacts::{AttributeKey, AttributeType, PhoneNumber};
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{
    AttributeUpdate, ContactChange, ContactQuery, NewAttribute, SharedStore, StoreError,
};
use std::collections::BTreeMap;

on_both_engines!(
    contacts_are_added_edited_and_read_back,
    the_list_filters_searches_and_pages,
    attributes_are_defined_changed_and_dropped_with_their_values,
    one_phone_however_spelt_is_one_contact,
    a_merge_keeps_everything_of_both,
    imported_rows_update_or_create,
    segments_are_saved_and_their_conditions_select,
    an_erasure_reaches_every_copy,
    retention_forgets_old_content_and_keeps_the_rows,
);

fn key(key: &str) -> AttributeKey {
    AttributeKey::parse(key).unwrap()
}

async fn add_attribute(store: &SharedStore, name: &str, kind: AttributeType) {
    let options = if kind == AttributeType::List {
        vec!["Gold".to_owned(), "Silver".to_owned()]
    } else {
        Vec::new()
    };
    store
        .contacts
        .create_attribute(
            &NewAttribute {
                key: key(name),
                label: name.to_uppercase(),
                kind,
                options,
                agent_editable: true,
            },
            Millis(1),
        )
        .await
        .unwrap();
}

fn values(pairs: &[(&str, Option<&str>)]) -> BTreeMap<AttributeKey, Option<String>> {
    pairs
        .iter()
        .map(|(k, v)| (key(k), v.map(str::to_owned)))
        .collect()
}

async fn add_contact(store: &SharedStore, phone: &str, change: ContactChange) -> i64 {
    let phone = PhoneNumber::parse(phone).unwrap();
    store
        .contacts
        .create(&phone, &change, Millis(10))
        .await
        .unwrap()
}

async fn contacts_are_added_edited_and_read_back(engine: Engine) {
    let store = fresh_store(engine).await;
    add_attribute(&store, "tier", AttributeType::List).await;
    let vip = add_label(&store, "vip", "#d97706").await;
    let before = store.events.latest_id().await.unwrap();
    let id = add_contact(
        &store,
        "+44 20 7946 0958",
        ContactChange {
            edited_name: Some(Some("Ada".into())),
            email: Some(Some("ada@example.com".into())),
            labels: Some(vec![vip.id]),
            attributes: values(&[("tier", Some("Gold"))]),
            ..ContactChange::default()
        },
    )
    .await;
    let ada = store.contacts.get(id).await.unwrap().unwrap();
    assert_eq!(ada.wa_id.as_deref(), Some("442079460958"));
    assert_eq!(ada.name(), Some("Ada"));
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.labels, ["vip"]);
    assert_eq!(ada.attributes.get("tier").map(String::as_str), Some("Gold"));
    assert_eq!(ada.conversation_count, 0, "adding a contact opens nothing");
    assert!(store.contacts.history(id).await.unwrap().is_empty());

    store
        .contacts
        .update(
            id,
            &ContactChange {
                email: Some(None),
                company: Some(Some("Analytical Engines".into())),
                language: Some(Some("en-GB".into())),
                time_zone: Some(Some("Europe/London".into())),
                note: Some("Prefers mornings".into()),
                labels: Some(Vec::new()),
                attributes: values(&[("tier", None)]),
                ..ContactChange::default()
            },
            Millis(20),
        )
        .await
        .unwrap();
    let ada = store.contacts.get(id).await.unwrap().unwrap();
    assert_eq!(ada.email, None, "null clears");
    assert_eq!(ada.name(), Some("Ada"), "absent keeps");
    assert_eq!(ada.company.as_deref(), Some("Analytical Engines"));
    assert_eq!(ada.language.as_deref(), Some("en-GB"));
    assert_eq!(ada.time_zone.as_deref(), Some("Europe/London"));
    assert_eq!(ada.note, "Prefers mornings");
    assert!(ada.labels.is_empty() && ada.attributes.is_empty());
    assert_eq!(ada.updated_at, Millis(20));
    let written = events(&store, before).await;
    assert_eq!(
        written,
        [
            DomainEvent::ContactChanged { contact_id: id },
            DomainEvent::ContactChanged { contact_id: id }
        ]
    );
    assert!(matches!(
        store
            .contacts
            .update(9999, &ContactChange::default(), Millis(30))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.contacts.get(9999).await.unwrap().is_none());
    // An unknown label or attribute is refused, not half-written.
    let unknown_label = ContactChange {
        labels: Some(vec![vip.id + 100]),
        ..ContactChange::default()
    };
    assert!(
        store
            .contacts
            .update(id, &unknown_label, Millis(40))
            .await
            .is_err()
    );
    let unknown_attribute = ContactChange {
        note: Some("overwritten?".into()),
        attributes: values(&[("nope", Some("x"))]),
        ..ContactChange::default()
    };
    assert!(
        store
            .contacts
            .update(id, &unknown_attribute, Millis(40))
            .await
            .is_err()
    );
    assert_eq!(
        store.contacts.get(id).await.unwrap().unwrap().note,
        "Prefers mornings"
    );
}

async fn the_list_filters_searches_and_pages(engine: Engine) {
    let store = fresh_store(engine).await;
    add_attribute(&store, "tier", AttributeType::List).await;
    let vip = add_label(&store, "vip", "#d97706").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let change = ContactChange {
            edited_name: Some(Some(format!("Customer {i}"))),
            company: Some(Some(if i % 2 == 0 { "Acme" } else { "Globex" }.into())),
            labels: Some(if i < 2 { vec![vip.id] } else { Vec::new() }),
            attributes: values(&[("tier", Some(if i == 4 { "Gold" } else { "Silver" }))]),
            ..ContactChange::default()
        };
        ids.push(add_contact(&store, &format!("+1415555010{i}"), change).await);
    }
    let list = |query: ContactQuery| {
        let store = store.clone();
        async move {
            store
                .contacts
                .list(&query)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let all = ContactQuery {
        limit: 10,
        ..ContactQuery::default()
    };
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(list(all.clone()).await, newest_first);
    let first_page = list(ContactQuery {
        limit: 2,
        ..all.clone()
    })
    .await;
    assert_eq!(first_page, newest_first[..2]);
    let second_page = list(ContactQuery {
        limit: 2,
        before: Some(first_page[1]),
        ..all.clone()
    })
    .await;
    assert_eq!(second_page, newest_first[2..4]);
    assert_eq!(
        list(ContactQuery {
            labels: vec![vip.id],
            ..all.clone()
        })
        .await,
        [ids[1], ids[0]]
    );
    assert_eq!(
        list(ContactQuery {
            attributes: vec![(key("tier"), "Gold".into())],
            ..all.clone()
        })
        .await,
        [ids[4]]
    );
    let search = |text: &str| ContactQuery {
        search: Some(text.into()),
        ..all.clone()
    };
    assert_eq!(list(search("globex")).await, [ids[3], ids[1]], "any case");
    assert_eq!(list(search("customer 2")).await, [ids[2]]);
    assert_eq!(
        list(search("(415) 555-0103")).await,
        [ids[3]],
        "phone digits"
    );
    assert!(
        list(search("ac%e")).await.is_empty(),
        "wildcards are literal"
    );
    let page = store.contacts.list(&all).await.unwrap();
    let last = page.iter().find(|c| c.id == ids[0]).unwrap();
    assert_eq!(last.labels, ["vip"]);
    assert_eq!(
        last.attributes.get("tier").map(String::as_str),
        Some("Silver")
    );
}

async fn attributes_are_defined_changed_and_dropped_with_their_values(engine: Engine) {
    let store = fresh_store(engine).await;
    add_attribute(&store, "tier", AttributeType::List).await;
    add_attribute(&store, "order_id", AttributeType::Text).await;
    let duplicate = NewAttribute {
        key: key("tier"),
        label: "Again".into(),
        kind: AttributeType::Text,
        options: Vec::new(),
        agent_editable: true,
    };
    assert!(matches!(
        store.contacts.create_attribute(&duplicate, Millis(2)).await,
        Err(StoreError::Conflict(_))
    ));
    let listed = store.contacts.attributes().await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["tier", "order_id"], "in the order they were made");
    assert_eq!(listed[0].options, ["Gold", "Silver"]);
    assert!(listed[0].agent_editable);

    let changed = store
        .contacts
        .update_attribute(
            &key("order_id"),
            &AttributeUpdate {
                label: Some("Order".into()),
                agent_editable: Some(false),
                position: Some(0),
                ..AttributeUpdate::default()
            },
            Millis(3),
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.label.as_str(), changed.agent_editable),
        ("Order", false)
    );
    let keys: Vec<String> = store
        .contacts
        .attributes()
        .await
        .unwrap()
        .iter()
        .map(|a| a.key.to_string())
        .collect();
    assert_eq!(keys, ["order_id", "tier"], "moved first");
    assert!(matches!(
        store
            .contacts
            .update_attribute(&key("nope"), &AttributeUpdate::default(), Millis(4))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let id = add_contact(
        &store,
        "+14155550100",
        ContactChange {
            attributes: values(&[("tier", Some("Gold")), ("order_id", Some("A-1"))]),
            ..ContactChange::default()
        },
    )
    .await;
    let before = store.events.latest_id().await.unwrap();
    store
        .contacts
        .delete_attribute(&key("tier"), Millis(5))
        .await
        .unwrap();
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::AttributesChanged]
    );
    let contact = store.contacts.get(id).await.unwrap().unwrap();
    assert_eq!(contact.attributes.keys().collect::<Vec<_>>(), ["order_id"]);
    assert!(matches!(
        store
            .contacts
            .delete_attribute(&key("tier"), Millis(6))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn one_phone_however_spelt_is_one_contact(engine: Engine) {
    let store = fresh_store(engine).await;
    // A Brazilian mobile typed with its ninth digit; WhatsApp's wa_id lacks it.
    let brazil = add_contact(&store, "+55 11 98765-4321", ContactChange::default()).await;
    let again = PhoneNumber::parse("+55 11 8765-4321").unwrap();
    assert!(matches!(
        store
            .contacts
            .create(&again, &ContactChange::default(), Millis(11))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let conversation = conversation_of(&store, 1, "551187654321").await;
    let contact = store.contacts.get(brazil).await.unwrap().unwrap();
    assert_eq!(
        contact.conversation_count, 1,
        "the message found the contact"
    );
    assert_eq!(
        contact.wa_id.as_deref(),
        Some("551187654321"),
        "WhatsApp's spelling is kept: it is the one Meta delivers to"
    );
    let history = store.contacts.history(brazil).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, conversation);
    assert_eq!(history[0].phone_number_id, wa::NUMBER_A);
    // A Mexican mobile as E.164 spells it; WhatsApp writes 521…
    let mexico = add_contact(&store, "+52 55 1234 5678", ContactChange::default()).await;
    conversation_of(&store, 2, "5215512345678").await;
    let contact = store.contacts.get(mexico).await.unwrap().unwrap();
    assert_eq!(contact.conversation_count, 1);
    let everyone = store
        .contacts
        .list(&ContactQuery {
            limit: 10,
            ..ContactQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(everyone.len(), 2, "no duplicates");
}

async fn a_merge_keeps_everything_of_both(engine: Engine) {
    let url = fresh_database(engine).await;
    let store = parley_server::store::connect(&url).await.unwrap();
    add_attribute(&store, "tier", AttributeType::List).await;
    add_attribute(&store, "order_id", AttributeType::Text).await;
    let vip = add_label(&store, "vip", "#d97706").await;
    let refund = add_label(&store, "refund", "#2563eb").await;
    let now = wa::now_secs();
    // The same person, once by phone and once by user id, each with what the team noted.
    apply(
        &store,
        1,
        &wa::inbound_text(wa::NUMBER_A, "15550841", "Phone", "wamid.k1", now, "hi"),
    )
    .await;
    let by_user = wa::notification(vec![wa::messages_change(
        wa::NUMBER_B,
        vec![wa::contact(None, Some("US.keep"), "User")],
        vec![wa::text("wamid.k2", None, Some("US.keep"), now, "hello")],
        vec![],
    )]);
    apply(&store, 2, &by_user).await;
    let all = ContactQuery {
        limit: 10,
        ..ContactQuery::default()
    };
    let found = store.contacts.list(&all).await.unwrap();
    let phone = found.iter().find(|c| c.wa_id.is_some()).unwrap().id;
    let user = found.iter().find(|c| c.bsuid.is_some()).unwrap().id;
    let noted =
        |labels, pairs: &[(&str, Option<&str>)], note: &str, email: Option<&str>| ContactChange {
            labels: Some(labels),
            attributes: values(pairs),
            note: Some(note.into()),
            email: email.map(|e| Some(e.to_owned())),
            ..ContactChange::default()
        };
    store
        .contacts
        .update(
            phone,
            &noted(vec![vip.id], &[("tier", Some("Gold"))], "Phone note", None),
            Millis(5),
        )
        .await
        .unwrap();
    store
        .contacts
        .update(
            user,
            &noted(
                vec![vip.id, refund.id],
                &[("tier", Some("Silver")), ("order_id", Some("A-7"))],
                "User note",
                Some("user@example.com"),
            ),
            Millis(6),
        )
        .await
        .unwrap();
    let opted_in = parley_server::store::NewConsentEntry {
        contact_id: user,
        purpose: parley_app::consent::ConsentPurpose::Marketing,
        state: parley_app::consent::ConsentState::OptedIn,
        source: parley_app::consent::ConsentSource::Api,
        actor: None,
        note: None,
        evidence: None,
    };
    store.consent.record(&opted_in, Millis(7)).await.unwrap();
    // One message shows both ids: the records merge into the phone record.
    let both = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("15550841"), Some("US.keep"), "Both")],
        vec![wa::text(
            "wamid.k3",
            Some("15550841"),
            Some("US.keep"),
            now,
            "both",
        )],
        vec![],
    )]);
    apply(&store, 3, &both).await;
    assert!(
        store.contacts.get(user).await.unwrap().is_none(),
        "absorbed"
    );
    let kept = store.contacts.get(phone).await.unwrap().unwrap();
    assert_eq!(kept.bsuid.as_deref(), Some("US.keep"));
    assert_eq!(kept.conversation_count, 2, "both conversations");
    assert_eq!(kept.labels, ["refund", "vip"], "labels of both");
    assert_eq!(
        kept.attributes,
        BTreeMap::from([
            ("order_id".to_owned(), "A-7".to_owned()),
            ("tier".to_owned(), "Gold".to_owned()),
        ]),
        "values of both; the kept record's win"
    );
    assert_eq!(kept.note, "Phone note\n\nUser note");
    let ledger = store
        .consent
        .ledger(phone, parley_app::consent::ConsentPurpose::Marketing)
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "the consent ledgers join");
    assert_eq!(
        kept.email.as_deref(),
        Some("user@example.com"),
        "fields it lacked"
    );
    // Every table that references a contact, so a new one cannot be forgotten by `merge`.
    assert_eq!(
        tables_referencing(&url, "contacts").await,
        [
            "campaign_recipients",
            "consent_entries",
            "contact_attribute_values",
            "contact_labels",
            "conversations"
        ]
    );
}

async fn imported_rows_update_or_create(engine: Engine) {
    use parley_app::contacts::ImportedContact;
    use parley_server::store::ImportRow;
    let store = fresh_store(engine).await;
    add_attribute(&store, "tier", AttributeType::List).await;
    let vip = add_label(&store, "vip", "#d97706").await;
    let refund = add_label(&store, "refund", "#2563eb").await;
    let known = add_contact(
        &store,
        "+55 11 98765-4321",
        ContactChange {
            company: Some(Some("Kept".into())),
            labels: Some(vec![refund.id]),
            ..ContactChange::default()
        },
    )
    .await;
    let row =
        |phone: Option<&str>, user_id: Option<&str>, name: &str, labels: Vec<i64>| ImportRow {
            contact: ImportedContact {
                line: 2,
                phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
                user_id: user_id.map(str::to_owned),
                name: Some(name.into()),
                attributes: vec![(key("tier"), "Gold".into())],
                ..ImportedContact::default()
            },
            labels,
            imported_by: None,
            file: None,
        };
    let before = store.events.latest_id().await.unwrap();
    let created = store
        .contacts
        .import(
            &[
                row(Some("+551187654321"), None, "Ana", vec![vip.id]),
                row(Some("+14155550100"), None, "Bo", vec![]),
                row(None, Some("US.import"), "Cy", vec![vip.id]),
                row(Some("+14155550199"), Some("US.import"), "Cy again", vec![]),
            ],
            Millis(50),
        )
        .await
        .unwrap();
    assert_eq!(created, [false, true, true, false]);
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::ContactsImported {
            created: 2,
            updated: 2
        }],
        "one event a chunk, not one a row"
    );
    let ana = store.contacts.get(known).await.unwrap().unwrap();
    assert_eq!(ana.name(), Some("Ana"));
    assert_eq!(
        ana.company.as_deref(),
        Some("Kept"),
        "absent fields keep their value"
    );
    assert_eq!(ana.labels, ["refund", "vip"], "labels are added");
    assert_eq!(ana.attributes.get("tier").map(String::as_str), Some("Gold"));
    let all = store
        .contacts
        .list(&ContactQuery {
            search: Some("Cy".into()),
            limit: 10,
            ..ContactQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name(), Some("Cy again"));
    assert_eq!(
        all[0].wa_id.as_deref(),
        Some("14155550199"),
        "the user-id record learns its phone"
    );
}

async fn segments_are_saved_and_their_conditions_select(engine: Engine) {
    use parley_app::contacts::{AttributeCondition, ConditionOp, SegmentFilter};
    let store = fresh_store(engine).await;
    add_attribute(&store, "tier", AttributeType::List).await;
    add_attribute(&store, "since", AttributeType::Date).await;
    add_attribute(&store, "spent", AttributeType::Number).await;
    add_attribute(&store, "city", AttributeType::Text).await;
    let mut ids = Vec::new();
    for (i, (tier, since, spent, city)) in [
        ("Gold", "2023-05-01", "1200", "Lisboa"),
        ("Silver", "2024-02-10", "80.5", "Porto"),
        ("Gold", "2025-09-30", "9", "Lisbon"),
    ]
    .into_iter()
    .enumerate()
    {
        let change = ContactChange {
            attributes: values(&[
                ("tier", Some(tier)),
                ("since", Some(since)),
                ("spent", Some(spent)),
                ("city", Some(city)),
            ]),
            ..ContactChange::default()
        };
        ids.push(add_contact(&store, &format!("+1415555020{i}"), change).await);
    }
    let bare = add_contact(&store, "+14155550299", ContactChange::default()).await;
    conversation_of(&store, 1, "14155550299").await;
    let count = |conditions: Vec<CheckedCondition>, open: Option<bool>| {
        let store = store.clone();
        async move {
            let query = ContactQuery {
                conditions,
                open_conversation: open,
                limit: 10,
                ..ContactQuery::default()
            };
            let listed: Vec<i64> = store
                .contacts
                .list(&query)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect();
            assert_eq!(
                store.contacts.count(&query).await.unwrap(),
                listed.len() as i64
            );
            listed
        }
    };
    use parley_app::contacts::{CheckedCondition, ordered::Number};
    assert_eq!(
        count(
            vec![CheckedCondition::Equals(key("tier"), "Gold".into())],
            None
        )
        .await,
        [ids[2], ids[0]]
    );
    assert_eq!(
        count(
            vec![CheckedCondition::Contains(key("city"), "lisb".into())],
            None
        )
        .await,
        [ids[2], ids[0]]
    );
    assert_eq!(
        count(
            vec![CheckedCondition::DateBefore(
                key("since"),
                "2024-06-01".into()
            )],
            None
        )
        .await,
        [ids[1], ids[0]]
    );
    assert_eq!(
        count(
            vec![CheckedCondition::DateAfter(
                key("since"),
                "2024-06-01".into()
            )],
            None
        )
        .await,
        [ids[2]]
    );
    assert_eq!(
        count(
            vec![CheckedCondition::MoreThan(key("spent"), Number(100.0))],
            None
        )
        .await,
        [ids[0]],
        "as numbers, not text"
    );
    assert_eq!(
        count(
            vec![CheckedCondition::LessThan(key("spent"), Number(81.0))],
            None
        )
        .await,
        [ids[2], ids[1]]
    );
    assert_eq!(
        count(vec![CheckedCondition::IsEmpty(key("tier"))], None).await,
        [bare]
    );
    assert_eq!(
        count(vec![CheckedCondition::IsSet(key("tier"))], Some(false)).await,
        [ids[2], ids[1], ids[0]]
    );
    assert_eq!(count(vec![], Some(true)).await, [bare]);
    let by_number = ContactQuery {
        phone_number_id: Some(wa::NUMBER_A.into()),
        last_message_after: Some(Millis(1)),
        limit: 10,
        ..ContactQuery::default()
    };
    assert_eq!(store.contacts.count(&by_number).await.unwrap(), 1);

    let filter = SegmentFilter {
        labels: vec!["vip".into()],
        conditions: vec![AttributeCondition {
            attribute: "tier".into(),
            op: ConditionOp::Equals,
            value: Some(serde_json::json!("Gold")),
        }],
        open_conversation: Some(false),
        ..SegmentFilter::default()
    };
    let before = store.events.latest_id().await.unwrap();
    let saved = store
        .contacts
        .create_segment("Gold customers", &filter, None, Millis(5))
        .await
        .unwrap();
    assert_eq!(saved.filter, filter);
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::SegmentChanged {
            segment_id: saved.id
        }]
    );
    let renamed = store
        .contacts
        .update_segment(saved.id, Some("Gold"), None, Millis(6))
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), &renamed.filter), ("Gold", &filter));
    assert_eq!(store.contacts.segments().await.unwrap().len(), 1);
    store.contacts.delete_segment(saved.id).await.unwrap();
    assert!(store.contacts.segment(saved.id).await.unwrap().is_none());
    assert!(matches!(
        store.contacts.delete_segment(saved.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn an_erasure_reaches_every_copy(engine: Engine) {
    let url = fresh_database(engine).await;
    let store = parley_server::store::connect(&url).await.unwrap();
    let now = wa::now_secs();
    let image = serde_json::json!({"id": "wamid.img", "timestamp": now.to_string(), "type": "image",
        "from": "14155550601", "image": {"id": "media.601", "mime_type": "image/jpeg", "sha256": "00", "caption": "my passport"}});
    let payload = wa::notification(vec![wa::messages_change(
        wa::NUMBER_A,
        vec![wa::contact(Some("14155550601"), None, "Pat")],
        vec![image],
        vec![],
    )]);
    apply(&store, 1, &payload).await;
    store
        .media
        .stored(
            "media.601",
            "/tmp/parley-erasure-test.jpg",
            3,
            "image/jpeg",
            Millis(2),
        )
        .await
        .unwrap();
    let contact = store
        .contacts
        .list(&ContactQuery {
            limit: 5,
            ..ContactQuery::default()
        })
        .await
        .unwrap()[0]
        .id;
    let erased = store.contacts.erase(contact, Millis(3)).await.unwrap();
    assert_eq!((erased.conversations, erased.messages), (1, 1));
    assert_eq!(erased.media_paths, ["/tmp/parley-erasure-test.jpg"]);
    assert!(
        store.media.file("media.601").await.unwrap().is_none(),
        "the media record is gone"
    );
    let record = store.contacts.get(contact).await.unwrap().unwrap();
    assert_eq!((record.wa_id, record.profile_name), (None, None));
    assert!(matches!(
        store.contacts.erase(9999, Millis(4)).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn retention_forgets_old_content_and_keeps_the_rows(engine: Engine) {
    let store = fresh_store(engine).await;
    let now = wa::now_secs();
    let day = 86_400;
    apply(
        &store,
        1,
        &wa::inbound_text(
            wa::NUMBER_A,
            "14155550801",
            "Old",
            "wamid.old",
            now - 100 * day,
            "an old secret",
        ),
    )
    .await;
    apply(
        &store,
        2,
        &wa::inbound_text(
            wa::NUMBER_A,
            "14155550801",
            "Old",
            "wamid.new",
            now,
            "a new message",
        ),
    )
    .await;
    let conversation = conversation_with(&store, "14155550801").await;
    let cutoff = Millis((now - 30 * day) * 1000);
    let forgotten = store
        .messages
        .forget_content_before(cutoff, 1000)
        .await
        .unwrap();
    assert_eq!(forgotten.messages, 1);
    let page = store.messages.page(conversation, None, 10).await.unwrap();
    let texts: Vec<Option<&str>> = page.messages.iter().map(|m| m.text.as_deref()).collect();
    assert_eq!(
        texts,
        [None, Some("a new message")],
        "the old row stays, without its text"
    );
    assert_eq!(
        page.messages[0].payload,
        serde_json::json!({"erased": true})
    );
    let again = store
        .messages
        .forget_content_before(cutoff, 1000)
        .await
        .unwrap();
    assert_eq!(again.messages, 0, "nothing is forgotten twice");
}
