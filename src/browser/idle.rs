//! Work for when the page has nothing else to do.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Runs `work` once the browser is idle (`requestIdleCallback`, at most
/// [`LATEST_MS`] later), or after [`LATEST_MS`] where that call is missing.
pub fn when_idle(work: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let callback = Closure::once_into_js(work).unchecked_into::<js_sys::Function>();
    let options = web_sys::IdleRequestOptions::new();
    options.set_timeout(LATEST_MS as u32);
    if window.request_idle_callback_with_options(&callback, &options).is_err() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&callback, LATEST_MS);
    }
}

/// The longest wait for an idle moment.
const LATEST_MS: i32 = 2000;

/// A promise that resolves after `ms` (a timer: held back in a hidden tab),
/// or at once where no timer can be set, so nothing waits on it forever.
pub fn timer(ms: i32) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _reject| {
        let set = web_sys::window().map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms));
        if !matches!(set, Some(Ok(_))) {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    })
}

/// Resolves in a task of its own, once what the current task is doing (such
/// as mounting the page, or a batch of a download) is done and the page's
/// other tasks (input, painting) have had their turn. A message the page posts
/// to itself, not a timer: hidden tabs hold timers back (up to a minute once
/// hidden for a while), and a video arriving while the person looks at
/// another tab must not wait for that.
pub async fn next_task() {
    let Ok(channel) = web_sys::MessageChannel::new() else { return };
    let (port1, port2) = (channel.port1(), channel.port2());
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        port1.set_onmessage(Some(&resolve));
        if port2.post_message(&wasm_bindgen::JsValue::NULL).is_err() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    port1.close();
    port2.close();
}
