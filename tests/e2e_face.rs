//! End to end, in real Chromium against the stand-in: the portrait's
//! preview, the face check (in its worker, fetched only once a portrait is
//! chosen) on real pictures, and the framing drawn for each preprocess mode.
//! Pictures come from packages (scripts/make-media.sh): scikit-image's
//! astronaut (one face) and coffee cup (none), the astronaut twice side by
//! side, and shrunk into a wide canvas.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{repo_path, stand_in_with, Browser, Cdp};

async fn start() -> (stand_in::Running, Browser) {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(200)).await;
    let browser = Browser::open(&stand_in.url()).await;
    (stand_in, browser)
}

async fn pick_portrait(browser: &Browser, file: &str) {
    let input = browser.find("input_image-file").await;
    let path = repo_path(&format!("media/generated/{file}"));
    input.send_keys(&path.display().to_string()).await.unwrap_or_else(|e| panic!("choose {file}: {e}"));
}

async fn warnings(browser: &Browser) -> Vec<String> {
    let found = browser.js("return [...document.querySelectorAll('[data-testid=face-warning]')].map(e => e.textContent);").await;
    serde_json::from_value(found).unwrap_or_default()
}

async fn count(browser: &Browser, id: &str) -> u64 {
    browser.js(&format!("return document.querySelectorAll('[data-testid={id}]').length;")).await.as_u64().unwrap_or(0)
}

/// The framing rectangle's mode and width (in the picture's pixels), if drawn.
async fn framing(browser: &Browser) -> Option<(String, i64)> {
    let found = browser
        .js("const r = document.querySelector('[data-testid=framing]'); return r ? [r.dataset.mode, Number(r.getAttribute('width'))] : null;")
        .await;
    let pair = found.as_array()?;
    Some((pair[0].as_str()?.to_string(), pair[1].as_i64()?))
}

