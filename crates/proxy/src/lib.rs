//! A proxy that keeps the Segmind API key on a server.
//!
//! It forwards the API's paths (`/v1/sadtalker`, `/v2/sadtalker` and its
//! status/response URLs, `/v1/get-user-credits`, `/upload-asset`) to the
//! upstream, adding `x-api-key` itself; the browser never needs the key.
//! Answers stream back unchanged, so a 50 MB video never sits whole in memory.
//! Around that: CORS for the configured origins only (others get 403), a body
//! size limit (JSON 413), a per-client rate limit (429 + `Retry-After`), an
//! upstream timeout, an access log without keys or bodies, and `/health`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use thiserror::Error;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub const DEFAULT_UPSTREAM: &str = "https://api.segmind.com";
pub const DEFAULT_UPLOAD_UPSTREAM: &str = "https://workflows-api.segmind.com";

/// The API key, kept out of `Debug` output and logs.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: &str) -> Result<Self, ConfigError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(ConfigError::MissingKey);
        }
        if HeaderValue::from_str(key).is_err() {
            return Err(ConfigError::KeyNotHeaderSafe);
        }
        Ok(ApiKey(key.to_string()))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("no API key: set SEGMIND_API_KEY or pass --key-file <file>")]
    MissingKey,
    #[error("the API key has characters an HTTP header can't carry (a line break?)")]
    KeyNotHeaderSafe,
    #[error("the key file {path} could not be read: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("the upstream URL \"{url}\" is not usable: {reason}")]
    BadUpstream { url: String, reason: String },
    #[error("the allowed origin \"{0}\" is not an origin like https://studio.example.com")]
    BadOrigin(String),
}

/// Checks an upstream base URL: http(s), a host, no query; no trailing slash.
pub fn parse_upstream(text: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::BadUpstream { url: text.to_string(), reason: reason.to_string() };
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("it must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("a base URL has no query, fragment or user name"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// An origin as browsers send it: scheme, host and port, nothing else.
pub fn parse_origin(text: &str) -> Result<HeaderValue, ConfigError> {
    let url = url::Url::parse(text).map_err(|_| ConfigError::BadOrigin(text.into()))?;
    let origin = url.origin().ascii_serialization();
    if origin == "null" || text.trim_end_matches('/') != origin {
        return Err(ConfigError::BadOrigin(text.into()));
    }
    HeaderValue::from_str(&origin).map_err(|_| ConfigError::BadOrigin(text.into()))
}

#[derive(Clone, Debug)]
pub struct Config {
    pub api_key: ApiKey,
    /// Base URL of the API (no trailing slash).
    pub upstream: String,
    /// Base URL of the asset upload service.
    pub upload_upstream: String,
    /// Origins whose pages may call the proxy; others are refused.
    pub allowed_origins: Vec<HeaderValue>,
    pub max_body_bytes: usize,
    /// Requests a client (by IP) may make a minute; the burst is the same.
    pub requests_per_minute: u32,
    /// Above the model's ~2 minutes, cold starts included.
    pub upstream_timeout: Duration,
}

impl Config {
    pub fn new(api_key: ApiKey) -> Self {
        Config {
            api_key,
            upstream: DEFAULT_UPSTREAM.into(),
            upload_upstream: DEFAULT_UPLOAD_UPSTREAM.into(),
            allowed_origins: Vec::new(),
            max_body_bytes: 64 * 1024 * 1024,
            requests_per_minute: 30,
            upstream_timeout: Duration::from_secs(600),
        }
    }
}

/// One forwarded request, as the access log records it.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessRecord {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// Whether the browser sent a key of its own (it is dropped either way).
    pub client_sent_key: bool,
}

struct AppState {
    config: Config,
    http: reqwest::Client,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    records: Mutex<Vec<AccessRecord>>,
}

pub struct Running {
    pub addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn records(&self) -> Vec<AccessRecord> {
        self.state.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Stops accepting, lets running requests finish, then returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Serves on `addr` until [`Running::stop`] or `shutdown` resolves.
pub async fn start(config: Config, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.upstream_timeout)
        .build()
        .map_err(std::io::Error::other)?;
    let per_minute = NonZeroU32::new(config.requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let limiter = RateLimiter::keyed(Quota::per_minute(per_minute));
    let state = Arc::new(AppState { config, http, limiter, records: Mutex::default() });
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, state, shutdown: Some(tx), task })
}

fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.config.allowed_origins.clone()))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("x-api-key")])
        .expose_headers(
            ["x-remaining-credits", "x-credits-consumed", "retry-after", "x-stand-in"].map(HeaderName::from_static),
        )
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/health", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
        .fallback(forward)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(cors)
        .with_state(state)
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Origin check and rate limit, before anything reaches the upstream.
async fn guard(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        if !state.config.allowed_origins.contains(origin) {
            return json_error(StatusCode::FORBIDDEN, "This proxy does not serve pages from this origin");
        }
    }
    let exempt = request.method() == Method::OPTIONS || request.uri().path() == "/health";
    if !exempt {
        if let Err(not_until) = state.limiter.check_key(&peer.ip()) {
            let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
            let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, format!("Rate limit: try again in {wait} s"));
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    next.run(request).await
}

