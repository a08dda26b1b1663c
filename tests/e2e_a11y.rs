//! Accessibility, in real Chromium against the stand-in: axe-core (from npm,
//! installed by the setup) finds no violations in each state of the page
//! (idle with previews, a run going, a failure, a finished video with the
//! history), and a whole run can be made from the keyboard alone.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::Value;
use stand_in::{BodyKind, Failure};
use support::{assert_clean, stand_in_with, Browser};

#[tokio::test(flavor = "multi_thread")]
async fn no_axe_violations_in_any_state() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(2500)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.wait_for_text("face-status", "one face found").await;
    assert_clean(&browser, "idle, with the previews and the face check shown").await;

    browser.click("generate").await;
    browser.find("progress").await;
    assert_clean(&browser, "a run is going").await;
    browser.wait_for_video().await;
    browser.find("history-item").await;
    assert_clean(&browser, "the video is shown and the history holds it").await;

    stand_in.fail_next(Failure { message: Some("No face was found in input_image".into()), ..Failure::new(422, BodyKind::Json) });
    browser.click("generate").await;
    browser.find("failure").await;
    assert_clean(&browser, "a run failed").await;
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_can_be_made_with_the_keyboard_alone() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(300)).await;
    let browser = Browser::open(&stand_in.url()).await;
    // From the top of the page, Tab until Generate has the focus, then Enter.
    browser.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return true;").await;
    let body = browser.client.find(fantoccini::Locator::Css("body")).await.expect("body");
    let mut reached = false;
    for _ in 0..80 {
        body.send_keys("\u{E004}").await.expect("Tab");
        if browser.js("return document.activeElement && document.activeElement.dataset.testid === 'generate';").await == Value::Bool(true) {
            reached = true;
            break;
        }
    }
    assert!(reached, "Generate is reachable with Tab");
    let focused = browser.client.active_element().await.expect("focused element");
    focused.send_keys("\u{E007}").await.expect("Enter");
    assert_eq!(browser.wait_for_video().await, Value::from(256), "the run made from the keyboard finished");
    browser.stop().await;
    stand_in.stop().await;
}

/// Where an element's box is: [top, left, bottom] in CSS pixels of the viewport.
async fn place(browser: &Browser, id: &str) -> Vec<f64> {
    let found = browser.js(&format!("const r = document.querySelector('[data-testid={id}]').getBoundingClientRect(); return [r.top, r.left, r.bottom];")).await;
    serde_json::from_value(found).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_laptop_screen_the_result_shows_without_scrolling_and_on_a_phone_in_one_column() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(300)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.client.set_window_size(1280, 800).await.expect("window size");
    browser.wait_for_text("face-status", "one face found").await;
    let height = browser.js("return window.innerHeight;").await.as_f64().unwrap_or(0.0);
    let preview = place(&browser, "portrait-image").await;
    assert!(preview[2] <= height, "before a run, the portrait and its face check show without scrolling: {preview:?} of {height}");
    if let Ok(path) = std::env::var("SCREENSHOT_TO") {
        // scripts/screenshot.sh: the picture of the layout in the README.
        let png = browser.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    browser.click("generate").await;
    browser.wait_for_video().await;
    browser.wait_until("the poster to show a frame", "const v = document.querySelector('.ths-poster'); return !!v && v.readyState >= 2;").await;
    let result = place(&browser, "result-video").await;
    assert!(result[0] >= 0.0 && result[0] < height * 0.6, "the video starts in view at 1280×800 without scrolling: {result:?} of {height}");
    let form = place(&browser, "input_image").await;
    assert!(result[1] > form[1] + 200.0, "two columns: the result beside the form ({result:?} vs {form:?})");

    browser.client.set_window_size(420, 900).await.expect("phone size");
    let generate = place(&browser, "generate").await;
    let form = place(&browser, "input_image").await;
    assert!((generate[1] - form[1]).abs() < 40.0, "one column on a phone: {generate:?} vs {form:?}");
    browser.stop().await;
    stand_in.stop().await;
}
