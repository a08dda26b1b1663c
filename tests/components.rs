//! The studio's components mounted in headless Chromium, acted on as a person
//! would, and read back from the DOM after the reactive system has run.
//! `scripts/test.sh` starts a stand-in and passes its URL as `STAND_IN_URL`.
#![cfg(target_arch = "wasm32")]

use talking_head_studio::api::endpoint::{sample_inputs, EndpointKind, EndpointSettings};
use talking_head_studio::api::request::RequestDraft;
use talking_head_studio::components::{App, StudioOptions};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn stand_in_url() -> &'static str {
    option_env!("STAND_IN_URL").unwrap_or_else(|| panic!("STAND_IN_URL was not set at build time: run these tests through scripts/test.sh"))
}

/// A studio in a fresh element, keeping nothing in storage (no prefix).
fn mount_studio() -> (HtmlElement, Box<dyn std::any::Any>) {
    let document = web_sys::window().and_then(|w| w.document()).expect("document");
    let host: HtmlElement = document.create_element("div").expect("div").unchecked_into();
    document.body().expect("body").append_child(&host).expect("append");
    let (input_image, input_audio) = sample_inputs(stand_in_url());
    let options = StudioOptions {
        storage_prefix: None,
        page_origin: stand_in_url().to_string(),
        endpoint: Some(EndpointSettings { kind: EndpointKind::StandIn, stand_in_url: stand_in_url().into(), ..EndpointSettings::default() }),
        draft: Some(RequestDraft { input_image, input_audio, ..RequestDraft::default() }),
        ..StudioOptions::default()
    };
    let handle = leptos::mount::mount_to(host.clone(), move || {
        use leptos::prelude::*;
        view! { <App options /> }
    });
    (host, Box::new(handle))
}

fn find(host: &HtmlElement, testid: &str) -> Option<HtmlElement> {
    host.query_selector(&format!("[data-testid=\"{testid}\"]")).ok().flatten().map(|e| e.unchecked_into())
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().expect("window").set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits (up to `secs`) until `check` holds, letting the reactive system run.
async fn until(secs: u32, what: &str, check: impl Fn() -> bool) {
    for _ in 0..secs * 10 {
        leptos::task::tick().await;
        if check() {
            return;
        }
        sleep_ms(100).await;
    }
    panic!("timed out waiting for {what}");
}

#[wasm_bindgen_test]
async fn a_bad_field_is_marked_beside_it_and_generate_waits() {
    let (host, handle) = mount_studio();
    until(5, "the form", || find(&host, "generate").is_some()).await;
    let generate: web_sys::HtmlButtonElement = find(&host, "generate").expect("generate").unchecked_into();
    assert!(!generate.disabled(), "the samples make a valid form");

    let pose: HtmlInputElement = find(&host, "pose_style").expect("pose_style").unchecked_into();
    pose.set_value("99");
    pose.dispatch_event(&web_sys::Event::new("input").expect("event")).expect("dispatch");
    until(5, "the message beside pose_style", || find(&host, "error-pose_style").is_some_and(|e| e.inner_text().contains("0 to 45"))).await;
    assert!(generate.disabled(), "nothing can be sent while a field is wrong");
    assert_eq!(pose.value(), "99", "what was typed stays");
    drop(handle);
    host.remove();
}

#[wasm_bindgen_test]
async fn a_studio_that_keeps_nothing_never_says_safe_to_reload() {
    let (host, handle) = mount_studio();
    until(5, "the form", || find(&host, "generate").is_some()).await;
    find(&host, "generate").expect("generate").click();
    until(10, "the job to be accepted", || find(&host, "job-id").is_some_and(|e| e.inner_text().contains("stand-in-"))).await;
    let hint = find(&host, "job-id").expect("hint").inner_text();
    assert!(hint.contains("keep this tab open") && !hint.contains("safe to reload"), "{hint}");
    until(20, "the video", || find(&host, "result-video").is_some()).await;
    drop(handle);
    host.remove();
}
