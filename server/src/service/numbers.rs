//! Business numbers, for admins: their health (read from the Graph API at start, every 15
//! minutes and on demand; the intake applies Meta's webhooks as they come), the alerts that
//! warn of a suspension coming, each number's business profile, and the WABA's webhook
//! subscription.

use super::audit::{self, Actor, Origin};
use super::{ServiceError, ServiceResult, Services, require_admin};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use crate::graph::PhoneNumber;
use crate::store::{NumberChangeRecord, NumberHealth, StoredNumber, WebhookTraffic};
use crate::whatsapp::ids::{PhoneNumberId, WabaId};
use parley_app::campaigns::messaging_limit;
use parley_app::model::{UnixTime, Viewer};
use parley_app::numbers::{
    BusinessNumberDetail, BusinessNumberView, BusinessProfile, HealthAlert, NumberChange,
    QualityRating, WebhookSubscription, account_alerts, number_alerts, validate_profile,
    webhook_silence_warning,
};
use serde_json::json;
use std::time::Duration;

const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
/// How often the refresher looks for webhook news: a flag says nothing of the rating, which
/// Parley then reads at once instead of at the next refresh.
const NEWS_CHECK_EVERY: Duration = Duration::from_secs(20);
/// In the sandbox, where the demo's quality changes should show without a wait.
const SANDBOX_REFRESH_EVERY: Duration = Duration::from_secs(60);
/// Changes a number's page shows.
const HISTORY_LIMIT: i64 = 200;
/// Meta's limit for a profile photo.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

fn unix(at: Millis) -> UnixTime {
    UnixTime(at.0.div_euclid(1000))
}

fn waba_id(svc: &Services) -> ServiceResult<&WabaId> {
    svc.config
        .whatsapp
        .waba_id
        .as_ref()
        .ok_or(ServiceError::NotConfigured(
            "the business account is not known: set WA_WABA_ID",
        ))
}

fn health_of(number: PhoneNumber) -> NumberHealth {
    NumberHealth {
        phone_number_id: number.id,
        display_phone_number: number.display_phone_number,
        verified_name: number.verified_name,
        name_status: number.name_status,
        quality_rating: number
            .quality_rating
            .map(|raw| QualityRating::from_meta(&raw).as_str().to_owned()),
        messaging_limit_tier: number.messaging_limit_tier,
        throughput_level: number.throughput.and_then(|t| t.level),
        code_verification_status: number.code_verification_status,
        platform_type: number.platform_type,
        status: number.status,
    }
}

/// Reads every number of the account from the Graph API and records what changed; the sender
/// takes each number's throughput level as its pace. Answers how many values changed.
pub async fn refresh(svc: &Services) -> ServiceResult<usize> {
    let waba = waba_id(svc)?;
    let numbers = svc.graph()?.phone_numbers(waba).await?;
    let mut changed = 0;
    for number in numbers {
        let health = health_of(number);
        svc.send_rates
            .set_throughput(&health.phone_number_id, health.throughput_level.as_deref());
        changed += svc
            .store
            .numbers
            .refreshed(waba.as_str(), &health, svc.now())
            .await?;
    }
    Ok(changed)
}

/// Refreshes at start, every 15 minutes (every minute in the sandbox) and soon after a webhook
/// changed a number, on every node (each refresh is idempotent: an unchanged value writes
/// nothing).
pub fn spawn_refresher(svc: Services) {
    if svc.config.whatsapp.waba_id.is_none() {
        return;
    }
    let every = match svc.sandbox {
        Some(_) => SANDBOX_REFRESH_EVERY,
        None => REFRESH_EVERY,
    };
    tokio::spawn(async move {
        let mut seen = None;
        let mut refreshed_at: Option<tokio::time::Instant> = None;
        loop {
            let news = svc.store.numbers.latest_webhook_change().await.ok();
            let due = refreshed_at.is_none_or(|at| at.elapsed() >= every);
            if due || (news.is_some() && news != seen) {
                seen = news;
                refreshed_at = Some(tokio::time::Instant::now());
                if let Err(error) = refresh(&svc).await {
                    tracing::warn!(%error, "cannot refresh the business numbers");
                }
            }
            tokio::time::sleep(NEWS_CHECK_EVERY.min(every)).await;
        }
    });
}

