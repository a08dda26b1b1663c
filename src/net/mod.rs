//! The only code that talks to the network. It sends a checked request with
//! `fetch` (one v1 request, or a v2 job followed to its end), aborts, and
//! turns each answer into a video `Blob` or an [`ApiError`]. What it does
//! by itself after a failure is decided by [`crate::api::money`], nowhere else.
//!
//! - here: sending (the key only to its own origins, no redirects with a
//!   key), submissions, uploads, credits;
//! - [`body`]: reading answers (bounded error bodies, the video checked);
//!   [`raw_body`]: a raw video's bytes; [`base64_body`]: base64 decoded as it streams;
//! - [`job`]: following a v2 job until it can no longer deliver.
//!
//! Video bytes never enter wasm memory: they stay in browser objects; Rust
//! reads only lengths, the first few bytes and capped error bodies.

mod base64_body;
mod body;
mod credits;
pub mod bounded;
mod job;
mod raw_body;

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, BlobPropertyBag, Request, RequestRedirect, Response, ResponseType};
#[cfg(not(feature = "js-api"))]
use web_sys::{Headers, RequestInit};

pub use credits::check_credits;
pub use job::follow_job;

use crate::api::answer::JobTicket;
use crate::api::error::ApiError;
use crate::api::endpoint::{Endpoint, SADTALKER_JOB_PATH, SADTALKER_PATH};
use crate::api::estimate;
use crate::api::money::{self, ReadDecision, SubmitDecision};
use crate::api::request::{InputSource, NormalizedRequest};

/// A finished video and what the server said about it.
#[derive(Clone, Debug)]
pub struct Video {
    pub blob: Blob,
    /// `x-remaining-credits`, where the server sends it (and CORS exposes it).
    pub remaining_credits: Option<String>,
    /// `x-credits-consumed`: what the provider says this run cost, where it says so.
    pub credits_consumed: Option<f64>,
    /// The local stand-in marks its answers; the page says so beside the video.
    pub from_stand_in: bool,
}

/// Where a run is, for the progress view.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Local files are being uploaded to the provider's storage.
    Uploading,
    /// The request (with its inputs) is going out and the model is working.
    Waiting,
    /// A v2 job was accepted; keep its ticket to pick it up after a reload.
    Submitted(JobTicket),
    Queued,
    Processing,
    /// Video bytes arriving; `total` when the server said how many.
    Receiving { received: f64, total: Option<f64> },
    /// The server refused to start the run (429): it is sent again by
    /// itself after `secs_left` more seconds (re-send `attempt`).
    RetryingIn { secs_left: u32, attempt: u32, reason: String },
    /// Reading a job's status or result failed; the job goes on and the page
    /// keeps following it (asking again in `secs_left` s).
    Trouble { request_id: String, secs_left: u32, reason: String },
    /// Not sent yet: waiting `secs_left` s to keep within the account's
    /// requests per minute (a comparison's later drafts).
    Paced { secs_left: u32 },
    /// The video is here and checked, and can be played while it is being
    /// kept in the history (the run ends once it is kept). Whoever shows it
    /// says so on `shown` at its first frame, and the write waits for that;
    /// a consumer that shows no player says it at once.
    Arrived { url: crate::browser::object_url::ObjectUrl, shown: crate::browser::first_frame::FirstFrame },
}

impl Progress {
    /// The stage in words, for the progress view.
    pub fn describe(&self) -> String {
        match self {
            Progress::Uploading => "Uploading your files…".into(),
            Progress::Waiting => "Sending the inputs and waiting for the model…".into(),
            Progress::Submitted(ticket) => format!("Job {} accepted; waiting for it to start…", ticket.request_id),
            Progress::Queued => "Waiting in the model's queue…".into(),
            Progress::Processing => "The model is making the video…".into(),
            Progress::Receiving { received, total: Some(total) } => {
                format!("Receiving the video: {} of {}", estimate::size_text(*received), estimate::size_text(*total))
            }
            Progress::Receiving { received, total: None } => format!("Receiving the video: {}", estimate::size_text(*received)),
            Progress::RetryingIn { secs_left, attempt, reason } => {
                format!("{reason} The run was not started, so nothing was charged: sending it again by itself in {secs_left} s (retry {attempt}).")
            }
            Progress::Arrived { .. } => "The video is here; keeping it in this browser's history…".into(),
            Progress::Paced { secs_left } => format!("Not sent yet: waiting {secs_left} s to keep within the account's requests per minute."),
            Progress::Trouble { request_id, secs_left, reason } => {
                format!("Connection trouble ({reason}) — still following job {request_id}; asking again in {secs_left} s. Reading a job's status is free.")
            }
        }
    }
}

