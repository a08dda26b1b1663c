//! A proxy that keeps the Segmind API key on a server, fit to be put on the
//! internet.
//!
//! - [`routes`]: exactly the SadTalker API's requests are forwarded (v1/v2
//!   submit, a job's status and result, credits, upload-asset), matched on
//!   the raw path; anything else is a JSON 404 that never reaches upstream.
//! - [`access`]: who may call (client tokens, or pages from allowed origins)
//!   and how much (runs per minute and per day per client, a daily cap for
//!   the whole proxy, a separate generous budget for reads), each over a
//!   rolling window, counted in this process or in Redis shared by replicas.
//! - [`forward`]: the operator's key added, bodies within a shared memory
//!   budget, answers streamed back, v2 URLs rewritten to the public URL.
//! - [`observe`]: one access-log line per request (text or JSON; never keys,
//!   queries or bodies) and Prometheus metrics at `/metrics`.
//! - `idle`: connections with no traffic for the idle timeout are closed.
//!
//! (Longer than most files: the server's wiring, its configuration and its
//! shutdown are kept together; the rules live in the modules below.)

pub mod access;
mod forward;
mod idle;
pub mod observe;
pub mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use thiserror::Error;
use tower_http::cors::{AllowOrigin, CorsLayer};

use access::{Limits, Refusal, Token};
use routes::{Cost, Route};

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

