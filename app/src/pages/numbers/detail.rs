//! `/admin/numbers/:phone_number_id`: one number's health, the history of every change (when,
//! what, from where), and its business profile: edited in Meta's limits, previewed as
//! customers see it in WhatsApp, with the profile photo.

use super::quality_class;
use crate::api::{number_detail, number_profile, save_number_profile};
use crate::live::{Incoming, on_event, use_live};
use crate::model::LiveEvent;
use crate::numbers::{
    ABOUT_MAX, BusinessNumberDetail, BusinessProfile, DESCRIPTION_MAX, VERTICALS, limit_words,
    validate_profile,
};
use crate::pages::frame::AppFrame;
use crate::pages::{DateTime, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NumberPage() -> impl IntoView {
    let params = use_params_map();
    let number_id = move || params.read().get("phone_number_id").unwrap_or_default();
    let live = use_live();
    let loaded = Resource::new(
        move || (number_id(), live.reset.get()),
        |(id, _)| number_detail(id),
    );
    let shown = RwSignal::new(None::<BusinessNumberDetail>);
    on_event(move |incoming| {
        if let Incoming::Event(event) = incoming
            && let LiveEvent::NumberChanged { .. } = &**event
        {
            let id = number_id();
            leptos::task::spawn_local(async move {
                if let Ok(found) = number_detail(id).await {
                    shown.try_set(Some(found));
                }
            });
        }
    });
    view! {
        <Title text="Business number · Parley" />
        <AppFrame>
            <main class="admin number-admin">
                <p><a href="/admin/numbers">"← Business numbers"</a></p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(found) => {
                                shown.set(Some(found));
                                view! {
                                    <Health number=shown />
                                    <ProfileEditor phone_number_id=number_id() />
                                    <History number=shown />
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </AppFrame>
    }
}

#[component]
fn Health(number: RwSignal<Option<BusinessNumberDetail>>) -> impl IntoView {
    move || {
        number.get().map(|detail| {
            let n = detail.number;
            let title = n.display_phone_number.clone().unwrap_or(n.phone_number_id.clone());
            view! {
                <h1>{title}</h1>
                <dl class="number-health">
                    <dt>"Display name"</dt>
                    <dd dir="auto">{format!("{} ({})", n.verified_name.clone().unwrap_or_default(), n.name_status.clone().unwrap_or_else(|| "—".into()))}</dd>
                    <dt>"Quality rating"</dt>
                    <dd><span class=quality_class(n.quality_rating) data-quality=n.quality_rating.as_str()>{n.quality_rating.as_str()}</span></dd>
                    <dt>"Status"</dt>
                    <dd data-status=n.status.clone().unwrap_or_default()>{n.status.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Messaging limit"</dt>
                    <dd>{limit_words(n.messaging_limit, n.messaging_limit_tier.as_deref())}</dd>
                    <dt>"Throughput"</dt>
                    <dd>{format!("{} — Parley sends up to {} messages a second", n.throughput.clone().unwrap_or_else(|| "STANDARD".into()), n.send_rate)}</dd>
                    <dt>"Two-step verification"</dt>
                    <dd>{n.code_verification_status.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Platform"</dt>
                    <dd>{n.platform_type.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Phone number id"</dt>
                    <dd><code>{n.phone_number_id.clone()}</code></dd>
                </dl>
                {n.alerts.into_iter().map(|alert| view! {
                    <p class=format!("banner warning number-alert {}", alert.level.as_str()) role="alert">
                        <strong>{alert.meta}</strong> ": " {alert.meaning}
                    </p>
                }).collect_view()}
            }
        })
    }
}

#[component]
fn History(number: RwSignal<Option<BusinessNumberDetail>>) -> impl IntoView {
    view! {
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <table class="number-history">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Reported by"</th>
                        <th scope="col">"Meta's words"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || number.get().map(|d| d.history).unwrap_or_default().into_iter().map(|change| view! {
                        <tr>
                            <td><DateTime at=change.at /></td>
                            <td>{change.field.replace('_', " ")}</td>
                            <td>{change.from.unwrap_or_default()}</td>
                            <td>{change.to.unwrap_or_default()}</td>
                            <td>{match change.source.as_str() { "graph" => "a refresh", _ => "Meta's webhook" }}</td>
                            <td dir="auto">{change.detail.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// `None` for an empty field: Meta keeps what it has.
fn given(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The profile form, with a preview of how the profile looks in WhatsApp. Loaded once the page
/// is live: it asks Meta, which the page should not wait for.
#[component]
fn ProfileEditor(phone_number_id: String) -> impl IntoView {
    let about = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let website_1 = RwSignal::new(String::new());
    let website_2 = RwSignal::new(String::new());
    let vertical = RwSignal::new(String::new());
    let photo = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let fill = move |profile: BusinessProfile| {
        about.set(text(&profile.about));
        address.set(text(&profile.address));
        description.set(text(&profile.description));
        email.set(text(&profile.email));
        website_1.set(profile.websites.first().cloned().unwrap_or_default());
        website_2.set(profile.websites.get(1).cloned().unwrap_or_default());
        vertical.set(text(&profile.vertical));
        photo.set(profile.profile_picture_url);
        loaded.set(true);
    };
    let id = StoredValue::new(phone_number_id);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match number_profile(id.get_value()).await {
                Ok(profile) => fill(profile),
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    });
    let draft = move || BusinessProfile {
        about: given(about.get()),
        address: given(address.get()),
        description: given(description.get()),
        email: given(email.get()),
        websites: [website_1.get(), website_2.get()]
            .into_iter()
            .filter_map(given)
            .collect(),
        vertical: given(vertical.get()),
        profile_picture_url: None,
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let profile = draft();
        let problems = validate_profile(&profile);
        if !problems.is_empty() {
            let said: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.problem))
                .collect();
            problem.set(Some(said.join("; ")));
            return;
        }
        leptos::task::spawn_local(async move {
            match save_number_profile(id.get_value(), profile).await {
                Ok(saved) => {
                    problem.set(None);
                    notice.set(Some("Saved: customers see the new profile now.".into()));
                    fill(saved);
                }
                Err(error) => {
                    notice.set(None);
                    problem.set(Some(error.to_string()));
                }
            }
        });
    };
    let choose_photo =
        move |ev: leptos::ev::Event| upload_photo(ev, id.get_value(), photo, problem);
    view! {
        <section class="profile-editor" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Business profile"</h2>
            <div class="profile-columns">
                <form on:submit=save class="profile-form">
                    <label for="profile-about">"About"</label>
                    <input id="profile-about" maxlength=ABOUT_MAX.to_string() bind:value=about dir="auto" />
                    <span class="hint">{move || format!("{} / {ABOUT_MAX}", about.get().chars().count())}</span>
                    <label for="profile-description">"Description"</label>
                    <textarea id="profile-description" rows="4" maxlength=DESCRIPTION_MAX.to_string() bind:value=description dir="auto"></textarea>
                    <span class="hint">{move || format!("{} / {DESCRIPTION_MAX}", description.get().chars().count())}</span>
                    <label for="profile-address">"Address"</label>
                    <input id="profile-address" bind:value=address dir="auto" />
                    <label for="profile-email">"Email"</label>
                    <input id="profile-email" type="email" bind:value=email />
                    <label for="profile-website-1">"Website"</label>
                    <input id="profile-website-1" type="url" bind:value=website_1 placeholder="https://" />
                    <label for="profile-website-2">"Second website"</label>
                    <input id="profile-website-2" type="url" bind:value=website_2 placeholder="https://" />
                    <label for="profile-vertical">"Industry"</label>
                    <select id="profile-vertical" on:change=move |ev| vertical.set(event_target_value(&ev))>
                        <option value="" selected=move || vertical.get().is_empty()>"—"</option>
                        {VERTICALS.iter().map(|v| view! {
                            <option value=*v selected=move || vertical.get() == *v>{*v}</option>
                        }).collect_view()}
                    </select>
                    <label for="profile-photo">"Profile photo (JPEG or PNG, at most 5 MB)"</label>
                    <input id="profile-photo" type="file" accept="image/jpeg,image/png" on:change=choose_photo />
                    {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                    {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                    <button type="submit" disabled=move || !loaded.get()>"Save profile"</button>
                </form>
                <ProfilePreview about description address email website_1 website_2 photo />
            </div>
        </section>
    }
}

/// How the profile reads in WhatsApp's business info screen.
#[component]
fn ProfilePreview(
    about: RwSignal<String>,
    description: RwSignal<String>,
    address: RwSignal<String>,
    email: RwSignal<String>,
    website_1: RwSignal<String>,
    website_2: RwSignal<String>,
    photo: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <aside class="profile-preview" aria-label="Preview in WhatsApp">
            <div class="profile-photo">
                {move || match photo.get() {
                    Some(url) => view! { <img src=url alt="Profile photo" /> }.into_any(),
                    None => view! { <span aria-hidden="true">"🏪"</span> }.into_any(),
                }}
            </div>
            <p class="profile-about" dir="auto">{move || about.get()}</p>
            <p dir="auto">{move || description.get()}</p>
            <p dir="auto">{move || (!address.get().is_empty()).then(|| format!("📍 {}", address.get()))}</p>
            <p>{move || (!email.get().is_empty()).then(|| format!("✉ {}", email.get()))}</p>
            <p>{move || [website_1.get(), website_2.get()].into_iter().filter(|w| !w.is_empty()).map(|w| format!("🔗 {w}")).collect::<Vec<_>>().join(" ")}</p>
        </aside>
    }
}

/// Uploads the chosen photo (`POST /api/v1/numbers/{id}/profile/photo`).
fn upload_photo(
    ev: leptos::ev::Event,
    phone_number_id: String,
    photo: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
) {
    #[cfg(feature = "hydrate")]
    {
        let Some(file) = crate::upload::take_chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/numbers/{phone_number_id}/profile/photo");
            match crate::upload::post_file::<BusinessProfile>(&url, &[], file).await {
                Ok(profile) => {
                    problem.set(None);
                    photo.set(profile.profile_picture_url);
                }
                Err(why) => problem.set(Some(why)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, phone_number_id, photo, problem);
}
