//! Sending a file from the browser: a multipart POST to one of Parley's upload endpoints, with
//! the session cookie, answering the endpoint's JSON or its error message.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The file chosen in the `<input type="file">` an event came from. The input is cleared, so
/// choosing the same file again fires again.
pub fn take_chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    let file = input.files()?.get(0)?;
    input.set_value("");
    Some(file)
}

pub async fn post_file<T: DeserializeOwned>(
    url: &str,
    fields: &[(&str, String)],
    file: web_sys::File,
) -> Result<T, String> {
    let failed = |e: wasm_bindgen::JsValue| format!("The upload failed: {e:?}");
    let form = web_sys::FormData::new().map_err(failed)?;
    for (name, value) in fields {
        form.append_with_str(name, value).map_err(failed)?;
    }
    form.append_with_blob_and_filename("file", &file, &file.name())
        .map_err(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&form);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    let body = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&body).map_err(|e| format!("The upload failed: {e}"))
    } else {
        Err(serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("The upload failed ({}).", response.status())))
    }
}
