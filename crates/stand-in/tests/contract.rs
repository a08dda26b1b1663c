//! The stand-in keeps the API's documented contract (paths, key check, errors, CORS, real MP4 answers).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use stand_in::{BodyKind, Config, Failure, DEFAULT_KEY};

fn samples() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../media/generated");
    assert!(dir.join("portrait.jpg").is_file(), "sample media missing: run scripts/make-media.sh");
    dir
}

async fn start(delay_ms: u64) -> stand_in::Running {
    let config = Config { delay: Duration::from_millis(delay_ms), samples_dir: Some(samples()), ..Config::default() };
    stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("starts")
}

fn body(s: &stand_in::Running, extra: serde_json::Value) -> String {
    let mut body = serde_json::json!({
        "input_image": format!("{}/samples/portrait.jpg", s.url()),
        "input_audio": format!("{}/samples/voice.mp3", s.url()),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body.to_string()
}

async fn post(s: &stand_in::Running, path: &str, key: Option<&str>, body: String, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(format!("{}{path}", s.url())).header("content-type", "application/json").body(body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answer")
}

async fn json_of(response: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&response.bytes().await.expect("body")).expect("JSON body")
}

/// What ffprobe says the streams are, e.g. ["video h264 512x512", "audio aac"].
fn streams(video: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v.mp4");
    std::fs::write(&path, video).expect("write");
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.replace(',', " ")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_answers_a_real_h264_aac_mp4_at_the_requested_size() {
    let s = start(0).await;
    let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({"image_size": "512"})), &[]).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "video/mp4");
    assert!(answer.headers()["x-stand-in"].to_str().is_ok_and(|v| v.contains("not the Segmind API")));
    let streams = streams(&answer.bytes().await.expect("video"));
    assert!(streams.iter().any(|s| s.starts_with("h264 video 512 512")), "{streams:?}");
    assert!(streams.iter().any(|s| s.starts_with("aac audio")), "{streams:?}");

    let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({"base64": true})), &[]).await;
    let json = json_of(answer).await;
    assert!(json["video"].as_str().is_some_and(|v| v.len() > 1000), "base64 video under \"video\"");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_inputs_are_rendered_once() {
    let s = start(0).await;
    let video = async |size: &str| {
        let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({"image_size": size})), &[]).await;
        assert_eq!(answer.status(), 200);
        answer.bytes().await.expect("video")
    };
    let first = video("256").await;
    let again = video("256").await;
    assert_eq!(s.renders_made(), 1, "the second answer comes from the first render");
    assert_eq!(first, again);
    let bigger = video("512").await;
    assert_eq!(s.renders_made(), 2, "another size is another video");
    assert!(streams(&bigger).iter().any(|v| v.starts_with("h264 video 512 512")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_fields_are_checked_with_json_errors() {
    let s = start(0).await;
    let answer = post(&s, "/v1/sadtalker", None, body(&s, serde_json::json!({})), &[]).await;
    assert_eq!(answer.status(), 401);
    assert!(json_of(answer).await["error"].as_str().is_some_and(|e| e.contains("Missing API key")));
    let answer = post(&s, "/v1/sadtalker", Some("wrong"), body(&s, serde_json::json!({})), &[]).await;
    assert_eq!(answer.status(), 401);
    let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({"pose_style": 99})), &[]).await;
    assert_eq!(answer.status(), 400);
    assert!(json_of(answer).await["error"].as_str().is_some_and(|e| e.contains("pose_style")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn documented_errors_come_on_demand_in_each_body_kind() {
    let s = start(0).await;
    for status in [400u16, 401, 403, 404, 406, 429, 500, 502, 504] {
        for (kind, content_type) in [("json", "application/json"), ("text", "text/plain"), ("html", "text/html")] {
            let code = status.to_string();
            let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[("x-stand-in-fail", &code), ("x-stand-in-fail-body", kind)]).await;
            assert_eq!(answer.status().as_u16(), status);
            let ct = answer.headers()["content-type"].to_str().unwrap_or_default().to_string();
            assert!(ct.starts_with(content_type), "{status} {kind}: {ct}");
        }
    }
    s.fail_next(Failure { retry_after: Some(3), ..Failure::new(429, BodyKind::Json) });
    let answer = post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[]).await;
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.headers()["retry-after"], "3");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_pages_on_this_machine_only() {
    let s = start(0).await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{}/v1/sadtalker", s.url()))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-api-key")
            .send()
    };
    let ok = preflight("http://127.0.0.1:5555").await.expect("answer");
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://127.0.0.1:5555");
    let refused = preflight("https://elsewhere.example").await.expect("answer");
    assert!(!refused.headers().contains_key("access-control-allow-origin"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_jobs_run_in_the_background_and_fail_with_422() {
    let s = start(300).await;
    let ticket = json_of(post(&s, "/v2/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[]).await).await;
    let status_url = ticket["status_url"].as_str().expect("status_url").to_string();
    let response_url = ticket["response_url"].as_str().expect("response_url").to_string();
    assert!(ticket["request_id"].as_str().is_some());
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..100 {
        let status = json_of(client.get(&status_url).header("x-api-key", DEFAULT_KEY).send().await.expect("status")).await;
        let state = status["status"].as_str().unwrap_or_default().to_string();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "COMPLETED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.last().map(String::as_str), Some("COMPLETED"), "{seen:?}");
    assert!(seen.contains(&"PROCESSING".to_string()) || seen.contains(&"QUEUED".to_string()), "{seen:?}");
    let answer = json_of(client.get(&response_url).header("x-api-key", DEFAULT_KEY).send().await.expect("response")).await;
    let output = answer["output"].as_str().expect("output URL");
    let video = client.get(output).send().await.expect("video").bytes().await.expect("bytes");
    assert_eq!(&video[4..8], b"ftyp");
    let unauthorized = client.get(&status_url).send().await.expect("status");
    assert_eq!(unauthorized.status(), 401);

    let ticket = json_of(post(&s, "/v2/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[("x-stand-in-job-fail", "No face found in input_image")]).await).await;
    let status_url = ticket["status_url"].as_str().expect("status_url").to_string();
    let mut last = (0u16, serde_json::Value::Null);
    for _ in 0..100 {
        let answer = client.get(&status_url).header("x-api-key", DEFAULT_KEY).send().await.expect("status");
        last = (answer.status().as_u16(), json_of(answer).await);
        if last.1["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last.0, 422);
    assert_eq!(last.1["error"], "No face found in input_image");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_goes_away_is_recorded_as_dropped() {
    let s = start(3000).await;
    let url = format!("{}/v1/sadtalker", s.url());
    let request = reqwest::Client::new().post(url).header("x-api-key", DEFAULT_KEY).body(body(&s, serde_json::json!({})));
    let _ = tokio::time::timeout(Duration::from_millis(300), request.send()).await;
    let mut dropped = false;
    for _ in 0..50 {
        dropped = s.seen().iter().any(|r| r.dropped);
        if dropped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dropped, "the stand-in noticed the closed connection: {:?}", s.seen());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_per_minute_submission_limit_refuses_with_429_and_retry_after_and_spares_reads() {
    let config = Config { delay: Duration::from_millis(0), samples_dir: Some(samples()), submissions_per_minute: Some(2), ..Config::default() };
    let s = stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("starts");
    let mut statuses = Vec::new();
    let mut tickets = Vec::new();
    for _ in 0..3 {
        let answer = post(&s, "/v2/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[]).await;
        statuses.push(answer.status().as_u16());
        if answer.status() == 429 {
            let wait = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
            assert!(wait.is_some_and(|w| (1..=60).contains(&w)), "Retry-After in seconds: {wait:?}");
            let message = json_of(answer).await;
            assert!(message["error"].as_str().is_some_and(|m| m.contains("2 requests per minute")), "{message}");
        } else {
            tickets.push(json_of(answer).await);
        }
    }
    assert_eq!(statuses, [200, 200, 429], "the third submission in a minute is refused");
    // A one-shot run counts the same.
    assert_eq!(post(&s, "/v1/sadtalker", Some(DEFAULT_KEY), body(&s, serde_json::json!({})), &[]).await.status(), 429);
    // Reading a job is not a submission.
    let status_url = tickets[0]["status_url"].as_str().expect("status_url").to_string();
    let read = reqwest::Client::new().get(&status_url).header("x-api-key", DEFAULT_KEY).send().await.expect("status");
    assert_eq!(read.status(), 200);
    s.stop().await;
}

/// A page file with a gzip copy beside it (scripts/precompress.sh) is sent as
/// that copy to a client that takes gzip, with its own type; as it is to one
/// that does not; a file without a copy is sent as it is.
#[tokio::test(flavor = "multi_thread")]
async fn page_files_go_out_as_their_gzip_copy_when_the_client_takes_gzip() {
    let site = tempfile::tempdir().expect("tmp");
    let script = "export const answer = 42;\n".repeat(40);
    std::fs::write(site.path().join("page.js"), &script).expect("write");
    std::fs::write(site.path().join("plain.css"), "body { margin: 0 }").expect("write");
    let made = std::process::Command::new("gzip").args(["-9", "-k"]).arg(site.path().join("page.js")).status().expect("gzip runs");
    assert!(made.success(), "gzip copy made");
    let copy = std::fs::read(site.path().join("page.js.gz")).expect("copy");
    let config = Config { static_dir: Some(site.path().to_path_buf()), ..Config::default() };
    let s = stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("starts");
    let get = |path: &str, gzip: bool| {
        let mut request = reqwest::Client::new().get(format!("{}{path}", s.url()));
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        request.send()
    };
    let header = |r: &reqwest::Response, name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();

    let compressed = get("/page.js", true).await.expect("answer");
    assert_eq!(header(&compressed, "content-encoding"), "gzip");
    assert!(header(&compressed, "content-type").contains("javascript"), "its own type: {:?}", compressed.headers());
    let vary: Vec<String> = compressed.headers().get_all("vary").iter().filter_map(|v| v.to_str().ok()).map(str::to_ascii_lowercase).collect();
    assert!(vary.iter().any(|v| v.contains("accept-encoding")), "caches are told the answer depends on Accept-Encoding: {vary:?}");
    assert_eq!(compressed.bytes().await.expect("body").to_vec(), copy, "the copy's bytes");

    let plain = get("/page.js", false).await.expect("answer");
    assert_eq!(header(&plain, "content-encoding"), "");
    assert_eq!(plain.bytes().await.expect("body").to_vec(), script.as_bytes(), "the file itself");

    let uncopied = get("/plain.css", true).await.expect("answer");
    assert_eq!(header(&uncopied, "content-encoding"), "");
    assert_eq!(uncopied.text().await.expect("body"), "body { margin: 0 }");
    s.stop().await;
}
