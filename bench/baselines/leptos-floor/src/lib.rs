//! The smallest app that uses what Parley's browser side uses: the router with a parameter,
//! meta tags, a resource loaded by a server function (JSON), a keyed list, a server action, a
//! bound input. Nothing else, so its size is what the framework costs before any of Parley.

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::path;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub unread: u32,
}

#[server]
pub async fn rows(after: Option<i64>) -> Result<Vec<Row>, ServerFnError> {
    let _ = after;
    Ok(Vec::new())
}

#[server]
pub async fn reply(id: i64, text: String) -> Result<Row, ServerFnError> {
    Ok(Row { id, name: text, unread: 0 })
}

#[component]
fn List() -> impl IntoView {
    let params = use_params_map();
    let rows = Resource::new(move || params.read().get("id"), |_| rows(None));
    let send = ServerAction::<Reply>::new();
    let text = RwSignal::new(String::new());
    view! {
        <Title text="floor" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = rows.await.unwrap_or_default();
                view! {
                    <For each=move || list.clone() key=|row| row.id let:row>
                        <a href=format!("/c/{}", row.id)>{row.name.clone()} " " {row.unread}</a>
                    </For>
                }
            })}
        </Transition>
        <input bind:value=text />
        <button on:click=move |_| {
            send.dispatch(Reply { id: 1, text: text.get() });
        }>"Send"</button>
    }
}

#[component]
fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=|| "not found">
                <Route path=path!("/") view=List />
                <Route path=path!("/c/:id") view=List />
            </Routes>
        </Router>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
