//! End to end in real Chromium over WebDriver: the built page (`dist/`)
//! served by the stand-in, filled in and used as a person would.
//!
//! Needs `bash scripts/build.sh` first and chromedriver (scripts/test.sh does both).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_json::json;
use support::{repo_path, start_stand_in, Browser};

#[tokio::test(flavor = "multi_thread")]
async fn filled_form_generates_a_video_that_plays() {
    let stand_in = start_stand_in().await;
    let browser = Browser::start().await;
    browser.client.goto(&stand_in.url()).await.expect("page loads");

    // The page pre-fills the stand-in's samples; the person edits the rest.
    browser.find("stand-in-label").await;
    let portrait = format!("{}/samples/portrait.jpg", stand_in.url());
    assert_eq!(browser.value("input_image").await, portrait, "sample portrait pre-filled");
    browser.type_into("input_image", &portrait).await;
    browser.type_into("input_audio", &format!("{}/samples/voice.mp3", stand_in.url())).await;
    browser.type_into("pose_style", "7").await;
    browser.type_into("expression_scale", "1.8").await;
    browser.find("preprocess").await.select_by_value("crop").await.expect("select crop");
    browser.click("image_size-512").await;
    browser.click("generate").await;

    browser.find("progress").await;
    browser.find("cancel").await;
    let video = Browser::testid("result-video");
    browser.wait_until("the video to have data", &format!("const v = document.querySelector('{video}'); return !!v && v.readyState >= 2;")).await;
    let width = browser.js(&format!("return document.querySelector('{video}').videoWidth;")).await;
    assert_eq!(width, json!(512), "videoWidth equals the chosen image_size");
    let t0 = browser.js(&format!("return document.querySelector('{video}').currentTime;")).await.as_f64().unwrap_or(0.0);
    browser
        .wait_until("playback to advance", &format!("return document.querySelector('{video}').currentTime > {t0} + 0.3;"))
        .await;
    let src = browser.js(&format!("return document.querySelector('{video}').src;")).await;
    assert!(src.as_str().is_some_and(|s| s.starts_with("blob:")), "{src}");
    let settings = browser.find("result-settings").await.text().await.unwrap_or_default();
    assert!(settings.contains("pose_style 7") && settings.contains("preprocess crop") && settings.contains("image_size 512"), "{settings}");

    let seen: Vec<_> = stand_in.seen().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(seen.len(), 1, "exactly one submission: {seen:?}");
    assert!(seen[0].had_key && seen[0].status == 200, "{seen:?}");
    assert!(stand_in.seen().iter().all(|r| !r.had_key || r.right_key), "the stand-in's key and no other");

    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_explained_and_every_input_is_kept() {
    let stand_in = start_stand_in().await;
    let browser = Browser::start().await;
    browser.client.goto(&stand_in.url()).await.expect("page loads");

    browser.type_into("stand-in-key", "not-the-right-key").await;
    browser.type_into("pose_style", "12").await;
    browser.type_into("expression_scale", "2.5").await;
    browser.click("enhancer").await;
    let portrait_before = browser.value("input_image").await;
    browser.click("generate").await;

    let failure = browser.find("failure").await;
    assert_eq!(failure.attr("data-kind").await.ok().flatten().as_deref(), Some("unauthorized"));
    let text = failure.text().await.unwrap_or_default();
    assert!(text.contains("401") && text.contains("Re-enter the API key"), "{text}");
    assert!(text.contains("Invalid API key"), "the server's own words are shown: {text}");

    assert_eq!(browser.value("stand-in-key").await, "not-the-right-key");
    assert_eq!(browser.value("pose_style").await, "12");
    assert_eq!(browser.value("expression_scale").await, "2.5");
    assert_eq!(browser.value("input_image").await, portrait_before);
    assert_eq!(browser.js("return document.querySelector('[data-testid=enhancer]').checked;").await, json!(false));

    // A reload keeps the form but not the key.
    browser.client.refresh().await.expect("reload");
    browser.find("generate").await;
    assert_eq!(browser.value("pose_style").await, "12");
    assert_eq!(browser.value("expression_scale").await, "2.5");
    assert_eq!(browser.value("stand-in-key").await, stand_in::DEFAULT_KEY, "a typed key is not stored");
    let stored = browser.js("return JSON.stringify(Object.assign({}, localStorage));").await;
    assert!(!stored.as_str().unwrap_or_default().contains("not-the-right-key"), "{stored}");

    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_fields_block_generate_with_a_message_beside_each() {
    let stand_in = start_stand_in().await;
    let browser = Browser::start().await;
    browser.client.goto(&stand_in.url()).await.expect("page loads");

    browser.type_into("input_audio", "javascript:alert(1)").await;
    browser.type_into("pose_style", "46").await;
    let pose_error = browser.find("error-pose_style").await.text().await.unwrap_or_default();
    assert!(pose_error.contains("0 to 45"), "{pose_error}");
    let audio_error = browser.find("error-input_audio").await.text().await.unwrap_or_default();
    assert!(audio_error.contains("\"javascript:\" is not allowed"), "{audio_error}");
    assert!(browser.find("generate").await.attr("disabled").await.ok().flatten().is_some(), "Generate is disabled");

    browser.type_into("pose_style", "45").await;
    browser.type_into("input_audio", &format!("{}/samples/voice.mp3", stand_in.url())).await;
    browser.wait_until("Generate to be enabled", "return !document.querySelector('[data-testid=generate]').disabled;").await;
    assert!(stand_in.seen().is_empty(), "nothing was sent while the form was invalid");

    // A risky file name is a warning, not a refusal.
    browser.type_into("input_audio", &format!("{}/samples/my%20voice%20(1).mp3", stand_in.url())).await;
    let warning = browser.find("warning-input_audio").await.text().await.unwrap_or_default();
    assert!(warning.contains("special symbols"), "{warning}");
    browser.wait_until("Generate to stay enabled", "return !document.querySelector('[data-testid=generate]').disabled;").await;

    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_mode_goes_page_to_proxy_to_stand_in_without_a_key_in_the_page() {
    const SERVER_KEY: &str = "key-only-the-proxy-knows";
    let stand_in = {
        let dist = repo_path("dist");
        assert!(dist.join("index.html").is_file(), "dist/ is missing: run `bash scripts/build.sh` first");
        let config = stand_in::Config {
            api_key: SERVER_KEY.into(),
            delay: Duration::from_millis(300),
            static_dir: Some(dist),
            samples_dir: Some(repo_path("media/generated")),
            ..stand_in::Config::default()
        };
        stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("stand-in starts")
    };
    let proxy_config = proxy::Config {
        upstream: stand_in.url(),
        allowed_origins: vec![proxy::parse_origin(&stand_in.url()).expect("origin")],
        ..proxy::Config::new(proxy::ApiKey::new(SERVER_KEY).expect("key"))
    };
    let proxy = proxy::start(proxy_config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("proxy starts");

    let browser = Browser::start().await;
    browser.client.goto(&stand_in.url()).await.expect("page loads");
    browser.click("endpoint-proxy").await;
    browser.type_into("proxy-url", &proxy.url()).await;
    browser.click("generate").await;

    let video = Browser::testid("result-video");
    browser.wait_until("the video to have data", &format!("const v = document.querySelector('{video}'); return !!v && v.readyState >= 2;")).await;
    let width = browser.js(&format!("return document.querySelector('{video}').videoWidth;")).await;
    assert_eq!(width, json!(256));

    let records = proxy.records();
    assert_eq!(records.first().map(|r| r.path.as_str()), Some("/v2/sadtalker"), "a job through the proxy: {records:?}");
    assert!(records.iter().all(|r| !r.client_sent_key && r.status == 200), "the page sent no key: {records:?}");
    let seen: Vec<_> = stand_in.seen().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(seen.len(), 1, "one submission: {seen:?}");
    assert!(seen[0].had_key && seen[0].status == 200, "the stand-in accepted the proxy's key: {seen:?}");

    browser.stop().await;
    proxy.stop().await;
    stand_in.stop().await;
}

/// The built page served from a copy with the chunk whose name starts with
/// `chunk` moved away, and a browser on it; [`WithoutChunk::put_back`]
/// returns the chunk.
struct WithoutChunk {
    _site: tempfile::TempDir,
    path: std::path::PathBuf,
    away: std::path::PathBuf,
    stand_in: stand_in::Running,
    browser: Browser,
}

impl WithoutChunk {
    async fn open(chunk: &str) -> WithoutChunk {
        WithoutChunk::open_with(chunk, |_| {}).await
    }

    /// The same, with the stand-in set up by `config` too.
    async fn open_with(chunk: &str, config: impl FnOnce(&mut stand_in::Config)) -> WithoutChunk {
        let site = tempfile::tempdir().expect("temp dir");
        let copied = std::process::Command::new("cp").arg("-r").arg(repo_path("dist")).arg(site.path()).status().expect("cp runs");
        assert!(copied.success(), "dist/ copied");
        let root = site.path().join("dist");
        let path = std::fs::read_dir(root.join("pkg"))
            .expect("dist/pkg")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(chunk) && n.ends_with(".wasm")))
            .unwrap_or_else(|| panic!("{chunk} is a chunk of its own (was the page built by scripts/build.sh?)"));
        // Its gzip copy (scripts/precompress.sh) would be sent in its place: it goes for good.
        let _ = std::fs::remove_file(path.with_extension("wasm.gz"));
        let away = path.with_extension("away");
        std::fs::rename(&path, &away).expect("chunk moved away");
        let stand_in = support::stand_in_with(|c| {
            c.static_dir = Some(root);
            config(c);
        })
        .await;
        let browser = Browser::start().await;
        browser.client.goto(&stand_in.url()).await.expect("page loads");
        WithoutChunk { _site: site, path, away, stand_in, browser }
    }

    fn put_back(&self) {
        std::fs::rename(&self.away, &self.path).expect("chunk back");
    }
}

/// The page's parts shown later come from wasm chunks (scripts/build.sh):
/// one that cannot be fetched is said plainly, the page keeps working, and
/// "Try again" fetches it once it is there.
#[tokio::test(flavor = "multi_thread")]
async fn a_part_whose_code_cannot_be_fetched_says_so_and_tries_again() {
    let page = WithoutChunk::open("split_code_part").await;
    let browser = &page.browser;
    browser.find("generate").await;
    browser.js(&format!("document.querySelector('{} summary').click()", Browser::testid("code-panel"))).await;
    let said = browser.wait_for_text("part-missing", "could not be loaded").await;
    assert!(said.contains("try again"), "{said}");
    // The page is alive: the form still answers.
    browser.type_into("pose_style", "99").await;
    browser.wait_for_text("error-pose_style", "0 to 45").await;

    page.put_back();
    browser.type_into("pose_style", "7").await;
    browser.click("part-retry").await;
    browser.wait_for_text("code", "curl").await;
    page.browser.stop().await;
}

/// What scripts/size.sh counts as sent is what the browser receives: the
/// page's wasm and loader arrive as their gzip copies (scripts/precompress.sh)
/// and are decoded to the built files.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_load_arrives_as_the_gzip_copies_size_counts() {
    let stand_in = start_stand_in().await;
    let browser = Browser::open(&stand_in.url()).await;
    for file in ["pkg/studio_bg.wasm", "pkg/studio.js", "index.html"] {
        let on_disk = |name: &str| std::fs::metadata(repo_path("dist").join(name)).map(|m| m.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (built, copy) = (on_disk(file), on_disk(&format!("{file}.gz")));
        let script = format!(
            "const e = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')) \
               .find(e => new URL(e.name).pathname === '/' + {path} || ({path} === 'index.html' && e.entryType === 'navigation')); \
             return e ? [e.encodedBodySize, e.decodedBodySize] : null;",
            path = json!(file)
        );
        let sizes = browser.js(&script).await;
        assert_eq!(sizes, json!([copy, built]), "{file}: received its gzip copy ({copy} bytes), decoded to the built file ({built} bytes)");
    }
    // The stream adaptors Leptos's server_fn exports are not in the page's wasm (scripts/build.sh).
    let exports = browser
        .js("return (async () => WebAssembly.Module.exports(await WebAssembly.compileStreaming(fetch('/pkg/studio_bg.wasm'))).map(e => e.name))();")
        .await;
    let names: Vec<&str> = exports.as_array().map(|a| a.iter().filter_map(|e| e.as_str()).collect()).unwrap_or_default();
    assert!(names.len() > 10 && !names.iter().any(|n| n.contains("intounderlying")), "{names:?}");
    browser.stop().await;
    stand_in.stop().await;
}

/// The closed "Advanced" settings are drawn when first opened (their code is
/// a part of its own); a time limit kept marked across a reload opens them at
/// start, so the field that blocks Generate is in sight.
#[tokio::test(flavor = "multi_thread")]
async fn the_advanced_settings_come_when_opened_and_open_themselves_when_marked() {
    let stand_in = start_stand_in().await;
    let browser = Browser::open(&stand_in.url()).await;
    let timeout_field = format!("return document.querySelector('{}') !== null;", Browser::testid("timeout"));
    assert_eq!(browser.js(&timeout_field).await, json!(false), "not drawn before it is opened");
    browser.js(&format!("document.querySelector('{} summary').click(); return true;", Browser::testid("advanced"))).await;
    browser.type_into("timeout", "5").await;
    browser.wait_for_text("error-timeout", "30 to 3600").await;
    browser.wait_for_text("blocked", "Fix the 1 marked field").await;

    browser.reload().await;
    let open = format!("return document.querySelector('{}').open;", Browser::testid("advanced"));
    assert_eq!(browser.js(&open).await, json!(true), "a marked time limit opens the section at start");
    browser.wait_for_text("error-timeout", "30 to 3600").await;
    assert_eq!(browser.value("timeout").await, "5", "the typed limit was kept");
    browser.type_into("timeout", "60").await;
    browser.wait_until("Generate to be allowed", &format!("return !document.querySelector('{}').disabled;", Browser::testid("generate"))).await;
    browser.stop().await;
    stand_in.stop().await;
}

/// What follows a file's choice (its check, keeping it here) is a part of its
/// own: without its code the field says so and nothing is kept; once the code
/// is there, choosing the file again takes it.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_file_steps_code_a_choice_says_so_and_the_next_one_takes() {
    let page = WithoutChunk::open("split_files_part").await;
    let browser = &page.browser;
    let portrait = repo_path("media/generated/portrait.jpg").display().to_string();
    browser.find("input_image-file").await.send_keys(&portrait).await.expect("file chosen");
    browser.wait_for_text("error-input_image", "could not be loaded").await;
    browser.wait_for_text("input_image-refused", "portrait.jpg").await;

    page.put_back();
    browser.find("input_image-file").await.send_keys(&portrait).await.expect("file chosen");
    browser.wait_for_text("input_image-summary", "512×512").await;
    page.browser.stop().await;
}

/// The run's views are a part of their own: if their code cannot be fetched,
/// the run itself still goes on and its video is kept; "Try again" fetches
/// only the views (nothing is sent again) and shows the video.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_run_views_code_the_run_goes_on_and_try_again_sends_nothing() {
    let page = WithoutChunk::open("split_outcome_part").await;
    let (browser, stand_in) = (&page.browser, &page.stand_in);
    browser.click("generate").await;
    browser.wait_for_text("part-missing", "could not be loaded").await;
    browser.wait_until("the video to be kept", "return document.querySelectorAll('[data-testid=history-item]').length === 1;").await;

    page.put_back();
    browser.click("part-retry").await;
    assert!(browser.wait_for_video().await.as_f64().is_some_and(|w| w > 0.0), "the run's video plays");
    let posts: Vec<_> = stand_in.seen().into_iter().filter(|r| r.method == "POST" && r.path.contains("sadtalker")).collect();
    assert_eq!(posts.len(), 1, "one run sent, none again: {posts:?}");
    page.browser.stop().await;
}

