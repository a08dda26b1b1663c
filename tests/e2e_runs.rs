//! End to end, in real Chromium against the stand-in: the wait and the answer
//! (jobs across reloads, every failure, retries, cancel, both answer forms,
//! history, keys in storage, the request as code).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::json;
use stand_in::{BodyKind, Failure};
use support::{stand_in_with, start_stand_in, Browser};

#[tokio::test(flavor = "multi_thread")]
async fn a_job_survives_a_reload_mid_wait_and_its_video_still_plays() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_secs(5)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.type_into("pose_style", "9").await;
    browser.click("generate").await;
    browser.wait_for_text("job-id", "stand-in-").await; // the job was accepted
    browser.reload().await;

    // The page picks the job up by itself and keeps the elapsed time.
    browser.find("progress").await;
    assert_eq!(browser.wait_for_video().await, json!(256));
    let settings = browser.text("result-settings").await;
    assert!(settings.contains("pose_style 9"), "{settings}");
    let submitted = stand_in.seen().iter().filter(|r| r.path == "/v2/sadtalker").count();
    assert_eq!(submitted, 1, "the reload did not send (and pay for) a second run");
    let job = browser.js("return localStorage.getItem('talking-head-studio.job.v1');").await;
    assert_eq!(job, json!(null), "a finished job is forgotten");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_job_shows_the_servers_reason() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(600)).await;
    stand_in.fail_next(Failure { message: Some("No face was found in input_image".into()), ..Failure::new(422, BodyKind::Json) });
    let browser = Browser::open(&stand_in.url()).await;
    browser.click("generate").await;
    let failure = browser.wait_for_text("failure", "No face was found in input_image").await;
    assert!(failure.contains("the job failed"), "{failure}");
    assert_eq!(browser.find("failure").await.attr("data-kind").await.ok().flatten().as_deref(), Some("job_failed"));
    browser.stop().await;
    stand_in.stop().await;
}

