//! Parley's browser entry point: the WASM module that hydrates the server-rendered pages.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    parley_app::hydrate();
}
