//! The money path, case by case, in real Chromium against the stand-in's
//! fault hooks: what the person sees, how many runs the server received
//! (never more than the person asked for), whether the job's ticket is kept,
//! and that no request carrying a key reached any origin but the chosen one
//! (a second stand-in on another port stands for "another origin" and
//! records what it receives). Each row of `cases()` is one case.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use stand_in::{BodyKind, Failure, ReadTarget};
use support::{repo_path, stand_in_with, Browser};

const JOB_KEY: &str = "talking-head-studio.job.v1";
const HISTORY_DB: &str = "talking-head-studio.history";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    OneShot,
    Job,
}

/// What goes wrong, set up before Generate.
#[derive(Clone, Debug)]
enum Fault {
    Clean,
    /// The submission(s) answered this way.
    Submit(Failure),
    /// A job read (status, result or video) answered this way.
    Read(ReadTarget, Failure),
    /// The job's status and result URLs name another origin.
    JobOnOtherOrigin,
    /// The status URL answers with a redirect to another origin.
    StatusRedirectsElsewhere,
    /// Another tab holds the history database open at an older version.
    HistoryBlocked,
    /// This browser refuses to store the job's ticket.
    TicketNotStorable,
    /// The portrait is a local file.
    LocalPortrait,
    /// The portrait typed is this data: URI (and nothing may be sent).
    TypedPortrait(&'static str),
    /// The portrait pasted is the sample as a data: URI.
    PastedDataPortrait,
}

/// What the person does after Generate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Wait,
    CancelAtOnce,
    ReloadWhenAccepted,
    StopThenKeepFollowing,
    StopSwitchToSegmindThenKeepFollowing,
    StopThenForgetThenReload,
    StopThenAgeTwoHoursThenReload,
    /// Generate is not even possible.
    Nothing,
}

/// What the person sees in the end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seen {
    Video,
    Fails(&'static str),
    PendingJob,
    FieldError(&'static str),
}

#[derive(Clone, Debug)]
struct Case {
    name: &'static str,
    mode: Mode,
    fault: Fault,
    act: Act,
    seen: Seen,
    /// Texts that must appear somewhere on the way (stage, failure, notes).
    says: &'static [&'static str],
    /// Texts that must not appear in the end.
    never_says: &'static [&'static str],
    /// Submissions that reached the server, and those it accepted (a run).
    posts: usize,
    runs: usize,
    /// Whether the ticket is still stored at the end.
    ticket_kept: bool,
}

fn fail(status: u16, body: BodyKind, count: u32, retry_after: Option<u32>) -> Failure {
    Failure { count: Some(count), retry_after, ..Failure::new(status, body) }
}

fn case(name: &'static str, mode: Mode, fault: Fault, act: Act, seen: Seen) -> Case {
    let (posts, runs) = if matches!(seen, Seen::FieldError(_)) { (0, 0) } else { (1, 1) };
    Case { name, mode, fault, act, seen, says: &[], never_says: &[], posts, runs, ticket_kept: false }
}

impl Case {
    fn posts(mut self, posts: usize, runs: usize) -> Case {
        (self.posts, self.runs) = (posts, runs);
        self
    }
    fn says(mut self, says: &'static [&'static str]) -> Case {
        self.says = says;
        self
    }
    fn never_says(mut self, never: &'static [&'static str]) -> Case {
        self.never_says = never;
        self
    }
    fn keeps_ticket(mut self) -> Case {
        self.ticket_kept = true;
        self
    }
}