fn view(svc: &Services, number: StoredNumber, default_team_id: Option<i64>) -> BusinessNumberView {
    let health = number.health;
    let quality = health
        .quality_rating
        .as_deref()
        .map_or(QualityRating::Unknown, QualityRating::from_meta);
    BusinessNumberView {
        alerts: number_alerts(
            &health.phone_number_id,
            health.display_phone_number.as_deref(),
            quality,
            health.status.as_deref(),
        ),
        send_rate: svc.send_rates.of(&health.phone_number_id),
        messaging_limit: health
            .messaging_limit_tier
            .as_deref()
            .and_then(messaging_limit)
            .flatten(),
        phone_number_id: health.phone_number_id,
        waba_id: number.waba_id,
        display_phone_number: health.display_phone_number,
        verified_name: health.verified_name,
        name_status: health.name_status,
        quality_rating: quality,
        messaging_limit_tier: health.messaging_limit_tier,
        throughput: health.throughput_level,
        code_verification_status: health.code_verification_status,
        platform_type: health.platform_type,
        status: health.status,
        refreshed_at: number.refreshed_at.map(unix),
        default_team_id,
    }
}

pub async fn list(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<BusinessNumberView>> {
    require_admin(viewer)?;
    let numbers = svc.store.numbers.health().await?;
    let teams: std::collections::HashMap<String, Option<i64>> = svc
        .store
        .routing
        .default_teams()
        .await?
        .into_iter()
        .collect();
    Ok(numbers
        .into_iter()
        .map(|n| {
            let team = teams.get(&n.health.phone_number_id).copied().flatten();
            view(svc, n, team)
        })
        .collect())
}

/// Refreshes from the Graph API now, then lists the numbers.
pub async fn refresh_now(
    svc: &Services,
    viewer: &Viewer,
) -> ServiceResult<Vec<BusinessNumberView>> {
    require_admin(viewer)?;
    refresh(svc).await?;
    list(svc, viewer).await
}

async fn known(svc: &Services, phone_number_id: &str) -> ServiceResult<StoredNumber> {
    svc.store
        .numbers
        .health()
        .await?
        .into_iter()
        .find(|n| n.health.phone_number_id == phone_number_id)
        .ok_or(ServiceError::NotFound("business number"))
}

fn change(record: NumberChangeRecord) -> NumberChange {
    NumberChange {
        at: unix(record.at),
        field: record.field,
        from: record.old_value,
        to: record.new_value,
        source: record.source,
        detail: record.detail,
    }
}

pub async fn get(
    svc: &Services,
    viewer: &Viewer,
    phone_number_id: &str,
) -> ServiceResult<BusinessNumberDetail> {
    require_admin(viewer)?;
    let number = list(svc, viewer)
        .await?
        .into_iter()
        .find(|n| n.phone_number_id == phone_number_id)
        .ok_or(ServiceError::NotFound("business number"))?;
    let history = svc
        .store
        .numbers
        .history(phone_number_id, HISTORY_LIMIT)
        .await?;
    Ok(BusinessNumberDetail {
        number,
        history: history.into_iter().map(change).collect(),
    })
}

/// What needs an admin's attention now: numbers in trouble, the account's standing, webhooks
/// that stopped arriving.
pub async fn alerts(svc: &Services, viewer: &Viewer) -> ServiceResult<Vec<HealthAlert>> {
    require_admin(viewer)?;
    let now = svc.now();
    let mut alerts: Vec<HealthAlert> = list(svc, viewer)
        .await?
        .into_iter()
        .flat_map(|number| number.alerts)
        .collect();
    for standing in svc.store.numbers.standings().await? {
        alerts.extend(account_alerts(&standing, unix(now)));
    }
    let traffic = svc.store.numbers.webhook_traffic().await?;
    if let Some(warning) = silence_warning(svc, &traffic) {
        alerts.push(HealthAlert {
            phone_number_id: None,
            display_phone_number: None,
            level: parley_app::numbers::AlertLevel::Warning,
            meta: "NO_WEBHOOKS".into(),
            meaning: warning,
        });
    }
    Ok(alerts)
}

fn silence_warning(svc: &Services, traffic: &WebhookTraffic) -> Option<String> {
    let silence = svc.config.webhook_silence.as_millis() as i64;
    webhook_silence_warning(
        traffic.oldest_send_since.map(|at| at.0),
        svc.now().0,
        silence,
    )
}

fn graph_number(phone_number_id: &str) -> ServiceResult<PhoneNumberId> {
    PhoneNumberId::parse(phone_number_id)
        .map_err(|e| ServiceError::Invalid(format!("phone_number_id: {e}")))
}

/// A number's business profile, as Meta has it now.
pub async fn profile(
    svc: &Services,
    viewer: &Viewer,
    phone_number_id: &str,
) -> ServiceResult<BusinessProfile> {
    require_admin(viewer)?;
    known(svc, phone_number_id).await?;
    let number = graph_number(phone_number_id)?;
    Ok(svc.graph()?.business_profile(&number).await?)
}

/// Checks the profile by Meta's rules, then sends it to Meta (audited); answers the profile as
/// Meta has it afterwards.
pub async fn update_profile(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    phone_number_id: &str,
    profile: BusinessProfile,
) -> ServiceResult<BusinessProfile> {
    require_admin(viewer)?;
    known(svc, phone_number_id).await?;
    let problems = validate_profile(&profile);
    if !problems.is_empty() {
        let said: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.problem))
            .collect();
        return Err(ServiceError::Invalid(said.join("; ")));
    }
    let number = graph_number(phone_number_id)?;
    let graph = svc.graph()?;
    graph
        .update_business_profile(&number, Some(&profile), None)
        .await?;
    audit_profile(
        svc,
        viewer,
        origin,
        phone_number_id,
        json!({"fields": changed_fields(&profile)}),
    )
    .await;
    Ok(graph.business_profile(&number).await?)
}

