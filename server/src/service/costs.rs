//! What WhatsApp costs: the rate card (admins keep it) and spend from the cost ledger (admins
//! read it; it names what every member and campaign sent).

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::audit::AuditAction;
use crate::domain::cost::{self, day_start};
use crate::domain::period::Period;
use crate::domain::rate_card::{RateCard, format_day};
use parley_app::costs::{CostReport, RateCardInput, RateCardView, SpendGrouping};
use parley_app::model::{UnixTime, Viewer};
use serde_json::json;

pub async fn rate_card(svc: &Services, viewer: &Viewer) -> ServiceResult<RateCardView> {
    require_admin(viewer)?;
    let card = svc.store.costs.rate_card().await?;
    Ok(view(&card))
}

/// Replaces the rate card with `input`, checked whole first: one bad rate refuses them all.
pub async fn replace_rate_card(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    input: &RateCardInput,
) -> ServiceResult<RateCardView> {
    require_admin(viewer)?;
    let card = RateCard::from_input(input).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    save(svc, viewer, origin, card, "api").await
}

/// Replaces the rate card with a CSV file's (`country,category,rate,effective_from`).
pub async fn import_rate_card(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    currency: &str,
    csv: &str,
) -> ServiceResult<RateCardView> {
    require_admin(viewer)?;
    let card =
        RateCard::from_csv(currency, csv).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    save(svc, viewer, origin, card, "csv").await
}

async fn save(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    card: RateCard,
    source: &str,
) -> ServiceResult<RateCardView> {
    svc.store.costs.replace_rate_card(&card).await?;
    let details = json!({"currency": card.currency, "rates": card.rates.len(), "source": source});
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::RateCardChanged,
        "rate card".into(),
        details,
    )
    .await;
    Ok(view(&card))
}

fn view(card: &RateCard) -> RateCardView {
    RateCardView {
        currency: card.currency.clone(),
        rates: card.views(),
    }
}

/// Spend over `from`..`to` (unix seconds or dates; the last 30 days by default), grouped.
pub async fn report(
    svc: &Services,
    viewer: &Viewer,
    group_by: SpendGrouping,
    from: Option<&str>,
    to: Option<&str>,
) -> ServiceResult<CostReport> {
    require_admin(viewer)?;
    let period = Period::parse(from, to, svc.now()).map_err(ServiceError::Invalid)?;
    let card = svc.store.costs.rate_card().await?;
    let mut counts = svc
        .store
        .costs
        .count_charges(group_by, period.from, period.to)
        .await?;
    if group_by == SpendGrouping::Day {
        for count in &mut counts {
            count.key = Some(format_day(day_start(count.day)));
        }
    }
    // Volume tiers price a day by the month's messages before it, whichever group sent them.
    let month = svc
        .store
        .costs
        .count_charges(
            SpendGrouping::Category,
            cost::month_start(period.from),
            period.to,
        )
        .await?;
    let groups = cost::tally(&counts, &card, &month);
    Ok(CostReport {
        from: UnixTime::from_millis(period.from.0),
        to: UnixTime::from_millis(period.to.0),
        group_by,
        currency: card.currency.clone(),
        total: cost::total(&groups, &card),
        groups,
    })
}