fn cases() -> Vec<Case> {
    use Act::*;
    use Fault::*;
    use Mode::*;
    use Seen::*;
    let json = BodyKind::Json;
    vec![
        // --- one long request (v1): a paid run is never sent again by itself ---
        case("one_shot_success", OneShot, Clean, Wait, Video),
        case("one_shot_dropped_mid_video", OneShot, Submit(fail(200, BodyKind::Dropped, 1, None)), Wait, Fails("answer_broken"))
            .says(&["connection broke while the answer was arriving", "most likely charged"]),
        case("one_shot_429_then_success", OneShot, Submit(fail(429, json, 1, Some(1))), Wait, Video)
            .posts(2, 1)
            .says(&["nothing was charged"]),
        case("one_shot_429_every_time", OneShot, Submit(fail(429, json, 4, Some(1))), Wait, Fails("rate_limited"))
            .posts(4, 0)
            .never_says(&["may have been charged"]),
        case("one_shot_500", OneShot, Submit(fail(500, json, 1, None)), Wait, Fails("server_error")).posts(1, 0).says(&["may have been charged"]),
        case("one_shot_502_html", OneShot, Submit(fail(502, BodyKind::Html, 1, None)), Wait, Fails("bad_gateway"))
            .posts(1, 0)
            .says(&["may have been charged"]),
        case("one_shot_504_text", OneShot, Submit(fail(504, BodyKind::Text, 1, None)), Wait, Fails("gateway_timeout")).posts(1, 0),
        case("one_shot_502_dropped_body", OneShot, Submit(fail(502, BodyKind::Dropped, 1, None)), Wait, Fails("bad_gateway")).posts(1, 0),
        case("one_shot_401", OneShot, Submit(fail(401, json, 1, None)), Wait, Fails("unauthorized"))
            .posts(1, 0)
            .never_says(&["Try again", "may have been charged"]),
        case("one_shot_406", OneShot, Submit(fail(406, json, 1, None)), Wait, Fails("insufficient_credits"))
            .posts(1, 0)
            .never_says(&["Try again"]),
        case("one_shot_cancel", OneShot, Clean, CancelAtOnce, Fails("cancelled")).posts(1, 0).says(&["may have been charged"]),
        // --- jobs (v2): followed until they can no longer deliver ---
        case("job_success", Job, Clean, Wait, Video).says(&["safe to reload"]),
        case("job_submit_429_then_success", Job, Submit(fail(429, json, 1, Some(1))), Wait, Video).posts(2, 1),
        case("job_submit_500", Job, Submit(fail(500, json, 1, None)), Wait, Fails("server_error")).posts(1, 0),
        case("job_submit_ticket_cut_off", Job, Submit(fail(200, BodyKind::Dropped, 1, None)), Wait, Fails("answer_broken"))
            .says(&["accepted"]),
        case("job_status_429_once", Job, Read(ReadTarget::Status, fail(429, json, 1, Some(1))), Wait, Video).says(&["still following job"]),
        case("job_status_500_twice", Job, Read(ReadTarget::Status, fail(500, json, 2, None)), Wait, Video).says(&["still following job"]),
        case("job_status_502_html", Job, Read(ReadTarget::Status, fail(502, BodyKind::Html, 1, None)), Wait, Video),
        case("job_status_connection_dropped", Job, Read(ReadTarget::Status, fail(200, BodyKind::Dropped, 1, None)), Wait, Video)
            .says(&["still following job"]),
        case("job_result_500_once", Job, Read(ReadTarget::Result, fail(500, json, 1, None)), Wait, Video),
        case("job_video_download_dropped", Job, Read(ReadTarget::Video, fail(200, BodyKind::Dropped, 1, None)), Wait, Video)
            .says(&["still following job"]),
        case("job_failed_on_the_server", Job, Submit(Failure { message: Some("No face found".into()), ..fail(422, json, 1, None) }), Wait, Fails("job_failed"))
            .says(&["No face found", "may have been charged"]),
        case("job_status_404", Job, Read(ReadTarget::Status, fail(404, json, 1, None)), Wait, Fails("not_found")).keeps_ticket().never_says(&["Try again"]),
        case("job_status_401", Job, Read(ReadTarget::Status, fail(401, json, 1, None)), Wait, Fails("unauthorized")).keeps_ticket(),
        case("job_urls_on_another_origin", Job, JobOnOtherOrigin, Wait, Fails("key_withheld")).keeps_ticket().says(&["only sent to the endpoint you chose"]),
        case("job_status_redirects_to_another_origin", Job, StatusRedirectsElsewhere, Wait, Fails("redirected")).keeps_ticket(),
        case("job_reload_mid_run", Job, Clean, ReloadWhenAccepted, Video),
        case("job_stop_then_keep_following", Job, Clean, StopThenKeepFollowing, Video),
        case("job_stop_switch_endpoint_keep_following", Job, Clean, StopSwitchToSegmindThenKeepFollowing, Video),
        case("job_stop_then_forget", Job, Clean, StopThenForgetThenReload, Seen::Fails("")).never_says(&["pending-job"]),
        case("job_past_its_expiry", Job, Clean, StopThenAgeTwoHoursThenReload, PendingJob).keeps_ticket().says(&["more than an hour ago"]),
        case("job_history_blocked", Job, HistoryBlocked, Wait, Video).keeps_ticket().says(&["Another tab", "fetches the video again"]),
        case("job_ticket_not_storable", Job, TicketNotStorable, Wait, Video).says(&["could not store the job"]).never_says(&["safe to reload"]),
        case("job_from_a_local_file_reloaded", Job, LocalPortrait, ReloadWhenAccepted, Video),
        // --- data: inputs are checked like files; bad ones send nothing ---
        case("data_html_portrait", Job, TypedPortrait("data:text/html,<script>alert(1)</script>"), Act::Nothing, FieldError("must be an image")),
        case("data_bad_base64_portrait", Job, TypedPortrait("data:image/png;base64,!!!!"), Act::Nothing, FieldError("not base64")),
        case("data_portrait_checked_like_a_file", Job, PastedDataPortrait, Wait, Video),
    ]
}