fn changed_fields(profile: &BusinessProfile) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = [
        ("about", profile.about.is_some()),
        ("address", profile.address.is_some()),
        ("description", profile.description.is_some()),
        ("email", profile.email.is_some()),
        ("vertical", profile.vertical.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, given)| given.then_some(field))
    .collect();
    fields.push("websites");
    fields
}

async fn audit_profile(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    phone_number_id: &str,
    details: serde_json::Value,
) {
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::NumberProfileChanged,
        format!("number {phone_number_id}"),
        details,
    )
    .await;
}

/// Sets a number's profile photo (JPEG or PNG, at most 5 MB) through the app's resumable
/// upload; answers the profile as Meta has it afterwards.
pub async fn set_photo(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
    phone_number_id: &str,
    photo: bytes::Bytes,
    mime_type: &str,
) -> ServiceResult<BusinessProfile> {
    require_admin(viewer)?;
    known(svc, phone_number_id).await?;
    if !matches!(mime_type, "image/jpeg" | "image/png") {
        return Err(ServiceError::Invalid(format!(
            "a profile photo must be JPEG or PNG, not {mime_type:?}"
        )));
    }
    if photo.is_empty() || photo.len() > MAX_PHOTO_BYTES {
        return Err(ServiceError::Invalid(
            "a profile photo must be at most 5 MB (and not empty)".into(),
        ));
    }
    let app_id = svc
        .config
        .whatsapp
        .app_id
        .as_ref()
        .ok_or(ServiceError::NotConfigured(
            "a profile photo needs the Meta app's id: set WA_APP_ID",
        ))?;
    let number = graph_number(phone_number_id)?;
    let graph = svc.graph()?;
    let name = if mime_type == "image/png" {
        "profile.png"
    } else {
        "profile.jpg"
    };
    let size = photo.len();
    let handle = graph.upload_sample(app_id, photo, mime_type, name).await?;
    graph
        .update_business_profile(&number, None, Some(&handle))
        .await?;
    audit_profile(
        svc,
        viewer,
        origin,
        phone_number_id,
        json!({"photo_bytes": size}),
    )
    .await;
    Ok(graph.business_profile(&number).await?)
}

/// Whether the WABA's webhooks are subscribed, and whether they still arrive.
pub async fn subscription(svc: &Services, viewer: &Viewer) -> ServiceResult<WebhookSubscription> {
    require_admin(viewer)?;
    let waba = waba_id(svc)?;
    let apps = svc.graph()?.subscribed_apps(waba).await?;
    let traffic = svc.store.numbers.webhook_traffic().await?;
    Ok(WebhookSubscription {
        waba_id: waba.to_string(),
        subscribed: !apps.is_empty(),
        apps: apps
            .into_iter()
            .map(|app| {
                let data = app.whatsapp_business_api_data;
                data.name.unwrap_or(data.id)
            })
            .collect(),
        last_webhook_at: traffic.last_webhook_at.map(unix),
        warning: silence_warning(svc, &traffic),
    })
}

/// Subscribes the app to the WABA's webhooks (audited).
pub async fn subscribe(
    svc: &Services,
    viewer: &Viewer,
    origin: &Origin,
) -> ServiceResult<WebhookSubscription> {
    require_admin(viewer)?;
    let waba = waba_id(svc)?;
    svc.graph()?.subscribe_app(waba).await?;
    audit::record(
        svc,
        Actor::Member(viewer),
        origin,
        AuditAction::NumberWebhooksSubscribed,
        format!("waba {waba}"),
        json!({}),
    )
    .await;
    subscription(svc, viewer).await
}
