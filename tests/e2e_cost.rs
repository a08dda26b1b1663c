//! End to end, in real Chromium against the stand-in: the estimate before a
//! run follows the voice clip's length and the settings, and learns from the
//! person's own finished runs kept in the history.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use support::{stand_in_with, Browser};

#[tokio::test(flavor = "multi_thread")]
async fn the_estimate_follows_the_clip_and_settings_and_cites_past_runs() {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(300)).await;
    let browser = Browser::open(&stand_in.url()).await;
    // The sample voice's length is read from its preview; the estimate then says what it rests on.
    let rough = browser.wait_for_text("estimate", "frames").await;
    assert!(rough.contains("rough") && rough.contains("On the real model"), "{rough}");
    let frames = |text: &str| text.split(" frames").next().and_then(|t| t.rsplit(' ').next()).and_then(|n| n.parse::<u32>().ok());
    let sample_frames = frames(&rough).expect("a frame count");
    assert!((200..=215).contains(&sample_frames), "about 8.4 s at 25 frames a second: {rough}");

    // Without the enhancer, the same clip is estimated cheaper.
    let high_price = |text: &str| {
        let dollars: Vec<f64> = text.split('$').skip(1).filter_map(|t| t.split(|c: char| !(c.is_ascii_digit() || c == '.')).next()?.trim_end_matches('.').parse().ok()).collect();
        dollars.last().copied().unwrap_or(0.0)
    };
    browser.click("enhancer").await;
    browser.wait_until("a new estimate", &format!("return !document.querySelector('[data-testid=estimate]').textContent.includes({:?});", rough)).await;
    let without = browser.text("estimate").await;
    assert!(high_price(&without) < high_price(&rough), "{without} vs {rough}");
    browser.click("enhancer").await;

    // Two runs kept in the history: the estimate now rests on them.
    for round in 1..=2 {
        browser.click("generate").await;
        browser.wait_for_video().await;
        browser.wait_until("the history entry", &format!("return document.querySelectorAll('[data-testid=history-item]').length === {round};")).await;
    }
    let learnt = browser.wait_for_text("estimate", "from 2 of your runs like this").await;
    // They teach the stand-in's own time; the real model's estimate stays the published, rough one.
    let (here, model) = learnt.split_once("On the real model").expect("both estimates");
    assert!(here.contains("free") && here.contains("from 2 of your runs like this"), "{learnt}");
    assert!(model.contains("rough") && !model.contains("your runs like this"), "stand-in runs never teach the real model's price: {learnt}");
    browser.reload().await;
    browser.wait_for_text("estimate", "from 2 of your runs like this").await;
    browser.stop().await;
    stand_in.stop().await;
}