/// Runs a script that may return a promise; its value.
async fn js_await(browser: &Browser, body: &str) -> Value {
    browser.js(&format!("return (async () => {{ {body} }})();")).await
}

async fn fresh_page(browser: &Browser, url: &str) {
    // Storage is cleared from a page of the same origin that is not the
    // studio, so a job kept by the previous case is not picked up meanwhile.
    browser.client.goto(&format!("{url}/health")).await.expect("health page loads");
    js_await(
        browser,
        "localStorage.clear();
         for (const db of await indexedDB.databases()) {
           await new Promise((done) => { const q = indexedDB.deleteDatabase(db.name); q.onsuccess = q.onerror = q.onblocked = done; });
         }
         return true;",
    )
    .await;
    browser.client.goto(url).await.expect("page loads");
    browser.find("generate").await;
}

async fn stored_job(browser: &Browser) -> Value {
    browser.js(&format!("return JSON.parse(localStorage.getItem('{JOB_KEY}'));")).await
}

/// All visible text of the studio (for the `says` checks).
async fn page_text(browser: &Browser) -> String {
    browser.js("return document.body.innerText;").await.as_str().unwrap_or_default().to_string()
}

/// Waits until `part` shows anywhere on the page; collects what was said.
async fn wait_to_say(browser: &Browser, part: &str) {
    let deadline = std::time::Instant::now() + support::WAIT;
    while !page_text(browser).await.contains(part) {
        if std::time::Instant::now() > deadline {
            panic!("timed out waiting for the page to say {part:?}; it says:\n{}", page_text(browser).await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_case(browser: &Browser, a: &stand_in::Running, b: &stand_in::Running, case: &Case) {
    a.clear_failures();
    a.set_job_base(None);
    fresh_page(browser, &a.url()).await;
    a.clear_seen();
    b.clear_seen();
    browser.choose_mode(if case.mode == Mode::Job { "job" } else { "one_shot" }).await;

    match &case.fault {
        Fault::Clean => {}
        Fault::Submit(failure) => a.fail_next(failure.clone()),
        Fault::Read(target, failure) => a.fail_reads(*target, failure.clone()),
        Fault::JobOnOtherOrigin => a.set_job_base(Some(b.url())),
        Fault::StatusRedirectsElsewhere => {
            let target = format!("{}/v2/requests/elsewhere/status", b.url());
            a.fail_reads(ReadTarget::Status, Failure { message: Some(target), ..Failure::new(307, BodyKind::Json) });
        }
        Fault::HistoryBlocked => {
            js_await(
                browser,
                &format!(
                    "await new Promise((done) => {{ const q = indexedDB.deleteDatabase('{HISTORY_DB}'); q.onsuccess = q.onerror = q.onblocked = done; }});
                     window.__held = await new Promise((ok) => {{ const q = indexedDB.open('{HISTORY_DB}', 1); q.onsuccess = () => ok(q.result); }});
                     return true;"
                ),
            )
            .await;
        }
        Fault::TicketNotStorable => {
            browser
                .js(&format!(
                    "const set = Storage.prototype.setItem;
                     Storage.prototype.setItem = function (k, v) {{
                       if (k === '{JOB_KEY}') throw new DOMException('full', 'QuotaExceededError');
                       return set.call(this, k, v);
                     }};
                     return true;"
                ))
                .await;
        }
        Fault::LocalPortrait => {
            let input = browser.find("input_image-file").await;
            input.send_keys(&repo_path("media/generated/portrait.jpg").display().to_string()).await.expect("choose the portrait");
            browser.find("input_image-summary").await;
        }
        Fault::TypedPortrait(text) => browser.type_into("input_image", text).await,
        Fault::PastedDataPortrait => {
            js_await(
                browser,
                "const blob = await (await fetch('/samples/portrait.jpg')).blob();
                 const uri = await new Promise((ok) => { const r = new FileReader(); r.onload = () => ok(r.result); r.readAsDataURL(blob); });
                 const input = document.querySelector('[data-testid=input_image]');
                 input.value = uri;
                 input.dispatchEvent(new Event('input', { bubbles: true }));
                 return true;",
            )
            .await;
            browser.find("input_image-summary").await;
        }
    }

    if let Seen::FieldError(message) = case.seen {
        let shown = browser.wait_for_text("error-input_image", message).await;
        assert!(shown.starts_with("Portrait"), "{}: {shown}", case.name);
        let disabled = browser.find("generate").await.prop("disabled").await.ok().flatten();
        assert_eq!(disabled.as_deref(), Some("true"), "{}: Generate is not possible", case.name);
    } else {
        browser.click("generate").await;
    }

    match case.act {
        Act::Wait | Act::Nothing => {}
        Act::CancelAtOnce => {
            // Once the request is on its way (the stand-in takes 1.5 s to answer).
            browser.wait_for_text("stage", "Sending the inputs").await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            browser.click("cancel").await;
        }
        Act::ReloadWhenAccepted => {
            browser.wait_for_text("job-id", "stand-in-").await;
            browser.reload().await;
        }
        Act::StopThenKeepFollowing | Act::StopSwitchToSegmindThenKeepFollowing | Act::StopThenForgetThenReload | Act::StopThenAgeTwoHoursThenReload => {
            browser.wait_for_text("job-id", "stand-in-").await;
            browser.click("cancel").await;
            let failure = browser.wait_for_text("failure", "Stopped following").await;
            assert!(failure.contains("no cancel") && failure.contains("charged"), "{}: honest words on stopping: {failure}", case.name);
            browser.find("pending-job").await;
            match case.act {
                Act::StopThenKeepFollowing => browser.click("resume-job").await,
                Act::StopSwitchToSegmindThenKeepFollowing => {
                    browser.click("endpoint-segmind").await;
                    browser.type_into("segmind-key", "sg_real_secret_key").await;
                    browser.click("resume-job").await;
                }
                Act::StopThenForgetThenReload => {
                    browser.click("forget-job").await;
                    browser.reload().await;
                }
                _ => {
                    browser
                        .js(&format!(
                            "const job = JSON.parse(localStorage.getItem('{JOB_KEY}'));
                             job.started_at_ms -= 2 * 3600 * 1000;
                             localStorage.setItem('{JOB_KEY}', JSON.stringify(job));
                             return true;"
                        ))
                        .await;
                    tokio::time::sleep(Duration::from_secs(2)).await; // the job finishes on the server meanwhile
                    a.clear_seen();
                    browser.reload().await;
                }
            }
        }
    }

    for part in case.says {
        wait_to_say(browser, part).await;
    }
    match case.seen {
        Seen::Video => assert_eq!(browser.wait_for_video().await, json!(256), "{}", case.name),
        Seen::Fails("") => {}
        Seen::Fails(kind) => {
            browser.wait_until(&format!("{}: failure {kind}", case.name), &format!("const f = document.querySelector('[data-testid=failure]'); return !!f && f.dataset.kind === '{kind}';")).await;
        }
        Seen::PendingJob => {
            let pending = browser.text("pending-job").await;
            assert!(!pending.is_empty(), "{}", case.name);
            let reads = a.seen().iter().filter(|r| r.method == "GET" && r.path.starts_with("/v2/requests")).count();
            assert_eq!(reads, 0, "{}: an expired job is not polled", case.name);
        }
        Seen::FieldError(_) => {}
    }
    // Long enough for any automatic re-send to show up.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let text = page_text(browser).await;
    for part in case.never_says {
        if *part == "pending-job" {
            assert!(browser.js("return !document.querySelector('[data-testid=pending-job]');").await == json!(true), "{}: no pending job", case.name);
        } else {
            assert!(!text.contains(part), "{}: must not say {part:?}:\n{text}", case.name);
        }
    }

    let seen_a = a.seen();
    let submissions: Vec<_> = seen_a.iter().filter(|r| r.method == "POST" && r.path.ends_with("/sadtalker")).collect();
    if case.act != Act::StopThenAgeTwoHoursThenReload {
        assert_eq!(submissions.len(), case.posts, "{}: submissions that reached the server: {seen_a:?}", case.name);
        assert_eq!(submissions.iter().filter(|r| r.status == 200).count(), case.runs, "{}: runs accepted: {seen_a:?}", case.name);
    }
    for request in seen_a.iter().filter(|r| r.had_key) {
        assert!(request.right_key, "{}: only the stand-in's own key reached the stand-in: {request:?}", case.name);
    }
    let seen_b = b.seen();
    assert!(seen_b.iter().all(|r| !r.had_key), "{}: a key reached another origin: {seen_b:?}", case.name);
    if matches!(case.fault, Fault::JobOnOtherOrigin) {
        assert!(!seen_b.is_empty(), "{}: the other origin was asked (without the key)", case.name);
    }
    if matches!(case.fault, Fault::StatusRedirectsElsewhere) {
        assert!(seen_b.is_empty(), "{}: a redirect is not followed with the key: {seen_b:?}", case.name);
    }
    let ticket = stored_job(browser).await;
    assert_eq!(!ticket.is_null(), case.ticket_kept, "{}: ticket kept? {ticket}", case.name);
    if case.ticket_kept && case.act != Act::StopThenAgeTwoHoursThenReload {
        // It survives a reload: the page picks the job up (the paid video
        // arrives, and only then is the ticket let go) or offers to.
        browser.reload().await;
        browser
            .wait_until(
                &format!("{}: the kept job is picked up or offered after a reload", case.name),
                "return !!document.querySelector('[data-testid=pending-job], [data-testid=result], [data-testid=failure]');",
            )
            .await;
        let video_back = browser.js("return !!document.querySelector('[data-testid=result-video]');").await == json!(true);
        assert!(video_back || !stored_job(browser).await.is_null(), "{}: the ticket went without its video", case.name);
        let runs = a.seen().iter().filter(|r| r.method == "POST" && r.path.ends_with("/sadtalker")).count();
        assert_eq!(runs, case.posts, "{}: picking the job up sent no new run", case.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_money_path_case_by_case() {
    let a = stand_in_with(|c| c.delay = Duration::from_millis(1500)).await;
    let b = stand_in_with(|c| c.delay = Duration::from_millis(100)).await;
    let browser = Browser::start().await;
    // MONEY_CASE=name runs one case, MONEY_FROM=name the cases from it on (while iterating).
    let only = std::env::var("MONEY_CASE").ok();
    let from = std::env::var("MONEY_FROM").ok();
    let all = cases();
    assert!(all.len() >= 30, "at least 30 cases");
    let start = from.and_then(|f| all.iter().position(|c| c.name == f)).unwrap_or(0);
    let mut ran = 0;
    for case in all[start..].iter().filter(|c| only.as_deref().is_none_or(|o| c.name == o)) {
        eprintln!("case {}", case.name);
        run_case(&browser, &a, &b, case).await;
        ran += 1;
    }
    assert!(ran > 0, "MONEY_CASE named no case");
    let reports = a.csp_reports();
    assert!(reports.is_empty(), "the page broke its own Content-Security-Policy: {reports:?}");
    browser.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_content_security_policy_is_enforced_and_reported() {
    let a = stand_in_with(|_| {}).await;
    let browser = Browser::open(&a.url()).await;
    let index = std::fs::read_to_string(repo_path("index.html")).expect("index.html");
    assert!(index.contains(stand_in::CONTENT_SECURITY_POLICY), "the meta tag and the stand-in's header say the same");
    // An inline script, as an injection would be, does not run, and is reported.
    browser
        .js("const s = document.createElement('script'); s.textContent = 'window.__injected = true'; document.body.append(s); return true;")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(browser.js("return window.__injected === true;").await, json!(false));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while a.csp_reports().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!a.csp_reports().is_empty(), "the violation was reported");
    browser.stop().await;
    a.stop().await;
}