/// One run's controls: the abort signal (Cancel, and the overall time limit) and a progress sink.
pub struct Run<'a> {
    pub signal: Option<&'a AbortSignal>,
    /// The overall limit, so a timeout is told apart from a Cancel.
    pub timeout_secs: Option<u32>,
    pub on_progress: &'a dyn Fn(Progress),
}

impl Run<'_> {
    fn progress(&self, progress: Progress) {
        (self.on_progress)(progress);
    }

    /// The failure for a rejected promise: a cancel, a timeout, or the network.
    fn failure(&self, error: &JsValue) -> ApiError {
        match self.signal {
            Some(signal) if signal.aborted() => {
                let reason = signal.reason();
                let name = Reflect::get(&reason, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
                match (name.as_deref(), self.timeout_secs) {
                    (Some("TimeoutError"), Some(limit_secs)) => ApiError::TimedOut { limit_secs },
                    _ => ApiError::Cancelled,
                }
            }
            _ => network(error),
        }
    }

    async fn wait(&self, promise: js_sys::Promise) -> Result<JsValue, ApiError> {
        JsFuture::from(promise).await.map_err(|e| self.failure(&e))
    }

    /// Sleeps, ending early (as a cancel or timeout) when the signal fires.
    pub(crate) async fn sleep_ms(&self, ms: i32) -> Result<(), ApiError> {
        let signal = self.signal.cloned();
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
            if let Some(signal) = &signal {
                signal.set_onabort(Some(&reject));
            }
        });
        let result = self.wait(promise).await;
        if let Some(signal) = self.signal {
            signal.set_onabort(None);
        }
        result.map(|_| ())
    }

    /// Counts down `secs`, telling the progress view each second.
    async fn count_down(&self, secs: u32, progress: impl Fn(u32) -> Progress) -> Result<(), ApiError> {
        for secs_left in (1..=secs).rev() {
            self.progress(progress(secs_left));
            self.sleep_ms(1000).await?;
        }
        Ok(())
    }
}

/// An abort signal that fires on Cancel (`user`) or after `timeout_secs`.
pub fn signal_with_timeout(user: &AbortSignal, timeout_secs: u32) -> AbortSignal {
    let timeout = AbortSignal::timeout_with_u32(timeout_secs.saturating_mul(1000));
    AbortSignal::any(&Array::of2(user, &timeout))
}

/// Local files to send inline: their data: URIs, made by the browser (each a
/// `Blob` of the URI's text, see `media::local::data_uri`).
#[derive(Clone, Debug, Default)]
pub struct Inline {
    pub image: Option<Blob>,
    pub audio: Option<Blob>,
}

/// The JSON body. With local files sent inline, a `Blob` of parts with each
/// file's data: URI in its input's place, so megabytes of base64 never pass
/// through wasm memory or one giant string.
fn request_body(request: &NormalizedRequest, inline: &Inline) -> Result<JsValue, ApiError> {
    if request.local_files().next().is_none() {
        return Ok(JsValue::from_str(&request.to_json()));
    }
    let parts = Array::new();
    for (member, input, uri) in [("{\"input_image\":", &request.input_image, &inline.image), (",\"input_audio\":", &request.input_audio, &inline.audio)] {
        parts.push(&JsValue::from_str(member));
        match (input, uri) {
            (InputSource::Address(address), _) => parts.push(&JsValue::from_str(&serde_json::to_string(address.as_str()).unwrap_or_default())),
            (InputSource::LocalFile { .. }, Some(uri)) => {
                parts.push(&JsValue::from_str("\""));
                parts.push(uri);
                parts.push(&JsValue::from_str("\""))
            }
            (InputSource::LocalFile { name }, None) => {
                return Err(ApiError::LocalFile { detail: format!("{name} was not prepared for sending") });
            }
        };
    }
    parts.push(&JsValue::from_str(&request.settings_tail()));
    let options = BlobPropertyBag::new();
    options.set_type("application/json");
    Blob::new_with_str_sequence_and_options(&parts, &options).map(JsValue::from).map_err(|e| network(&e))
}

/// A request the page sends: where, how, with what body.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    url: &'a str,
    method: &'a str,
    body: Option<&'a JsValue>,
}

/// A sent request's answer, and whether the endpoint's key was held back
/// because the URL is on another origin.
struct Answer {
    response: Response,
    key_withheld: bool,
}

