//! A local stand-in for the Segmind SadTalker API (its contract as the README and `src/request` describe it).
//!
//! It keeps the contract — paths, the `x-api-key` check, 400s that name the
//! field, the documented error codes on demand, CORS for pages on this
//! machine — and answers with a real H.264/AAC MP4 made by ffmpeg from the
//! request's own portrait and voice. It does not animate a face, and says so
//! in every answer's `x-stand-in` header.
//!
//! Test hooks (not part of the real API), all under `/_stand-in/`:
//! - `POST /_stand-in/fail-next` with [`Failure`] as JSON: the next API
//!   request(s) get that status and body kind.
//! - `GET /_stand-in/requests`: what the stand-in has seen ([`SeenRequest`]).
//! - The header `x-stand-in-fail: <status>` (optionally `x-stand-in-fail-body:
//!   json|text|html`) fails just that request; `x-stand-in-delay-ms` sets its wait.
//!
//! (Longer than most files: the contract's routes and the test hooks that
//! drive them are one surface; failures and jobs have their own files.)

mod failure;
mod inputs;
mod render;
mod validate;
mod jobs;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Serialize;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

pub use failure::{BodyKind, Failure};
use validate::ParsedRequest;

/// The key the stand-in accepts unless told otherwise (the page knows it too).
pub const DEFAULT_KEY: &str = contract::STAND_IN_KEY;
/// Largest request body accepted: two inline inputs of ~20 MB as base64.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The page's Content-Security-Policy (the same text as the meta tag in
/// `index.html`; a test keeps them equal), sent with every page it serves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' blob: data: http: https:; media-src 'self' blob: data: http: https:; connect-src 'self' blob: data: http: https:; \
object-src 'none'; base-uri 'none'; form-action 'none'";

/// The value of the `x-stand-in` header on every answer.
pub const STAND_IN_NOTICE: &str = "local stand-in; not the Segmind API; the face is not animated";

#[derive(Clone, Debug)]
pub struct Config {
    /// The only `x-api-key` accepted.
    pub api_key: String,
    /// How long a successful run waits before answering (the real one takes ~119 s).
    pub delay: Duration,
    /// The built page (`dist/` of scripts/build.sh), served at `/` when given; a file's `.gz` copy beside it
    /// (scripts/precompress.sh) is sent instead to clients that take gzip.
    pub static_dir: Option<PathBuf>,
    /// Sample media, served at `/samples/`.
    pub samples_dir: Option<PathBuf>,
    /// The account balance reported at start; each run takes `contract::PRICE_PER_RUN_USD`.
    pub credits: f64,
    /// Like the provider's free plan (5 a minute): submissions past this many
    /// in the last 60 s get a 429 with `Retry-After`. Reads are not counted.
    pub submissions_per_minute: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: DEFAULT_KEY.into(),
            delay: Duration::from_millis(1500),
            static_dir: None,
            samples_dir: None,
            credits: 100.0,
            submissions_per_minute: None,
        }
    }
}

/// Which read of a job a queued fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadTarget {
    /// `GET <status_url>`.
    Status,
    /// `GET <response_url>`.
    Result,
    /// The finished video's own link.
    Video,
}

/// One API request as the stand-in saw it; keys are never recorded, only whether one came.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub had_key: bool,
    /// The key that came was the one this stand-in accepts.
    pub right_key: bool,
    pub status: u16,
    pub body_bytes: usize,
    /// The client closed the connection before the answer (a cancel).
    pub dropped: bool,
}

struct AppState {
    config: Config,
    seen: Mutex<Vec<SeenRequest>>,
    failures: Mutex<VecDeque<Failure>>,
    http: reqwest::Client,
    credits: Mutex<f64>,
    jobs: Mutex<std::collections::HashMap<String, jobs::Job>>,
    /// Uploaded files: id → (content type, bytes).
    assets: Mutex<std::collections::HashMap<String, (String, Bytes)>>,
    last_body: Mutex<Option<Bytes>>,
    /// Faults for job reads (status, result, video), in order.
    read_failures: Mutex<VecDeque<(ReadTarget, Failure)>>,
    /// Another base URL to name in v2 status/response URLs (tests of origins).
    job_base: Mutex<Option<String>>,
    /// Content-Security-Policy violations the page reported.
    csp_reports: Mutex<Vec<String>>,
    /// Paths of the page's files served (the page, its wasm, the face check's files).
    served: Mutex<Vec<String>>,
    /// When the submissions of the last minute were admitted (for the per-minute limit).
    admitted: Mutex<VecDeque<std::time::Instant>>,
    /// The videos made lately, so the same inputs are rendered once.
    renders: render::Renders,
}

