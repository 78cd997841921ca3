//! Nodes sharing one PostgreSQL pass each other their commits' news: each node `NOTIFY`s after
//! commits that wrote events or queued sends, and `LISTEN`s for the others', so a webhook
//! taken by one node reaches browsers on another within milliseconds instead of at the next
//! poll. Notices are sent after the commit, by one task per node, outside the writers'
//! transactions: a `NOTIFY` inside them would serialise their commits on PostgreSQL's
//! notification queue lock. A lost connection is re-opened with backoff, after which everyone
//! reads what they may have missed; polling covers the gap meanwhile.

use super::wakeups::{News, Wakeups};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

const CHANNEL: &str = "parley_news";
/// After telling, news waits this long to be told with whatever follows it: a busy node sends
/// a few hundred notices a second at most, not one per commit.
const GATHER: Duration = Duration::from_millis(2);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

pub(super) fn spawn(pool: PgPool, options: PgConnectOptions, wakeups: Arc<Wakeups>) {
    let node = format!("{:016x}", rand::random::<u64>());
    tokio::spawn(tell(pool, node.clone(), wakeups.clone()));
    // Its own pool of one, so the listening connection never holds one of the writers'.
    let listening = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(LAST_RETRY)
        .connect_lazy_with(options);
    tokio::spawn(listen(listening, node, wakeups));
}

async fn tell(pool: PgPool, node: String, wakeups: Arc<Wakeups>) {
    loop {
        for news in wakeups.untold().await {
            if let Err(error) = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(notice(&node, news))
                .execute(&pool)
                .await
            {
                tracing::debug!(%error, "cannot tell the other nodes (they will poll)");
            }
        }
        tokio::time::sleep(GATHER).await;
    }
}

async fn listen(pool: PgPool, node: String, wakeups: Arc<Wakeups>) {
    let mut retry = FIRST_RETRY;
    loop {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                retry = FIRST_RETRY;
                // Whatever the other nodes said before now was not heard.
                wakeups.heard_everything();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notice)) => {
                            if let Some(news) = news_from_another_node(notice.payload(), &node) {
                                wakeups.heard(news);
                            }
                        }
                        // The connection was lost and is back: notices meanwhile were lost.
                        Ok(None) => wakeups.heard_everything(),
                        Err(error) => {
                            tracing::warn!(%error, "lost the other nodes' news; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(error) => tracing::debug!(%error, "cannot listen to the other nodes yet"),
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn notice(node: &str, news: News) -> String {
    format!("{node} {}", news.word())
}

/// The news in a notice, unless this node sent it (its own readers were woken already).
fn news_from_another_node(notice: &str, this_node: &str) -> Option<News> {
    let (node, word) = notice.split_once(' ')?;
    if node == this_node {
        return None;
    }
    News::from_word(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_from_other_nodes_are_news_and_this_nodes_own_are_not() {
        let sent = notice("a1", News::Events);
        assert_eq!(news_from_another_node(&sent, "b2"), Some(News::Events));
        assert_eq!(news_from_another_node(&sent, "a1"), None);
        assert_eq!(
            news_from_another_node(&notice("a1", News::Outbox), "b2"),
            Some(News::Outbox)
        );
        assert_eq!(news_from_another_node("a1 gossip", "b2"), None);
        assert_eq!(news_from_another_node("garbled", "b2"), None);
    }
}
