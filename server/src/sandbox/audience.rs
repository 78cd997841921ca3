//! The simulated audience: numbers beginning `+1 555 7` (`wa_id` `15557…`) stand for the crowd
//! a campaign reaches. Most are on WhatsApp and read what they get; some are not (131026), some
//! stopped marketing from the business (131050), some reached Meta's per-user marketing limit
//! (131049); their receipts come slowly; a share answers, and a few write STOP. Each number's
//! fate is fixed by a hash of it, so tests and benchmarks know what to expect.

use super::DeliveryFailure;

/// `wa_id`s that belong to the simulated audience.
pub const AUDIENCE_PREFIX: &str = "15557";

/// What happens to a message sent to one member of the audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    NotOnWhatsApp,
    /// Refuses marketing (131050); other messages arrive.
    StoppedMarketing,
    /// Meta holds marketing back (131049); other messages arrive.
    MarketingLimited,
    /// Delivered, never read.
    Delivered,
    /// Delivered and read, and maybe answered.
    Reads {
        answer: Option<Answer>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Interested,
    Stop,
}

/// The fate of a message to `address`; `None` for numbers outside the audience.
pub fn fate(address: &str) -> Option<Fate> {
    if !address.starts_with(AUDIENCE_PREFIX) {
        return None;
    }
    // FNV-1a: stable across runs and platforms.
    let hash = address.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Some(match hash % 1000 {
        0..30 => Fate::NotOnWhatsApp,
        30..50 => Fate::StoppedMarketing,
        50..60 => Fate::MarketingLimited,
        60..70 => Fate::Reads {
            answer: Some(Answer::Stop),
        },
        70..120 => Fate::Reads {
            answer: Some(Answer::Interested),
        },
        120..650 => Fate::Reads { answer: None },
        _ => Fate::Delivered,
    })
}

/// Meta's failure for a message to an audience member, if it fails.
pub fn failure(fate: Fate, marketing: bool) -> Option<DeliveryFailure> {
    match fate {
        Fate::NotOnWhatsApp => Some(super::NOT_ON_WHATSAPP),
        Fate::StoppedMarketing if marketing => Some(super::STOPPED_MARKETING),
        Fate::MarketingLimited if marketing => Some(DeliveryFailure {
            code: 131049,
            title: "This message was not delivered to maintain healthy ecosystem engagement.",
            details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        }),
        _ => None,
    }
}

/// The name an audience member's WhatsApp profile shows.
pub fn profile_name(address: &str) -> String {
    let tail = &address[address.len().saturating_sub(4)..];
    format!("Customer {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fates_are_fixed_and_shared_out() {
        assert_eq!(fate("15550100001"), None, "personas are not the audience");
        assert_eq!(fate("15557000042"), fate("15557000042"));
        let mut counts = std::collections::HashMap::new();
        for n in 0..10_000 {
            let fate = fate(&format!("1555700{n:04}")).unwrap();
            let key = match fate {
                Fate::Reads { answer: Some(_) } => "answers",
                Fate::Reads { answer: None } => "reads",
                Fate::Delivered => "delivered",
                _ => "fails",
            };
            *counts.entry(key).or_insert(0) += 1;
        }
        // About 6 % fail, 6 % answer, 53 % read without answering, 35 % never read.
        assert!((400..800).contains(&counts["fails"]), "{counts:?}");
        assert!((400..800).contains(&counts["answers"]), "{counts:?}");
        assert!((4_800..5_800).contains(&counts["reads"]), "{counts:?}");
    }

    #[test]
    fn only_marketing_meets_marketing_refusals() {
        assert!(failure(Fate::StoppedMarketing, false).is_none());
        assert_eq!(failure(Fate::StoppedMarketing, true).unwrap().code, 131050);
        assert_eq!(failure(Fate::MarketingLimited, true).unwrap().code, 131049);
        assert_eq!(failure(Fate::NotOnWhatsApp, false).unwrap().code, 131026);
    }
}