impl Answer {
    fn ok(&self) -> bool {
        self.response.ok()
    }

    /// An error status (body read up to a cap) as an [`ApiError`].
    async fn error(&self, run: &Run<'_>) -> ApiError {
        let status = self.response.status();
        if self.key_withheld && matches!(status, 401 | 403) {
            let origin = crate::browser::web_url::origin_of(&self.response.url()).unwrap_or_default();
            return ApiError::KeyWithheld { origin, status };
        }
        body::error_of(&self.response, run).await
    }
}

/// Sends a request. The endpoint's key goes in `x-api-key` only to the
/// endpoint's own origins ([`Endpoint::key_for`]); a request carrying it does
/// not follow redirects (the browser would carry the header along).
/// The request for `out`: the key only when the URL is on one of the
/// endpoint's origins, and then no redirects followed. The page builds it
/// with web-sys (gloo-net costs it 14 KB gzipped); the JS package, which
/// carries more anyway, with gloo-net's builder.
#[cfg(not(feature = "js-api"))]
fn request_for(key: Option<&str>, out: &Outgoing<'_>, run: &Run<'_>) -> Result<Request, ApiError> {
    let headers = Headers::new().map_err(|e| network(&e))?;
    if let Some(key) = key {
        headers.set("x-api-key", key).map_err(|e| network(&e))?;
    }
    let init = RequestInit::new();
    init.set_method(out.method);
    if let Some(body) = out.body {
        headers.set("content-type", "application/json").map_err(|e| network(&e))?;
        init.set_body(body);
    }
    if key.is_some() {
        init.set_redirect(RequestRedirect::Manual);
    }
    init.set_headers(&headers);
    init.set_signal(run.signal);
    Request::new_with_str_and_init(out.url, &init).map_err(|e| network(&e))
}

#[cfg(feature = "js-api")]
fn request_for(key: Option<&str>, out: &Outgoing<'_>, run: &Run<'_>) -> Result<Request, ApiError> {
    use gloo_net::http::{Method, RequestBuilder};
    let unbuildable = |e: gloo_net::Error| ApiError::Network { detail: format!("the request could not be made: {e}") };
    let mut builder = RequestBuilder::new(out.url).method(if out.method == "POST" { Method::POST } else { Method::GET }).abort_signal(run.signal);
    if let Some(key) = key {
        builder = builder.header("x-api-key", key).redirect(RequestRedirect::Manual);
    }
    let request = match out.body {
        Some(body) => builder.header("content-type", "application/json").body(body.clone()).map_err(unbuildable)?,
        None => builder.build().map_err(unbuildable)?,
    };
    Ok(request.into())
}

async fn send(endpoint: &Endpoint, out: Outgoing<'_>, run: &Run<'_>) -> Result<Answer, ApiError> {
    let key = endpoint.key_for(out.url);
    let request = request_for(key, &out, run)?;
    let window = web_sys::window().ok_or_else(|| ApiError::Network { detail: "no browser window".into() })?;
    let response: Response = run
        .wait(window.fetch_with_request(&request))
        .await?
        .dyn_into()
        .map_err(|_| ApiError::Network { detail: "fetch gave no response".into() })?;
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(ApiError::Redirected { url: out.url.to_string() });
    }
    Ok(Answer { response, key_withheld: key.is_none() && endpoint.api_key().is_some() })
}

/// Sends a submission (a paid request) and returns its successful answer.
/// Only a 429 is sent again by itself (see [`money::after_submit_failure`]).
async fn submit(endpoint: &Endpoint, path: &str, request: &NormalizedRequest, inline: &Inline, run: &Run<'_>) -> Result<Response, ApiError> {
    let url = endpoint.url_of(path);
    let body = request_body(request, inline)?;
    let mut resends = 0;
    loop {
        run.progress(Progress::Waiting);
        let answer = send(endpoint, Outgoing { url: &url, method: "POST", body: Some(&body) }, run).await?;
        if answer.ok() {
            return Ok(answer.response);
        }
        let error = answer.error(run).await;
        let SubmitDecision::ResendAfter { secs } = money::after_submit_failure(&error, resends) else { return Err(error) };
        resends += 1;
        let reason = error.to_string();
        run.count_down(secs, |secs_left| Progress::RetryingIn { secs_left, attempt: resends, reason: reason.clone() }).await?;
    }
}

