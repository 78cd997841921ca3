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

/// POSTs `text` as the multipart `file` (named `filename`, `text/csv`) with `fields`, asking for
/// newline-delimited JSON, and hands each line of the answer to `on_line` as it arrives (the
/// server reports its progress that way). An error answer's message is the `Err`.
pub async fn post_text_streaming(
    url: &str,
    fields: &[(&str, String)],
    filename: &str,
    text: &str,
    mut on_line: impl FnMut(&str),
) -> Result<(), String> {
    let failed = |e: wasm_bindgen::JsValue| format!("The upload failed: {e:?}");
    let form = web_sys::FormData::new().map_err(failed)?;
    for (name, value) in fields {
        form.append_with_str(name, value).map_err(failed)?;
    }
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    form.append_with_blob_and_filename("file", &blob, filename)
        .map_err(failed)?;
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers
        .set("Accept", "application/x-ndjson")
        .map_err(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&form);
    init.set_headers(&headers);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        let body = JsFuture::from(response.text().map_err(failed)?)
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        return Err(serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("The upload failed ({}).", response.status())));
    }
    let body = response.body().ok_or("The answer has no body.")?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|e: js_sys::Object| failed(e.into()))?;
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .map_err(failed)?
            .as_bool()
            .unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(failed)?;
        pending.extend(js_sys::Uint8Array::new(&value).to_vec());
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            on_line(String::from_utf8_lossy(&line).trim());
        }
    }
    if !pending.is_empty() {
        on_line(String::from_utf8_lossy(&pending).trim());
    }
    Ok(())
}
