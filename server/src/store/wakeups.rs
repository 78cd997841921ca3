//! Wake-ups after commits. Readers of the event log (the live hub, routing, the sandbox) and
//! the sender wait on these instead of polling fast; a commit on this node wakes them at once.
//! Where several nodes share the database (PostgreSQL), each commit's news is also passed to
//! the other nodes (`NOTIFY`, see `postgres_link`), whose readers then wake the same way.
//! Polling stays underneath, so lost news only delays a reader, never loses an event.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// What a commit may bring that someone else waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum News {
    /// Domain events were written.
    Events,
    /// Sends were queued.
    Outbox,
}

impl News {
    pub(super) const ALL: [News; 2] = [News::Events, News::Outbox];

    pub(super) fn word(self) -> &'static str {
        match self {
            News::Events => "events",
            News::Outbox => "outbox",
        }
    }

    pub(super) fn from_word(word: &str) -> Option<News> {
        News::ALL.into_iter().find(|news| news.word() == word)
    }
}

/// Each reader subscribes for a wake-up of its own: a `Notify` keeps one permit, so a reader
/// busy reading when a commit lands still finds it when it next waits, whereas one `Notify`
/// shared by several readers would wake only one of them per commit.
#[derive(Default)]
pub struct Wakeups {
    readers: std::sync::Mutex<Vec<Arc<Notify>>>,
    /// This node's sender.
    outbox: Arc<Notify>,
    /// News from commits on this node not yet passed to the other nodes.
    untold: [AtomicBool; 2],
    tell: Notify,
}

impl Wakeups {
    /// A wake-up of the caller's own, for every later commit that writes events.
    pub fn subscribe(&self) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        self.readers
            .lock()
            .expect("not poisoned")
            .push(wake.clone());
        wake
    }

    /// The wake-up of this node's sender.
    pub fn outbox(&self) -> Arc<Notify> {
        self.outbox.clone()
    }

    /// A commit on this node wrote events.
    pub fn announce(&self) {
        self.heard(News::Events);
        self.pass_on(News::Events);
    }

    /// A commit on this node queued sends.
    pub fn sends_queued(&self) {
        self.heard(News::Outbox);
        self.pass_on(News::Outbox);
    }

    /// Wakes whoever waits on this node for `news` (from this node or another).
    pub(super) fn heard(&self, news: News) {
        match news {
            News::Events => {
                for wake in self.readers.lock().expect("not poisoned").iter() {
                    wake.notify_one();
                }
            }
            News::Outbox => self.outbox.notify_one(),
        }
    }

    /// After a lost link to the other nodes: their news meanwhile is unknown, so everyone
    /// looks.
    pub(super) fn heard_everything(&self) {
        for news in News::ALL {
            self.heard(news);
        }
    }

    fn pass_on(&self, news: News) {
        if !self.untold[news as usize].swap(true, Ordering::AcqRel) {
            self.tell.notify_one();
        }
    }

    /// Waits for news from this node's commits that the other nodes have not been told, and
    /// takes it: many commits in a row become one message.
    pub(super) async fn untold(&self) -> Vec<News> {
        loop {
            let news: Vec<News> = News::ALL
                .into_iter()
                .filter(|news| self.untold[*news as usize].swap(false, Ordering::AcqRel))
                .collect();
            if !news.is_empty() {
                return news;
            }
            self.tell.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn woken(wake: &Notify) -> bool {
        tokio::time::timeout(Duration::from_millis(50), wake.notified())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn every_reader_is_woken_and_many_commits_are_told_once() {
        let wakeups = Wakeups::default();
        let (first, second) = (wakeups.subscribe(), wakeups.subscribe());
        wakeups.announce();
        wakeups.announce();
        assert!(woken(&first).await && woken(&second).await);
        assert_eq!(wakeups.untold().await, vec![News::Events]);
        wakeups.sends_queued();
        assert!(woken(&wakeups.outbox()).await);
        assert_eq!(wakeups.untold().await, vec![News::Outbox]);
    }

    #[tokio::test]
    async fn news_from_other_nodes_wakes_readers_without_being_passed_on() {
        let wakeups = Wakeups::default();
        let reader = wakeups.subscribe();
        wakeups.heard(News::Events);
        assert!(woken(&reader).await);
        let untold = tokio::time::timeout(Duration::from_millis(50), wakeups.untold()).await;
        assert!(untold.is_err(), "nothing to pass on");
    }

    #[test]
    fn news_words_read_back() {
        for news in News::ALL {
            assert_eq!(News::from_word(news.word()), Some(news));
        }
        assert_eq!(News::from_word("other"), None);
    }
}