/// In Chromium a write of a password field's value costs milliseconds once
/// the field is on the page, even an unchanged one: the key fields are
/// written at start only before they are shown, and later only when their
/// own text changes (typing in another field, or a reload, writes none).
#[tokio::test(flavor = "multi_thread")]
async fn key_fields_are_not_rewritten_on_the_page_unless_their_text_changes() {
    let stand_in = start_stand_in().await;
    let browser = Browser::start().await;
    let count = "window.__keyWrites = []; const d = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
                 Object.defineProperty(HTMLInputElement.prototype, 'value', { get() { return d.get.call(this); },
                   set(v) { if (this.type === 'password' && this.isConnected) window.__keyWrites.push(this.dataset.testid); d.set.call(this, v); } });";
    browser.client.issue_cmd(support::Cdp { method: "Page.addScriptToEvaluateOnNewDocument", params: json!({ "source": count }) }).await.expect("CDP script");
    browser.client.goto(&stand_in.url()).await.expect("page loads");
    browser.find("generate").await;
    assert_eq!(browser.value("stand-in-key").await, "stand-in-key", "the stand-in's key is shown");
    browser.click("endpoint-proxy").await;
    browser.type_into("proxy-url", "https://proxy.example/segmind").await;
    browser.click("endpoint-segmind").await;
    browser.type_into("segmind-key", "sg_secret").await;
    browser.click("remember-key").await;
    assert_eq!(browser.js("return window.__keyWrites;").await, json!([]), "no key field written on the page");
    browser.reload().await;
    assert_eq!(browser.value("segmind-key").await, "sg_secret");
    assert_eq!(browser.js("return window.__keyWrites;").await, json!([]), "none written at start either");
    browser.click("forget-key").await;
    browser.wait_until("the key field emptied", &format!("return document.querySelector('{}').value === '';", Browser::testid("segmind-key"))).await;
    assert_eq!(browser.js("return window.__keyWrites;").await, json!(["segmind-key"]), "forgetting writes the one field it empties");
    let left = browser.js(&format!("return document.querySelector('{}').outerHTML;", Browser::testid("segmind-key"))).await;
    assert!(!left.as_str().unwrap_or_default().contains("sg_secret"), "the forgotten key is nowhere in the field: {left}");
    browser.stop().await;
    stand_in.stop().await;
}