impl ApiKey {
    /// The key itself, for the upstream header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
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
    #[error("the public URL \"{url}\" is not usable: {reason}")]
    BadPublicUrl { url: String, reason: String },
    #[error("{0}")]
    Tokens(#[from] access::TokensError),
    #[error("Redis at the given --redis-url could not be reached: {0}")]
    Redis(String),
    #[error("the idle timeout must be longer than the upstream timeout (a run's connection is quiet until its answer comes)")]
    IdleTimeout,
}

/// Checks `--public-url`: http(s), a host, an optional path prefix; no trailing slash.
pub fn parse_public_url(text: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::BadPublicUrl { url: text.to_string(), reason: reason.to_string() };
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("it has no query, fragment or user name"));
    }
    let path = url.path().trim_end_matches('/');
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_')) {
        return Err(bad("its path may hold only letters, digits, -, _ and /"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
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
    /// Client tokens; when there are any, every request needs one.
    pub tokens: Vec<Token>,
    /// Limits for clients without a token of their own (pages, by IP).
    pub default_limits: Limits,
    /// Runs in any 24 hours for the whole proxy (all clients, all replicas).
    pub proxy_runs_per_day: u32,
    /// Where counts are kept: `None` in this process, else a Redis URL.
    pub redis_url: Option<String>,
    /// The URL clients reach this proxy at (v2 URLs are built on it; its path is a prefix).
    pub public_url: Option<String>,
    /// Believe `X-Forwarded-*` headers (only behind a reverse proxy you run).
    pub trust_forwarded: bool,
    pub max_body_bytes: usize,
    /// Memory all request bodies may take at once.
    pub body_memory_bytes: usize,
    /// Requests handled at once; more get a JSON 503.
    pub max_in_flight: usize,
    /// How long a request body may take to arrive.
    pub body_read_timeout: Duration,
    /// Above the model's ~2 minutes, cold starts included.
    pub upstream_timeout: Duration,
    /// How long a shutdown waits for running requests.
    pub shutdown_deadline: Duration,
    /// A connection with no traffic for this long is closed (above `upstream_timeout`).
    pub idle_timeout: Duration,
}

impl Config {
    pub fn new(api_key: ApiKey) -> Self {
        Config {
            api_key,
            upstream: DEFAULT_UPSTREAM.into(),
            upload_upstream: DEFAULT_UPLOAD_UPSTREAM.into(),
            allowed_origins: Vec::new(),
            tokens: Vec::new(),
            default_limits: Limits::default(),
            proxy_runs_per_day: 500,
            redis_url: None,
            public_url: None,
            trust_forwarded: false,
            max_body_bytes: 64 * 1024 * 1024,
            body_memory_bytes: 256 * 1024 * 1024,
            max_in_flight: 256,
            body_read_timeout: Duration::from_secs(60),
            upstream_timeout: Duration::from_secs(600),
            shutdown_deadline: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(660),
        }
    }

    /// The public URL's path prefix ("" or "/segmind").
    fn prefix(&self) -> String {
        self.public_url.as_deref().and_then(|u| url::Url::parse(u).ok()).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default()
    }
}

pub(crate) struct AppState {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    counters: access::Store,
    in_flight: Arc<tokio::sync::Semaphore>,
    pub(crate) body_memory: Arc<tokio::sync::Semaphore>,
    pub(crate) body_budget_kb: u32,
    prefix: String,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Set when the shutdown deadline has passed: running requests end then.
    pub(crate) hard_stop: tokio::sync::watch::Receiver<bool>,
    #[cfg(feature = "test-hooks")]
    records: std::sync::Mutex<Vec<observe::Record>>,
}

pub struct Running {
    pub addr: SocketAddr,
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What this proxy answered (tests only; production has the log).
    #[cfg(feature = "test-hooks")]
    pub fn records(&self) -> Vec<observe::Record> {
        self.state.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Stops accepting, lets running requests finish until the deadline, then returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Serves on `addr` until [`Running::stop`].
pub async fn start(config: Config, addr: SocketAddr) -> Result<Running, ConfigError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| ConfigError::BadUpstream { url: addr.to_string(), reason: e.to_string() })?;
    let addr = listener.local_addr().map_err(|e| ConfigError::BadUpstream { url: addr.to_string(), reason: e.to_string() })?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.upstream_timeout)
        .build()
        .map_err(|e| ConfigError::BadUpstream { url: config.upstream.clone(), reason: e.to_string() })?;
    let counters = match &config.redis_url {
        Some(url) => access::Store::Redis(access::RedisCounters::connect(url).await.map_err(ConfigError::Redis)?),
        None => access::Store::Memory(access::MemoryCounters::default()),
    };
    let body_budget_kb = (config.body_memory_bytes / 1024).clamp(1, u32::MAX as usize >> 4) as u32;
    let (hard_stop_tx, hard_stop) = tokio::sync::watch::channel(false);
    let state = Arc::new(AppState {
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1))),
        body_memory: Arc::new(tokio::sync::Semaphore::new(body_budget_kb as usize)),
        body_budget_kb,
        prefix: config.prefix(),
        metrics: observe::metrics_handle(),
        hard_stop,
        config,
        http,
        counters,
        #[cfg(feature = "test-hooks")]
        records: std::sync::Mutex::default(),
    });
    let app = router(state.clone());
    let deadline = state.config.shutdown_deadline;
    let listener = idle::IdleListener { inner: listener, timeout: state.config.idle_timeout };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<idle::Peer>()).with_graceful_shutdown(async move {
            let _ = rx.await;
            let _ = stopping_tx.send(());
        });
        let server = std::pin::pin!(std::future::IntoFuture::into_future(server));
        // Once told to stop, running requests get `deadline`, not for ever.
        let deadline_after_stop = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(deadline).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server => if let Err(e) = result { tracing::error!(error = %e, "server stopped") },
            () = deadline_after_stop => {
                tracing::warn!("shutdown deadline passed: dropping the requests still running");
                let _ = hard_stop_tx.send(true);
            }
        }
    });
    Ok(Running { addr, state, shutdown: Some(tx), task })
}

fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.config.allowed_origins.clone()))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("x-api-key")])
        .expose_headers(["x-remaining-credits", "x-credits-consumed", "retry-after", "x-stand-in"].map(HeaderName::from_static))
        .max_age(Duration::from_secs(600));
    let metrics = state.metrics.clone();
    Router::new()
        .route("/health", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
        .route("/metrics", get(move || std::future::ready(metrics.render())))
        .fallback(handle)
        .layer(cors)
        .with_state(state)
}