/// Which upstream URL a proxy path maps to; `None` for paths it doesn't serve.
fn upstream_url(config: &Config, path_and_query: &str) -> Option<String> {
    let path = path_and_query.split('?').next().unwrap_or_default();
    if path.contains("..") {
        return None;
    }
    if path == "/upload-asset" {
        return Some(format!("{}{path_and_query}", config.upload_upstream));
    }
    let api_path = path == "/v1/sadtalker"
        || path == "/v2/sadtalker"
        || path == "/v1/get-user-credits"
        || path.starts_with("/v2/requests/");
    api_path.then(|| format!("{}{path_and_query}", config.upstream))
}

/// Response headers passed back to the page.
const PASSED_BACK: [HeaderName; 3] = [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::RETRY_AFTER];
const PASSED_BACK_CUSTOM: [&str; 3] = ["x-remaining-credits", "x-credits-consumed", "x-stand-in"];

async fn forward(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let path_and_query = request.uri().path_and_query().map_or(path.clone(), |p| p.as_str().to_string());
    let client_sent_key = request.headers().contains_key("x-api-key");
    let public_base = public_base(request.headers());
    let log = AccessLog { state: state.clone(), method: method.to_string(), path: path.clone(), started, client_sent_key };

    let Some(target) = upstream_url(&state.config, &path_and_query) else {
        return log.finish(json_error(StatusCode::NOT_FOUND, "This proxy forwards the SadTalker API's paths only"));
    };
    if request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
        > Some(state.config.max_body_bytes)
    {
        return log.finish(too_large(state.config.max_body_bytes));
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
    // Bodies are small JSON or inline inputs up to the limit; buffering them
    // means an oversized one is refused before the upstream sees a byte.
    let body = match axum::body::to_bytes(request.into_body(), state.config.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => return log.finish(too_large(state.config.max_body_bytes)),
    };

    let mut upstream = state.http.request(method.clone(), &target).header("x-api-key", &state.config.api_key.0);
    if let Some(content_type) = content_type {
        upstream = upstream.header(header::CONTENT_TYPE, content_type);
    }
    if method != Method::GET {
        upstream = upstream.body(body);
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => return log.finish(json_error(StatusCode::GATEWAY_TIMEOUT, "The upstream took too long")),
        Err(_) => return log.finish(json_error(StatusCode::BAD_GATEWAY, "The proxy could not reach the upstream")),
    };

    let status = answer.status();
    let mut headers = HeaderMap::new();
    for name in PASSED_BACK {
        if let Some(value) = answer.headers().get(&name) {
            headers.insert(name, value.clone());
        }
    }
    for name in PASSED_BACK_CUSTOM {
        if let Some(value) = answer.headers().get(name) {
            headers.insert(HeaderName::from_static(name), value.clone());
        }
    }

    // v2's status/response URLs point at the upstream; point them back here.
    if path == "/v2/sadtalker" && status.is_success() {
        let bytes = answer.bytes().await.unwrap_or_default();
        let body = rewrite_job_urls(&bytes, &state.config.upstream, &public_base);
        headers.remove(header::CONTENT_LENGTH);
        let mut response = (status, headers, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return log.finish(response);
    }

    // Everything else streams through chunk by chunk.
    log.finish((status, headers, Body::from_stream(answer.bytes_stream())).into_response())
}

fn too_large(limit: usize) -> Response {
    json_error(StatusCode::PAYLOAD_TOO_LARGE, format!("The request body is larger than this proxy's limit of {} MB", limit / 1024 / 1024))
}

/// The proxy's own base URL as the client reached it.
fn public_base(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

/// Rewrites `status_url` / `response_url` that start with the upstream base.
fn rewrite_job_urls(body: &Bytes, upstream: &str, public_base: &str) -> Bytes {
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else { return body.clone() };
    for key in ["status_url", "response_url"] {
        if let Some(serde_json::Value::String(url)) = json.get_mut(key) {
            if let Some(rest) = url.strip_prefix(upstream) {
                *url = format!("{public_base}{rest}");
            }
        }
    }
    Bytes::from(json.to_string())
}

/// Writes one access-log line per request when its answer has been sent:
/// method, path (never the query), status, bytes, milliseconds. Never a key or a body.
struct AccessLog {
    state: Arc<AppState>,
    method: String,
    path: String,
    started: Instant,
    client_sent_key: bool,
}

#[derive(Clone, Default)]
struct ByteCounter(Arc<std::sync::atomic::AtomicUsize>);

impl ByteCounter {
    fn add(&self, n: usize) {
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Logs when the streamed body is finished (or dropped by a client that left).
struct StreamDone {
    record: AccessRecord,
    started: Instant,
    bytes: ByteCounter,
}

impl Drop for StreamDone {
    fn drop(&mut self) {
        let bytes = self.bytes.0.load(std::sync::atomic::Ordering::Relaxed);
        log_line(&self.record, bytes, self.started);
    }
}

fn log_line(record: &AccessRecord, bytes: usize, started: Instant) {
    tracing::info!(
        target: "access",
        method = %record.method,
        path = %record.path,
        status = record.status,
        bytes,
        ms = started.elapsed().as_millis() as u64,
        client_sent_key = record.client_sent_key,
    );
}

impl AccessLog {
    fn finish(self, response: Response) -> Response {
        let record = AccessRecord {
            method: self.method,
            path: self.path,
            status: response.status().as_u16(),
            client_sent_key: self.client_sent_key,
        };
        if let Ok(mut records) = self.state.records.lock() {
            records.push(record.clone());
        }
        let (parts, body) = response.into_parts();
        let done = StreamDone { record, started: self.started, bytes: ByteCounter::default() };
        let bytes = done.bytes.clone();
        // The log line is written when the body stream ends or is dropped.
        let stream = body.into_data_stream().map(move |chunk| {
            let _keep = &done;
            if let Ok(data) = &chunk {
                bytes.add(data.len());
            }
            chunk
        });
        Response::from_parts(parts, Body::from_stream(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config { upstream: "http://up.example".into(), upload_upstream: "http://files.example".into(), ..Config::new(ApiKey::new("k").expect("key")) }
    }

    #[test]
    fn only_the_apis_paths_are_forwarded() {
        let c = config();
        assert_eq!(upstream_url(&c, "/v1/sadtalker").as_deref(), Some("http://up.example/v1/sadtalker"));
        assert_eq!(upstream_url(&c, "/v2/requests/abc/status?x=1").as_deref(), Some("http://up.example/v2/requests/abc/status?x=1"));
        assert_eq!(upstream_url(&c, "/upload-asset").as_deref(), Some("http://files.example/upload-asset"));
        assert_eq!(upstream_url(&c, "/v1/other-model"), None);
        assert_eq!(upstream_url(&c, "/v2/requests/../../admin"), None);
        assert_eq!(upstream_url(&c, "/"), None);
    }

    #[test]
    fn config_errors_are_clear() {
        assert_eq!(ApiKey::new("  ").unwrap_err(), ConfigError::MissingKey);
        assert_eq!(ApiKey::new("a\nb").unwrap_err(), ConfigError::KeyNotHeaderSafe);
        assert_eq!(format!("{:?}", ApiKey::new("sg_secret").expect("key")), "ApiKey(<hidden>)");
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("not a url").is_err());
        assert_eq!(parse_upstream("http://127.0.0.1:9/").as_deref(), Ok("http://127.0.0.1:9"));
        assert!(parse_origin("https://studio.example.com").is_ok());
        assert!(parse_origin("https://studio.example.com/page").is_err());
        assert!(parse_origin("*").is_err());
    }

    #[test]
    fn job_urls_point_back_at_the_proxy() {
        let body = Bytes::from(r#"{"request_id":"r1","status_url":"http://up.example/v2/requests/r1/status","response_url":"http://up.example/v2/requests/r1"}"#);
        let out: serde_json::Value = serde_json::from_slice(&rewrite_job_urls(&body, "http://up.example", "http://proxy:1")).expect("json");
        assert_eq!(out["status_url"], "http://proxy:1/v2/requests/r1/status");
        assert_eq!(out["response_url"], "http://proxy:1/v2/requests/r1");
        assert_eq!(out["request_id"], "r1");
    }
}