/// The page's own words for each documented status.
fn expected_title(status: u16) -> &'static str {
    match status {
        400 => "refused the request as invalid (400)",
        401 => "missing or not accepted (401)",
        403 => "not allowed to use this model (403)",
        404 => "endpoint was not found (404)",
        406 => "not enough credits for this run (406)",
        429 => "Too many requests right now (429)",
        500 => "The model's server failed (500)",
        502 => "could not reach the model (502)",
        _ => "gave up (504)",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_status_in_every_body_kind_is_explained_and_the_inputs_stay() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(100)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.choose_mode("one_shot").await;
    browser.type_into("pose_style", "33").await;
    browser.type_into("expression_scale", "2.2").await;
    let portrait = browser.value("input_image").await;

    for status in [400u16, 401, 403, 404, 406, 500, 504, 429, 502] {
        for body in [BodyKind::Json, BodyKind::Text, BodyKind::Html] {
            let message = format!("upstream says {status} in {body:?}");
            // Only a 429 (the run was not started) is sent again by itself: fail every attempt so the final message shows.
            stand_in.clear_failures();
            stand_in.fail_next(Failure { message: Some(message.clone()), retry_after: Some(1), count: Some(4), ..Failure::new(status, body) });
            browser.click("generate").await;
            if status == 429 {
                // The countdown names the failure and says nothing was charged.
                let stage = browser.wait_for_text("stage", "sending it again by itself").await;
                assert!(stage.contains(expected_title(status)) && stage.contains("nothing was charged"), "{stage}");
                browser.click("cancel").await;
                browser.wait_for_text("failure", "Cancelled").await;
                stand_in.clear_failures();
                continue;
            }
            let failure = browser.wait_for_text("failure", expected_title(status)).await;
            assert!(failure.contains(&message), "{status} {body:?}: the server's words are shown as text: {failure}");
            assert!(!failure.contains('<'), "no markup leaks into the message: {failure}");
            let kind = browser.find("failure").await.attr("data-kind").await.ok().flatten().unwrap_or_default();
            assert!(!kind.is_empty());
            if matches!(status, 500 | 502 | 504) {
                // Never sent again by itself: the run may have reached the model.
                assert!(browser.text("charged-warning").await.contains("may have been charged"), "{status}");
                browser.find("retry").await;
                stand_in.clear_failures();
            }
            assert_eq!(browser.value("pose_style").await, "33");
            assert_eq!(browser.value("expression_scale").await, "2.2");
            assert_eq!(browser.value("input_image").await, portrait);
        }
    }
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_counts_down_retries_and_then_succeeds() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(100)).await;
    stand_in.fail_next(Failure { retry_after: Some(2), count: Some(1), ..Failure::new(429, BodyKind::Json) });
    let browser = Browser::open(&stand_in.url()).await;
    browser.choose_mode("one_shot").await;
    browser.click("generate").await;
    let stage = browser.wait_for_text("stage", "sending it again by itself in").await;
    assert!(stage.contains("429"), "{stage}");
    assert_eq!(browser.wait_for_video().await, json!(256));
    let statuses: Vec<u16> = stand_in.seen().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_really_aborts_the_request() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_secs(6)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.choose_mode("one_shot").await;
    browser.type_into("pose_style", "21").await;
    browser.click("generate").await;
    browser.find("cancel").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    browser.click("cancel").await;
    let failure = browser.wait_for_text("failure", "Cancelled").await;
    assert!(failure.contains("generate again"), "{failure}");
    let mut dropped = false;
    for _ in 0..50 {
        dropped = stand_in.seen().iter().any(|r| r.dropped);
        if dropped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(dropped, "the stand-in saw the connection close: {:?}", stand_in.seen());
    assert_eq!(browser.value("pose_style").await, "21");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn base64_answers_play_and_spoiled_answers_are_reported() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(100)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.choose_mode("one_shot").await;
    browser.click("base64").await;
    browser.click("generate").await;
    assert_eq!(browser.wait_for_video().await, json!(256));

    browser.click("base64").await;
    for (body, expected) in [(BodyKind::Truncated, "cut off"), (BodyKind::NotVideo, "not an MP4 or WebM")] {
        stand_in.fail_next(Failure::new(200, body));
        browser.click("generate").await;
        let failure = browser.wait_for_text("failure", expected).await;
        assert!(failure.contains("not a playable video"), "{failure}");
        assert!(browser.js("return !document.querySelector('[data-testid=result-video]');").await == json!(true), "no broken player");
    }
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn results_are_kept_in_the_history_across_a_reload() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(200)).await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.type_into("pose_style", "17").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    browser.wait_for_text("history", "pose_style 17").await;

    browser.type_into("pose_style", "3").await;
    browser.reload().await;
    let summary = browser.wait_for_text("history-summary", "pose_style 17").await;
    assert!(summary.contains("image_size 256"), "{summary}");
    browser.click("history-play").await;
    assert_eq!(browser.wait_for_video().await, json!(256));
    browser.wait_for_text("result", "Made by the local stand-in").await; // a replay keeps the note
    browser.click("history-reuse").await;
    assert_eq!(browser.value("pose_style").await, "17", "reuse puts the settings back");
    let download = browser.find("history-download").await.attr("download").await.ok().flatten().unwrap_or_default();
    assert!(download.starts_with("talking-head_") && download.contains("pose17") && download.ends_with(".mp4"), "{download}");
    browser.click("history-delete").await;
    browser
        .wait_until("the item to be deleted", "return document.querySelectorAll('[data-testid=history-item]').length === 0;")
        .await;
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_reach_local_storage_only_when_asked_and_credits_warn() {
    let stand_in = stand_in_with(|c| c.credits = 0.05).await;
    let browser = Browser::open(&stand_in.url()).await;
    let storage = "return JSON.stringify(Object.assign({}, localStorage));";

    browser.click("endpoint-segmind").await;
    browser.type_into("segmind-key", "sg_typed_secret_123").await;
    assert!(!browser.js(storage).await.as_str().unwrap_or_default().contains("sg_typed_secret_123"));
    browser.reload().await;
    assert_eq!(browser.value("segmind-key").await, "", "not kept without the tick");

    browser.type_into("segmind-key", "sg_typed_secret_123").await;
    browser.click("remember-key").await;
    browser.wait_until("the key to be kept", "return (localStorage.getItem('talking-head-studio.keys.v1') || '').includes('sg_typed_secret_123');").await;
    browser.reload().await;
    assert_eq!(browser.value("segmind-key").await, "sg_typed_secret_123", "kept when ticked");
    browser.click("forget-key").await;
    browser.wait_until("the key to be forgotten", "return localStorage.getItem('talking-head-studio.keys.v1') === null;").await;
    assert_eq!(browser.value("segmind-key").await, "");
    assert!(!browser.js(storage).await.as_str().unwrap_or_default().contains("sg_typed_secret"));

    // The stand-in's account has 0.05 credits: less than a run.
    browser.click("endpoint-stand_in").await;
    browser.click("check-credits").await;
    assert!(browser.wait_for_text("credits", "0.05").await.contains("Balance"));
    let warning = browser.wait_for_text("low-balance", "does not cover a run").await;
    assert!(warning.contains("406"), "{warning}");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_panels_curl_command_really_makes_the_video() {
    let stand_in = start_stand_in().await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.click("image_size-512").await;
    browser.js("document.querySelector('[data-testid=code-panel]').open = true; return true;").await;
    browser.click("code-curl").await;
    let code = browser.text("code").await;
    assert!(code.contains("$STAND_IN_KEY") && !code.contains("stand-in-key"), "the key is a placeholder: {code}");
    assert!(!code.contains("SEGMIND_API_KEY"), "the stand-in's snippet never reads the Segmind key: {code}");
    browser.click("code-python").await;
    assert!(browser.text("code").await.contains("requests.post"));
    browser.stop().await;

    let dir = tempfile::tempdir().expect("tmp");
    let status = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || std::process::Command::new("bash").arg("-c").arg(&code).current_dir(dir).env("STAND_IN_KEY", stand_in::DEFAULT_KEY).status()
    })
    .await
    .expect("join")
    .expect("bash runs");
    assert!(status.success(), "the curl command succeeded");
    let video = std::fs::read(dir.path().join("talking-head.mp4")).expect("the command wrote the video");
    assert_eq!(&video[4..8], b"ftyp");
    let width = support::ffprobe("stream=width", &dir.path().join("talking-head.mp4"));
    assert!(width.contains("512"), "made at the panel's image_size: {width}");
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_storage_quota_is_reported_and_the_video_still_shows() {
    let stand_in = stand_in_with(|c| c.delay = std::time::Duration::from_millis(100)).await;
    let browser = Browser::open(&stand_in.url()).await;
    // Leave this origin almost no storage: the video can't be written to IndexedDB.
    browser
        .client
        .issue_cmd(support::Cdp { method: "Storage.overrideQuotaForOrigin", params: json!({ "origin": stand_in.url(), "quotaSize": 2048 }) })
        .await
        .expect("CDP quota override");
    browser.click("generate").await;
    assert_eq!(browser.wait_for_video().await, json!(256), "the paid result is shown anyway");
    let warning = browser.wait_for_text("not-kept", "full").await;
    assert!(warning.contains("download it"), "{warning}");
    browser.find("download").await;
    // The paid video is not in the history, so its job's ticket is kept: a reload fetches it again.
    browser.wait_for_text("ticket-kept", "fetches the video again").await;
    assert!(!browser.js("return localStorage.getItem('talking-head-studio.job.v1');").await.is_null());
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_video_plays_at_once_while_it_is_kept_and_its_ticket_stays_until_then() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(300)).await;
    let browser = Browser::open(&stand_in.url()).await;
    // The history's database never answers from now on: keeping the video takes for ever.
    browser.js("Object.defineProperty(window, 'indexedDB', { value: { open: () => ({}) }, configurable: true }); return true;").await;
    browser.click("generate").await;
    browser
        .wait_until("the video to play before it is kept", "const v = document.querySelector('[data-testid=arrived-video]'); return !!v && v.readyState >= 2;")
        .await;
    assert!(browser.text("arrived").await.contains("keeping it in this browser's history"));
    let job = browser.js("return localStorage.getItem('talking-head-studio.job.v1');").await;
    assert!(job.as_str().is_some_and(|j| j.contains("stand-in-")), "the ticket stays until the video is kept: {job}");
    assert_eq!(browser.js("return !document.querySelector('[data-testid=result]');").await, json!(true), "not said finished before it is kept");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_player_of_the_arrived_video_stays_when_the_video_is_kept() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(300)).await;
    let browser = Browser::open(&stand_in.url()).await;
    // Marks the arrived video's player the moment it is added to the page.
    browser
        .js("new MutationObserver(() => { const v = document.querySelector('[data-testid=arrived-video]'); if (v) v.dataset.seenArriving = 'yes'; })
               .observe(document.body, { subtree: true, childList: true }); return true;")
        .await;
    browser.click("generate").await;
    assert_eq!(browser.wait_for_video().await, json!(256));
    assert_eq!(
        browser.js("return document.querySelector('[data-testid=result-video]').dataset.seenArriving || null;").await,
        json!("yes"),
        "the kept video plays in the player it arrived in (not loaded again from the start)"
    );
    assert!(!browser.text("result").await.contains("keeping it in this browser's history"), "the note goes once it is kept");
    browser.stop().await;
    stand_in.stop().await;
}
