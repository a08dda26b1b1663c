//! The proxy as it must be on the internet: exact routes (encoded traversal
//! never reaches upstream), client tokens and caps, several replicas sharing
//! their caps through a real Redis, a public URL with a path prefix, a
//! shutdown deadline, a 502 for a broken upstream answer, metrics and JSON
//! logs. In-process proxies (the library) in front of the stand-in.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use proxy::access::Limits;
use proxy::{ApiKey, Config};
use stand_in::{BodyKind, Failure};

const KEY: &str = "sg_public_proxy_key_77";
const ORIGIN: &str = "http://127.0.0.1:1";
const TOKEN_A: &str = "tok_aaaaaaaaaaaaaaaaaaaa";
const TOKEN_B: &str = "tok_bbbbbbbbbbbbbbbbbbbb";

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../media/generated")
}

async fn stand_in(delay_ms: u64) -> stand_in::Running {
    let config = stand_in::Config { api_key: KEY.into(), delay: Duration::from_millis(delay_ms), samples_dir: Some(samples()), ..stand_in::Config::default() };
    stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("stand-in starts")
}

fn config(upstream: &str) -> Config {
    Config {
        upstream: upstream.to_string(),
        upload_upstream: upstream.to_string(),
        allowed_origins: vec![proxy::parse_origin(ORIGIN).expect("origin")],
        ..Config::new(ApiKey::new(KEY).expect("key"))
    }
}

async fn start(config: Config) -> proxy::Running {
    proxy::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("proxy starts")
}

fn body(stand_in: &stand_in::Running) -> String {
    serde_json::json!({
        "input_image": format!("{}/samples/portrait.jpg", stand_in.url()),
        "input_audio": format!("{}/samples/voice.mp3", stand_in.url()),
    })
    .to_string()
}

/// Sends a request with the path exactly as written (no client-side
/// normalisation, as an attacker would); the status code.
fn raw_status(addr: SocketAddr, method: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn traversal_and_encoding_tricks_never_reach_upstream() {
    let upstream = stand_in(0).await;
    let proxy = start(config(&upstream.url())).await;
    for (method, path) in [
        ("POST", "/v2/requests/%2e%2e/%2e%2e/v1/flux-schnell"),
        ("POST", "/v2/requests/.%2e/.%2e/v1/sdxl"),
        ("POST", "/v2/requests/%2E%2E/%2E%2E/v1/sdxl"),
        ("GET", "/v2/requests/..%2f..%2fv1%2fsdxl/status"),
        ("GET", "/v2/requests/%252e%252e/%252e%252e/v1/sdxl"),
        ("GET", "/v2/requests/..\\..\\v1\\sdxl/status"),
        ("GET", "/v2/requests/x;/../../v1/sdxl"),
        ("GET", "//v1/get-user-credits"),
        ("GET", "/v2/requests/../../v1/sdxl"),
        ("POST", "/v1/sdxl"),
        ("GET", "/v1/sadtalker"),
        ("POST", "/v1/sadtalker?../../v1/sdxl"),
        ("DELETE", "/v2/requests/abc"),
        ("GET", "/admin"),
    ] {
        let status = raw_status(proxy.addr, method, path);
        assert!(status == 404 || status == 400 || status == 405 || (path.contains('?') && status == 200), "{method} {path} answered {status}");
    }
    let seen = upstream.seen();
    assert!(
        seen.iter().all(|r| r.path == "/v1/sadtalker"),
        "nothing outside the allow-list reached the upstream (the query is dropped, never resolved): {seen:?}"
    );
    // The query was dropped: the one allowed path went to /v1/sadtalker itself.
    proxy.stop().await;
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_an_origin_or_token_are_refused() {
    let upstream = stand_in(0).await;
    let proxy = start(config(&upstream.url())).await;
    let answer = reqwest::Client::new().get(format!("{}/v1/get-user-credits", proxy.url())).send().await.expect("answer");
    assert_eq!(answer.status(), 403);
    let message: serde_json::Value = answer.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("JSON error");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("allowed origins")), "{message}");
    assert!(upstream.seen().is_empty());
    proxy.stop().await;
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_have_their_own_limits_and_the_proxy_a_daily_cap() {
    let upstream = stand_in(0).await;
    let tokens = proxy::access::parse_tokens(&format!("a {TOKEN_A} 10 2 100\nb {TOKEN_B} 10 5 100\n"), Limits::default()).expect("tokens");
    let proxy = start(Config { tokens, proxy_runs_per_day: 3, ..config(&upstream.url()) }).await;
    let http = reqwest::Client::new();
    let run = |token: &'static str| {
        let http = http.clone();
        let url = format!("{}/v1/sadtalker", proxy.url());
        let body = body(&upstream);
        async move { http.post(url).header("x-api-key", token).header("content-type", "application/json").body(body).send().await.expect("answer") }
    };
    // No token, or a wrong one: 401, whatever the origin.
    let none = http.post(format!("{}/v1/sadtalker", proxy.url())).header("origin", ORIGIN).body(body(&upstream)).send().await.expect("answer");
    assert_eq!(none.status(), 401);
    assert_eq!(run("tok_wrongwrongwrongwrong").await.status(), 401);
    // curl-like, no origin: the provider's own client shape works with a token.
    let first = run(TOKEN_A).await;
    assert_eq!(first.status(), 200);
    assert_eq!(&first.bytes().await.expect("video")[4..8], b"ftyp");
    assert_eq!(run(TOKEN_A).await.status(), 200);
    let over = run(TOKEN_A).await;
    assert_eq!(over.status(), 429);
    let retry_after: u64 = over.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!(retry_after <= 86_400);
    let message: serde_json::Value = over.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("JSON");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("runs for the last 24 hours are used up")), "{message}");
    assert_eq!(run(TOKEN_B).await.status(), 200, "b has its own budget");
    let capped = run(TOKEN_B).await;
    assert_eq!(capped.status(), 429);
    let message: serde_json::Value = capped.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("JSON");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("for everyone")), "the proxy's daily cap: {message}");
    let runs = upstream.seen().iter().filter(|r| r.path == "/v1/sadtalker").count();
    assert_eq!(runs, 3, "exactly the cap reached the upstream");
    proxy.stop().await;
    upstream.stop().await;
}

