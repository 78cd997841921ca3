//! Live events for browsers. Whatever the store commits to `live_events` is read back in order
//! by one hub task per node and broadcast to that node's server-sent-event streams; a stream
//! that reconnects with `Last-Event-ID` replays what it missed from the same table, so there are
//! neither gaps nor duplicates, and every node sees every other node's writes.

use crate::store::{SharedStore, StoreResult, StoredLiveEvent};
use parley_app::model::LiveEvent;
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
        let runner = hub.clone();
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
        let mut events = Vec::with_capacity(stored.len());
        for event in stored {
            if let Some(live) = self.hydrate(&event).await? {
                let data = serde_json::to_string(&live).expect("live events serialise");
                events.push(OutgoingEvent {
                    id: event.id,
                    name: live.name(),
                    data,
                });
            }
        }
        Ok(events)
    }

    /// The full event for a stored reference; `None` if what it refers to is gone.
    async fn hydrate(&self, event: &StoredLiveEvent) -> StoreResult<Option<LiveEvent>> {
        let conversation = match event.conversation_id {
            Some(id) => self.store.conversation(id).await?,
            None => None,
        };
        let message = match event.message_id {
            Some(id) => self.store.message(id).await?,
            None => None,
        };
        Ok(match (event.kind.as_str(), conversation, message) {
            ("message.created", Some(conversation), Some(message)) => {
                Some(LiveEvent::MessageCreated {
                    conversation,
                    message,
                })
            }
            ("message.updated", Some(conversation), Some(message)) => {
                Some(LiveEvent::MessageUpdated {
                    conversation,
                    message,
                })
            }
            ("conversation.updated", Some(conversation), _) => {
                Some(LiveEvent::ConversationUpdated { conversation })
            }
            ("template.updated", _, _) => Some(LiveEvent::TemplateUpdated {
                payload: event
                    .payload
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or_default(),
            }),
            _ => None,
        })
    }
}
