//! Running the team: changing members (never the last admin away), one-time set-password
//! links, notification settings, and the audit log.

use super::{add_user, events, new_user, with_conversation};
use crate::on_both_engines;
use crate::support::{Engine, fresh_store};
use parley_app::model::{DisplayName, Role, UserId};
use parley_app::team::{LinkPurpose, NotificationSettings};
use parley_server::domain::audit::AuditAction;
use parley_server::domain::{DomainEvent, Millis};
use parley_server::store::{
    AuditFilter, NewAuditEntry, NewNote, NewPasswordLink, NewUser, StoreError, UserChange,
};

on_both_engines!(
    members_are_renamed_given_roles_disabled_and_enabled,
    the_last_active_admin_stays_an_admin,
    two_admins_demoting_each_other_at_once_leave_one,
    an_invited_member_has_no_password_until_their_link_is_used,
    a_link_works_once_and_until_it_expires,
    a_newer_link_replaces_an_older_one,
    a_reset_link_ends_the_old_password_and_sessions,
    a_disabled_members_link_does_not_work,
    setting_a_password_ends_earlier_sessions,
    notification_settings_decide_what_reaches_the_bell,
    the_audit_log_is_read_newest_first_and_filtered,
);

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3";

fn change() -> UserChange {
    UserChange::default()
}

fn link(user: UserId, digest: &str, purpose: LinkPurpose, expires_at: i64) -> NewPasswordLink {
    NewPasswordLink {
        user,
        digest: digest.into(),
        purpose,
        created_by: None,
        expires_at: Millis(expires_at),
    }
}

