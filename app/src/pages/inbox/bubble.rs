//! One message as a bubble, for every stored type. Everything the customer controls (text,
//! captions, names, file names) is rendered as text, never as markup; only http(s) links are
//! made clickable.

use crate::compose::human_size;
use crate::live::Live;
use crate::model::{Direction, MessageStatus, MessageView};
use crate::time::{clock_time, iso};
use leptos::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

/// Text with http(s) links made clickable; everything else stays text.
fn linked_text(text: &str) -> impl IntoView + use<> {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end();
            let trailing = piece[word.len()..].to_owned();
            if word.starts_with("https://") || word.starts_with("http://") {
                let href = word.to_owned();
                let label = href.clone();
                view! {
                    <a href=href target="_blank" rel="noopener noreferrer">
                        {label}
                    </a>
                    {trailing}
                }
                .into_any()
            } else {
                piece.to_owned().into_any()
            }
        })
        .collect_view()
}

fn ticks(status: MessageStatus) -> (&'static str, &'static str) {
    match status {
        MessageStatus::Queued => ("🕓", "Queued"),
        MessageStatus::Accepted => ("✓", "Accepted by WhatsApp"),
        MessageStatus::Sent => ("✓", "Sent"),
        MessageStatus::Delivered => ("✓✓", "Delivered"),
        MessageStatus::Read => ("✓✓", "Read"),
        MessageStatus::Failed => ("⚠", "Failed"),
        MessageStatus::Received => ("", ""),
    }
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// One message of the thread, redrawn when (only when) that message changes.
#[component]
pub fn Bubble(
    message: Memo<Option<MessageView>>,
    quotes: Memo<HashMap<String, String>>,
    live: Live,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <BubbleOf message quotes live /> })
    }
}

#[component]
fn BubbleOf(
    message: MessageView,
    quotes: Memo<HashMap<String, String>>,
    live: Live,
) -> impl IntoView {
    let outbound = message.direction == Direction::Outbound;
    let quoted = message
        .reply_to_wamid
        .clone()
        .map(|wamid| move || quotes.with(|quotes| quotes.get(&wamid).cloned()));
    let at = message.created_at;
    let time = move || clock_time(at, live.local_time.get());
    let (tick, tick_label) = ticks(message.status);
    let failure = message.error.as_ref().map(|e| {
        format!(
            "{} ({}){}",
            e.title,
            e.code,
            e.details
                .as_ref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )
    });
    let read = message.status == MessageStatus::Read;
    let reactions = message
        .reactions
        .iter()
        .map(|r| r.emoji.clone())
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <li class="bubble-row" class:outbound=outbound>
            <article class="bubble" class:failed=message.status == MessageStatus::Failed>
                {quoted.map(|q| move || q().map(|q| view! { <blockquote class="quoted" dir="auto">{q}</blockquote> }))}
                <Body message=message.clone() />
                <footer class="bubble-meta">
                    {message.author_name.clone().map(|name| view! { <span class="author">{name}</span> })}
                    {message.edited.then_some(view! { <span class="edited">"edited"</span> })}
                    <time datetime=iso(at)>{time}</time>
                    {outbound
                        .then(|| {
                            view! {
                                <span
                                    class="ticks"
                                    class:read=read
                                    title=failure.clone().unwrap_or_else(|| tick_label.to_owned())
                                    aria-label=tick_label
                                >
                                    {tick}
                                </span>
                            }
                        })}
                </footer>
                {failure.map(|f| view! { <p class="bubble-error" role="note">{f}</p> })}
                <MessageActions id=message.id status=message.status outbound />
                {(!reactions.is_empty()).then(|| view! { <span class="reactions" aria-label="Reactions">{reactions}</span> })}
            </article>
        </li>
    }
}