impl AppState {
    fn record(&self, method: &str, path: &str, key: Option<&str>, status: StatusCode, body_bytes: usize) {
        let right_key = key == Some(self.config.api_key.as_str());
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(SeenRequest { method: method.into(), path: path.into(), had_key: key.is_some(), right_key, status: status.as_u16(), body_bytes, dropped: false });
        }
    }

    /// The next queued fault for this kind of job read.
    fn read_fault(&self, target: ReadTarget) -> Option<Failure> {
        let mut failures = self.read_failures.lock().ok()?;
        let at = failures.iter().position(|(t, _)| *t == target)?;
        failures.remove(at).map(|(_, f)| f)
    }
}

/// A stand-in listening in the background.
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

    /// What the stand-in has seen so far.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.state.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Queues a failure for the next API request(s): `count` of them (default 1),
    /// as `POST /_stand-in/fail-next` does.
    pub fn fail_next(&self, failure: Failure) {
        let count = failure.count.unwrap_or(1).max(1) as usize;
        if let Ok(mut failures) = self.state.failures.lock() {
            failures.extend(std::iter::repeat_n(failure, count));
        }
    }

    /// Drops every queued failure.
    pub fn clear_failures(&self) {
        if let Ok(mut failures) = self.state.failures.lock() {
            failures.clear();
        }
        if let Ok(mut failures) = self.state.read_failures.lock() {
            failures.clear();
        }
    }

    /// Queues faults for the next job reads (status checks, results, video
    /// downloads), `count` times: a status, or [`BodyKind::Dropped`] to cut
    /// the connection mid-answer.
    pub fn fail_reads(&self, target: ReadTarget, failure: Failure) {
        let count = failure.count.unwrap_or(1).max(1) as usize;
        if let Ok(mut failures) = self.state.read_failures.lock() {
            failures.extend(std::iter::repeat_n((target, failure), count));
        }
    }

    /// Names `base` (another server) in the status/response URLs of new jobs.
    pub fn set_job_base(&self, base: Option<String>) {
        if let Ok(mut job_base) = self.state.job_base.lock() {
            *job_base = base;
        }
    }

    /// Forgets what was seen (between test cases).
    pub fn clear_seen(&self) {
        if let Ok(mut seen) = self.state.seen.lock() {
            seen.clear();
        }
    }

    /// The paths of the page's own files served so far, in order.
    pub fn served(&self) -> Vec<String> {
        self.state.served.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// How many videos ffmpeg has made (the same inputs are made once).
    pub fn renders_made(&self) -> usize {
        self.state.renders.made()
    }

    /// The Content-Security-Policy violations pages reported.
    pub fn csp_reports(&self) -> Vec<String> {
        self.state.csp_reports.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (port 0 picks a free one) and serves until stopped.
pub async fn start(config: Config, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(std::io::Error::other)?;
    let state = Arc::new(AppState {
        credits: Mutex::new(config.credits),
        config,
        seen: Mutex::default(),
        failures: Mutex::default(),
        http,
        jobs: Mutex::default(),
        assets: Mutex::default(),
        last_body: Mutex::default(),
        read_failures: Mutex::default(),
        job_base: Mutex::default(),
        csp_reports: Mutex::default(),
        served: Mutex::default(),
        admitted: Mutex::default(),
        renders: render::Renders::default(),
    });
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            eprintln!("stand-in: server stopped: {e}");
        }
    });
    Ok(Running { addr, state, shutdown: Some(tx), task })
}

fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new()
        .route("/v1/sadtalker", post(sadtalker))
        .route("/v1/get-user-credits", get(user_credits))
        .route("/upload-asset", post(upload_asset))
        .route("/assets/{id}", get(asset))
        .route("/v2/sadtalker", post(jobs::submit))
        .route("/v2/requests/{id}/status", get(jobs::status))
        .route("/v2/requests/{id}", get(jobs::response))
        .route("/v2/requests/{id}/video", get(jobs::video))
        .route("/_stand-in/fail-next", post(queue_failure))
        .route("/_stand-in/requests", get(seen_requests))
        .route("/_stand-in/csp-report", post(csp_report))
        .route("/health", get(|| async { "ok" }));
    if let Some(dir) = &state.config.samples_dir {
        app = app.nest_service("/samples", ServeDir::new(dir));
    }
    if let Some(dir) = &state.config.static_dir {
        // The page's policy as a header too, with a place to report violations.
        let policy = HeaderValue::from_str(&format!("{CONTENT_SECURITY_POLICY}; report-uri /_stand-in/csp-report"))
            .unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        let served = state.clone();
        let pages = tower::ServiceBuilder::new()
            .map_request(move |request: axum::http::Request<axum::body::Body>| {
                if let Ok(mut paths) = served.served.lock() {
                    paths.push(request.uri().path().to_string());
                }
                request
            })
            .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, policy))
            // The same path answers gzipped or not, by the request's Accept-Encoding: caches must know.
            .layer(tower_http::set_header::SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")))
            // A file's gzip copy beside it (scripts/precompress.sh) is sent to browsers that take gzip.
            .service(ServeDir::new(dir).precompressed_gzip());
        app = app.fallback_service(pages);
    }
    app.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)).layer(cors()).with_state(state)
}

/// Pages served from this machine (any port) may call the stand-in.
fn cors() -> CorsLayer {
    let expose = ["x-remaining-credits", "x-credits-consumed", "x-stand-in", "retry-after"].map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| is_local_origin(origin.as_bytes())))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
        .expose_headers(expose)
        .max_age(Duration::from_secs(600))
}

fn is_local_origin(origin: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(origin) else { return false };
    let Ok(url) = url::Url::parse(text) else { return false };
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Adds the headers every answer from the stand-in carries.
fn marked(mut response: Response, state: &AppState) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-stand-in", HeaderValue::from_static(STAND_IN_NOTICE));
    if let Ok(credits) = state.credits.lock() {
        if let Ok(value) = HeaderValue::from_str(&format!("{:.3}", *credits)) {
            headers.insert("x-remaining-credits", value);
        }
    }
    response
}

/// Records a v1 request when its handler ends, including when the client
/// went away mid-run and the server dropped it (`dropped: true`).
struct RequestRecord<'a> {
    state: &'a AppState,
    had_key: bool,
    right_key: bool,
    body_bytes: usize,
    status: Option<StatusCode>,
}

impl Drop for RequestRecord<'_> {
    fn drop(&mut self) {
        let dropped = self.status.is_none();
        let status = self.status.unwrap_or(StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST));
        if let Ok(mut seen) = self.state.seen.lock() {
            seen.push(SeenRequest {
                method: "POST".into(),
                path: "/v1/sadtalker".into(),
                had_key: self.had_key,
                right_key: self.right_key,
                status: status.as_u16(),
                body_bytes: self.body_bytes,
                dropped,
            });
        }
    }
}

async fn sadtalker(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Ok(mut last) = state.last_body.lock() {
        *last = Some(body.clone());
    }
    let key = key_of(&headers);
    let right_key = key == Some(state.config.api_key.as_str());
    let mut record = RequestRecord { state: &state, had_key: key.is_some(), right_key, body_bytes: body.len(), status: None };
    let response = match run_sadtalker(&state, key, &headers, &body).await {
        Ok(response) | Err(response) => response,
    };
    record.status = Some(response.status());
    drop(record);
    marked(response, &state)
}