/// A real redis-server on a free port, for as long as the value lives.
struct Redis(Child, String);

impl Redis {
    fn start() -> Redis {
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis(child, format!("redis://127.0.0.1:{port}"))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_share_one_daily_cap_through_redis() {
    let redis = Redis::start();
    let upstream = stand_in(0).await;
    let replica = || Config { redis_url: Some(redis.1.clone()), proxy_runs_per_day: 2, ..config(&upstream.url()) };
    let one = start(replica()).await;
    let two = start(replica()).await;
    let http = reqwest::Client::new();
    let run = |proxy: &proxy::Running| {
        http.post(format!("{}/v1/sadtalker", proxy.url())).header("origin", ORIGIN).header("content-type", "application/json").body(body(&upstream)).send()
    };
    assert_eq!(run(&one).await.expect("answer").status(), 200);
    assert_eq!(run(&two).await.expect("answer").status(), 200);
    let third = run(&one).await.expect("answer");
    assert_eq!(third.status(), 429, "the second replica's run counted on the first");
    let message: serde_json::Value = third.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("JSON");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("for everyone")), "{message}");
    assert_eq!(run(&two).await.expect("answer").status(), 429);
    assert_eq!(upstream.seen().iter().filter(|r| r.path == "/v1/sadtalker").count(), 2);
    one.stop().await;
    two.stop().await;
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_counts_a_rolling_window_shared_by_replicas() {
    use proxy::access::{Counters, RedisCounters, Window};
    let redis = Redis::start();
    let one = RedisCounters::connect(&redis.1).await.expect("connects");
    let two = RedisCounters::connect(&redis.1).await.expect("connects");
    assert_eq!(one.take("runs:a", Window::Minute, 2).await, Ok(Ok(())));
    assert_eq!(two.take("runs:a", Window::Minute, 2).await, Ok(Ok(())), "two uses from two replicas, both kept apart");
    let refused = one.take("runs:a", Window::Minute, 2).await;
    assert!(matches!(refused, Ok(Err(secs)) if (59..=60).contains(&secs)), "the oldest use leaves in about a minute: {refused:?}");
    assert_eq!(two.take("runs:a", Window::Day, 2).await, Ok(Ok(())), "the day's window counts apart");
    two.give_back("runs:a", Window::Minute).await;
    assert_eq!(one.take("runs:a", Window::Minute, 2).await, Ok(Ok(())), "a use given back frees its place");
    assert!(matches!(two.take("runs:a", Window::Minute, 2).await, Ok(Err(_))));
    assert!(matches!(one.take("runs:b", Window::Minute, 0).await, Ok(Err(60))), "a limit of none refuses");
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_urls_name_the_public_url_and_its_prefix_is_served() {
    let upstream = stand_in(300).await;
    let proxy = start(Config { public_url: Some("https://studio.example/segmind".into()), ..config(&upstream.url()) }).await;
    let http = reqwest::Client::new();
    let ticket: serde_json::Value = http
        .post(format!("{}/segmind/v2/sadtalker", proxy.url()))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(body(&upstream))
        .send()
        .await
        .expect("answer")
        .bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("ticket");
    let id = ticket["request_id"].as_str().expect("id").to_string();
    assert_eq!(ticket["status_url"], format!("https://studio.example/segmind/v2/requests/{id}/status"));
    assert_eq!(ticket["response_url"], format!("https://studio.example/segmind/v2/requests/{id}"));
    // The same path, reached through the prefix (as a reverse proxy passes it on), is followed to the end.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status: serde_json::Value =
            http.get(format!("{}/segmind/v2/requests/{id}/status", proxy.url())).header("origin", ORIGIN).send().await.expect("answer").bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("status");
        if status["status"] == "COMPLETED" {
            break;
        }
        assert!(Instant::now() < deadline, "the job finished: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let result: serde_json::Value = http.get(format!("{}/v2/requests/{id}", proxy.url())).header("origin", ORIGIN).send().await.expect("answer").bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("result");
    let video = http.get(result["output"].as_str().expect("a link")).send().await.expect("video").bytes().await.expect("bytes");
    assert_eq!(&video[4..8], b"ftyp", "v2 end to end through the proxy");
    proxy.stop().await;
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_upstream_answer_to_a_submit_is_a_502_never_a_200() {
    let upstream = stand_in(0).await;
    let proxy = start(config(&upstream.url())).await;
    upstream.fail_next(Failure::new(200, BodyKind::Dropped));
    let answer = reqwest::Client::new()
        .post(format!("{}/v2/sadtalker", proxy.url()))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(body(&upstream))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 502);
    let message: serde_json::Value = answer.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).expect("JSON error");
    assert!(message["error"].as_str().is_some_and(|m| m.contains("may have been charged")), "{message}");
    proxy.stop().await;
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_request_cannot_hold_shutdown_past_its_deadline() {
    let upstream = stand_in(20_000).await;
    let proxy = start(Config { shutdown_deadline: Duration::from_secs(1), ..config(&upstream.url()) }).await;
    let url = format!("{}/v1/sadtalker", proxy.url());
    let request_body = body(&upstream);
    let slow = tokio::spawn(async move {
        reqwest::Client::new().post(url).header("origin", ORIGIN).header("content-type", "application/json").body(request_body).send().await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopping = Instant::now();
    proxy.stop().await;
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(4), "stopped {took:?} after being asked, not after the 20 s run");
    let ended = tokio::time::timeout(Duration::from_secs(3), slow).await.expect("the slow request ended at the deadline").expect("task");
    // It is told the proxy is shutting down, or its connection is closed.
    if let Ok(answer) = ended {
        assert_eq!(answer.status(), 503, "it is told the proxy is shutting down");
    }
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_runs_and_refusals() {
    let upstream = stand_in(0).await;
    let proxy = start(Config { default_limits: Limits { runs_per_minute: 1, ..Limits::default() }, ..config(&upstream.url()) }).await;
    let http = reqwest::Client::new();
    for _ in 0..2 {
        http.post(format!("{}/v1/sadtalker", proxy.url())).header("origin", ORIGIN).body(body(&upstream)).send().await.expect("answer");
    }
    let text = http.get(format!("{}/metrics", proxy.url())).send().await.expect("metrics").text().await.expect("text");
    for needle in ["proxy_requests_total", "route=\"submit_v1\"", "proxy_runs_submitted_total", "proxy_refusals_total", "reason=\"runs_per_minute\"", "proxy_upstream_seconds"] {
        assert!(text.contains(needle), "{needle} in:\n{text}");
    }
    proxy.stop().await;
    upstream.stop().await;
}

#[test]
fn json_logs_are_one_object_a_line_without_keys() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxy"))
        .args(["--port", "0", "--log-format", "json", "--upstream", "http://127.0.0.1:9", "--allow-origin", ORIGIN])
        .env("SEGMIND_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("proxy starts");
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut first).expect("url");
    let addr: SocketAddr = first.trim().trim_start_matches("http://").parse().expect("address");
    assert_eq!(raw_status(addr, "GET", "/nothing-here"), 404);
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let mut log = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut log).expect("log");
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("a JSON line: {l}"))).collect();
    assert!(lines.iter().any(|l| l["fields"]["status"] == 404 && l["fields"]["path"] == "/nothing-here"), "{log}");
    assert!(!log.contains(KEY));
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_goes_quiet_is_closed() {
    let upstream = stand_in(0).await;
    let proxy = start(Config { idle_timeout: Duration::from_secs(1), ..config(&upstream.url()) }).await;
    let addr = proxy.addr;
    let closed_after = tokio::task::spawn_blocking(move || {
        // A socket opened and left silent (or a request that never finishes its headers).
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(b"GET /v1/get-user-credits HTTP/1.1\r\nHost: x\r\n").expect("half a request");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let started = Instant::now();
        let mut buf = [0u8; 256];
        let _ = stream.read(&mut buf); // returns when the proxy closes it
        started.elapsed()
    })
    .await
    .expect("join");
    assert!(closed_after < Duration::from_secs(4), "closed after {closed_after:?}, not held open");
    proxy.stop().await;
    upstream.stop().await;
}
