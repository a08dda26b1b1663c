//! The transport against a running stand-in, in headless Chromium.
//!
//! `scripts/test.sh` starts the stand-in on a free port and passes its URL
//! at build time as `STAND_IN_URL`.
#![cfg(target_arch = "wasm32")]

use talking_head_studio::api::error::ApiError;
use talking_head_studio::api::endpoint::{sample_inputs, Endpoint, EndpointKind, EndpointSettings, STAND_IN_DEFAULT_KEY};
use talking_head_studio::api::request::{RequestDraft, NormalizedRequest};
use talking_head_studio::net::{self, Inline, Progress, Run};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn stand_in_url() -> &'static str {
    match option_env!("STAND_IN_URL") {
        Some(url) => url,
        None => panic!("STAND_IN_URL was not set at build time: run these tests through scripts/test.sh"),
    }
}

fn endpoint(key: &str) -> Endpoint {
    let settings = EndpointSettings {
        kind: EndpointKind::StandIn,
        stand_in_url: stand_in_url().into(),
        stand_in_key: key.into(),
        ..EndpointSettings::default()
    };
    settings.resolve("").expect("stand-in settings are valid")
}

/// A run with no signal that records its progress.
fn quiet() -> &'static dyn Fn(Progress) {
    &|_| {}
}

fn run() -> Run<'static> {
    Run { signal: None, timeout_secs: None, on_progress: quiet() }
}

fn sample_request(edit: impl FnOnce(&mut RequestDraft)) -> NormalizedRequest {
    let (input_image, input_audio) = sample_inputs(stand_in_url());
    let mut draft = RequestDraft { input_image, input_audio, ..RequestDraft::default() };
    edit(&mut draft);
    draft.validate().expect("sample request is valid")
}

/// Loads the Blob into a `<video>` and reads its pixel size once it has data.
async fn video_size(blob: &web_sys::Blob) -> (u32, u32) {
    let document = web_sys::window().and_then(|w| w.document()).expect("document");
    let video: web_sys::HtmlVideoElement = wasm_bindgen::JsCast::unchecked_into(document.create_element("video").expect("video"));
    video.set_muted(true);
    let url = web_sys::Url::create_object_url_with_blob(blob).expect("blob url");
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        video.set_onloadeddata(Some(&resolve));
        video.set_onerror(Some(&reject));
    });
    video.set_src(&url);
    JsFuture::from(loaded).await.expect("the browser decodes the video");
    (video.video_width(), video.video_height())
}

#[wasm_bindgen_test]
async fn success_returns_a_playable_mp4_at_the_requested_size() {
    let request = sample_request(|d| d.image_size = "512".into());
    let video = net::generate(&endpoint(STAND_IN_DEFAULT_KEY), &request, &Inline::default(), &run()).await.expect("a video");
    assert_eq!(video.blob.type_(), "video/mp4");
    assert!(video.blob.size() > 10_000.0, "a real video, {} bytes", video.blob.size());
    assert!(video.from_stand_in, "the stand-in marks its answers");
    assert!(video.remaining_credits.is_some(), "x-remaining-credits is exposed through CORS");
    assert_eq!(video_size(&video.blob).await, (512, 512));
}

#[wasm_bindgen_test]
async fn base64_answers_are_decoded_in_the_browser() {
    let request = sample_request(|d| d.base64 = true);
    let video = net::generate(&endpoint(STAND_IN_DEFAULT_KEY), &request, &Inline::default(), &run()).await.expect("a video");
    assert_eq!(video.blob.type_(), "video/mp4");
    assert_eq!(video_size(&video.blob).await, (256, 256));
}

#[wasm_bindgen_test]
async fn a_wrong_key_is_unauthorized_with_the_servers_message() {
    let error = net::generate(&endpoint("not-the-key"), &sample_request(|_| {}), &Inline::default(), &run()).await.expect_err("401");
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.kind().as_str(), "unauthorized");
    assert_eq!(error.server_message(), Some("Invalid API key"));
}

#[wasm_bindgen_test]
async fn a_bad_field_is_a_400_naming_it() {
    // Valid for the page's own checks, but a file the server can't decode.
    let request = sample_request(|d| d.input_image = format!("{}/samples/voice.mp3", stand_in_url()));
    let error = net::generate(&endpoint(STAND_IN_DEFAULT_KEY), &request, &Inline::default(), &run()).await.expect_err("400");
    assert!(matches!(error, ApiError::BadRequest { .. }), "{error:?}");
    let message = error.server_message().unwrap_or_default();
    assert!(message.contains("input_image"), "{message}");
}

#[wasm_bindgen_test]
async fn abort_before_the_answer_is_a_cancel() {
    let controller = web_sys::AbortController::new().expect("controller");
    let signal = controller.signal();
    let request = sample_request(|_| {});
    let endpoint = endpoint(STAND_IN_DEFAULT_KEY);
    let run = Run { signal: Some(&signal), timeout_secs: None, on_progress: quiet() };
    let inline = Inline::default();
    let pending = net::generate(&endpoint, &request, &inline, &run);
    controller.abort();
    assert_eq!(pending.await.expect_err("cancelled"), ApiError::Cancelled);
}

#[wasm_bindgen_test]
async fn the_time_limit_is_a_timeout_not_a_cancel() {
    let controller = web_sys::AbortController::new().expect("controller");
    let signal = net::signal_with_timeout(&controller.signal(), 0);
    let run = Run { signal: Some(&signal), timeout_secs: Some(0), on_progress: quiet() };
    let error = net::generate(&endpoint(STAND_IN_DEFAULT_KEY), &sample_request(|_| {}), &Inline::default(), &run).await.expect_err("timeout");
    assert_eq!(error, ApiError::TimedOut { limit_secs: 0 });
    assert_eq!(error.kind().as_str(), "timeout");
}

#[wasm_bindgen_test]
async fn a_job_is_polled_to_its_video_with_progress() {
    let stages = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = stages.clone();
    let record = move |p: Progress| sink.borrow_mut().push(p);
    let run = Run { signal: None, timeout_secs: None, on_progress: &record };
    let video = net::generate_job(&endpoint(STAND_IN_DEFAULT_KEY), &sample_request(|_| {}), &Inline::default(), &run).await.expect("a video");
    assert_eq!(video_size(&video.blob).await, (256, 256));
    let stages = stages.borrow();
    assert!(matches!(stages.first(), Some(Progress::Waiting)), "{stages:?}");
    assert!(stages.iter().any(|p| matches!(p, Progress::Submitted(t) if t.request_id.starts_with("stand-in-"))), "{stages:?}");
    assert!(stages.iter().any(|p| matches!(p, Progress::Receiving { .. })), "{stages:?}");
}

#[wasm_bindgen_test]
async fn credits_are_read_from_the_account() {
    let credits = net::check_credits(endpoint(STAND_IN_DEFAULT_KEY)).await.expect("credits");
    assert!(credits.total() > 0.0);
    let error = net::check_credits(endpoint("wrong")).await.expect_err("401");
    assert_eq!(error.status(), Some(401));
}