/// The `x-api-key` a request carries, trimmed.
fn key_of(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The one key check of every keyed path: missing or wrong is a JSON 401.
#[allow(clippy::result_large_err)] // the error is the answer to give
fn check_key(state: &AppState, key: Option<&str>) -> Result<(), Response> {
    match key {
        None | Some("") => Err(json_error(StatusCode::UNAUTHORIZED, "Missing API key: send it in the x-api-key header")),
        Some(k) if k != state.config.api_key => Err(json_error(StatusCode::UNAUTHORIZED, "Invalid API key")),
        Some(_) => Ok(()),
    }
}

/// Key, queued failure, body: what every submission goes through first.
/// (The error is the answer to give, as axum handlers do.)
#[allow(clippy::result_large_err)]
fn admit(state: &AppState, key: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<(ParsedRequest, Option<Failure>), Response> {
    check_key(state, key)?;
    within_rate_limit(state)?;
    let queued = state.failures.lock().ok().and_then(|mut f| f.pop_front());
    let failure = queued.or_else(|| Failure::from_headers(headers));
    // A "failure" with status 200 spoils the answer instead (truncated, not a
    // video); one with 422 makes the run itself fail (a v2 job's FAILED).
    let spoil = match failure {
        Some(f) if f.status == 200 || f.status == 422 => Some(f),
        Some(f) => return Err(f.into_response()),
        None => None,
    };
    let request = validate::parse(body).map_err(|message| json_error(StatusCode::BAD_REQUEST, message))?;
    Ok((request, spoil))
}

/// The per-minute submission limit, when set: a 429 with the seconds until a
/// slot frees up, in the provider's words.
fn within_rate_limit(state: &AppState) -> Result<(), Response> {
    let Some(limit) = state.config.submissions_per_minute else { return Ok(()) };
    let Ok(mut admitted) = state.admitted.lock() else { return Ok(()) };
    let now = std::time::Instant::now();
    while admitted.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
        admitted.pop_front();
    }
    if admitted.len() >= limit as usize {
        let frees_in = admitted.front().map_or(60, |t| 60u64.saturating_sub(now.duration_since(*t).as_secs()).max(1));
        let mut refused = json_error(StatusCode::TOO_MANY_REQUESTS, format!("Rate limit exceeded: {limit} requests per minute on this plan"));
        if let Ok(value) = HeaderValue::from_str(&frees_in.to_string()) {
            refused.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(refused);
    }
    admitted.push_back(now);
    Ok(())
}

/// The run itself: the wait, the inputs, the video.
async fn render_video(state: &AppState, request: &ParsedRequest, delay: Duration) -> Result<Vec<u8>, Response> {
    tokio::time::sleep(delay).await;
    let image = inputs::load(&state.http, "input_image", &request.input_image)
        .await
        .map_err(|message| json_error(StatusCode::BAD_REQUEST, message))?;
    let audio = inputs::load(&state.http, "input_audio", &request.input_audio)
        .await
        .map_err(|message| json_error(StatusCode::BAD_REQUEST, message))?;
    let video = state.renders.video(&image, &audio, request.image_size).await.map_err(|e| match e {
        render::RenderError::BadInput { .. } => json_error(StatusCode::BAD_REQUEST, e.to_string()),
        other => json_error(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    })?;
    if let Ok(mut credits) = state.credits.lock() {
        *credits -= contract::PRICE_PER_RUN_USD;
    }
    Ok(video.to_vec())
}

fn delay_of(state: &AppState, headers: &HeaderMap) -> Duration {
    headers
        .get("x-stand-in-delay-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .map_or(state.config.delay, Duration::from_millis)
}

async fn run_sadtalker(state: &AppState, key: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let (request, spoil) = admit(state, key, headers, body)?;
    let video = render_video(state, &request, delay_of(state, headers)).await?;
    let mut response = match spoil {
        Some(failed) if failed.status == 422 => {
            let message = failed.message.unwrap_or_else(|| "The model failed".into());
            (StatusCode::UNPROCESSABLE_ENTITY, Json(serde_json::json!({ "status": "FAILED", "error": message }))).into_response()
        }
        Some(spoil) => failure::spoiled_answer(&spoil, video),
        None if request.base64 => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&video);
            Json(serde_json::json!({ "video": encoded, "status": "Success" })).into_response()
        }
        None => ([(header::CONTENT_TYPE, "video/mp4")], video).into_response(),
    };
    if let Ok(consumed) = HeaderValue::from_str(&contract::PRICE_PER_RUN_USD.to_string()) {
        response.headers_mut().insert("x-credits-consumed", consumed);
    }
    Ok(response)
}

/// `POST /upload-asset` `{"data_urls": [...]}` → `{"urls": [...]}`, as the provider's storage does.
async fn upload_asset(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = key_of(&headers);
    let response = match check_key(&state, key) {
        Err(refused) => refused,
        Ok(()) => store_assets(&state, &headers, &body),
    };
    state.record("POST", "/upload-asset", key, response.status(), body.len());
    marked(response, &state)
}

fn store_assets(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Response {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return json_error(StatusCode::BAD_REQUEST, "Request body is not valid JSON");
    };
    let Some(list) = json.get("data_urls").and_then(|v| v.as_array()).filter(|l| !l.is_empty()) else {
        return json_error(StatusCode::BAD_REQUEST, "data_urls must be a non-empty list of data: URIs");
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let mut urls = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let Some((head, payload)) = item.as_str().and_then(|t| t.strip_prefix("data:")).and_then(|t| t.split_once(',')) else {
            return json_error(StatusCode::BAD_REQUEST, format!("data_urls[{i}] is not a data: URI"));
        };
        let Some(mime) = head.strip_suffix(";base64") else {
            return json_error(StatusCode::BAD_REQUEST, format!("data_urls[{i}] is not base64"));
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload) else {
            return json_error(StatusCode::BAD_REQUEST, format!("data_urls[{i}] has damaged base64"));
        };
        let id = format!("asset-{}-{i}", state.seen.lock().map(|s| s.len()).unwrap_or(0));
        if let Ok(mut assets) = state.assets.lock() {
            assets.insert(id.clone(), (mime.to_string(), Bytes::from(bytes)));
        }
        urls.push(format!("http://{host}/assets/{id}"));
    }
    Json(serde_json::json!({ "urls": urls })).into_response()
}

/// An uploaded file, by the URL `upload-asset` gave.
async fn asset(State(state): State<Arc<AppState>>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    match state.assets.lock().ok().and_then(|a| a.get(&id).cloned()) {
        Some((mime, bytes)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "No such asset"),
    }
}

impl Running {
    /// The bytes of every uploaded file, in upload order (for tests).
    pub fn uploaded(&self) -> Vec<Bytes> {
        let mut assets: Vec<(String, Bytes)> =
            self.state.assets.lock().map(|a| a.iter().map(|(k, (_, b))| (k.clone(), b.clone())).collect()).unwrap_or_default();
        assets.sort_by(|a, b| a.0.cmp(&b.0));
        assets.into_iter().map(|(_, b)| b).collect()
    }

    /// The last request body the model endpoints received (for tests of inline inputs).
    pub fn last_body(&self) -> Option<Bytes> {
        self.state.last_body.lock().ok().and_then(|b| b.clone())
    }
}

async fn user_credits(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let key = key_of(&headers);
    let response = match check_key(&state, key) {
        Err(refused) => refused,
        Ok(()) => {
            let credits = state.credits.lock().map(|c| *c).unwrap_or_default();
            Json(serde_json::json!({ "credits": credits, "free-credits": 0.0 })).into_response()
        }
    };
    state.record("GET", "/v1/get-user-credits", key, response.status(), 0);
    marked(response, &state)
}

async fn queue_failure(State(state): State<Arc<AppState>>, Json(failure): Json<Failure>) -> StatusCode {
    let count = failure.count.unwrap_or(1).max(1);
    if let Ok(mut failures) = state.failures.lock() {
        failures.extend(std::iter::repeat_n(failure, count as usize));
    }
    StatusCode::NO_CONTENT
}

async fn csp_report(State(state): State<Arc<AppState>>, body: Bytes) -> StatusCode {
    if let Ok(mut reports) = state.csp_reports.lock() {
        reports.push(String::from_utf8_lossy(&body).chars().take(2000).collect());
    }
    StatusCode::NO_CONTENT
}

async fn seen_requests(State(state): State<Arc<AppState>>) -> Json<Vec<SeenRequest>> {
    Json(state.seen.lock().map(|s| s.clone()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_origins_are_allowed() {
        assert!(is_local_origin(b"http://127.0.0.1:8080"));
        assert!(is_local_origin(b"http://localhost:3000"));
        assert!(is_local_origin(b"http://[::1]:9000"));
        assert!(!is_local_origin(b"https://evil.example"));
        assert!(!is_local_origin(b"http://127.0.0.1.evil.example"));
        assert!(!is_local_origin(b"null"));
    }
}
