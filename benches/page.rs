//! Figures for the budgets the page is held to (run by `bash scripts/bench.sh`,
//! which builds what is measured first). Prints; asserts nothing about time.
//!
//! - start: first paint of the static shell, and when the studio is usable,
//!   against a Leptos counter built the same way;
//! - big bytes: wasm memory growth and the longest main-thread task while a
//!   50 MB answer (raw and base64) and a ~19 MB local recording pass through;
//! - overhead: click-to-playing-video of the studio against a hand-written JS
//!   page doing the same request, on the same stand-in.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use stand_in::{BodyKind, Failure};
use support::{repo_path, stand_in_with, Browser};

const RUNS: usize = 5;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A site of its own: `dir` copied to a temp dir, plus extra files.
fn site(dir: &Path, extra: &[(&str, &Path)]) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tmp");
    for entry in std::fs::read_dir(dir).expect("dist").flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), out.path().join(entry.file_name())).expect("copy");
        }
    }
    for (name, from) in extra {
        std::fs::copy(from, out.path().join(name)).expect("copy");
    }
    out
}

/// (first contentful paint, usable) in ms, median of fresh loads.
async fn start_times(url: &str) -> (f64, f64) {
    let (mut paint, mut usable) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let browser = Browser::start().await;
        browser.client.goto(url).await.expect("page");
        browser.wait_until("the page to be usable", "return performance.getEntriesByName('studio-mounted').length > 0;").await;
        let times = browser
            .js("const p = performance.getEntriesByName('first-contentful-paint')[0]; return [p ? p.startTime : null, performance.getEntriesByName('studio-mounted')[0].startTime];")
            .await;
        paint.push(times[0].as_f64().unwrap_or(f64::NAN));
        usable.push(times[1].as_f64().unwrap_or(f64::NAN));
        browser.stop().await;
    }
    (median(paint), median(usable))
}

const WATCH: &str = "window.__long = []; new PerformanceObserver((l) => window.__long.push(...l.getEntries().map(e => e.duration))).observe({ type: 'longtask', buffered: true });
                     window.__mem0 = window.__studioWasmMemory.buffer.byteLength; return true;";
const READ: &str = "return [window.__studioWasmMemory.buffer.byteLength - window.__mem0, Math.max(0, ...window.__long)];";

async fn big_answer(browser: &Browser, stand_in: &stand_in::Running, base64: bool) -> (f64, f64, f64) {
    browser.reload().await;
    browser.choose_mode("one_shot").await;
    let failure = Failure { pad_mb: Some(50), message: base64.then(|| "base64".to_string()), ..Failure::new(200, BodyKind::Padded) };
    stand_in.fail_next(failure);
    browser.js(WATCH).await;
    let started = std::time::Instant::now();
    browser.click("generate").await;
    browser.wait_for_video().await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let figures = browser.js(READ).await;
    (figures[0].as_f64().unwrap_or(f64::NAN), figures[1].as_f64().unwrap_or(f64::NAN), took)
}

#[tokio::main]
async fn main() {
    let dist = repo_path("dist");
    let counter = repo_path("target/counter-dist");
    assert!(dist.join("index.html").is_file() && counter.join("index.html").is_file(), "run through scripts/bench.sh, which builds both pages");
    let media = repo_path("target/bench-media");

    println!("== start (median of {RUNS} fresh loads, ms) ==");
    let studio_site = site(&dist, &[("plain.html", &repo_path("benches/plain.html")), ("plain.js", &repo_path("benches/plain.js"))]);
    let stand_in = stand_in_with(|c| {
        c.static_dir = Some(studio_site.path().to_path_buf());
        c.delay = Duration::ZERO;
    })
    .await;
    let counter_site = site(&counter, &[]);
    let counter_server = stand_in_with(|c| c.static_dir = Some(counter_site.path().to_path_buf())).await;
    let (counter_paint, counter_usable) = start_times(&counter_server.url()).await;
    let (studio_paint, studio_usable) = start_times(&stand_in.url()).await;
    println!("leptos counter: first paint {counter_paint:.0}, usable {counter_usable:.0}");
    println!("studio:         first paint {studio_paint:.0} (the static shell), usable {studio_usable:.0}");
    println!("studio usable / counter usable = {:.2} (budget 1.5)", studio_usable / counter_usable);
    counter_server.stop().await;

    println!("\n== big bytes (wasm memory growth, longest main-thread task) ==");
    let browser = Browser::open(&stand_in.url()).await;
    for (label, base64) in [("50 MB raw answer", false), ("50 MB base64 answer", true)] {
        let (grew, longest, took) = big_answer(&browser, &stand_in, base64).await;
        println!("{label:<22}: wasm memory +{:.2} MB, longest task {longest:.0} ms, click to video {took:.0} ms", grew / 1048576.0);
    }
    browser.reload().await;
    browser.js("document.querySelector('.ths-advanced').open = true; return true;").await;
    browser.click("route-inline").await;
    browser.js(WATCH).await;
    let input = browser.find("input_audio-file").await;
    input.send_keys(&media.join("big.wav").display().to_string()).await.expect("choose the big file");
    browser.wait_for_text("input_audio-summary", "big.wav").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    let figures = browser.js(READ).await;
    let size_mb = std::fs::metadata(media.join("big.wav")).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0);
    println!(
        "{:<22}: wasm memory +{:.2} MB, longest task {:.0} ms (checked, sent inline)",
        format!("{size_mb:.0} MB local WAV"),
        figures[0].as_f64().unwrap_or(f64::NAN) / 1048576.0,
        figures[1].as_f64().unwrap_or(f64::NAN)
    );
    browser.stop().await;

    println!("\n== client overhead: click to playing video, same request, stand-in with no delay (median ms) ==");
    let mut studio_runs = Vec::new();
    let mut plain_runs = Vec::new();
    let browser = Browser::open(&stand_in.url()).await;
    browser.choose_mode("one_shot").await;
    for _ in 0..RUNS {
        let started = std::time::Instant::now();
        browser.click("generate").await;
        browser.wait_until("video", "const v = document.querySelector('[data-testid=result-video]'); return !!v && v.readyState >= 2;").await;
        studio_runs.push(started.elapsed().as_secs_f64() * 1000.0);
        browser.reload().await;
    }
    browser.client.goto(&format!("{}/plain.html", stand_in.url())).await.expect("plain page");
    for _ in 0..RUNS {
        browser.find("go").await;
        let started = std::time::Instant::now();
        browser.click("go").await;
        browser.wait_until("video", "const v = document.querySelector('video'); return !!v && v.readyState >= 2;").await;
        plain_runs.push(started.elapsed().as_secs_f64() * 1000.0);
        browser.client.refresh().await.expect("reload");
    }
    let (studio, plain) = (median(studio_runs), median(plain_runs));
    println!("studio {studio:.0}, hand-written JS page {plain:.0}: the studio adds {:.0} ms to a run the model takes ~119 000 ms for", studio - plain);
    browser.stop().await;
    stand_in.stop().await;
}