/// The previews' code comes right after the form is mounted (not during:
/// starting a part's fetches cost the mount tens of ms); the code of a person's
/// first steps (the file checks, the run and its views) is fetched while the
/// page is idle after loading, so Generate does not wait for it; the parts
/// opened later (code panel, comparison, camera and microphone, the balance) and a
/// kept job's notice, with no job kept, are not.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_steps_code_is_fetched_while_the_page_is_idle() {
    let stand_in = start_stand_in().await;
    let browser = Browser::open(&stand_in.url()).await;
    let fetched = "return performance.getEntriesByType('resource').map(e => e.name.split('/').pop()).filter(n => n.startsWith('split_'));";
    browser
        .wait_until(
            "the previews' code (drawn after the form), and the run's, its views' and the checks' code",
            &format!(
                "const names = (() => {{ {fetched} }})(); \
                 return ['split_previews_part.wasm', 'split_run_part.wasm', 'split_outcome_part.wasm', 'split_check_part.wasm', 'split_files_part.wasm', 'split_status_part.wasm'].every(n => names.includes(n));"
            ),
        )
        .await;
    let names = browser.js(fetched).await;
    let early = browser
        .js("const mounted = performance.getEntriesByName('studio-mounted')[0].startTime; \
             return performance.getEntriesByType('resource').filter(e => /(split|chunk)_\\w+\\.wasm$/.test(e.name) && e.startTime < mounted).map(e => e.name);")
        .await;
    assert_eq!(early, json!([]), "no part's code is fetched while the form is being mounted");
    for later in ["split_advanced_part.wasm", "split_code_part.wasm", "split_compare_part.wasm", "split_capture_part.wasm", "split_credits_part.wasm", "split_pending_part.wasm"] {
        assert!(!names.as_array().is_some_and(|n| n.contains(&json!(later))), "{later} waits for its part to be opened: {names}");
    }
    browser.js("performance.clearResourceTimings(); return true;").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    let after = browser.js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('.wasm'));").await;
    assert_eq!(after, json!([]), "Generate fetched no code");
    browser.stop().await;
    stand_in.stop().await;
}

