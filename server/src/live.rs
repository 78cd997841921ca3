//! Live updates for browsers: a consumer of the domain-event log. One hub task per node reads
//! the log in order (woken by this node's commits, and polling for other nodes' writes), turns
//! each event into the [`LiveEvent`] members see, with what it refers to read at once, and
//! broadcasts it to that node's server-sent-event streams. A stream that reconnects with
//! `Last-Event-ID` replays what it missed from the same log, so there are neither gaps nor
//! duplicates, and every node sees every other node's writes.

use crate::domain::DomainEvent;
use crate::domain::events::RecordedEvent;
use crate::store::{SharedStore, StoreResult};
use crate::views;
use parley_app::collaboration::{NoteView, NotificationView, PresenceView};
use parley_app::model::{ConversationSummary, LiveEvent, MemberRef, MessageView, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// Who may see an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every member works every conversation (one team inbox).
    Members,
    /// Templates are the admins' business.
    Admins,
    /// One member's own (their notifications).
    Member(UserId),
    /// Not for browsers: this member's credentials changed, so their open streams check
    /// theirs again (and end if it no longer holds).
    CredentialCheck(UserId),
}

/// An event ready to send: its log id, SSE event name, JSON data and who may see it.
#[derive(Clone, Debug)]
pub struct OutgoingEvent {
    pub id: i64,
    pub name: &'static str,
    pub data: String,
    pub audience: Audience,
}

/// Events ready to send from one stretch of the log.
pub struct OutgoingBatch {
    pub events: Vec<OutgoingEvent>,
    /// Where the next read continues (events that mean nothing to browsers are passed over).
    pub read_up_to: i64,
    pub more: bool,
}

/// Catch up at least this often even without a local wake-up (writes from other nodes).
const POLL: Duration = Duration::from_millis(250);
const PAGE: i64 = 500;

/// Which members have event streams open on this node, and how many: routing counts a member
/// with none for a while as gone (see `crate::routing`).
#[derive(Default)]
pub struct OpenStreams(std::sync::Mutex<HashMap<UserId, usize>>);

impl OpenStreams {
    /// Counts a stream of `user` until the answer is dropped.
    pub fn open(self: &Arc<Self>, user: UserId) -> StreamOpen {
        *self
            .0
            .lock()
            .expect("not poisoned")
            .entry(user)
            .or_insert(0) += 1;
        StreamOpen {
            streams: self.clone(),
            user,
        }
    }

    /// How many streams are open here.
    pub fn total(&self) -> usize {
        self.0.lock().expect("not poisoned").values().sum()
    }

    /// The members with at least one stream open here.
    pub fn members(&self) -> Vec<UserId> {
        self.0
            .lock()
            .expect("not poisoned")
            .keys()
            .copied()
            .collect()
    }
}

/// One open stream, counted while it lives.
pub struct StreamOpen {
    streams: Arc<OpenStreams>,
    user: UserId,
}