#[component]
fn Body(message: MessageView) -> impl IntoView {
    if message.deleted {
        return view! { <p class="deleted">"This message was deleted"</p> }.into_any();
    }
    let text = message.text.clone().unwrap_or_default();
    let payload = message.payload.clone();
    let media = message.media_url.clone();
    // What stands in for media not (yet) downloaded: a note while it is on its way, and
    // Parley's reason once it has given up.
    let pending = |what: &'static str| {
        match message.media_error.clone() {
        Some(reason) => view! { <p class="media-failed" role="note">{format!("{what} not downloaded: {reason}")}</p> }.into_any(),
        None => view! { <p class="media-pending">{format!("{what} downloading…")}</p> }.into_any(),
    }
    };
    match message.kind.as_str() {
        "text" | "template" => {
            view! { <p class="text" dir="auto">{linked_text(&text)}</p> }.into_any()
        }
        "image" | "sticker" => {
            let sticker = message.kind == "sticker";
            view! {
                {match media {
                    Some(url) => {
                        let full_size = url.clone();
                        view! {
                            <a href=full_size target="_blank" rel="noopener noreferrer">
                                <img src=url class:sticker=sticker alt=if sticker { "Sticker" } else { "Image" } loading="lazy" />
                            </a>
                        }
                            .into_any()
                    }
                    None => pending("Image"),
                }}
                {(!text.is_empty()).then(|| view! { <p class="text" dir="auto">{linked_text(&text)}</p> })}
            }
                .into_any()
        }
        "video" | "audio" => {
            let video = message.kind == "video";
            view! {
                {match media {
                    Some(url) if video => view! { <video controls preload="metadata" src=url></video> }.into_any(),
                    Some(url) => view! { <audio controls preload="metadata" src=url></audio> }.into_any(),
                    None => pending("Media"),
                }}
                {(!text.is_empty()).then(|| view! { <p class="text" dir="auto">{linked_text(&text)}</p> })}
            }
                .into_any()
        }
        "document" => {
            let filename = message
                .filename
                .clone()
                .unwrap_or_else(|| "Document".into());
            view! {
                <p class="document">
                    "📄 "
                    {match media {
                        Some(url) => {
                            let (label, download) = (filename.clone(), filename.clone());
                            view! { <a href=url download=download>{label}</a> }.into_any()
                        }
                        None => match message.media_error.clone() {
                            Some(reason) => view! { <span class="media-failed">{format!("{filename} (not downloaded: {reason})")}</span> }.into_any(),
                            None => view! { <span>{filename.clone()} " (downloading…)"</span> }.into_any(),
                        },
                    }}
                    {message.media_size.map(|bytes| view! { <span class="size">{format!(" · {}", human_size(bytes))}</span> })}
                </p>
                {(!text.is_empty()).then(|| view! { <p class="text" dir="auto">{linked_text(&text)}</p> })}
            }
                .into_any()
        }
        "location" => {
            let lat = payload
                .pointer("/location/latitude")
                .and_then(Value::as_f64)
                .unwrap_or_default();
            let lon = payload
                .pointer("/location/longitude")
                .and_then(Value::as_f64)
                .unwrap_or_default();
            let map =
                format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}");
            view! {
                <p class="location">
                    "📍 " {text.clone()} " " <span class="coords">{format!("{lat:.5}, {lon:.5}")}</span> " "
                    <a href=map target="_blank" rel="noopener noreferrer">"Open map"</a>
                </p>
            }
                .into_any()
        }
        "contacts" => view! { <p class="contacts">"👤 " {text}</p> }.into_any(),
        "interactive" if message.direction == Direction::Outbound => {
            // What the customer can tap: reply buttons, a list's button, or a link.
            let choices: Vec<String> = payload
                .pointer("/interactive/action/buttons")
                .and_then(Value::as_array)
                .map(|buttons| {
                    buttons
                        .iter()
                        .filter_map(|b| str_at(b, "/reply/title").map(str::to_owned))
                        .collect()
                })
                .or_else(|| {
                    str_at(&payload, "/interactive/action/button").map(|b| vec![format!("☰ {b}")])
                })
                .or_else(|| {
                    str_at(&payload, "/interactive/action/parameters/display_text")
                        .map(|b| vec![format!("🔗 {b}")])
                })
                .unwrap_or_default();
            view! {
                <p class="text" dir="auto">{linked_text(&text)}</p>
                <ul class="choices">
                    {choices.into_iter().map(|c| view! { <li dir="auto">{c}</li> }).collect_view()}
                </ul>
            }
            .into_any()
        }
        "interactive" | "button" => view! { <p class="reply-choice">"↩ " {text}</p> }.into_any(),
        "reaction" => {
            let label = if text.is_empty() {
                "Removed a reaction".to_owned()
            } else {
                format!("Reacted {text}")
            };
            view! { <p class="system">{label}</p> }.into_any()
        }
        "order" => {
            let items = payload
                .pointer("/order/product_items")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            view! { <p class="order">{format!("🛒 Order with {items} item(s)")}</p> }.into_any()
        }
        "system" => view! { <p class="system">{text}</p> }.into_any(),
        _ => {
            let declared = str_at(&payload, "/unsupported/type")
                .or_else(|| str_at(&payload, "/type"))
                .unwrap_or("unknown")
                .to_owned();
            view! { <p class="unsupported">{format!("Unsupported message type ({declared})")}</p> }
                .into_any()
        }
    }
}

/// Retry for a failed reply; Cancel for one still queued.
#[component]
fn MessageActions(id: i64, status: MessageStatus, outbound: bool) -> impl IntoView {
    let run = move |retry: bool| {
        leptos::task::spawn_local(async move {
            let outcome = if retry {
                crate::api::retry_message(id).await
            } else {
                crate::api::cancel_message(id).await
            };
            if let Err(error) = outcome {
                leptos::logging::warn!("{error}");
            }
        });
    };
    match (outbound, status) {
        (true, MessageStatus::Failed) => {
            view! { <button type="button" class="link-button" on:click=move |_| run(true)>"Retry"</button> }.into_any()
        }
        (true, MessageStatus::Queued) => {
            view! { <button type="button" class="link-button" on:click=move |_| run(false)>"Cancel"</button> }.into_any()
        }
        _ => ().into_any(),
    }
}
