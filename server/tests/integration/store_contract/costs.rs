//! The cost ledger and the rate card: a priced message counts once however often Meta repeats
//! its price, and spend is counted per category, country, number, member and day.

use super::{add_user, apply, outbound, with_conversation};
use crate::on_both_engines;
use crate::support::Engine;
use crate::wa;
use parley_app::costs::{RateCardInput, RateView, SpendGrouping};
use parley_app::model::Role;
use parley_server::domain::Millis;
use parley_server::domain::cost::ChargeCount;
use parley_server::domain::rate_card::{RateCard, parse_day};
use serde_json::json;

on_both_engines!(
    a_priced_message_is_charged_once_however_often_its_status_repeats,
    spend_is_counted_per_member_and_day,
    the_rate_card_is_replaced_whole,
);

const CUSTOMER: &str = "447700900123"; // in the United Kingdom

fn priced(
    wamid: &str,
    status: &str,
    at: i64,
    category: &str,
    kind: &str,
    billable: bool,
) -> serde_json::Value {
    let mut value = wa::status(wamid, status, at, CUSTOMER);
    value["pricing"] =
        json!({"billable": billable, "pricing_model": "PMP", "category": category, "type": kind});
    value
}

fn total(counts: &[ChargeCount], billable: bool) -> i64 {
    counts
        .iter()
        .filter(|c| c.billable == billable)
        .map(|c| c.messages)
        .sum()
}

async fn a_priced_message_is_charged_once_however_often_its_status_repeats(engine: Engine) {
    let (store, _) = with_conversation(engine, CUSTOMER).await;
    let at = parse_day("2026-07-01").unwrap().0 / 1000 + 3600;
    let statuses = vec![
        priced("wamid.m1", "sent", at, "marketing", "regular", true),
        priced(
            "wamid.m1",
            "delivered",
            at + 5,
            "marketing",
            "regular",
            true,
        ),
        priced("wamid.m1", "read", at + 60, "marketing", "regular", true),
        priced(
            "wamid.s1",
            "sent",
            at,
            "service",
            "free_customer_service",
            false,
        ),
        priced("wamid.u1", "sent", at, "utility", "regular", true),
    ];
    apply(&store, 10, &wa::statuses(wa::NUMBER_A, statuses)).await;
    // Meta repeats itself in a later webhook too.
    let again = vec![priced(
        "wamid.m1",
        "read",
        at + 90,
        "marketing",
        "regular",
        true,
    )];
    apply(&store, 11, &wa::statuses(wa::NUMBER_A, again)).await;

    let (from, to) = (
        Millis(at * 1000 - 86_400_000),
        Millis(at * 1000 + 86_400_000),
    );
    let counts = store
        .costs
        .count_charges(SpendGrouping::Category, from, to)
        .await
        .unwrap();
    assert_eq!(
        (total(&counts, true), total(&counts, false)),
        (2, 1),
        "{counts:?}"
    );
    let marketing: Vec<_> = counts
        .iter()
        .filter(|c| c.key.as_deref() == Some("marketing"))
        .collect();
    assert_eq!(marketing.len(), 1);
    assert_eq!(
        (marketing[0].messages, marketing[0].country.as_str()),
        (1, "GB")
    );
    let by_number = store
        .costs
        .count_charges(SpendGrouping::Number, from, to)
        .await
        .unwrap();
    assert!(
        by_number
            .iter()
            .all(|c| c.key.as_deref() == Some(wa::NUMBER_A))
    );
    // Outside the period: nothing.
    let later = store
        .costs
        .count_charges(SpendGrouping::Category, to, Millis(to.0 + 1))
        .await
        .unwrap();
    assert!(later.is_empty());
}

async fn spend_is_counted_per_member_and_day(engine: Engine) {
    let (store, conversation) = with_conversation(engine, CUSTOMER).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let reply = outbound(conversation, ana, CUSTOMER, "Your order is on its way");
    let message = store.outbox.enqueue(&reply, Millis::now()).await.unwrap();
    store
        .outbox
        .accepted(&[(message, "wamid.ana.1".into())], Millis::now())
        .await
        .unwrap();
    let day_one = parse_day("2026-07-01").unwrap().0 / 1000 + 3600;
    let day_two = day_one + 86_400;
    let statuses = vec![
        priced("wamid.ana.1", "sent", day_one, "utility", "regular", true),
        // Not Parley's send (another app on the number): nobody's.
        priced(
            "wamid.other.1",
            "sent",
            day_two,
            "marketing",
            "regular",
            true,
        ),
    ];
    apply(&store, 20, &wa::statuses(wa::NUMBER_A, statuses)).await;

    let (from, to) = (
        Millis(day_one * 1000 - 7_200_000),
        Millis(day_two * 1000 + 3_600_000),
    );
    let by_agent = store
        .costs
        .count_charges(SpendGrouping::Agent, from, to)
        .await
        .unwrap();
    let ana_row = by_agent
        .iter()
        .find(|c| c.key == Some(ana.0.to_string()))
        .expect("Ana's send");
    assert_eq!(
        (ana_row.label.as_deref(), ana_row.messages),
        (Some("ana"), 1)
    );
    assert!(
        by_agent
            .iter()
            .any(|c| c.key.is_none() && c.category == "marketing")
    );
    let by_day = store
        .costs
        .count_charges(SpendGrouping::Day, from, to)
        .await
        .unwrap();
    let mut days: Vec<i64> = by_day.iter().map(|c| c.day).collect();
    days.sort();
    assert_eq!(days, vec![day_one / 86_400, day_two / 86_400]);
    let by_campaign = store
        .costs
        .count_charges(SpendGrouping::Campaign, from, to)
        .await
        .unwrap();
    assert!(by_campaign.iter().all(|c| c.key.is_none()));
}

async fn the_rate_card_is_replaced_whole(engine: Engine) {
    let (store, _) = with_conversation(engine, CUSTOMER).await;
    assert_eq!(store.costs.rate_card().await.unwrap(), RateCard::default());
    let rate = |country: &str, category: &str, rate: &str, from: &str| RateView {
        country: country.into(),
        category: category.into(),
        rate: rate.into(),
        effective_from: from.into(),
        volume_from: 0,
    };
    let first = RateCard::from_input(&RateCardInput {
        currency: "EUR".into(),
        rates: vec![
            rate("GB", "marketing", "0.0529", "2026-07-01"),
            rate("*", "marketing", "0.06", "2026-07-01"),
        ],
    })
    .unwrap();
    store.costs.replace_rate_card(&first).await.unwrap();
    let read = store.costs.rate_card().await.unwrap();
    assert_eq!(read.currency.as_deref(), Some("EUR"));
    assert_eq!(read.rates.len(), 2);
    assert!(read.rates.contains(&first.rates[0]));

    // Volume tiers: the same country, category and day at several volumes.
    let second = RateCard::from_input(&RateCardInput {
        currency: "USD".into(),
        rates: vec![
            rate("IN", "utility", "0.0014", "2026-01-01"),
            RateView {
                volume_from: 100_000,
                ..rate("IN", "utility", "0.0012", "2026-01-01")
            },
        ],
    })
    .unwrap();
    store.costs.replace_rate_card(&second).await.unwrap();
    assert_eq!(store.costs.rate_card().await.unwrap(), second);
}
