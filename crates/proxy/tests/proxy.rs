//! The proxy binary, run as an operator would, in front of the local stand-in.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

const KEY: &str = "sg_proxy_test_key_4f9a";
/// The origin every test proxy allows (pages from elsewhere are refused).
const ORIGIN: &str = "http://127.0.0.1:1";

/// An HTTP client that calls as the allowed page does (with its Origin).
fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", reqwest::header::HeaderValue::from_static(ORIGIN));
    reqwest::Client::builder().default_headers(headers).build().expect("client")
}

fn samples() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../media/generated");
    assert!(dir.join("portrait.jpg").is_file(), "sample media missing: run scripts/make-media.sh");
    dir
}

async fn stand_in(delay_ms: u64) -> stand_in::Running {
    let config = stand_in::Config {
        api_key: KEY.into(),
        delay: Duration::from_millis(delay_ms),
        samples_dir: Some(samples()),
        ..stand_in::Config::default()
    };
    stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("stand-in starts")
}

/// The proxy as a child process; its log (stderr) is collected as it runs.
struct Proxy {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    fn start(upstream: &str, extra: &[&str]) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxy"))
            .args(["--port", "0", "--upstream", upstream, "--allow-origin", ORIGIN])
            .args(extra)
            .env("SEGMIND_API_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("proxy starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = sink.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("proxy prints its URL");
        assert!(first.starts_with("http://"), "proxy printed {first:?}; log: {}", log.lock().map(|l| l.clone()).unwrap_or_default());
        Proxy { child, url: first.trim().to_string(), log }
    }

    fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Peak resident memory of the proxy process so far, in KB (Linux `VmHWM`).
    fn peak_rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        self.log()
    }
}

fn body(stand_in: &stand_in::Running) -> String {
    serde_json::json!({
        "input_image": format!("{}/samples/portrait.jpg", stand_in.url()),
        "input_audio": format!("{}/samples/voice.mp3", stand_in.url()),
        "image_size": 256,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn adds_its_key_and_streams_the_video_back() {
    let stand_in = stand_in(100).await;
    let proxy = Proxy::start(&stand_in.url(), &[]);
    let http = client();
    let answer = http
        .post(format!("{}/v1/sadtalker", proxy.url))
        .header("content-type", "application/json")
        .body(body(&stand_in))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "video/mp4");
    assert!(answer.headers().contains_key("x-remaining-credits"), "credit headers pass through");
    let video = answer.bytes().await.expect("video");
    assert_eq!(&video[4..8], b"ftyp", "a real MP4 came through");

    let seen = stand_in.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].had_key && seen[0].status == 200, "the stand-in got the proxy's key: {seen:?}");

    // A wrong key typed in the browser is dropped: the proxy's own key is used.
    let answer = http
        .get(format!("{}/v1/get-user-credits", proxy.url))
        .header("x-api-key", "browser-typed-wrong-key")
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);

    let log = proxy.stop();
    assert!(log.contains("path=/v1/sadtalker") && log.contains("status=200"), "access log: {log}");
    assert!(log.contains("bytes="), "{log}");
    assert!(!log.contains(KEY), "the key never appears in the log: {log}");
    assert!(!log.contains("browser-typed-wrong-key") && !log.contains("portrait.jpg"), "no keys or bodies in the log: {log}");
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn origins_not_allowed_are_refused_before_the_upstream() {
    let stand_in = stand_in(0).await;
    let proxy = Proxy::start(&stand_in.url(), &[]);
    let http = client();
    let refused = http
        .post(format!("{}/v1/sadtalker", proxy.url))
        .header("origin", "https://evil.example")
        .body(body(&stand_in))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 403);
    let message: serde_json::Value = serde_json::from_slice(&refused.bytes().await.expect("body")).expect("JSON error");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("origin")), "{message}");
    assert!(stand_in.seen().is_empty(), "the upstream saw nothing");

    let allowed = http
        .get(format!("{}/v1/get-user-credits", proxy.url))
        .header("origin", "http://127.0.0.1:1")
        .send()
        .await
        .expect("answer");
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "http://127.0.0.1:1");
    proxy.stop();
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_get_a_json_413_and_never_reach_the_upstream() {
    let stand_in = stand_in(0).await;
    let proxy = Proxy::start(&stand_in.url(), &["--max-body-mb", "1"]);
    // Big enough that the client is still sending when the proxy decides: the
    // 413 must still be readable (no broken pipe), with a declared length and without.
    let big = format!(r#"{{"input_image":"data:image/png;base64,{}","input_audio":"x"}}"#, "A".repeat(24 * 1024 * 1024));
    let declared = reqwest::Body::from(big.clone());
    let piece = axum::body::Bytes::from(big.into_bytes());
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(
        (0..piece.len()).step_by(64 * 1024).map(move |at| Ok::<_, std::io::Error>(piece.slice(at..(at + 64 * 1024).min(piece.len())))),
    ));
    for (how, body) in [("declared length", declared), ("streamed", streamed)] {
        let answer = client().post(format!("{}/v1/sadtalker", proxy.url)).body(body).send().await.unwrap_or_else(|e| panic!("{how}: answer: {e:?}"));
        assert_eq!(answer.status(), 413, "{how}");
        let message: serde_json::Value = serde_json::from_slice(&answer.bytes().await.expect("body")).expect("JSON error");
        assert!(message["error"].as_str().is_some_and(|m| m.contains("1 MB")), "{how}: {message}");
    }
    assert!(stand_in.seen().is_empty(), "the upstream saw nothing");
    proxy.stop();
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_and_runs_have_separate_budgets_with_retry_after() {
    let stand_in = stand_in(0).await;
    let proxy = Proxy::start(&stand_in.url(), &["--reads-per-minute", "2", "--runs-per-minute", "1"]);
    let http = client();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..3 {
        let answer = http.get(format!("{}/v1/get-user-credits", proxy.url)).send().await.expect("answer");
        statuses.push(answer.status().as_u16());
        retry_after = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert!(retry_after.is_some_and(|s| (1..=60).contains(&s)), "Retry-After in seconds: {retry_after:?}");
    assert_eq!(stand_in.seen().len(), 2, "the limited request never reached the upstream");
    // Reads used up, yet a run still goes: its budget is its own.
    let run = http.post(format!("{}/v1/sadtalker", proxy.url)).body(body(&stand_in)).send().await.expect("answer");
    assert_eq!(run.status(), 200);
    let second = http.post(format!("{}/v1/sadtalker", proxy.url)).body(body(&stand_in)).send().await.expect("answer");
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    let message: serde_json::Value = serde_json::from_slice(&second.bytes().await.expect("body")).expect("JSON error");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("runs started from here in the last minute")), "{message}");
    let health = http.get(format!("{}/health", proxy.url)).send().await.expect("health");
    assert_eq!(health.status(), 200, "health is not limited");
    proxy.stop();
    stand_in.stop().await;
}