impl Drop for StreamOpen {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().expect("not poisoned");
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

#[derive(Clone)]
pub struct LiveHub {
    store: SharedStore,
    /// This node's open streams, by member.
    pub streams: Arc<OpenStreams>,
    sender: broadcast::Sender<Arc<OutgoingEvent>>,
    /// How far the log has been read and broadcast (or where it stood when the hub started).
    /// Set before each send: a stream that subscribes, then reads it, receives every later
    /// event.
    broadcast_up_to: Arc<AtomicI64>,
}

impl LiveHub {
    /// Starts the hub from the newest event in the log.
    pub async fn spawn(store: SharedStore) -> StoreResult<LiveHub> {
        let (sender, _) = broadcast::channel(4096);
        let latest = store.events.latest_id().await?;
        let hub = LiveHub {
            store,
            streams: Arc::default(),
            sender,
            broadcast_up_to: Arc::new(AtomicI64::new(latest)),
        };
        // The hub's own reads, one page after another, keep their statements prepared on
        // connections of their own; replays for reconnecting streams use the shared pool.
        let runner = LiveHub {
            store: hub.store.with_own_connections(2),
            ..hub.clone()
        };
        let written = hub.store.wakeups.subscribe();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(POLL, written.notified()).await;
                loop {
                    match runner.events_after(runner.broadcast_up_to(), PAGE).await {
                        Ok(batch) => {
                            for event in batch.events {
                                runner.broadcast_up_to.store(event.id, Ordering::SeqCst);
                                // No receivers is fine: nobody is watching right now.
                                let _ = runner.sender.send(Arc::new(event));
                            }
                            runner
                                .broadcast_up_to
                                .fetch_max(batch.read_up_to, Ordering::SeqCst);
                            if !batch.more {
                                break;
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, "live events: cannot read the event log");
                            break;
                        }
                    }
                }
            }
        });
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OutgoingEvent>> {
        self.sender.subscribe()
    }

    /// Where a new stream starts: subscribe first, then ask, and nothing falls in between.
    pub fn broadcast_up_to(&self) -> i64 {
        self.broadcast_up_to.load(Ordering::SeqCst)
    }

    /// Events after `after`, ready to send (for replays and for the hub itself).
    pub async fn events_after(&self, after: i64, limit: i64) -> StoreResult<OutgoingBatch> {
        let batch = self.store.events.after(after, limit).await?;
        let refs = Referenced::load(&self.store, &batch.events).await?;
        let mut events = Vec::with_capacity(batch.events.len());
        for recorded in &batch.events {
            let Some((live, audience)) = self.live(recorded, &refs).await? else {
                continue;
            };
            events.push(OutgoingEvent {
                id: recorded.id,
                name: live.as_ref().map_or("credentials.changed", LiveEvent::name),
                data: live
                    .map(|live| serde_json::to_string(&live).expect("live events serialise"))
                    .unwrap_or_default(),
                audience,
            });
        }
        Ok(OutgoingBatch {
            events,
            read_up_to: batch.read_up_to,
            more: batch.more,
        })
    }

    /// What members see of a domain event, and who may see it; `None` when it means nothing
    /// to browsers or what it refers to is gone. A credential check carries no live event.
    async fn live(
        &self,
        recorded: &RecordedEvent,
        refs: &Referenced,
    ) -> StoreResult<Option<(Option<LiveEvent>, Audience)>> {
        let event = &recorded.event;
        let conversation = event
            .conversation_id()
            .and_then(|id| refs.conversations.get(&id));
        let message = event.message_id().and_then(|id| refs.messages.get(&id));
        let live = match (event, conversation, message) {
            (
                DomainEvent::MessageReceived { .. }
                | DomainEvent::MessageEchoed { .. }
                | DomainEvent::MessageQueued { .. },
                Some(conversation),
                Some(message),
            ) => LiveEvent::MessageCreated {
                conversation: conversation.clone(),
                message: message.clone(),
            },
            (
                DomainEvent::StatusAdvanced { .. } | DomainEvent::MessageChanged { .. },
                Some(conversation),
                Some(message),
            ) => LiveEvent::MessageUpdated {
                conversation: conversation.clone(),
                message: message.clone(),
            },
            (
                DomainEvent::Assigned { .. }
                | DomainEvent::StatusChanged { .. }
                | DomainEvent::ConversationRead { .. }
                | DomainEvent::PriorityChanged { .. }
                | DomainEvent::TeamSet { .. }
                | DomainEvent::LabelsChanged { .. },
                Some(conversation),
                _,
            ) => LiveEvent::ConversationUpdated {
                conversation: conversation.clone(),
            },
            (DomainEvent::NoteAdded { note_id, .. }, _, _) => {
                let Some(note) = refs.notes.get(note_id) else {
                    return Ok(None);
                };
                LiveEvent::NoteAdded { note: note.clone() }
            }
            (
                DomainEvent::NotificationCreated {
                    notification_id,
                    user_id,
                    ..
                },
                _,
                _,
            ) => {
                let Some(notification) = refs.notifications.get(notification_id) else {
                    return Ok(None);
                };
                let live = LiveEvent::Notification {
                    notification: notification.clone(),
                };
                return Ok(Some((Some(live), Audience::Member(*user_id))));
            }
            (DomainEvent::NotificationsRead { user_id }, _, _) => {
                return Ok(Some((
                    Some(LiveEvent::NotificationsRead),
                    Audience::Member(*user_id),
                )));
            }
            (
                DomainEvent::PresenceChanged {
                    conversation_id,
                    user_id,
                    activity,
                    expires_at,
                },
                _,
                _,
            ) => {
                let Some(member) = refs.members.get(user_id) else {
                    return Ok(None);
                };
                LiveEvent::PresenceChanged {
                    presence: PresenceView {
                        conversation_id: *conversation_id,
                        member: member.clone(),
                        activity: *activity,
                        expires_at: expires_at.map(views::time),
                    },
                }
            }
            (DomainEvent::LabelCatalogueChanged { .. }, _, _) => {
                let labels = self.store.labels.list().await?;
                LiveEvent::LabelsChanged {
                    labels: labels.iter().map(views::label).collect(),
                }
            }
            (DomainEvent::ContactChanged { contact_id }, _, _) => {
                let Some(record) = self.store.contacts.get(*contact_id).await? else {
                    return Ok(None);
                };
                let contact = crate::service::contacts::Contact {
                    history: self.store.contacts.history(*contact_id).await?,
                    attributes: self.store.contacts.attributes().await?,
                    record,
                };
                LiveEvent::ContactUpdated {
                    contact: Box::new(views::contact_details(&contact)),
                }
            }
            (
                DomainEvent::ConsentRecorded {
                    contact_id, state, ..
                },
                _,
                _,
            ) => LiveEvent::ConsentChanged {
                contact_id: *contact_id,
                state: *state,
            },
            (DomainEvent::CampaignChanged { campaign_id, state }, _, _) => {
                LiveEvent::CampaignChanged {
                    campaign_id: *campaign_id,
                    state: *state,
                }
            }
            (DomainEvent::AttributesChanged, _, _) => LiveEvent::AttributesChanged {
                attributes: self.store.contacts.attributes().await?,
            },
            (DomainEvent::TemplateStatusChanged { template_id }, _, _) => {
                let Some((template, _)) = self.store.templates.get(template_id).await? else {
                    return Ok(None);
                };
                let live = LiveEvent::TemplateUpdated {
                    template: views::template(&template),
                };
                return Ok(Some((Some(live), Audience::Admins)));
            }
            (
                DomainEvent::NumberUpdated {
                    phone_number_id, ..
                },
                _,
                _,
            ) => {
                let live = LiveEvent::NumberChanged {
                    phone_number_id: phone_number_id.clone(),
                };
                return Ok(Some((Some(live), Audience::Admins)));
            }
            (DomainEvent::CredentialsChanged { user_id }, _, _) => {
                return Ok(Some((None, Audience::CredentialCheck(*user_id))));
            }
            // A new or reopened conversation arrives with its first message's event.
            _ => return Ok(None),
        };
        Ok(Some((Some(live), Audience::Members)))
    }
}

