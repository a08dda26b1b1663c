//! Load benchmark of the proxy (not a test: it prints figures). Many
//! concurrent clients poll job results and submit jobs through the proxy
//! binary to the local stand-in on loopback, then the same work goes to the
//! stand-in directly. Bounded in requests and time; stops by itself.
//!
//! Prints requests per second, latency p50/p99 through the proxy and direct
//! (the difference is what the proxy adds), the proxy's peak memory, and
//! whether any answer was lost or mixed up (each result names its job).
//! Run: `bash scripts/bench-proxy.sh` (builds it in release first).

use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stand_in::{BodyKind, Failure};

const KEY: &str = "sg_load_bench_key";
const CLIENTS: usize = 64;
const REQUESTS_PER_CLIENT: usize = 1500;
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// One request in this many is a submission (the rest read results).
const SUBMIT_EVERY: usize = 20;

struct Outcome {
    latencies_ms: Vec<f64>,
    lost: usize,
    mixed_up: usize,
    elapsed: Duration,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `CLIENTS` clients, each `REQUESTS_PER_CLIENT` requests against `base`.
async fn run(base: &str, token_of: impl Fn(usize) -> Option<String>, jobs: &[String], body: &str) -> Outcome {
    let started = Instant::now();
    let lost = Arc::new(AtomicUsize::new(0));
    let mixed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (base, jobs, body, token) = (base.to_string(), jobs.to_vec(), body.to_string(), token_of(client));
        let (lost, mixed) = (lost.clone(), mixed.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut latencies = Vec::with_capacity(REQUESTS_PER_CLIENT);
            let mut seed = client as u64 * 7919 + 1;
            for i in 0..REQUESTS_PER_CLIENT {
                if started.elapsed() > TIME_LIMIT {
                    break;
                }
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let t0 = Instant::now();
                let mut request = if i % SUBMIT_EVERY == 0 {
                    http.post(format!("{base}/v2/sadtalker")).header("content-type", "application/json").body(body.clone())
                } else {
                    let job = &jobs[(seed >> 33) as usize % jobs.len()];
                    http.get(format!("{base}/v2/requests/{job}"))
                };
                if let Some(token) = &token {
                    request = request.header("x-api-key", token);
                }
                let answer = match request.send().await {
                    Ok(answer) if answer.status().is_success() => answer.bytes().await.ok(),
                    _ => None,
                };
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                let Some(answer) = answer else {
                    lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
                let right = if i % SUBMIT_EVERY == 0 {
                    json["request_id"].as_str().is_some()
                } else {
                    let job = &jobs[(seed >> 33) as usize % jobs.len()];
                    json["output"].as_str().is_some_and(|o| o.contains(&format!("/{job}/")))
                };
                if !right {
                    mixed.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut latencies_ms = Vec::new();
    for task in tasks {
        latencies_ms.extend(task.await.unwrap_or_default());
    }
    latencies_ms.sort_by(f64::total_cmp);
    Outcome { latencies_ms, lost: lost.load(Ordering::Relaxed), mixed_up: mixed.load(Ordering::Relaxed), elapsed: started.elapsed() }
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn report(name: &str, outcome: &Outcome) {
    let n = outcome.latencies_ms.len();
    println!(
        "{name:>7}: {n} requests in {:.1} s = {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms; lost {}, mixed up {}",
        outcome.elapsed.as_secs_f64(),
        n as f64 / outcome.elapsed.as_secs_f64(),
        percentile(&outcome.latencies_ms, 0.5),
        percentile(&outcome.latencies_ms, 0.99),
        outcome.lost,
        outcome.mixed_up,
    );
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let samples = root.join("media/generated");
    let config = stand_in::Config { api_key: KEY.into(), delay: Duration::from_millis(0), samples_dir: Some(samples), ..stand_in::Config::default() };
    let upstream = stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("stand-in starts");

    // One token per client, with limits far above the load (the budgets are not what is measured).
    let dir = tempfile::tempdir().expect("tmp");
    let tokens: Vec<String> = (0..CLIENTS).map(|i| format!("tok_load_client_{i:04}_xxxxxxxx")).collect();
    let file = dir.path().join("tokens");
    std::fs::write(&file, tokens.iter().enumerate().map(|(i, t)| format!("c{i} {t} 100000 1000000 1000000\n")).collect::<String>()).expect("tokens file");
    let exe = std::env::current_exe().expect("exe");
    let proxy_bin = exe.parent().and_then(|p| p.parent()).map(|p| p.join("proxy")).expect("target dir");
    let mut child = Command::new(&proxy_bin)
        .args(["--port", "0", "--upstream", &upstream.url(), "--upload-upstream", &upstream.url(), "--runs-per-day-total", "1000000"])
        .arg("--tokens-file")
        .arg(&file)
        .env("SEGMIND_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} runs ({e}): build it first (scripts/bench-proxy.sh does)", proxy_bin.display()));
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("proxy URL");
    let proxy_url = first.trim().to_string();

    // A few real jobs to read back; submissions during the load fail fast on
    // the stand-in (no video to render), so the figures are the proxy's own.
    let body = serde_json::json!({
        "input_image": format!("{}/samples/portrait.jpg", upstream.url()),
        "input_audio": format!("{}/samples/voice.mp3", upstream.url()),
    })
    .to_string();
    let http = reqwest::Client::new();
    let mut jobs = Vec::new();
    for _ in 0..4 {
        let answer = http.post(format!("{}/v2/sadtalker", upstream.url())).header("x-api-key", KEY).body(body.clone()).send().await.expect("submit");
        let json: serde_json::Value = serde_json::from_slice(&answer.bytes().await.expect("ticket")).expect("json");
        jobs.push(json["request_id"].as_str().expect("id").to_string());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for job in &jobs {
        loop {
            let answer = http.get(format!("{}/v2/requests/{job}/status", upstream.url())).header("x-api-key", KEY).send().await.expect("status");
            let json: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap_or_default()).unwrap_or_default();
            if json["status"] == "COMPLETED" || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let submissions = CLIENTS * REQUESTS_PER_CLIENT / SUBMIT_EVERY + 1;
    upstream.fail_next(Failure { count: Some(2 * submissions as u32), ..Failure::new(422, BodyKind::Json) });

    println!("load: {CLIENTS} concurrent clients x {REQUESTS_PER_CLIENT} requests (1 in {SUBMIT_EVERY} a job submission, the rest job-result reads), loopback");
    let via_proxy = run(&proxy_url, |i| Some(tokens[i].clone()), &jobs, &body).await;
    let direct = run(&upstream.url(), |_| Some(KEY.to_string()), &jobs, &body).await;
    report("proxy", &via_proxy);
    report("direct", &direct);
    println!(
        "added by the proxy: p50 +{:.2} ms, p99 +{:.2} ms; proxy peak memory {:.1} MB",
        percentile(&via_proxy.latencies_ms, 0.5) - percentile(&direct.latencies_ms, 0.5),
        percentile(&via_proxy.latencies_ms, 0.99) - percentile(&direct.latencies_ms, 0.99),
        peak_rss_mb(child.id()),
    );
    let _ = child.kill();
    let _ = child.wait();
    upstream.stop().await;
    if via_proxy.lost + via_proxy.mixed_up > 0 {
        eprintln!("answers were lost or mixed up through the proxy");
        std::process::exit(1);
    }
}
