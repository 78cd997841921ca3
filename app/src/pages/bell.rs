//! The notification bell in the top bar: how many unread, and the list (a mention links to
//! its note, a snooze that ended to its conversation). Live: new ones arrive over the event
//! stream; reading them in one tab clears the count in the member's other tabs.

use crate::api::{my_notifications, read_notifications};
use crate::collaboration::{NotificationList, NotificationView};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::time::date_time;
use leptos::prelude::*;

#[component]
pub fn NotificationBell() -> impl IntoView {
    let live = use_live();
    let refetch = RwSignal::new(0u64);
    let loaded = Resource::new(
        move || (live.reset.get(), refetch.get()),
        |_| my_notifications(),
    );
    let list = RwSignal::new(NotificationList::default());
    Effect::new(move |_| {
        if let Some(Ok(found)) = loaded.get() {
            list.set(found);
        }
    });
    on_event(move |incoming| match incoming {
        Incoming::Event(event) => match &**event {
            LiveEvent::Notification { notification } => list.update(|list| {
                if !list.notifications.iter().any(|n| n.id == notification.id) {
                    list.notifications.insert(0, notification.clone());
                    list.unread += 1;
                }
            }),
            LiveEvent::NotificationsRead => refetch.update(|n| *n += 1),
            _ => {}
        },
        Incoming::Reset => {}
    });
    let open = RwSignal::new(false);
    let unread = move || list.with(|l| l.unread);
    let read_all = move |_| {
        list.update(|l| {
            l.unread = 0;
            for n in &mut l.notifications {
                n.unread = false;
            }
        });
        leptos::task::spawn_local(async move {
            let _ = read_notifications(None).await;
        });
    };
    let read_one = move |id: i64| {
        list.update(|l| {
            if let Some(n) = l.notifications.iter_mut().find(|n| n.id == id && n.unread) {
                n.unread = false;
                l.unread = (l.unread - 1).max(0);
            }
        });
        open.set(false);
        leptos::task::spawn_local(async move {
            let _ = read_notifications(Some(vec![id])).await;
        });
    };
    view! {
        <div class="bell">
            <button
                type="button"
                class="bell-button"
                aria-expanded=move || open.get().to_string()
                aria-label=move || format!("Notifications, {} unread", unread())
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "🔔"
                <Show when=move || { unread() > 0 }>
                    <span class="unread">{unread}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <section class="popover notifications" aria-label="Notifications"
                    on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }
                >
                    <header>
                        <h2>"Notifications"</h2>
                        <button type="button" class="link-button" on:click=read_all disabled=move || unread() == 0>
                            "Mark all read"
                        </button>
                    </header>
                    <Show
                        when=move || list.with(|l| !l.notifications.is_empty())
                        fallback=|| view! { <p class="empty-state">"Nothing yet: mentions and snoozes that end show up here."</p> }
                    >
                        <ul>
                            <For
                                each=move || list.get().notifications
                                key=|n| (n.id, n.unread)
                                let:notification
                            >
                                <Entry notification live read_one />
                            </For>
                        </ul>
                    </Show>
                </section>
            </Show>
        </div>
    }
}

#[component]
fn Entry(
    notification: NotificationView,
    live: crate::live::Live,
    read_one: impl Fn(i64) + Copy + 'static,
) -> impl IntoView {
    let id = notification.id;
    let at = notification.created_at;
    view! {
        <li class:unread=notification.unread>
            <a href=notification.href() on:click=move |_| read_one(id)>
                <strong dir="auto">{notification.headline()}</strong>
                {notification.excerpt.clone().map(|e| view! { <span class="excerpt" dir="auto">{e}</span> })}
                <time>{move || date_time(at, live.local_time.get())}</time>
            </a>
        </li>
    }
}
