//! Live events for browsers. Whatever the store commits to `live_events` is read back in order
//! by one hub task per node and broadcast to that node's server-sent-event streams; a stream
//! that reconnects with `Last-Event-ID` replays what it missed from the same table, so there are
//! neither gaps nor duplicates, and every node sees every other node's writes.

use crate::store::{CREDENTIALS_CHANGED, SharedStore, StoreResult, StoredLiveEvent};
use parley_app::model::UserId;
use parley_app::model::{ConversationSummary, LiveEvent, MessageView};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// An event ready to send: id, SSE event name and JSON data.
#[derive(Clone, Debug)]
pub struct OutgoingEvent {
    pub id: i64,
    pub name: &'static str,
    pub data: String,
    /// Not for browsers: this member's credentials changed, so their open streams check
    /// theirs again (and end if it no longer holds).
    pub credentials_of: Option<UserId>,
}

/// Catch up at least this often even without a local wake-up (writes from other nodes).
const POLL: Duration = Duration::from_millis(250);
const PAGE: i64 = 500;

#[derive(Clone)]
pub struct LiveHub {
    store: SharedStore,
    sender: broadcast::Sender<Arc<OutgoingEvent>>,
    /// The id of the newest event broadcast (or stored before the hub started). Set before
    /// each send: a stream that subscribes, then reads it, receives every later event.
    broadcast_up_to: Arc<AtomicI64>,
    wake: Arc<Notify>,
}

impl LiveHub {
    /// Starts the hub from the newest stored event.
    pub async fn spawn(store: SharedStore) -> StoreResult<LiveHub> {
        let (sender, _) = broadcast::channel(4096);
        let latest = store.latest_live_event_id().await?;
        let hub = LiveHub {
            store,
            sender,
            broadcast_up_to: Arc::new(AtomicI64::new(latest)),
            wake: Arc::new(Notify::new()),
        };
        // The hub's own reads, one page after another, keep their statements prepared on
        // connections of their own; replays for reconnecting streams use the shared pool.
        let runner = LiveHub {
            store: hub.store.with_own_connections(2),
            ..hub.clone()
        };
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(POLL, runner.wake.notified()).await;
                loop {
                    match runner.events_after(runner.broadcast_up_to(), PAGE).await {
                        Ok(events) => {
                            let full_page = events.len() as i64 == PAGE;
                            for event in events {
                                runner.broadcast_up_to.store(event.id, Ordering::SeqCst);
                                // No receivers is fine: nobody is watching right now.
                                let _ = runner.sender.send(Arc::new(event));
                            }
                            if !full_page {
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

    /// The notifier writers poke after committing live events.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OutgoingEvent>> {
        self.sender.subscribe()
    }

    /// Where a new stream starts: subscribe first, then ask, and nothing falls in between.
    pub fn broadcast_up_to(&self) -> i64 {
        self.broadcast_up_to.load(Ordering::SeqCst)
    }

    /// Stored events after `after`, ready to send (for replays and for the hub itself).
    pub async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<OutgoingEvent>> {
        let stored = self.store.live_events_after(after, limit).await?;
        // What the page refers to is read at once: three queries a page (conversations beside
        // messages, then their reactions), not three an event.
        let ids = |id: fn(&StoredLiveEvent) -> Option<i64>| {
            let mut ids: Vec<i64> = stored.iter().filter_map(id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let conversation_ids = ids(|event| event.conversation_id);
        let message_ids = ids(|event| event.message_id);
        let (conversations, messages) = tokio::try_join!(
            self.store.conversations_by_id(&conversation_ids),
            self.store.messages_by_id(&message_ids),
        )?;
        let conversations: HashMap<i64, ConversationSummary> = conversations
            .into_iter()
            .map(|conversation| (conversation.id, conversation))
            .collect();
        let messages: HashMap<i64, MessageView> = messages
            .into_iter()
            .map(|message| (message.id, message))
            .collect();
        Ok(stored
            .iter()
            .filter_map(|event| {
                if event.kind == CREDENTIALS_CHANGED {
                    return Some(OutgoingEvent {
                        id: event.id,
                        name: CREDENTIALS_CHANGED,
                        data: String::new(),
                        credentials_of: credentials_of(event),
                    });
                }
                let live = hydrate(event, &conversations, &messages)?;
                Some(OutgoingEvent {
                    id: event.id,
                    name: live.name(),
                    data: serde_json::to_string(&live).expect("live events serialise"),
                    credentials_of: None,
                })
            })
            .collect())
    }
}

/// Whose credentials a `credentials.changed` event is about.
fn credentials_of(event: &StoredLiveEvent) -> Option<UserId> {
    let payload: serde_json::Value = serde_json::from_str(event.payload.as_deref()?).ok()?;
    payload.get("user_id")?.as_i64().map(UserId)
}

/// The full event for a stored reference; `None` if what it refers to is gone.
fn hydrate(
    event: &StoredLiveEvent,
    conversations: &HashMap<i64, ConversationSummary>,
    messages: &HashMap<i64, MessageView>,
) -> Option<LiveEvent> {
    let conversation = event.conversation_id.and_then(|id| conversations.get(&id));
    let message = event.message_id.and_then(|id| messages.get(&id));
    match (event.kind.as_str(), conversation, message) {
        ("message.created", Some(conversation), Some(message)) => Some(LiveEvent::MessageCreated {
            conversation: conversation.clone(),
            message: message.clone(),
        }),
        ("message.updated", Some(conversation), Some(message)) => Some(LiveEvent::MessageUpdated {
            conversation: conversation.clone(),
            message: message.clone(),
        }),
        ("conversation.updated", Some(conversation), _) => Some(LiveEvent::ConversationUpdated {
            conversation: conversation.clone(),
        }),
        ("template.updated", _, _) => Some(LiveEvent::TemplateUpdated {
            payload: event
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default(),
        }),
        _ => None,
    }
}