async fn members_are_renamed_given_roles_disabled_and_enabled(engine: Engine) {
    let store = fresh_store(engine).await;
    add_user(&store, "boss@example.com", Role::Admin).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let renamed = UserChange {
        name: Some(DisplayName::parse("Ana Lima").unwrap()),
        role: Some(Role::Admin),
        ..change()
    };
    let user = store
        .team
        .update_user(ana, &renamed, Millis(10))
        .await
        .unwrap();
    assert_eq!(user.name.as_str(), "Ana Lima");
    assert_eq!(user.role, Role::Admin);
    assert!(!user.disabled);
    let disabled = UserChange {
        disabled: Some(true),
        ..change()
    };
    let user = store
        .team
        .update_user(ana, &disabled, Millis(20))
        .await
        .unwrap();
    assert!(user.disabled);
    assert_eq!(user.name.as_str(), "Ana Lima", "what is not named stays");
    let enabled = UserChange {
        disabled: Some(false),
        ..change()
    };
    assert!(
        !store
            .team
            .update_user(ana, &enabled, Millis(30))
            .await
            .unwrap()
            .disabled
    );
    let story = events(&store, before).await;
    assert_eq!(
        story,
        [
            DomainEvent::CredentialsChanged { user_id: ana },
            DomainEvent::CredentialsChanged { user_id: ana },
            DomainEvent::CredentialsChanged { user_id: ana },
        ],
        "role and access changes make open streams check their credentials"
    );
    let renamed_only = UserChange {
        name: Some(DisplayName::parse("Ana").unwrap()),
        ..change()
    };
    store
        .team
        .update_user(ana, &renamed_only, Millis(40))
        .await
        .unwrap();
    let latest = events(&store, before).await;
    assert_eq!(
        latest.last(),
        Some(&DomainEvent::MemberChanged { user_id: ana })
    );
    let missing = store
        .team
        .update_user(UserId(9999), &renamed_only, Millis(50))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn the_last_active_admin_stays_an_admin(engine: Engine) {
    let store = fresh_store(engine).await;
    let boss = add_user(&store, "boss@example.com", Role::Admin).await;
    let demote = UserChange {
        role: Some(Role::Agent),
        ..change()
    };
    let disable = UserChange {
        disabled: Some(true),
        ..change()
    };
    for refused in [&demote, &disable] {
        let outcome = store.team.update_user(boss, refused, Millis(10)).await;
        assert!(
            matches!(outcome, Err(StoreError::WrongState(why)) if why.contains("last active admin"))
        );
    }
    let user = store.team.user_by_id(boss).await.unwrap().unwrap();
    assert_eq!(
        (user.role, user.disabled),
        (Role::Admin, false),
        "nothing changed"
    );
    // A disabled admin does not count: the active one is still the last.
    let other = add_user(&store, "other@example.com", Role::Admin).await;
    store
        .team
        .update_user(other, &disable, Millis(20))
        .await
        .unwrap();
    assert!(
        store
            .team
            .update_user(boss, &demote, Millis(30))
            .await
            .is_err()
    );
    // With a second active admin, either may step down.
    let enable = UserChange {
        disabled: Some(false),
        ..change()
    };
    store
        .team
        .update_user(other, &enable, Millis(40))
        .await
        .unwrap();
    let user = store
        .team
        .update_user(boss, &demote, Millis(50))
        .await
        .unwrap();
    assert_eq!(user.role, Role::Agent);
}

async fn two_admins_demoting_each_other_at_once_leave_one(engine: Engine) {
    for round in 0..5 {
        let store = fresh_store(engine).await;
        let ana = add_user(&store, "ana@example.com", Role::Admin).await;
        let ben = add_user(&store, "ben@example.com", Role::Admin).await;
        let demote = UserChange {
            role: Some(Role::Agent),
            ..change()
        };
        let (first, second) = tokio::join!(
            store.team.update_user(ana, &demote, Millis(10)),
            store.team.update_user(ben, &demote, Millis(10)),
        );
        assert!(
            first.is_ok() != second.is_ok(),
            "round {round}: exactly one wins: {first:?} {second:?}"
        );
        let admins = store
            .team
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .count();
        assert_eq!(admins, 1, "round {round}");
    }
}

async fn an_invited_member_has_no_password_until_their_link_is_used(engine: Engine) {
    let store = fresh_store(engine).await;
    let invited = NewUser {
        password_hash: None,
        ..new_user("new@example.com", "New", Role::Agent)
    };
    let user = store.team.create_user(invited, Millis(10)).await.unwrap();
    let credentials = store
        .team
        .credentials_by_email(&user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.password_hash, None);
    store
        .team
        .create_password_link(&link(user.id, "d1", LinkPurpose::Invite, 1_000), Millis(10))
        .await
        .unwrap();
    let pending = store
        .team
        .pending_password_link("d1", Millis(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.user.id, user.id);
    assert_eq!(pending.purpose, LinkPurpose::Invite);
    assert_eq!(pending.expires_at, Millis(1_000));
    let redeemed = store
        .team
        .redeem_password_link("d1", HASH, Millis(30))
        .await
        .unwrap();
    assert_eq!(redeemed.id, user.id);
    assert_eq!(redeemed.sessions_valid_from, Millis(30));
    let credentials = store
        .team
        .credentials_by_email(&user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.password_hash.as_deref(), Some(HASH));
}

async fn a_link_works_once_and_until_it_expires(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let invite = link(ana, "once", LinkPurpose::Invite, 1_000);
    store
        .team
        .create_password_link(&invite, Millis(10))
        .await
        .unwrap();
    store
        .team
        .redeem_password_link("once", HASH, Millis(20))
        .await
        .unwrap();
    let again = store
        .team
        .redeem_password_link("once", "$argon2id$other", Millis(21))
        .await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert!(
        store
            .team
            .pending_password_link("once", Millis(22))
            .await
            .unwrap()
            .is_none()
    );

    let late = link(ana, "late", LinkPurpose::Invite, 1_000);
    store
        .team
        .create_password_link(&late, Millis(30))
        .await
        .unwrap();
    assert!(
        store
            .team
            .pending_password_link("late", Millis(1_000))
            .await
            .unwrap()
            .is_none()
    );
    let expired = store
        .team
        .redeem_password_link("late", HASH, Millis(1_000))
        .await;
    assert!(
        matches!(expired, Err(StoreError::NotFound(_))),
        "{expired:?}"
    );
    assert!(
        store
            .team
            .pending_password_link("unknown", Millis(40))
            .await
            .unwrap()
            .is_none()
    );
    let missing = link(UserId(9999), "nobody", LinkPurpose::Invite, 1_000);
    let refused = store.team.create_password_link(&missing, Millis(40)).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
}

async fn a_newer_link_replaces_an_older_one(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    for (digest, at) in [("old", 10), ("new", 20)] {
        let invite = link(ana, digest, LinkPurpose::Invite, 10_000);
        store
            .team
            .create_password_link(&invite, Millis(at))
            .await
            .unwrap();
    }
    assert!(
        store
            .team
            .pending_password_link("old", Millis(30))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .team
            .pending_password_link("new", Millis(30))
            .await
            .unwrap()
            .is_some()
    );
}

async fn a_reset_link_ends_the_old_password_and_sessions(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    let reset = link(ana, "reset", LinkPurpose::Reset, 10_000);
    store
        .team
        .create_password_link(&reset, Millis(500))
        .await
        .unwrap();
    let user = store.team.user_by_id(ana).await.unwrap().unwrap();
    assert_eq!(user.sessions_valid_from, Millis(500));
    let credentials = store
        .team
        .credentials_by_email(&user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        credentials.password_hash, None,
        "the old password no longer works"
    );
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::CredentialsChanged { user_id: ana }],
        "open streams check their credentials"
    );
    let pending = store
        .team
        .pending_password_link("reset", Millis(600))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.purpose, LinkPurpose::Reset);
}