/// "Check credits" brings the code that asks for the balance: without it,
/// the page says so and nothing is sent; once it is there, the click asks.
#[tokio::test(flavor = "multi_thread")]
async fn the_balance_comes_with_its_own_code() {
    let page = WithoutChunk::open("split_credits_part").await;
    let (browser, stand_in) = (&page.browser, &page.stand_in);
    browser.click("endpoint-stand_in").await;
    browser.click("check-credits").await;
    let said = browser.wait_for_text("credits", "could not be loaded").await;
    assert!(said.contains("nothing was sent"), "{said}");
    assert!(!stand_in.seen().iter().any(|s| s.path.contains("credits")), "nothing was asked: {:?}", stand_in.seen());

    page.put_back();
    browser.click("check-credits").await;
    assert!(browser.wait_for_text("credits", "Balance").await.contains("credits"));
    assert!(stand_in.seen().iter().any(|s| s.path.contains("credits")), "asked once the code was there");
    page.browser.stop().await;
}

/// A kept job's notice (Keep following, Forget) comes with its own code: if
/// that cannot be fetched, the page says so and the job stays kept; "Try
/// again" then shows the notice, and following the job goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_kept_jobs_notice_comes_with_its_own_code() {
    let page = WithoutChunk::open_with("split_pending_part", |c| c.delay = Duration::from_secs(4)).await;
    let browser = &page.browser;
    browser.find("generate").await;
    browser.choose_mode("job").await;
    browser.click("generate").await;
    browser.wait_for_text("job-id", "stand-in-").await;
    browser.click("cancel").await;
    browser.wait_for_text("failure", "Stopped following").await;
    let said = browser.wait_for_text("part-missing", "could not be loaded").await;
    assert!(said.contains("try again"), "{said}");
    assert!(browser.js("return !document.querySelector('[data-testid=pending-job]');").await == json!(true), "no notice without its code");

    page.put_back();
    browser.click("part-retry").await;
    browser.find("pending-job").await;
    browser.click("resume-job").await;
    assert!(browser.wait_for_video().await.as_f64().is_some_and(|w| w > 0.0), "the kept job's video plays");
    page.browser.stop().await;
}

/// The run's own code (sending, following, keeping) is fetched on the first
/// Generate: without it nothing is sent, the page says nothing was charged,
/// and "Try again" runs once it is there.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_run_code_nothing_is_sent_and_try_again_runs() {
    let page = WithoutChunk::open("split_run_part").await;
    let (browser, stand_in) = (&page.browser, &page.stand_in);
    browser.click("generate").await;
    let failure = browser.find("failure").await;
    assert_eq!(failure.attr("data-kind").await.ok().flatten().as_deref(), Some("page_incomplete"));
    let next = browser.text("next-step").await;
    assert!(next.contains("nothing was sent or charged"), "{next}");
    assert!(!stand_in.seen().iter().any(|s| s.path.contains("sadtalker")), "nothing reached the API: {:?}", stand_in.seen());

    page.put_back();
    browser.click("retry").await;
    assert!(browser.wait_for_video().await.as_f64().is_some_and(|w| w > 0.0), "the retried run's video plays");
    page.browser.stop().await;
}