/// What a page of events refers to, read at once: a few queries a page, not a few an event.
struct Referenced {
    conversations: HashMap<i64, ConversationSummary>,
    messages: HashMap<i64, MessageView>,
    notes: HashMap<i64, NoteView>,
    notifications: HashMap<i64, NotificationView>,
    /// Members, when presence needs their names.
    members: HashMap<UserId, MemberRef>,
}

impl Referenced {
    async fn load(store: &SharedStore, events: &[RecordedEvent]) -> StoreResult<Referenced> {
        let ids = |id: &dyn Fn(&DomainEvent) -> Option<i64>| {
            let mut ids: Vec<i64> = events.iter().filter_map(|e| id(&e.event)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let conversation_ids = ids(&DomainEvent::conversation_id);
        let message_ids = ids(&DomainEvent::message_id);
        let note_ids = ids(&|event| match event {
            DomainEvent::NoteAdded { note_id, .. } => Some(*note_id),
            _ => None,
        });
        let notification_ids = ids(&|event| match event {
            DomainEvent::NotificationCreated {
                notification_id, ..
            } => Some(*notification_id),
            _ => None,
        });
        let presence = events
            .iter()
            .any(|e| matches!(e.event, DomainEvent::PresenceChanged { .. }));
        let (conversations, messages, notes, notifications) = tokio::try_join!(
            store.conversations.by_ids(&conversation_ids),
            store.messages.by_ids(&message_ids),
            store.notes.by_ids(&note_ids),
            store.notifications.by_ids(&notification_ids),
        )?;
        let members = if presence {
            store
                .team
                .list_users()
                .await?
                .iter()
                .map(|user| (user.id, views::member_ref(user)))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Referenced {
            conversations: conversations
                .iter()
                .map(|c| (c.id, views::conversation(c)))
                .collect(),
            messages: messages.iter().map(|m| (m.id, views::message(m))).collect(),
            notes: notes.iter().map(|n| (n.id, views::note(n))).collect(),
            notifications: notifications
                .iter()
                .map(|n| (n.id, views::notification(n)))
                .collect(),
            members,
        })
    }
}
