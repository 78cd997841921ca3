//! What the audit log records: admin actions and security events, each a named action.

use std::str::FromStr;

/// An audited action. Its name is what the log stores and filters on: `<family>.<what>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    MemberAdded,
    MemberRenamed,
    MemberRoleChanged,
    MemberDisabled,
    MemberEnabled,
    PasswordLinkCreated,
    /// A member set their password through a one-time link.
    PasswordSet,
    /// A member changed their own password.
    PasswordChanged,
    TokenCreated,
    TokenRevoked,
    TemplateSubmitted,
    TemplateDeleted,
    LabelCreated,
    LabelChanged,
    LabelDeleted,
    ContactAttributeCreated,
    ContactAttributeChanged,
    ContactAttributeDeleted,
    ContactsImported,
    ContactsMerged,
    ContactErased,
    ContactExported,
    SegmentSaved,
    SegmentDeleted,
    CampaignSaved,
    CampaignDeleted,
    CampaignStarted,
    CampaignPaused,
    CampaignResumed,
    CampaignCancelled,
    ConsentKeywordsChanged,
    NumberProfileChanged,
    NumberWebhooksSubscribed,
    TeamCreated,
    TeamChanged,
    TeamDeleted,
    /// The workspace's business hours were set.
    BusinessHoursChanged,
    AutomationCreated,
    AutomationChanged,
    AutomationDeleted,
    TwoFactorEnrolled,
    TwoFactorRemoved,
    /// An admin took a member's second factor away.
    TwoFactorReset,
    TwoFactorPolicyChanged,
    SignInSucceeded,
    SignInFailed,
    /// Repeated failures blocked an account or an address for a while.
    SignInThrottled,
    RateCardChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 48] = [
        AuditAction::MemberAdded,
        AuditAction::MemberRenamed,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberDisabled,
        AuditAction::MemberEnabled,
        AuditAction::PasswordLinkCreated,
        AuditAction::PasswordSet,
        AuditAction::PasswordChanged,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::TemplateSubmitted,
        AuditAction::TemplateDeleted,
        AuditAction::LabelCreated,
        AuditAction::LabelChanged,
        AuditAction::LabelDeleted,
        AuditAction::ContactAttributeCreated,
        AuditAction::ContactAttributeChanged,
        AuditAction::ContactAttributeDeleted,
        AuditAction::ContactsImported,
        AuditAction::ContactsMerged,
        AuditAction::ContactErased,
        AuditAction::ContactExported,
        AuditAction::SegmentSaved,
        AuditAction::SegmentDeleted,
        AuditAction::CampaignSaved,
        AuditAction::CampaignDeleted,
        AuditAction::CampaignStarted,
        AuditAction::CampaignPaused,
        AuditAction::CampaignResumed,
        AuditAction::CampaignCancelled,
        AuditAction::ConsentKeywordsChanged,
        AuditAction::NumberProfileChanged,
        AuditAction::NumberWebhooksSubscribed,
        AuditAction::TeamCreated,
        AuditAction::TeamChanged,
        AuditAction::TeamDeleted,
        AuditAction::BusinessHoursChanged,
        AuditAction::AutomationCreated,
        AuditAction::AutomationChanged,
        AuditAction::AutomationDeleted,
        AuditAction::TwoFactorEnrolled,
        AuditAction::TwoFactorRemoved,
        AuditAction::TwoFactorReset,
        AuditAction::TwoFactorPolicyChanged,
        AuditAction::SignInSucceeded,
        AuditAction::SignInFailed,
        AuditAction::SignInThrottled,
        AuditAction::RateCardChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::MemberAdded => "member.added",
            AuditAction::MemberRenamed => "member.renamed",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberDisabled => "member.disabled",
            AuditAction::MemberEnabled => "member.enabled",
            AuditAction::PasswordLinkCreated => "password.link_created",
            AuditAction::PasswordSet => "password.set",
            AuditAction::PasswordChanged => "password.changed",
            AuditAction::TokenCreated => "token.created",
            AuditAction::TokenRevoked => "token.revoked",
            AuditAction::TemplateSubmitted => "template.submitted",
            AuditAction::TemplateDeleted => "template.deleted",
            AuditAction::LabelCreated => "label.created",
            AuditAction::LabelChanged => "label.changed",
            AuditAction::LabelDeleted => "label.deleted",
            AuditAction::ContactAttributeCreated => "contact.attribute_created",
            AuditAction::ContactAttributeChanged => "contact.attribute_changed",
            AuditAction::ContactAttributeDeleted => "contact.attribute_deleted",
            AuditAction::ContactsImported => "contact.imported",
            AuditAction::ContactsMerged => "contact.merged",
            AuditAction::ContactErased => "contact.erased",
            AuditAction::ContactExported => "contact.exported",
            AuditAction::SegmentSaved => "contact.segment_saved",
            AuditAction::SegmentDeleted => "contact.segment_deleted",
            AuditAction::CampaignSaved => "campaign.saved",
            AuditAction::CampaignDeleted => "campaign.deleted",
            AuditAction::CampaignStarted => "campaign.started",
            AuditAction::CampaignPaused => "campaign.paused",
            AuditAction::CampaignResumed => "campaign.resumed",
            AuditAction::CampaignCancelled => "campaign.cancelled",
            AuditAction::ConsentKeywordsChanged => "consent.keywords_changed",
            AuditAction::NumberProfileChanged => "number.profile_changed",
            AuditAction::NumberWebhooksSubscribed => "number.webhooks_subscribed",
            AuditAction::TeamCreated => "team.created",
            AuditAction::TeamChanged => "team.changed",
            AuditAction::TeamDeleted => "team.deleted",
            AuditAction::BusinessHoursChanged => "team.business_hours_changed",
            AuditAction::AutomationCreated => "automation.created",
            AuditAction::AutomationChanged => "automation.changed",
            AuditAction::AutomationDeleted => "automation.deleted",
            AuditAction::TwoFactorEnrolled => "two_factor.enrolled",
            AuditAction::TwoFactorRemoved => "two_factor.removed",
            AuditAction::TwoFactorReset => "two_factor.reset",
            AuditAction::TwoFactorPolicyChanged => "two_factor.policy_changed",
            AuditAction::SignInSucceeded => "sign_in.succeeded",
            AuditAction::SignInFailed => "sign_in.failed",
            AuditAction::SignInThrottled => "sign_in.throttled",
            AuditAction::RateCardChanged => "costs.rate_card_changed",
        }
    }
}

impl FromStr for AuditAction {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_app::team::AUDIT_FAMILIES;

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse(), Ok(action));
            assert!(action.as_str().contains('.'), "{action:?} has a family");
        }
        assert!("member.deleted".parse::<AuditAction>().is_err());
    }

    #[test]
    fn the_audit_page_offers_every_family_and_no_other() {
        let family = |action: AuditAction| action.as_str().split('.').next().unwrap();
        for action in AuditAction::ALL {
            assert!(
                AUDIT_FAMILIES
                    .iter()
                    .any(|(name, _)| *name == family(action)),
                "{action:?}'s family is missing from the audit page's filter"
            );
        }
        for (name, _) in AUDIT_FAMILIES {
            assert!(
                AuditAction::ALL.into_iter().any(|a| family(a) == name),
                "{name}"
            );
        }
    }
}
