//! Customers as contacts: one person is one contact. A customer is known by phone (`wa_id`), by
//! business-scoped user id, or both; when a message shows that a phone record and a user-id
//! record are the same person, the two merge.

use super::inbound::{ContactProfile, CustomerKey};

/// What a contact record says about its customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredContact {
    pub id: i64,
    pub name: Option<String>,
    pub username: Option<String>,
    /// The phone as WhatsApp spells it.
    pub wa_id: Option<String>,
}

/// How a customer key meets the contacts already stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Nobody yet: a new contact.
    New,
    /// One record already stands for this customer; `learns_id` when the key brings the id
    /// that record lacks (its phone, or its user id).
    Known { id: i64, learns_id: bool },
    /// The phone record and the user-id record are one person: the phone record is kept and
    /// the other is merged into it (its conversations move over).
    Merge { keep: i64, absorb: i64 },
}

/// Decides which record a key resolves to, from the records found by phone and by user id.
pub fn identify(
    key: &CustomerKey,
    by_phone: Option<&StoredContact>,
    by_user_id: Option<&StoredContact>,
) -> Identity {
    match (by_phone, by_user_id) {
        (None, None) => Identity::New,
        (Some(phone), Some(user)) if phone.id != user.id => Identity::Merge {
            keep: phone.id,
            absorb: user.id,
        },
        (Some(found), _) | (None, Some(found)) => Identity::Known {
            id: found.id,
            learns_id: (by_phone.is_none() && key.wa_id.is_some())
                || (by_user_id.is_none() && key.bsuid.is_some()),
        },
    }
}

/// Whether `profile` says something the stored record does not (a name or username Meta sent
/// replaces the stored one; an absent one changes nothing).
pub fn profile_changes(stored: &StoredContact, profile: &ContactProfile) -> bool {
    (profile.name.is_some() && profile.name != stored.name)
        || (profile.username.is_some() && profile.username != stored.username)
}

/// The profile a messages change carries for `key` (matched by phone or by user id); an empty
/// one when it carries none.
pub fn profile_for(contacts: &[ContactProfile], key: &CustomerKey) -> ContactProfile {
    contacts
        .iter()
        .find(|c| {
            (key.wa_id.is_some() && c.key.wa_id == key.wa_id)
                || (key.bsuid.is_some() && c.key.bsuid == key.bsuid)
        })
        .cloned()
        .unwrap_or(ContactProfile {
            key: key.clone(),
            name: None,
            username: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64) -> StoredContact {
        StoredContact {
            id,
            name: Some("Ana".into()),
            username: None,
            wa_id: Some("15550001".into()),
        }
    }

    fn key(phone: bool, user: bool) -> CustomerKey {
        CustomerKey::new(
            phone.then(|| "15550001".to_owned()),
            user.then(|| "US.1".to_owned()),
        )
    }

    #[test]
    fn a_customer_resolves_to_one_contact() {
        assert_eq!(identify(&key(true, false), None, None), Identity::New);
        assert_eq!(
            identify(&key(true, false), Some(&stored(1)), None),
            Identity::Known {
                id: 1,
                learns_id: false
            }
        );
        // The key brings the user id the phone record lacks.
        assert_eq!(
            identify(&key(true, true), Some(&stored(1)), None),
            Identity::Known {
                id: 1,
                learns_id: true
            }
        );
        assert_eq!(
            identify(&key(true, true), Some(&stored(1)), Some(&stored(1))),
            Identity::Known {
                id: 1,
                learns_id: false
            }
        );
    }

    #[test]
    fn two_records_of_one_person_merge_into_the_phone_record() {
        assert_eq!(
            identify(&key(true, true), Some(&stored(1)), Some(&stored(2))),
            Identity::Merge { keep: 1, absorb: 2 }
        );
    }

    #[test]
    fn only_new_profile_facts_are_changes() {
        let ana = stored(1);
        let profile = |name: Option<&str>, username: Option<&str>| ContactProfile {
            key: key(true, false),
            name: name.map(str::to_owned),
            username: username.map(str::to_owned),
        };
        assert!(!profile_changes(&ana, &profile(None, None)));
        assert!(!profile_changes(&ana, &profile(Some("Ana"), None)));
        assert!(profile_changes(&ana, &profile(Some("Ana María"), None)));
        assert!(profile_changes(&ana, &profile(None, Some("@ana"))));
    }

    #[test]
    fn the_profile_is_found_by_either_id() {
        let by_user = ContactProfile {
            key: CustomerKey::new(None, Some("US.1".into())),
            name: Some("Ana".into()),
            username: None,
        };
        let found = profile_for(std::slice::from_ref(&by_user), &key(true, true));
        assert_eq!(found.name.as_deref(), Some("Ana"));
        assert_eq!(profile_for(&[by_user], &key(true, false)).name, None);
    }
}
