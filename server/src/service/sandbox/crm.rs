//! The demo's CRM seed.

use crate::domain::audit::AuditAction;
use crate::service::audit::{self, Actor, Origin};

/// The demo's CRM: custom attributes, what the team knows about the seeded customers (emails,
/// companies, languages, time zones, labels, attribute values, notes) and two contacts added
/// by hand who have not written yet.
pub(super) async fn seed_contacts(
    store: &crate::store::Store,
    conversations: &[crate::domain::conversation::Conversation],
    labels: &std::collections::HashMap<&str, i64>,
    admin: Option<&parley_app::model::Viewer>,
    now: crate::domain::Millis,
) -> Result<(), crate::store::StoreError> {
    use crate::store::{ContactChange, NewAttribute};
    use parley_app::contacts::{
        AttributeCondition, AttributeKey, AttributeType, ConditionOp, PhoneNumber, SegmentFilter,
    };
    use serde_json::json;
    let attributes = [
        (
            "tier",
            "Tier",
            AttributeType::List,
            &["Gold", "Silver", "Bronze"][..],
            true,
        ),
        ("order_id", "Last order", AttributeType::Text, &[][..], true),
        (
            "customer_since",
            "Customer since",
            AttributeType::Date,
            &[][..],
            true,
        ),
        (
            "newsletter",
            "Newsletter",
            AttributeType::Checkbox,
            &[][..],
            true,
        ),
        (
            "lifetime_value",
            "Lifetime value (EUR)",
            AttributeType::Number,
            &[][..],
            false,
        ),
        ("shop_url", "Shop", AttributeType::Url, &[][..], true),
    ];
    for (key, label, kind, options, agent_editable) in attributes {
        let attribute = NewAttribute {
            key: AttributeKey::parse(key).expect("a valid key"),
            label: label.into(),
            kind,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            agent_editable,
        };
        store.contacts.create_attribute(&attribute, now).await?;
        if let Some(admin) = admin {
            let details = serde_json::json!({"key": key, "label": label, "type": kind});
            let target = format!("contact attribute {key}");
            let action = AuditAction::ContactAttributeCreated;
            audit::write(
                store,
                now,
                Actor::Member(admin),
                &Origin::sandbox(),
                action,
                target,
                details,
            )
            .await;
        }
    }
    let values = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    AttributeKey::parse(k).expect("a valid key"),
                    Some((*v).to_owned()),
                )
            })
            .collect()
    };
    let label_ids = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| labels.get(n).copied())
            .collect()
    };
    let known = [
        (
            "Amira Haddad",
            ContactChange {
                email: Some(Some("amira@haddad-trading.example".into())),
                company: Some(Some("Haddad Trading".into())),
                language: Some(Some("ar".into())),
                time_zone: Some(Some("Asia/Dubai".into())),
                note: Some("Wholesale buyer; prefers voice notes in the afternoon.".into()),
                labels: Some(label_ids(&["VIP", "sales lead"])),
                attributes: values(&[
                    ("tier", "Gold"),
                    ("order_id", "A-1042"),
                    ("customer_since", "2023-04-12"),
                    ("newsletter", "true"),
                    ("lifetime_value", "12480"),
                    ("shop_url", "https://haddad-trading.example"),
                ]),
                ..ContactChange::default()
            },
        ),
        (
            "Noa Levi",
            ContactChange {
                email: Some(Some("noa.levi@example.com".into())),
                language: Some(Some("he".into())),
                time_zone: Some(Some("Asia/Jerusalem".into())),
                labels: Some(label_ids(&["complaint"])),
                attributes: values(&[
                    ("tier", "Silver"),
                    ("order_id", "4471"),
                    ("lifetime_value", "389.5"),
                ]),
                ..ContactChange::default()
            },
        ),
        (
            "Mateo García",
            ContactChange {
                company: Some(Some("Café Mateo".into())),
                language: Some(Some("es-AR".into())),
                time_zone: Some(Some("America/Argentina/Buenos_Aires".into())),
                attributes: values(&[("tier", "Bronze"), ("newsletter", "false")]),
                ..ContactChange::default()
            },
        ),
        (
            "张伟",
            ContactChange {
                language: Some(Some("zh-CN".into())),
                time_zone: Some(Some("Asia/Shanghai".into())),
                note: Some("Returns: asks for the invoice every time.".into()),
                attributes: values(&[("customer_since", "2025-11-02")]),
                ..ContactChange::default()
            },
        ),
    ];
    for (name, change) in known {
        let Some(contact) = conversations
            .iter()
            .find(|c| c.contact.name.as_deref() == Some(name))
            .map(|c| c.contact.id)
        else {
            continue;
        };
        store.contacts.update(contact, &change, now).await?;
    }
    for (phone, name, company) in [
        ("+351 912 345 678", "Inês Carvalho", "Lisboa Bikes"),
        ("+49 151 23456789", "Jonas Weber", "Weber Feinkost"),
    ] {
        let change = ContactChange {
            edited_name: Some(Some(name.into())),
            company: Some(Some(company.into())),
            labels: Some(label_ids(&["sales lead"])),
            attributes: values(&[("newsletter", "true")]),
            ..ContactChange::default()
        };
        let phone = PhoneNumber::parse(phone).expect("a valid phone");
        store.contacts.create(&phone, &change, now).await?;
    }
    let condition = |attribute: &str, op, value: serde_json::Value| AttributeCondition {
        attribute: attribute.into(),
        op,
        value: Some(value),
    };
    let segments = [
        (
            "Newsletter subscribers",
            SegmentFilter {
                conditions: vec![condition("newsletter", ConditionOp::Equals, json!(true))],
                ..SegmentFilter::default()
            },
        ),
        (
            "Big spenders waiting for us",
            SegmentFilter {
                conditions: vec![condition("lifetime_value", ConditionOp::After, json!(300))],
                open_conversation: Some(true),
                ..SegmentFilter::default()
            },
        ),
    ];
    let by = admin.map(|a| a.id);
    for (name, filter) in segments {
        store
            .contacts
            .create_segment(name, &filter, by, now)
            .await?;
    }
    Ok(())
}
