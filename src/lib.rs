//! Talking-Head Studio: a browser studio for the hosted SadTalker model.
//!
//! The house, room by room:
//! - [`api`]: the contract as plain types (request, endpoints, errors,
//!   answers, money rules, estimates, snippets); no browser, host-tested.
//! - [`net`]: the only code that talks to the network.
//! - [`media`]: checks of images and audio by their bytes ([`media`] itself is
//!   plain), loading local files ([`media::local`]) and capture ([`media::capture`]).
//! - [`browser`]: thin shims over the browser (JSON, URLs, storage, IndexedDB).
//! - [`studio`]: one run's session (send, keep the job, keep the video).
//! - [`components`]: Leptos views that wire signals to the above.
//! - [`chunks`]: code fetched on first use (the page's wasm is split).
//! - `js_api` (feature `js-api`): the facade the JS package exports.

pub mod api;
pub mod browser;
pub mod chunks;
pub mod components;
#[cfg(feature = "js-api")]
pub mod js_api;
pub mod media;
pub mod net;
pub mod studio;

use wasm_bindgen::JsCast;

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the page's studio into the element with `id`, replacing the static
/// shell the HTML shows until the wasm has arrived. Falls back to `<body>`.
pub fn mount_page(id: &str) {
    // Read by scripts/bench.sh with "studio-mounted" below: how long the mount took.
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("studio-start");
    }
    let options = components::StudioOptions {
        storage_prefix: Some(browser::saved_form::PAGE_PREFIX.into()),
        page_origin: web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
        owns_title: true,
        ..Default::default()
    };
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let app = move || leptos::prelude::view! { <components::App options /> };
    match element {
        Some(element) => {
            element.set_inner_html("");
            leptos::mount::mount_to(element, app).forget();
        }
        None => leptos::mount::mount_to_body(app),
    }
    // Read by scripts/bench.sh: when the studio became usable, and the wasm
    // memory (to show that big videos never pass through it).
    if let Some(window) = web_sys::window() {
        if let Some(performance) = window.performance() {
            let _ = performance.mark("studio-mounted");
        }
        let _ = js_sys::Reflect::set(&window, &"__studioWasmMemory".into(), &wasm_bindgen::memory());
    }
    browser::idle::when_idle(|| wasm_bindgen_futures::spawn_local(chunks::warm_up()));
}