/// One run with the one-shot endpoint (`POST /v1/sadtalker`). A failure
/// while the video streams in is [`ApiError::AnswerBroken`]: the run was
/// made, and it is never sent again by itself.
pub async fn generate(endpoint: &Endpoint, request: &NormalizedRequest, inline: &Inline, run: &Run<'_>) -> Result<Video, ApiError> {
    let response = submit(endpoint, SADTALKER_PATH, request, inline, run).await?;
    body::video_of(&response, request.base64, endpoint, run).await.map_err(body::broken_if_cut)
}

/// Submits a v2 job (`POST /v2/sadtalker`): its ticket. An accepted job
/// whose ticket cannot be read is [`ApiError::AnswerBroken`] (it may run).
pub async fn submit_job(endpoint: &Endpoint, request: &NormalizedRequest, inline: &Inline, run: &Run<'_>) -> Result<JobTicket, ApiError> {
    let response = submit(endpoint, SADTALKER_JOB_PATH, request, inline, run).await?;
    let broken = |detail: &str| ApiError::AnswerBroken { detail: format!("the job was accepted but {detail}") };
    let text = body::read_capped(&response, run).await.map_err(|e| match e {
        ApiError::Cancelled | ApiError::TimedOut { .. } => e,
        _ => broken("its ticket did not arrive whole"),
    })?;
    let doc = crate::browser::json_doc::JsonDoc::parse(&text).ok_or_else(|| broken("its ticket was not JSON"))?;
    let ticket = JobTicket::from_doc(&doc).ok_or_else(|| broken("its ticket had no request_id and status URLs"))?;
    run.progress(Progress::Submitted(ticket.clone()));
    Ok(ticket)
}

/// Submits a v2 job and follows it to its video (`started_at_ms`: now).
pub async fn generate_job(endpoint: &Endpoint, request: &NormalizedRequest, inline: &Inline, run: &Run<'_>) -> Result<Video, ApiError> {
    let ticket = submit_job(endpoint, request, inline, run).await?;
    follow_job(endpoint, &ticket, request.base64, js_sys::Date::now(), run).await
}

/// A free request (no model runs): retried on trouble a few times.
async fn free_request(endpoint: &Endpoint, out: Outgoing<'_>, run: &Run<'_>) -> Result<Response, ApiError> {
    const ATTEMPTS: u32 = 3;
    let mut failures = 0;
    loop {
        let error = match send(endpoint, out, run).await {
            Ok(answer) if answer.ok() => return Ok(answer.response),
            Ok(answer) => answer.error(run).await,
            Err(error) => error,
        };
        match money::after_read_failure(&error, failures, 0.0) {
            ReadDecision::RetryAfter { secs } if failures + 1 < ATTEMPTS => run.sleep_ms(secs as i32 * 1000).await?,
            _ => return Err(error),
        }
        failures += 1;
    }
}

/// Uploads files (as data: URIs) to the endpoint's `upload-asset` service;
/// the URLs to send in their place. Storage, not the model: free to retry.
pub async fn upload_assets(endpoint: &Endpoint, data_uris: &[Blob], run: &Run<'_>) -> Result<Vec<String>, ApiError> {
    let parts = Array::new();
    parts.push(&JsValue::from_str("{\"data_urls\":["));
    for (i, uri) in data_uris.iter().enumerate() {
        parts.push(&JsValue::from_str(if i == 0 { "\"" } else { ",\"" }));
        parts.push(uri);
        parts.push(&JsValue::from_str("\""));
    }
    parts.push(&JsValue::from_str("]}"));
    run.progress(Progress::Uploading);
    let body: JsValue = Blob::new_with_str_sequence(&parts).map_err(|e| network(&e))?.into();
    let url = endpoint.upload_url();
    let response = free_request(endpoint, Outgoing { url: &url, method: "POST", body: Some(&body) }, run).await?;
    let doc = body::small_json(&response, run).await?;
    let urls: Vec<String> = (0..data_uris.len())
        .filter_map(|i| doc.get("urls").and_then(|list| list.get_index(i)).and_then(|u| u.as_str()))
        .collect();
    if urls.len() != data_uris.len() {
        return Err(ApiError::UnexpectedStatus { status: response.status(), server_message: Some("the upload answer did not list a URL for every file".into()) });
    }
    Ok(urls)
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

fn not_a_video(detail: &str) -> ApiError {
    ApiError::NotAVideo { detail: detail.to_string() }
}

/// A browser error as text: `TypeError: Failed to fetch` and the like.
fn network(error: &JsValue) -> ApiError {
    let detail = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser gave no reason".into());
    ApiError::Network { detail }
}
