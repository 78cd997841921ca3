//! The agent inbox: conversation list, thread and contact panel.

use super::frame::AppFrame;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Inbox() -> impl IntoView {
    view! {
        <Title text="Inbox · Parley" />
        <AppFrame>
            <main class="inbox" aria-label="Inbox">
                <section class="conversation-list" aria-label="Conversations">
                    <h2 class="pane-title">"Conversations"</h2>
                    <p class="empty-state">"No conversations yet."</p>
                </section>
                <section class="thread" aria-label="Conversation">
                    <p class="empty-state">"Select a conversation to read and reply."</p>
                </section>
            </main>
        </AppFrame>
    }
}
