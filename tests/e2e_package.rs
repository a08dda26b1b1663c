//! The built package (`pkg/`, from scripts/build-pkg.sh) imported by plain
//! HTML pages with no bundler, in real Chromium.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::Engine;
use serde_json::{json, Value};
use support::{repo_path, stand_in_with, Browser};

/// The stand-in serving the repository root (pkg/, tests/package/) and the samples.
async fn serve_repo() -> stand_in::Running {
    serve_repo_with(|_| {}).await
}

async fn serve_repo_with(adjust: impl FnOnce(&mut stand_in::Config)) -> stand_in::Running {
    assert!(repo_path("pkg/talking_head_studio.js").is_file(), "pkg/ is missing: run scripts/build-pkg.sh first (scripts/test.sh does)");
    stand_in_with(|c| {
        c.static_dir = Some(repo_path(""));
        c.delay = std::time::Duration::from_millis(1500);
        adjust(c);
    })
    .await
}

async fn results(browser: &Browser) -> Value {
    results_within(browser, support::WAIT).await
}

async fn results_within(browser: &Browser, limit: std::time::Duration) -> Value {
    let deadline = std::time::Instant::now() + limit;
    while browser.js("return window.__results !== undefined;").await != json!(true) {
        if std::time::Instant::now() > deadline {
            let state = browser.js("return JSON.stringify({ href: location.href, session: Object.assign({}, sessionStorage), errors: window.__errors || null });").await;
            panic!("timed out waiting for the page's checks to finish: {state}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.js("return window.__results;").await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_page_validates_generates_aborts_and_catches_typed_errors() {
    let stand_in = serve_repo().await;
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/tests/package/api-test.html", stand_in.url())).await.expect("page loads");
    let r = results(&browser).await;
    assert_eq!(r["unexpected"], Value::Null, "{r:#}");

    assert_eq!(r["bad"]["ok"], json!(false));
    let fields: Vec<&str> = r["bad"]["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    for field in ["input_image", "input_audio", "pose_style", "enhancer"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(r["bad"]["errors"][0]["message"].as_str().is_some_and(|m| m.contains("javascript:")), "{r:#}");
    assert_eq!(r["good"]["ok"], json!(true));
    assert_eq!(r["good"]["request"]["image_size"], json!(512));
    assert_eq!(r["good"]["request"]["pose_style"], json!(4), "defaults filled in");

    assert_eq!(r["video"]["type"], json!("video/mp4"));
    assert_eq!(r["video"]["width"], json!(512));
    assert_eq!(r["video"]["advanced"], json!(true), "the Blob plays");
    assert!(r["video"]["stages"].as_array().is_some_and(|s| s.contains(&json!("receiving"))), "{r:#}");
    assert_eq!(r["asyncVideo"]["type"], json!("video/mp4"));

    assert_eq!(r["abort"]["kind"], json!("cancelled"), "{r:#}");
    assert_eq!(r["abort"]["name"], json!("StudioError"));
    assert_eq!(r["unauthorized"]["isError"], json!(true));
    assert_eq!(r["unauthorized"]["kind"], json!("unauthorized"));
    assert_eq!(r["unauthorized"]["status"], json!(401));
    assert_eq!(r["unauthorized"]["serverMessage"], json!("Invalid API key"));
    assert!(r["unauthorized"]["nextStep"].as_str().is_some_and(|s| s.contains("key")));
    assert_eq!(r["invalid"]["kind"], json!("invalid_request"));
    assert!(r["invalid"]["fieldErrors"].as_array().is_some_and(|e| !e.is_empty()));
    let e = &r["estimate"];
    let high = |v: &Value| v["usd"][1].as_f64().unwrap_or(0.0);
    assert!(high(&e["long"]) > 3.0 * high(&e["short"]), "the price follows the clip: {e:#}");
    assert_eq!(e["short"]["frames"], json!(75), "25 frames a second");
    assert_eq!(e["short"]["fromRuns"], json!(0));
    assert!(e["short"]["text"].as_str().is_some_and(|t| t.contains("rough")), "{e:#}");
    assert_eq!(e["learnt"]["fromRuns"], json!(2), "{e:#}");
    assert!(e["learnt"]["text"].as_str().is_some_and(|t| t.contains("from 2 of your runs")), "{e:#}");
    assert_eq!(e["missing"]["kind"], json!("invalid_options"), "{e:#}");
    assert_eq!(r["misspelt"]["kind"], json!("invalid_options"), "{r:#}");
    assert!(r["misspelt"]["message"].as_str().is_some_and(|m| m.contains("apiKeyy")), "{r:#}");
    assert!(r["code"].as_str().is_some_and(|c| c.contains("curl") && c.contains("$STAND_IN_KEY") && !c.contains("SEGMIND_API_KEY")), "{r:#}");

    // Only what the functions need was fetched: the studio's views are chunks only mount() fetches.
    let fetched = browser.js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/pkg/'));").await;
    let fetched: Vec<&str> = fetched.as_array().expect("resources").iter().filter_map(Value::as_str).collect();
    assert!(fetched.iter().any(|n| n.ends_with("talking_head_studio_bg.wasm")), "{fetched:?}");
    assert!(!fetched.iter().any(|n| n.contains("split_studio_part")), "no view code for a page without mount(): {fetched:?}");

    let seen = stand_in.seen();
    assert!(seen.iter().any(|s| s.dropped), "the abort closed the connection: {seen:?}");
    assert!(stand_in.csp_reports().is_empty(), "the package works under the studio's CSP: {:?}", stand_in.csp_reports());
    browser.stop().await;
    stand_in.stop().await;
}

/// Runs `script` with `root` bound to the shadow root of the element `host`.
fn in_studio(host: &str, script: &str) -> String {
    format!("const root = document.querySelector('{host}').shadowRoot; {script}")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_mounted_studios_work_apart_in_a_hostile_page() {
    let stand_in = serve_repo().await;
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/tests/package/mount-test.html", stand_in.url())).await.expect("page loads");
    browser.wait_until("both studios to mount", "return window.__mounted === true && !!document.querySelector('#two').shadowRoot.querySelector('[data-testid=generate]');").await;
    let views = browser.js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/pkg/split_studio_part')).length;").await;
    assert_eq!(views, json!(1), "mount() fetched the studio's views once, for both studios");

    let style = browser
        .js(&in_studio("#one", "const b = root.querySelector('[data-testid=generate]'); const s = getComputedStyle(b); return [s.display, s.fontSize, s.backgroundColor, getComputedStyle(root.querySelector('input')).backgroundColor];"))
        .await;
    assert_ne!(style[0], json!("none"), "the host's `button {{ display: none }}` does not reach in: {style}");
    assert_ne!(style[1], json!("31px"), "nor its font size: {style}");
    assert_eq!(style[2], json!("rgb(59, 91, 219)"), "the studio's own style applies: {style}");
    assert_ne!(style[3], json!("rgb(0, 0, 0)"), "nor its input background: {style}");
    let host_button = browser.js("return getComputedStyle(document.querySelector('#host-button')).backgroundColor;").await;
    assert_eq!(host_button, json!("rgb(0, 128, 0)"), "the studio's CSS does not leak out");

    // The face check works embedded too: its worker is found beside the package.
    browser
        .wait_until(
            "the embedded face check",
            &in_studio("#one", "const s = root.querySelector('[data-testid=face-status]'); return !!s && s.textContent.includes('one face found') && root.querySelectorAll('[data-testid=face-box]').length === 1;"),
        )
        .await;
    assert!(stand_in.served().iter().any(|p| p == "/pkg/face/worker.js"), "{:?}", stand_in.served());
    // And the estimate that follows the voice clip's length.
    browser
        .wait_until(
            "the embedded estimate",
            &in_studio("#one", "const e = root.querySelector('[data-testid=estimate]'); return !!e && e.textContent.includes('frames');"),
        )
        .await;

    let values = browser
        .js("return ['#one', '#two'].map(h => document.querySelector(h).shadowRoot.querySelector('[data-testid=pose_style]').value);")
        .await;
    assert_eq!(values, json!(["4", "20"]), "each studio has its own defaults");
    let names = browser
        .js("return ['#one', '#two'].map(h => document.querySelector(h).shadowRoot.querySelector('[data-testid=endpoint-stand_in]').name);")
        .await;
    assert_ne!(names[0], names[1], "radio groups are per studio: {names}");

    browser.js(&in_studio("#one", "root.querySelector('[data-testid=generate]').click(); return true;")).await;
    browser
        .wait_until("studio one's video", &in_studio("#one", "const v = root.querySelector('[data-testid=result-video]'); return !!v && v.readyState >= 2 && v.videoWidth === 256;"))
        .await;
    let two_result = browser.js(&in_studio("#two", "return !!root.querySelector('[data-testid=result]') || !!root.querySelector('[data-testid=progress]');")).await;
    assert_eq!(two_result, json!(false), "studio two did not run");
    let stored = browser.js("return Object.keys(localStorage);").await;
    assert!(stored.as_array().is_some_and(|k| k.iter().any(|k| k.as_str().is_some_and(|k| k.starts_with("talking-head-studio.one.")))), "{stored}");
    assert!(stored.as_array().is_some_and(|k| k.iter().all(|k| !k.as_str().unwrap_or_default().contains("talking-head-studio.form"))), "{stored}");

    browser.js("window.__one.unmount(); return true;").await;
    let left = browser.js("return document.querySelector('#one').shadowRoot.childElementCount;").await;
    assert_eq!(left, json!(0), "unmount removes the studio");
    let two_still = browser.js(&in_studio("#two", "return !!root.querySelector('[data-testid=generate]');")).await;
    assert_eq!(two_still, json!(true));
    assert!(stand_in.csp_reports().is_empty(), "mounted studios work under the CSP: {:?}", stand_in.csp_reports());
    assert_eq!(browser.js("return document.title;").await, json!("Package mount test"), "an embedded studio leaves the host page's title alone");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_submitted_before_a_reload_is_resumed_to_its_video_once() {
    let stand_in = serve_repo().await;
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/tests/package/resume-test.html", stand_in.url())).await.expect("page loads");
    let r = results(&browser).await;
    assert_eq!(r["unexpected"], Value::Null, "{r:#}");
    assert_eq!(r["video"]["type"], json!("video/mp4"), "{r:#}");
    assert_eq!(r["video"]["width"], json!(256));
    let ticket = &r["ticket"];
    assert!(ticket["requestId"].as_str().is_some_and(|id| id.starts_with("stand-in-")), "{ticket}");
    assert_eq!(ticket["endpoint"]["kind"], json!("stand_in"));
    assert_eq!(ticket["endpoint"]["baseUrl"], json!(format!("{}/", stand_in.url())));
    assert!(ticket["submittedAt"].as_f64().is_some_and(|t| t > 1.7e12), "{ticket}");
    assert!(!ticket.to_string().contains("stand-in-key"), "a ticket holds no key: {ticket}");
    assert_eq!(r["badTicket"]["kind"], json!("invalid_options"), "{r:#}");
    let submissions = stand_in.seen().iter().filter(|s| s.method == "POST" && s.path == "/v2/sadtalker").count();
    assert_eq!(submissions, 1, "the reload did not submit (and pay for) a second job");
    assert!(stand_in.csp_reports().is_empty(), "the package works under the studio's CSP: {:?}", stand_in.csp_reports());
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_makes_six_drafts_under_five_a_minute_each_sent_once() {
    let stand_in = serve_repo_with(|c| c.submissions_per_minute = Some(5)).await;
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/tests/package/compare-test.html", stand_in.url())).await.expect("page loads");
    let r = results_within(&browser, std::time::Duration::from_secs(150)).await;
    assert_eq!(r["unexpected"], Value::Null, "{r:#}");
    for refused in ["tooFew", "misspelt", "twice", "badLength"] {
        assert_eq!(r[refused]["kind"], json!("invalid_options"), "{refused}: {r:#}");
        assert_eq!(r[refused]["name"], json!("StudioError"));
    }
    assert_eq!(r["outOfRange"]["kind"], json!("invalid_request"), "{r:#}");
    assert_eq!(r["outOfRange"]["fields"], json!(["pose_style"]));

    let drafts = r["drafts"].as_array().expect("six results");
    assert_eq!(drafts.len(), 6, "{r:#}");
    for (i, d) in drafts.iter().enumerate() {
        assert_eq!(d["pose"], json!(i * 9), "in the order given: {d}");
        assert_eq!(d["type"], json!("video/mp4"), "{d}");
        assert!(d["duration"].as_f64().is_some_and(|s| s < 5.0), "a draft, not the 8.4 s clip: {d}");
        assert_eq!(d["ticket"], json!(true));
        assert_eq!(d["label"], json!(format!("pose {} · scale 1.4 · full · 256 px · enhancer on", i * 9)));
    }
    let stages = r["stages"]["5"].as_array().expect("the sixth draft's stages");
    assert!(stages.contains(&json!("retrying")), "the sixth waited for a slot: {stages:?}");
    let body: Value = serde_json::from_slice(&stand_in.last_body().expect("a run")).expect("JSON");
    let audio = body["input_audio"].as_str().and_then(|u| u.split_once(',')).map(|(_, b)| b).unwrap_or_default();
    let audio = base64::engine::general_purpose::STANDARD.decode(audio).expect("an inline voice");
    let secs = support::duration_of(&audio);
    assert!((secs - 3.0).abs() <= 0.04, "the drafts speak the first 3 s: {secs}");

    assert_eq!(r["cancelled"], json!(["cancelled", "cancelled"]), "stopped before sending: {r:#}");
    let accepted = stand_in.seen().iter().filter(|s| s.method == "POST" && s.path == "/v2/sadtalker" && s.status == 200).count();
    assert_eq!(accepted, 6, "exactly six paid submissions");
    let refused = stand_in.seen().iter().filter(|s| s.path == "/v2/sadtalker" && s.status == 429).count();
    assert!(refused <= 1, "only the sixth, once: {refused}");
    assert!(stand_in.csp_reports().is_empty(), "{:?}", stand_in.csp_reports());
    browser.stop().await;
    stand_in.stop().await;
}
