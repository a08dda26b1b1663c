//! End to end, in real Chromium against the stand-in: a comparison of six
//! drafts under a limit of five submissions a minute (like the free plan's),
//! reloaded mid-way, played side by side, then one made in full.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{assert_clean, duration_of, stand_in_with, Browser, Cdp};

/// Polls `script` until it returns true, for up to `limit`.
async fn wait_long(browser: &Browser, what: &str, script: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if browser.js(script).await == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; the drafts say: {}", browser.js(STATES).await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

const STATES: &str = "return [...document.querySelectorAll('[data-testid=draft]')].map(d => d.dataset.state + ': ' + d.querySelector('[data-testid=draft-status]').textContent);";

fn count_in(states: &Value, state: &str) -> usize {
    states.as_array().map_or(0, |all| all.iter().filter(|s| s.as_str().is_some_and(|s| s.starts_with(&format!("{state}:")))).count())
}

#[tokio::test(flavor = "multi_thread")]
async fn six_drafts_under_five_a_minute_survive_a_reload_play_in_step_and_one_is_made_in_full() {
    let stand_in = stand_in_with(|c| {
        c.delay = Duration::from_secs(12);
        c.submissions_per_minute = Some(5);
    })
    .await;
    let browser = Browser::open(&stand_in.url()).await;
    browser.js("document.querySelector('[data-testid=compare]').open = true; return true;").await;

    // Five pose styles around the form's, and the form's own after a change: six variants.
    browser.click("compare-preset").await;
    browser.type_into("pose_style", "30").await;
    browser.click("compare-add").await;
    let variants = browser.js("return [...document.querySelectorAll('[data-testid=variant]')].map(v => v.textContent);").await;
    assert_eq!(variants.as_array().map(Vec::len), Some(6), "{variants}");
    let plan = browser.text("compare-plan").await;
    assert!(plan.starts_with("6 drafts of 3.0 s, side by side: about"), "the count, price and time before asking: {plan}");

    // Asked once, then sent.
    browser.click("compare-start").await;
    let asked = browser.text("compare-confirm").await;
    assert!(asked.contains("Send 6 runs to the local stand-in (free)?"), "{asked}");
    assert_eq!(submissions(&stand_in), 0, "nothing is sent before the person says yes");
    assert_clean(&browser, "asked whether to send the drafts").await;
    browser.click("compare-send").await;

    // Five go at once; the sixth is refused once (429) and waits for its slot.
    // (Reloading while the sixth's request is out would rightly leave it unknown, never re-sent: wait for its refusal.)
    wait_long(&browser, "five running drafts and a refused sixth waiting", &format!(
        "const s = {}; return s.filter(x => x.startsWith('running')).length === 5 && s.some(x => x.startsWith('queued') && x.includes('sending it again by itself in'));",
        STATES.trim_start_matches("return ").trim_end_matches(';')
    ), Duration::from_secs(40)).await;
    assert_eq!(stand_in.seen().iter().filter(|r| r.path == "/v2/sadtalker" && r.status == 429).count(), 1);
    let title = browser.js("return document.title;").await;
    assert!(title.as_str().is_some_and(|t| t.starts_with("Drafts 0/6")), "the tab's title tells the state: {title}");

    // A reload mid-way brings the whole comparison back and carries on.
    browser.reload().await;
    browser.find("compare-grid").await;
    let states = browser.js(STATES).await;
    assert_eq!(states.as_array().map(Vec::len), Some(6), "{states}");
    assert_eq!(count_in(&states, "running") + count_in(&states, "done"), 5, "{states}");
    assert_eq!(count_in(&states, "queued"), 1, "the refused sixth was never started, so it is still queued: {states}");

    wait_long(&browser, "six finished drafts", "return document.querySelectorAll('[data-testid=draft][data-state=done]').length === 6;", Duration::from_secs(120)).await;
    wait_long(&browser, "six draft videos with data", "const v = [...document.querySelectorAll('[data-testid=draft-video]')]; return v.length === 6 && v.every(x => x.readyState >= 2);", Duration::from_secs(20)).await;
    assert_eq!(submissions(&stand_in), 6, "exactly six paid submissions, none sent twice (the reload included)");
    let refused = stand_in.seen().iter().filter(|r| r.path == "/v2/sadtalker" && r.status == 429).count();
    assert!(refused <= 1, "only the sixth, once, is refused by a limit of five a minute: {refused}");
    let title = browser.js("return document.title;").await;
    assert!(title.as_str().is_some_and(|t| t.starts_with("Drafts done 6/6")), "{title}");

    // Each draft is kept in the history, marked as a draft of 3 s.
    browser.wait_until("six drafts in the history", "return document.querySelectorAll('[data-testid=history-draft]').length === 6;").await;
    assert!(browser.text("history-draft").await.contains("Draft · 3.0 s"));
    // Each draft speaks the first 3 s of the voice (the page cut it and uploaded it; uploads are free).
    let uploaded = stand_in.uploaded();
    assert!(uploaded.len() >= 6, "{} uploads", uploaded.len());
    for audio in &uploaded {
        let secs = duration_of(audio);
        assert!((secs - 3.0).abs() <= 0.04, "a draft's voice is 3.0 s (± one frame): {secs}");
    }

    assert_clean(&browser, "the drafts are side by side").await;
    if let Ok(path) = std::env::var("COMPARE_SCREENSHOT_TO") {
        // scripts/screenshot.sh: the README's picture of a comparison.
        browser.client.set_window_size(1280, 800).await.expect("window size");
        browser.js("document.querySelector('[data-testid=compare-count]').scrollIntoView(); return true;").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let png = browser.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    // Playing one plays them all, at the same time in the clip.
    browser.js("document.querySelectorAll('[data-testid=draft-video]')[2].play(); return true;").await;
    browser
        .wait_until(
            "all six playing in step",
            "const v = [...document.querySelectorAll('[data-testid=draft-video]')]; const t = v[2].currentTime; \
             return t > 0.3 && v.every(x => !x.paused && Math.abs(x.currentTime - t) < 0.35);",
        )
        .await;
    browser.js("document.querySelectorAll('[data-testid=draft-video]')[4].pause(); return true;").await;
    browser.wait_until("all six paused", "return [...document.querySelectorAll('[data-testid=draft-video]')].every(x => x.paused);").await;

    // "Make it" on the third draft (pose 22): a full-length run with exactly its settings.
    let label = browser.js("return document.querySelectorAll('[data-testid=draft-label]')[2].textContent;").await;
    assert_eq!(label, json!("pose 22 · scale 1.4 · full · 256 px · enhancer on"));
    browser.js("document.querySelectorAll('[data-testid=make-it]')[2].click(); return true;").await;
    wait_long(&browser, "the full-length video", "const v = document.querySelector('[data-testid=result-video]'); return !!v && v.readyState >= 2;", Duration::from_secs(90)).await;
    let settings = browser.text("result-settings").await;
    assert!(settings.contains("pose_style 22") && settings.contains("expression_scale 1.4") && settings.contains("preprocess full"), "{settings}");
    let full = browser.js("return document.querySelector('[data-testid=result-video]').duration;").await.as_f64().unwrap_or_default();
    assert!(full > 8.0, "the full voice (8.4 s), not the draft: {full}");
    assert_eq!(submissions(&stand_in), 7, "one more run, for the chosen draft");
    browser.stop().await;
    stand_in.stop().await;
}

/// Submissions the stand-in accepted (each one a paid run on the real API).
fn submissions(stand_in: &stand_in::Running) -> usize {
    stand_in.seen().iter().filter(|r| r.path == "/v2/sadtalker" && r.method == "POST" && r.status == 200).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn when_asked_a_run_that_ends_in_a_hidden_tab_is_told_by_a_notification() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(1000)).await;
    let browser = Browser::open(&stand_in.url()).await;
    let params = json!({ "origin": stand_in.url(), "permissions": ["notifications"] });
    browser.client.issue_cmd(Cdp { method: "Browser.grantPermissions", params }).await.expect("CDP grant");
    // Record what the page tells, and let the test say whether the tab is hidden.
    browser
        .js("window.__told = []; const Real = window.Notification; \
             window.Notification = class extends Real { constructor(title, options) { super(title, options); window.__told.push([title, options && options.body]); } }; \
             Object.defineProperty(document, 'hidden', { get: () => window.__hidden === true, configurable: true }); return true;")
        .await;
    browser.js("document.querySelector('[data-testid=compare]').open = true; return true;").await;
    browser.click("notify").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(browser.js("return document.querySelector('[data-testid=notify]').checked;").await, json!(true), "leave was given, so the box stays ticked");

    // In view: nothing is told.
    browser.click("generate").await;
    browser.wait_for_video().await;
    assert_eq!(browser.js("return window.__told;").await, json!([]), "a tab in view is not notified");

    // Hidden: told once, when the run ends.
    browser.js("window.__hidden = true; return true;").await;
    browser.click("generate").await;
    browser.wait_until("a notification", "return window.__told.length > 0;").await;
    assert_eq!(browser.js("return window.__told;").await, json!([["Video ready", "Talking-Head Studio"]]));
    browser.stop().await;
    stand_in.stop().await;
}