async fn choose_preprocess(browser: &Browser, mode: &str) {
    browser
        .js(&format!(
            "const s = document.querySelector('[data-testid=preprocess]'); s.value = '{mode}'; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true;"
        ))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_portrait_shows_one_face_and_the_framing_follows_the_mode() {
    let (stand_in, browser) = start().await;
    // The form starts with the sample portrait's address: previewed and checked at once.
    browser.find("portrait-image").await;
    let status = browser.wait_for_text("face-status", "one face found").await;
    assert!(status.contains("512×512 px"), "{status}");
    assert_eq!(count(&browser, "face-box").await, 1);
    assert_eq!(warnings(&browser).await, Vec::<String>::new(), "a clear face: no warning");

    // The default mode (full) draws the square that is animated and pasted back.
    let (mode, full_width) = framing(&browser).await.expect("framing drawn");
    assert_eq!(mode, "full");
    choose_preprocess(&browser, "crop").await;
    browser.wait_until("the crop framing", "const r = document.querySelector('[data-testid=framing]'); return !!r && r.dataset.mode === 'crop';").await;
    let (_, crop_width) = framing(&browser).await.expect("crop framing");
    assert_eq!(crop_width, full_width, "crop animates the same square full pastes back");
    choose_preprocess(&browser, "extcrop").await;
    browser.wait_until("the extcrop framing", "const r = document.querySelector('[data-testid=framing]'); return !!r && r.dataset.mode === 'extcrop';").await;
    let (_, extcrop_width) = framing(&browser).await.expect("extcrop framing");
    assert!(extcrop_width > crop_width, "extcrop keeps a border: {extcrop_width} > {crop_width}");
    // resize: no square, the picture is shown squashed as the model takes it (this one is square: no warning).
    choose_preprocess(&browser, "resize").await;
    browser.wait_until("no framing for resize", "return !document.querySelector('[data-testid=framing]');").await;
    assert_eq!(browser.js("return !!document.querySelector('.ths-squashed [data-testid=portrait-image]');").await, json!(true));
    assert_eq!(warnings(&browser).await, Vec::<String>::new());

    // image_size 512 for a face about 96 px wide: told, with the way out.
    choose_preprocess(&browser, "full").await;
    browser.click("image_size-512").await;
    browser.wait_until("the size warning", "return document.querySelectorAll('[data-testid=face-warning]').length === 1;").await;
    let told = warnings(&browser).await;
    assert!(told[0].contains("image_size 256"), "{told:?}");
    assert!(stand_in.seen().is_empty(), "checking the face sends nothing to the API: {:?}", stand_in.seen());
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pictures_with_no_face_several_faces_or_a_tiny_face_are_told_before_sending() {
    let (stand_in, browser) = start().await;
    browser.wait_for_text("face-status", "one face found").await;

    pick_portrait(&browser, "no-face.png").await;
    browser.wait_for_text("face-status", "no face found").await;
    let told = warnings(&browser).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("No face found") && told[0].contains("front-facing"), "{told:?}");
    assert_eq!(count(&browser, "face-box").await, 0);
    assert_eq!(framing(&browser).await, None, "no face, no square");

    pick_portrait(&browser, "two-faces.jpg").await;
    browser.wait_for_text("face-status", "2 faces found").await;
    assert_eq!(count(&browser, "face-box").await, 2);
    let told = warnings(&browser).await;
    assert!(told.iter().any(|w| w.contains("2 faces found") && w.contains("crop the photo")), "{told:?}");
    // A wide photo squashed by resize is told too.
    choose_preprocess(&browser, "resize").await;
    browser.wait_until("the squash warning", "return [...document.querySelectorAll('[data-testid=face-warning]')].some(e => e.textContent.includes('squashes'));").await;
    choose_preprocess(&browser, "full").await;

    pick_portrait(&browser, "small-face.jpg").await;
    browser.wait_for_text("face-status", "1400×1000 px").await;
    browser.wait_for_text("face-status", "one face found").await;
    let told = warnings(&browser).await;
    assert!(told.iter().any(|w| w.contains("only about") && w.contains("px wide")), "{told:?}");

    // Warnings, not blocks: the run can still go.
    assert_eq!(browser.js("return document.querySelector('[data-testid=generate]').disabled;").await, json!(false));
    assert!(stand_in.seen().is_empty(), "nothing was sent to the API: {:?}", stand_in.seen());
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_face_finder_is_fetched_only_once_a_portrait_is_chosen() {
    let (stand_in, browser) = start().await;
    // Every request reaches the server (no cache), so what is fetched can be counted.
    for (method, params) in [("Network.enable", json!({})), ("Network.setCacheDisabled", json!({ "cacheDisabled": true }))] {
        browser.client.issue_cmd(Cdp { method, params }).await.unwrap_or_else(|e| panic!("{method}: {e}"));
    }
    browser.wait_for_text("face-status", "one face found").await;
    browser
        .js("const e = document.querySelector('[data-testid=input_image]'); e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true })); return true;")
        .await;
    browser.wait_until("the preview to go", "return !document.querySelector('[data-testid=portrait-image]');").await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the form is saved
    let before = stand_in.served().len();
    browser.reload().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let first_load: Vec<String> = stand_in.served()[before..].to_vec();
    assert!(first_load.iter().any(|p| p.ends_with(".wasm")), "the reload was served: {first_load:?}");
    assert!(!first_load.iter().any(|p| p.starts_with("/face/")), "no face check in the first load: {first_load:?}");

    browser.type_into("input_image", &format!("{}/samples/portrait.jpg", stand_in.url())).await;
    browser.wait_for_text("face-status", "one face found").await;
    let after: Vec<String> = stand_in.served()[before..].to_vec();
    assert!(after.iter().any(|p| p == "/face/worker.js"), "the face check's worker started once a portrait was given: {after:?}");
    assert!(!after.iter().any(|p| p == "/sam" || p == "/samples/p"), "half-typed addresses are never fetched: {after:?}");
    // The finder's wasm and model are fetched by that worker and nothing else
    // (its fetches may come from the cache the first load of this test filled).
    let all = stand_in.served();
    let first = |file: &str| all.iter().position(|p| p == file);
    for file in ["/face/face_finder_bg.wasm", "/face/seeta_fd_frontal_v1.0.bin"] {
        assert!(first(file).is_some_and(|at| Some(at) > first("/face/worker.js")), "{file} comes after the worker: {all:?}");
    }
    let value: Value = browser.js("return document.title;").await;
    assert_eq!(value, json!("Talking-Head Studio"), "no run, no state in the title");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_picture_the_page_may_not_read_is_still_shown_and_said_unchecked() {
    let (stand_in, browser) = start().await;
    // Another origin that sends no CORS headers: Python's plain file server.
    let port = support::free_port();
    let mut server = std::process::Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1"])
        .current_dir(repo_path("media/generated"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    browser.wait_for_text("face-status", "one face found").await;
    let address = format!("http://127.0.0.1:{port}/portrait.jpg");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.type_into("input_image", &address).await;
    let status = browser.wait_for_text("face-status", "not checked").await;
    assert!(status.contains("CORS"), "{status}");
    browser.wait_for_text("face-status", "512×512 px").await;
    let shown = browser
        .js("const i = document.querySelector('[data-testid=portrait-image]'); return !!i && i.complete && i.naturalWidth;")
        .await;
    assert_eq!(shown, json!(512), "the picture itself is still shown");
    assert_eq!(count(&browser, "face-warning").await, 0, "no face warning for a picture that was not checked");
    let _ = server.kill();
    let _ = server.wait();
    browser.stop().await;
    stand_in.stop().await;
}