async fn a_disabled_members_link_does_not_work(engine: Engine) {
    let store = fresh_store(engine).await;
    add_user(&store, "boss@example.com", Role::Admin).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let invite = link(ana, "d", LinkPurpose::Invite, 10_000);
    store
        .team
        .create_password_link(&invite, Millis(10))
        .await
        .unwrap();
    let disable = UserChange {
        disabled: Some(true),
        ..change()
    };
    store
        .team
        .update_user(ana, &disable, Millis(20))
        .await
        .unwrap();
    assert!(
        store
            .team
            .pending_password_link("d", Millis(30))
            .await
            .unwrap()
            .is_none()
    );
    let refused = store.team.redeem_password_link("d", HASH, Millis(30)).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
}

async fn setting_a_password_ends_earlier_sessions(engine: Engine) {
    let store = fresh_store(engine).await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let before = store.events.latest_id().await.unwrap();
    store
        .team
        .set_password(ana, HASH, Millis(700))
        .await
        .unwrap();
    let user = store.team.user_by_id(ana).await.unwrap().unwrap();
    assert_eq!(user.sessions_valid_from, Millis(700));
    let credentials = store
        .team
        .credentials_by_email(&user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.password_hash.as_deref(), Some(HASH));
    assert_eq!(
        events(&store, before).await,
        [DomainEvent::CredentialsChanged { user_id: ana }]
    );
    let missing = store
        .team
        .set_password(UserId(9999), HASH, Millis(800))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn notification_settings_decide_what_reaches_the_bell(engine: Engine) {
    let (store, conversation) = with_conversation(engine, "15551301").await;
    let ana = add_user(&store, "ana@example.com", Role::Agent).await;
    let ben = add_user(&store, "ben@example.com", Role::Agent).await;
    let user = store.team.user_by_id(ben).await.unwrap().unwrap();
    assert_eq!(user.notifications, NotificationSettings::default());
    let quiet = UserChange {
        notifications: Some(NotificationSettings {
            mention: false,
            snooze_ended: true,
        }),
        ..change()
    };
    let user = store
        .team
        .update_user(ben, &quiet, Millis(5))
        .await
        .unwrap();
    assert!(!user.notifications.mention && user.notifications.snooze_ended);
    let note = NewNote {
        conversation_id: conversation,
        author: ana,
        body: "@ben look".into(),
        mentions: vec![ben],
    };
    let note = store.notes.add(&note, Millis(10)).await.unwrap();
    assert_eq!(note.mentions.len(), 1, "the note still names him");
    let bell = store.notifications.for_member(ben, 10).await.unwrap();
    assert!(bell.notifications.is_empty(), "{bell:?}");
    assert_eq!(bell.unread, 0);
}

async fn the_audit_log_is_read_newest_first_and_filtered(engine: Engine) {
    let store = fresh_store(engine).await;
    let boss = add_user(&store, "boss@example.com", Role::Admin).await;
    let entry = |action, actor_id: Option<UserId>, target: &str| NewAuditEntry {
        actor_id,
        actor: actor_id.map_or("command line".into(), |_| "boss@example.com".into()),
        origin: "127.0.0.1".into(),
        action,
        target: target.into(),
        details: serde_json::json!({"from": "agent", "to": "admin", "text": "<b>=1+1"}),
    };
    let written = [
        entry(AuditAction::MemberAdded, None, "member 2"),
        entry(AuditAction::MemberRoleChanged, Some(boss), "member 2"),
        entry(AuditAction::SignInFailed, None, "sign-in"),
        entry(AuditAction::LabelCreated, Some(boss), "label 1"),
    ];
    let mut ids = Vec::new();
    for (i, e) in written.iter().enumerate() {
        ids.push(
            store
                .audit
                .record(e, Millis(1_000 + i as i64))
                .await
                .unwrap(),
        );
    }
    let all = AuditFilter {
        limit: 10,
        ..AuditFilter::default()
    };
    let page = store.audit.page(&all).await.unwrap();
    let read: Vec<_> = page.iter().map(|r| r.entry.clone()).collect();
    let mut newest_first = written.to_vec();
    newest_first.reverse();
    assert_eq!(read, newest_first);
    assert_eq!(page[0].at, Millis(1_003));

    let family = AuditFilter {
        action: Some("member".into()),
        ..all.clone()
    };
    let members: Vec<_> = store
        .audit
        .page(&family)
        .await
        .unwrap()
        .iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(
        members,
        [AuditAction::MemberRoleChanged, AuditAction::MemberAdded]
    );
    let one = AuditFilter {
        action: Some("sign_in.failed".into()),
        ..all.clone()
    };
    assert_eq!(store.audit.page(&one).await.unwrap().len(), 1);
    let by_boss = AuditFilter {
        actor_id: Some(boss),
        ..all.clone()
    };
    assert_eq!(store.audit.page(&by_boss).await.unwrap().len(), 2);
    let older = AuditFilter {
        before: Some(ids[2]),
        limit: 1,
        ..AuditFilter::default()
    };
    let page = store.audit.page(&older).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, ids[1]);
}