pub(crate) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn refused(refusal: &Refusal) -> Response {
    metrics::counter!("proxy_refusals_total", "reason" => refusal.reason()).increment(1);
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = json_error(status, refusal.to_string());
    if let Some(secs) = refusal.retry_after_secs() {
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// Who is calling, by the rules in [`access`]: a token's name, or a page's IP.
fn client_of(config: &Config, request: &Request, peer: IpAddr) -> Result<(String, Limits), Refusal> {
    let origin = request.headers().get(header::ORIGIN);
    if origin.is_some_and(|o| !config.allowed_origins.contains(o)) {
        return Err(Refusal::OriginNotAllowed);
    }
    if !config.tokens.is_empty() {
        let sent = request.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
        return config
            .tokens
            .iter()
            .find(|t| constant_time_eq(t.secret.as_bytes(), sent.as_bytes()))
            .map(|t| (format!("token:{}", t.name), t.limits))
            .ok_or(Refusal::BadToken);
    }
    if origin.is_none() {
        return Err(Refusal::NoOrigin);
    }
    Ok((format!("ip:{peer}"), config.default_limits))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A future that resolves once the shutdown deadline has passed.
pub(crate) async fn deadline_passed(mut hard_stop: tokio::sync::watch::Receiver<bool>) {
    let _ = hard_stop.wait_for(|stop| *stop).await;
}

async fn handle(State(state): State<Arc<AppState>>, ConnectInfo(idle::Peer(peer)): ConnectInfo<idle::Peer>, request: Request) -> Response {
    let hard_stop = state.hard_stop.clone();
    tokio::select! {
        response = serve(state, peer, request) => response,
        () = deadline_passed(hard_stop) => json_error(StatusCode::SERVICE_UNAVAILABLE, "The proxy is shutting down; try again"),
    }
}

async fn serve(state: Arc<AppState>, peer: SocketAddr, request: Request) -> Response {
    let log = observe::AccessLog::start(&request);
    let Ok(_slot) = state.in_flight.clone().try_acquire_owned() else {
        return log.finish(&state, "busy", json_error(StatusCode::SERVICE_UNAVAILABLE, "The proxy is handling as many requests as it may; try again shortly"));
    };
    let Some(route) = routes::route(request.method(), request.uri().path(), &state.prefix) else {
        return log.finish(&state, "none", json_error(StatusCode::NOT_FOUND, "This proxy forwards the SadTalker API's requests only"));
    };
    let (client, limits) = match client_of(&state.config, &request, peer.ip()) {
        Ok(client) => client,
        Err(refusal) => return log.finish(&state, route.label(), refused(&refusal)),
    };
    if let Err(refusal) = access::admit(&state.counters, &client, limits, state.config.proxy_runs_per_day, route.cost()).await {
        return log.finish(&state, route.label(), refused(&refusal));
    }
    let public_base = forward::public_base(&state.config, request.headers());
    let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
    let (headers, body) = {
        let (parts, body) = request.into_parts();
        (parts.headers, body)
    };
    let (bytes, _memory) = if matches!(route, Route::SubmitOneShot | Route::SubmitJob | Route::Upload) {
        match forward::read_body(&state, &headers, body).await {
            Ok(read) => (read.0, Some(read.1)),
            Err(response) => return log.finish(&state, route.label(), response),
        }
    } else {
        (axum::body::Bytes::new(), None)
    };
    let response = forward::forward(state.clone(), &route, content_type, bytes, &public_base).await;
    if route.cost() == Cost::Run && response.status().is_success() {
        metrics::counter!("proxy_runs_submitted_total", "route" => route.label()).increment(1);
    }
    log.finish(&state, route.label(), response)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_public_url("https://p.example/segmind/").as_deref(), Ok("https://p.example/segmind"));
        assert!(parse_public_url("https://p.example/a%2e").is_err());
        let config = Config { public_url: Some("https://p.example/segmind".into()), ..Config::new(ApiKey::new("k").expect("key")) };
        assert_eq!(config.prefix(), "/segmind");
    }
}