/// An upstream that answers every POST with `size` bytes of "video", made on the fly.
async fn big_upstream(size: usize) -> (String, tokio::task::JoinHandle<()>) {
    use axum::body::{Body, Bytes};
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/v1/sadtalker",
        axum::routing::post(move || async move {
            let chunk = Bytes::from(vec![0x42u8; 64 * 1024]);
            let chunks = size / chunk.len();
            let stream = futures_util::stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            ([("content-type", "video/mp4".to_string()), ("content-length", (chunks * 64 * 1024).to_string())], Body::from_stream(stream))
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_answer_streams_through_without_being_held_in_memory() {
    const SIZE: usize = 50 * 1024 * 1024;
    let (upstream, task) = big_upstream(SIZE).await;
    let proxy = Proxy::start(&upstream, &[]);
    let before_kb = proxy.peak_rss_kb();
    let answer = client().post(format!("{}/v1/sadtalker", proxy.url)).body("{}").send().await.expect("answer");
    assert_eq!(answer.status(), 200);
    let mut received = 0usize;
    let mut stream = answer.bytes_stream();
    while let Some(chunk) = stream.next().await {
        received += chunk.expect("chunk").len();
        // A slow reader: the proxy must not buffer ahead of it.
        if received % (8 * 1024 * 1024) < 64 * 1024 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(received, SIZE);
    let peak_kb = proxy.peak_rss_kb();
    println!("proxy peak RSS: {before_kb} KB before, {peak_kb} KB after streaming {} MB", SIZE / 1024 / 1024);
    assert!(peak_kb < 25 * 1024, "the proxy's peak memory stays far below 50 MB: {peak_kb} KB");
    proxy.stop();
    task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_a_running_request_finish() {
    let stand_in = stand_in(1500).await;
    let proxy = Proxy::start(&stand_in.url(), &[]);
    let url = format!("{}/v1/sadtalker", proxy.url);
    let request_body = body(&stand_in);
    let running = tokio::spawn(async move { client().post(url).body(request_body).send().await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let status = Command::new("kill").args(["-TERM", &proxy.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let answer = running.await.expect("task").expect("the running request is answered");
    assert_eq!(answer.status(), 200);
    assert_eq!(&answer.bytes().await.expect("body")[4..8], b"ftyp");
    let mut proxy = proxy;
    let exit = proxy.child.wait().expect("exit");
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    stand_in.stop().await;
}

#[test]
fn a_missing_key_or_bad_upstream_fails_at_start_with_a_clear_error() {
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_proxy"))
            .args(args)
            .env_remove("SEGMIND_API_KEY")
            .env_remove("SEGMIND_API_KEY_FILE")
            .envs(envs.iter().copied())
            .output()
            .expect("runs");
        (output.status.code(), String::from_utf8_lossy(&output.stderr).to_string())
    };
    let (code, stderr) = run(&[], &["--port", "0"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("SEGMIND_API_KEY"), "{stderr}");
    let (code, stderr) = run(&[("SEGMIND_API_KEY", KEY)], &["--port", "0", "--upstream", "ftp://nowhere"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("upstream URL") && !stderr.contains(KEY), "{stderr}");
    let (code, stderr) = run(&[], &["--port", "0", "--key-file", "/nonexistent/key"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("/nonexistent/key"), "{stderr}");
    let (code, help) = {
        let output = Command::new(env!("CARGO_BIN_EXE_proxy")).arg("--help").output().expect("runs");
        (output.status.code(), String::from_utf8_lossy(&output.stdout).to_string())
    };
    assert_eq!(code, Some(0));
    for flag in [
        "--upstream", "--allow-origin", "--max-body-mb", "--runs-per-minute", "--runs-per-day", "--runs-per-day-total", "--reads-per-minute",
        "--tokens-file", "--redis-url", "--public-url", "--trust-forwarded", "--max-in-flight", "--body-timeout-secs",
        "--shutdown-deadline-secs", "--idle-timeout-secs", "--log-format", "--upstream-timeout-secs", "--key-file",
    ] {
        assert!(help.contains(flag), "--help explains {flag}");
    }
    assert!(help.contains("rolling window") && help.contains("lost on restart"), "--help states what the counters survive: {help}");
}
