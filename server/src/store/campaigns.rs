//! Campaigns: the campaign, its recipients (fixed when it starts) and the sends it hands to the
//! outbox a few seconds ahead of the sender.

use super::{ContactQuery, StoreResult};
use crate::domain::Millis;
use async_trait::async_trait;
use parley_app::campaigns::{
    Audience, CampaignRecipient, CampaignState, CampaignTemplate, PauseReason, RecipientFields,
    RecipientFilter, RecipientState,
};
use parley_app::model::UserId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    pub template: CampaignTemplate,
    pub template_category: String,
    pub audience: Audience,
    pub state: CampaignState,
    pub pause_reason: Option<PauseReason>,
    pub scheduled_at: Option<Millis>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub created_by_name: Option<String>,
    pub created_at: Millis,
}

impl CampaignRecord {
    pub fn marketing(&self) -> bool {
        self.template_category == "MARKETING"
    }
}

/// A campaign as written (created, or edited while a draft or scheduled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignWrite {
    pub name: String,
    pub phone_number_id: String,
    pub template: CampaignTemplate,
    pub template_category: String,
    pub audience: Audience,
    /// `Draft` or `Scheduled`.
    pub state: CampaignState,
    pub scheduled_at: Option<Millis>,
}

/// Who may be sent a campaign's template, beyond being in its audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// Marketing templates need an opt-in and respect the frequency cap.
    pub marketing: bool,
    /// Most marketing messages per contact since `cap_since` (0: no cap).
    pub frequency_cap: i64,
    pub cap_since: Millis,
}

/// Recipients by state, with their message's status and whether they replied.
pub type CountRow = (RecipientState, Option<String>, bool, i64);

/// A recipient about to be sent, with what fills the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueRecipient {
    pub contact_id: i64,
    /// Their WhatsApp id: the request's `to` (gone if they were erased since the start).
    pub to: Option<String>,
    pub fields: RecipientFields,
}

/// What happens to one due recipient.
#[derive(Clone, Debug, PartialEq)]
pub enum Dispatch {
    /// Queue this request (checked again against consent and the cap as it is queued).
    Send {
        contact_id: i64,
        to: String,
        request: serde_json::Value,
        text: String,
    },
    Skip {
        contact_id: i64,
        state: RecipientState,
    },
}

#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Newest first.
    async fn list(&self) -> StoreResult<Vec<CampaignRecord>>;
    async fn get(&self, id: i64) -> StoreResult<Option<CampaignRecord>>;
    async fn create(
        &self,
        campaign: &CampaignWrite,
        by: UserId,
        now: Millis,
    ) -> StoreResult<CampaignRecord>;
    /// Only while a draft or scheduled.
    async fn update(&self, id: i64, campaign: &CampaignWrite, now: Millis) -> StoreResult<()>;
    /// Only what never started (a draft or scheduled).
    async fn delete(&self, id: i64) -> StoreResult<()>;
    /// How the audience `query` divides by eligibility, as it stands.
    async fn preview(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Vec<(RecipientState, i64)>>;
    /// The audience's eligible recipients counted by the first four digits of their number:
    /// enough to tell their country, for an estimate of what sending costs.
    async fn eligible_by_prefix(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Vec<(String, i64)>>;
    /// The newest contact of the audience who would be sent the template (a preview's sample).
    async fn eligible_sample(
        &self,
        query: &ContactQuery,
        rules: &Eligibility,
    ) -> StoreResult<Option<i64>>;
    /// Fixes the recipients (the audience divided by eligibility) and starts sending, in one
    /// transaction; only from draft or scheduled.
    async fn start(
        &self,
        id: i64,
        query: &ContactQuery,
        rules: &Eligibility,
        now: Millis,
    ) -> StoreResult<()>;
    /// Moves a campaign `from` one of these states `to` another (pause, resume).
    async fn transition(
        &self,
        id: i64,
        from: &[CampaignState],
        to: CampaignState,
        reason: Option<PauseReason>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Cancels: recipients not yet sent are `cancelled`, and messages still waiting in the
    /// outbox are withdrawn.
    async fn cancel(&self, id: i64, now: Millis) -> StoreResult<()>;
    async fn counts(&self, id: i64) -> StoreResult<Vec<CountRow>>;
    /// Failed messages by Meta error code.
    async fn failures(&self, id: i64) -> StoreResult<Vec<(i64, i64)>>;
    /// By contact id, after `after`.
    async fn recipients(
        &self,
        id: i64,
        filter: Option<RecipientFilter>,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<CampaignRecipient>>;

    // What the campaign runner uses.

    /// Scheduled campaigns whose time has come.
    async fn due(&self, now: Millis) -> StoreResult<Vec<i64>>;
    /// Campaigns sending now.
    async fn sending(&self) -> StoreResult<Vec<CampaignRecord>>;
    /// Campaign messages on this number still waiting in the outbox.
    async fn waiting_on_number(&self, phone_number_id: &str) -> StoreResult<i64>;
    /// Up to `limit` pending recipients, by contact id.
    async fn due_recipients(&self, id: i64, limit: i64) -> StoreResult<Vec<DueRecipient>>;
    /// Queues or skips each recipient in one transaction. Each is checked again: still
    /// pending (another node may have taken it), and for marketing still opted in and under
    /// the cap. Answers how many were queued.
    async fn dispatch(
        &self,
        campaign: &CampaignRecord,
        dispatches: &[Dispatch],
        rules: &Eligibility,
        now: Millis,
    ) -> StoreResult<usize>;
    /// Customers this number sent a template since `since` (failed ones do not count): what
    /// Meta's messaging limit counts.
    async fn reached_since(&self, phone_number_id: &str, since: Millis) -> StoreResult<i64>;
    /// Marketing messages a contact was sent since `since` (failed ones do not count).
    async fn marketing_sent_since(&self, contact_id: i64, since: Millis) -> StoreResult<i64>;
    /// Completes a sending campaign with no recipient pending and nothing waiting in the
    /// outbox. Answers whether it did.
    async fn complete_if_done(&self, id: i64, now: Millis) -> StoreResult<bool>;
}
