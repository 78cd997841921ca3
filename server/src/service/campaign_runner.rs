//! The campaign runner, on every node: starts scheduled campaigns whose time has come, hands
//! sending campaigns' eligible recipients to the outbox a few seconds ahead of the sender
//! (consent and the cap are checked again as they are queued), holds each number to its
//! messaging limit (unique customers per rolling 24 hours: a campaign pauses at it and resumes
//! as the day rolls on), and completes campaigns with nothing left. Two nodes handing out one
//! campaign are safe: the store queues each recipient once.

use super::campaigns::{approved_template, eligibility, record, start_now};
use super::{ServiceError, ServiceResult, Services, sending};
use crate::domain::Millis;
use crate::store::CampaignRecord;
use crate::store::campaigns::Dispatch;
use parley_app::campaigns::{
    CampaignState, PauseReason, RecipientState, fill_parameters, messaging_limit, parse_parameters,
    room_under_limit,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Seconds of sending the runner keeps queued per number: enough that the sender never
/// waits, little enough that a member's reply is not stuck behind a campaign and a pause
/// takes hold at once.
const LOOKAHEAD_SECONDS: i64 = 3;
/// Most recipients handed to the outbox in one transaction: short ones, since each holds the
/// event log's order (on PostgreSQL) that the sender's records and intake wait for.
const DISPATCH_BATCH: i64 = 50;

/// One round of the runner: starts scheduled campaigns whose time has come, tops up each
/// sending campaign's share of the outbox, and completes those with nothing left.
pub async fn tick(svc: &Services) -> ServiceResult<()> {
    let now = svc.now();
    for id in svc.store.campaigns.due(now).await? {
        let current = record(svc, id).await?;
        if let Err(error) = start_now(svc, &current).await {
            tracing::warn!(campaign = id, %error, "a scheduled campaign cannot start");
            let why = PauseReason::Problem;
            svc.store
                .campaigns
                .transition(
                    id,
                    &[CampaignState::Scheduled],
                    CampaignState::Paused,
                    Some(why),
                    now,
                )
                .await?;
        }
    }
    let limits = messaging_limits(svc).await?;
    // Paused at the limit: back to sending once the rolling day frees room.
    for campaign in svc.store.campaigns.list().await? {
        if campaign.state == CampaignState::Paused
            && campaign.pause_reason == Some(PauseReason::MessagingLimit)
            && room_today(svc, &limits, &campaign.phone_number_id, now).await? != Some(0)
        {
            svc.store
                .campaigns
                .transition(
                    campaign.id,
                    &[CampaignState::Paused],
                    CampaignState::Sending,
                    None,
                    now,
                )
                .await?;
        }
    }
    for campaign in svc.store.campaigns.sending().await? {
        let rate = svc.send_rates.of(&campaign.phone_number_id);
        let lookahead = i64::from(rate) * LOOKAHEAD_SECONDS;
        let waiting = svc
            .store
            .campaigns
            .waiting_on_number(&campaign.phone_number_id)
            .await?;
        let mut room = lookahead - waiting;
        if room <= 0 {
            continue;
        }
        if let Some(today) = room_today(svc, &limits, &campaign.phone_number_id, now).await? {
            if today == 0 {
                tracing::info!(
                    campaign = campaign.id,
                    "campaign paused at the messaging limit"
                );
                svc.store
                    .campaigns
                    .transition(
                        campaign.id,
                        &[CampaignState::Sending],
                        CampaignState::Paused,
                        Some(PauseReason::MessagingLimit),
                        now,
                    )
                    .await?;
                continue;
            }
            room = room.min(today);
        }
        top_up(svc, &campaign, room, now).await?;
    }
    Ok(())
}

/// Each number's messaging limit, where Meta told it.
async fn messaging_limits(svc: &Services) -> ServiceResult<HashMap<String, Option<i64>>> {
    Ok(svc
        .store
        .numbers
        .list()
        .await?
        .into_iter()
        .filter_map(|n| {
            let limit = messaging_limit(n.messaging_limit_tier.as_deref()?)?;
            Some((n.phone_number_id, limit))
        })
        .collect())
}

/// How many more customers the number may reach in the rolling day; `None`: no limit known.
/// Messages still in the outbox count: they are on their way.
async fn room_today(
    svc: &Services,
    limits: &HashMap<String, Option<i64>>,
    phone_number_id: &str,
    now: Millis,
) -> ServiceResult<Option<i64>> {
    let Some(limit) = limits.get(phone_number_id).copied().flatten() else {
        return Ok(None);
    };
    let day_ago = now.minus(Duration::from_secs(86_400));
    let reached = svc
        .store
        .campaigns
        .reached_since(phone_number_id, day_ago)
        .await?;
    Ok(room_under_limit(Some(limit), reached))
}

/// Hands up to `room` of a campaign's pending recipients to the outbox; completes the
/// campaign when none is left.
async fn top_up(
    svc: &Services,
    campaign: &CampaignRecord,
    mut room: i64,
    now: Millis,
) -> ServiceResult<()> {
    let template = match approved_template(svc, &campaign.phone_number_id, &campaign.template).await
    {
        Ok(template) => template,
        Err(error) => {
            tracing::warn!(campaign = campaign.id, %error, "campaign paused");
            svc.store
                .campaigns
                .transition(
                    campaign.id,
                    &[CampaignState::Sending],
                    CampaignState::Paused,
                    Some(PauseReason::Problem),
                    now,
                )
                .await?;
            return Ok(());
        }
    };
    let header = sending::header_component(
        &svc.store,
        &campaign.phone_number_id,
        &template,
        campaign.template.header_media_id.as_deref(),
    )
    .await?;
    let sources = parse_parameters(&campaign.template.parameters).map_err(ServiceError::Invalid)?;
    let rules = eligibility(svc, campaign.marketing());
    while room > 0 {
        let due = svc
            .store
            .campaigns
            .due_recipients(campaign.id, room.min(DISPATCH_BATCH))
            .await?;
        if due.is_empty() {
            svc.store
                .campaigns
                .complete_if_done(campaign.id, now)
                .await?;
            return Ok(());
        }
        room -= due.len() as i64;
        let dispatches: Vec<Dispatch> = due
            .into_iter()
            .map(|recipient| {
                let Some(to) = recipient.to else {
                    return Ok(Dispatch::Skip {
                        contact_id: recipient.contact_id,
                        state: RecipientState::SkippedNoWhatsapp,
                    });
                };
                let Some(values) = fill_parameters(&sources, &recipient.fields) else {
                    return Ok(Dispatch::Skip {
                        contact_id: recipient.contact_id,
                        state: RecipientState::SkippedMissingData,
                    });
                };
                let mut components = header.clone();
                components.extend(sending::body_components(&template, &values)?);
                let mut object = json!({ "name": template.name,
                    "language": { "code": template.language } });
                if !components.is_empty() {
                    object["components"] = Value::Array(components);
                }
                Ok(Dispatch::Send {
                    contact_id: recipient.contact_id,
                    request: json!({
                        "messaging_product": "whatsapp",
                        "recipient_type": "individual",
                        "to": to,
                        "type": "template",
                        "template": object,
                    }),
                    to,
                    text: template.render(&values),
                })
            })
            .collect::<ServiceResult<_>>()?;
        let queued = svc
            .store
            .campaigns
            .dispatch(campaign, &dispatches, &rules, now)
            .await?;
        if queued > 0 {
            svc.store.wakeups.sends_queued();
        }
    }
    Ok(())
}

/// Runs [`tick`] every second on this node (every node runs one; the store makes two nodes
/// handing out one campaign safe).
pub fn spawn_runner(svc: Services) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = tick(&svc).await {
                tracing::warn!(%error, "campaigns: a round failed (the next one retries)");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
