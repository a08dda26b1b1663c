//! The only module that talks to the network: sends a checked request with
//! `fetch` (one-shot v1, or a v2 job polled to its end), aborts, retries what
//! is safe to retry, and turns each answer into a video `Blob` or an [`ApiError`].
//!
//! Video bytes never enter wasm memory: a raw answer is read chunk by chunk
//! into browser-side parts of a `Blob`, a base64 answer is decoded by the
//! browser. Rust only reads lengths and the first few bytes.

use js_sys::{Array, JsString, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, BlobPropertyBag, Headers, ReadableStreamDefaultReader, RequestInit, Response};

use crate::answer::{self, AnswerForm, JobState, JobTicket};
use crate::api_error::ApiError;
use crate::estimate;
use crate::endpoint::{Endpoint, EndpointKind, CREDITS_PATH, SADTALKER_JOB_PATH, SADTALKER_PATH};
use crate::json_doc::JsonDoc;
use crate::request::{SadTalkerRequest, LOCAL_AUDIO_MARKER, LOCAL_IMAGE_MARKER};
use crate::retry::{self, RetryDecision};

/// How often a v2 job's status is asked for.
pub const POLL_INTERVAL_MS: i32 = 1500;

/// A finished video and what the server said about it.
#[derive(Clone, Debug)]
pub struct Video {
    pub blob: Blob,
    /// `x-remaining-credits`, where the server sends it (and CORS exposes it).
    pub remaining_credits: Option<String>,
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
    /// An automatic retry after `secs_left` more seconds (attempt `attempt`).
    RetryingIn { secs_left: u32, attempt: u32, reason: String },
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
                format!("{reason} Trying again by itself in {secs_left} s (retry {attempt}); nothing was charged.")
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
    async fn sleep_ms(&self, ms: i32) -> Result<(), ApiError> {
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
}

/// An abort signal that fires on Cancel (`user`) or after `timeout_secs`.
pub fn signal_with_timeout(user: &AbortSignal, timeout_secs: u32) -> AbortSignal {
    let timeout = AbortSignal::timeout_with_u32(timeout_secs.saturating_mul(1000));
    AbortSignal::any(&Array::of2(user, &timeout))
}

/// Runs one generation with the one-shot endpoint, retrying by itself only
/// where [`retry::decide`] says the model did not run.
pub async fn generate(endpoint: &Endpoint, request: &SadTalkerRequest, run: &Run<'_>) -> Result<Video, ApiError> {
    generate_with(endpoint, request, &Inline::default(), run).await
}

/// As [`generate`], with local files sent inline in place of their markers.
pub async fn generate_with(endpoint: &Endpoint, request: &SadTalkerRequest, inline: &Inline, run: &Run<'_>) -> Result<Video, ApiError> {
    with_retries(run, || generate_once(endpoint, request, inline, run)).await
}

/// Submits a v2 job (with retries as for [`generate`]) and waits for its video.
pub async fn generate_job(endpoint: &Endpoint, request: &SadTalkerRequest, run: &Run<'_>) -> Result<Video, ApiError> {
    generate_job_with(endpoint, request, &Inline::default(), run).await
}

/// As [`generate_job`], with local files sent inline in place of their markers.
pub async fn generate_job_with(endpoint: &Endpoint, request: &SadTalkerRequest, inline: &Inline, run: &Run<'_>) -> Result<Video, ApiError> {
    let ticket = with_retries(run, || submit_job(endpoint, request, inline, run)).await?;
    run.progress(Progress::Submitted(ticket.clone()));
    await_job(endpoint, &ticket, request.base64, run).await
}

async fn with_retries<T, F, Fut>(run: &Run<'_>, mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut retries = 0;
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let RetryDecision::After { secs } = retry::decide(&error, retries) else { return Err(error) };
        retries += 1;
        for secs_left in (1..=secs).rev() {
            run.progress(Progress::RetryingIn { secs_left, attempt: retries, reason: error.to_string() });
            run.sleep_ms(1000).await?;
        }
    }
}

async fn generate_once(endpoint: &Endpoint, request: &SadTalkerRequest, inline: &Inline, run: &Run<'_>) -> Result<Video, ApiError> {
    run.progress(Progress::Waiting);
    let response = send(&endpoint.url_of(SADTALKER_PATH), "POST", endpoint.api_key(), Some(&request_body(request, inline)?), run).await?;
    if !response.ok() {
        return Err(error_of(&response, run).await);
    }
    video_of(&response, request.base64, run).await
}

/// Local files to send inline: their data: URIs, made by the browser.
#[derive(Clone, Debug, Default)]
pub struct Inline {
    pub image: Option<JsString>,
    pub audio: Option<JsString>,
}

/// The JSON body. With inline files, a `Blob` of parts with each data: URI
/// spliced in where its marker was, so megabytes of base64 never pass
/// through wasm memory or one giant string.
fn request_body(request: &SadTalkerRequest, inline: &Inline) -> Result<JsValue, ApiError> {
    let json = request.to_json();
    if inline.image.is_none() && inline.audio.is_none() {
        return Ok(JsValue::from_str(&json));
    }
    let parts = Array::new();
    let mut rest = json.as_str();
    for (marker, uri) in [(LOCAL_IMAGE_MARKER, &inline.image), (LOCAL_AUDIO_MARKER, &inline.audio)] {
        let (Some(uri), Some(at)) = (uri, rest.find(marker)) else { continue };
        parts.push(&JsValue::from_str(&rest[..at]));
        parts.push(uri);
        rest = &rest[at + marker.len()..];
    }
    parts.push(&JsValue::from_str(rest));
    let options = BlobPropertyBag::new();
    options.set_type("application/json");
    Blob::new_with_str_sequence_and_options(&parts, &options).map(JsValue::from).map_err(|e| network(&e))
}

/// Uploads files (as data: URIs) to the endpoint's `upload-asset` service;
/// the URLs to send in their place.
pub async fn upload_assets(endpoint: &Endpoint, data_uris: &[JsString], run: &Run<'_>) -> Result<Vec<String>, ApiError> {
    let parts = Array::new();
    parts.push(&JsValue::from_str("{\"data_urls\":["));
    for (i, uri) in data_uris.iter().enumerate() {
        parts.push(&JsValue::from_str(if i == 0 { "\"" } else { ",\"" }));
        parts.push(uri);
        parts.push(&JsValue::from_str("\""));
    }
    parts.push(&JsValue::from_str("]}"));
    run.progress(Progress::Uploading);
    let body = Blob::new_with_str_sequence(&parts).map_err(|e| network(&e))?;
    let response = with_retries(run, || async {
        let response = send(&endpoint.upload_url(), "POST", endpoint.api_key(), Some(&body.clone().into()), run).await?;
        if response.ok() {
            Ok(response)
        } else {
            Err(error_of(&response, run).await)
        }
    })
    .await?;
    let doc = small_json(&response, run).await?;
    let urls: Vec<String> = (0..data_uris.len())
        .filter_map(|i| doc.get("urls").and_then(|list| list.get_index(i)).and_then(|u| u.as_str()))
        .collect();
    if urls.len() != data_uris.len() {
        return Err(ApiError::UnexpectedStatus { status: response.status(), server_message: Some("the upload answer did not list a URL for every file".into()) });
    }
    Ok(urls)
}

/// Sends a request; the key, when there is one, goes in `x-api-key` and nowhere else.
async fn send(url: &str, method: &str, api_key: Option<&str>, body: Option<&JsValue>, run: &Run<'_>) -> Result<Response, ApiError> {
    let headers = Headers::new().map_err(|e| network(&e))?;
    if let Some(key) = api_key {
        headers.set("x-api-key", key).map_err(|e| network(&e))?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        headers.set("content-type", "application/json").map_err(|e| network(&e))?;
        init.set_body(body);
    }
    init.set_headers(&headers);
    init.set_signal(run.signal);
    let window = web_sys::window().ok_or_else(|| ApiError::Network { detail: "no browser window".into() })?;
    let response = run.wait(window.fetch_with_str_and_init(url, &init)).await?;
    response.dyn_into::<Response>().map_err(|_| ApiError::Network { detail: "fetch gave no response".into() })
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// An error status and its (small) body as an [`ApiError`].
async fn error_of(response: &Response, run: &Run<'_>) -> ApiError {
    let body = match response.text() {
        Ok(promise) => match run.wait(promise).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(e @ (ApiError::Cancelled | ApiError::TimedOut { .. })) => return e,
            Err(_) => String::new(),
        },
        Err(_) => String::new(),
    };
    let content_type = header(response, "content-type").unwrap_or_default();
    ApiError::from_status(response.status(), &body, &content_type, header(response, "retry-after").as_deref())
}

/// A success answer as a checked video Blob, in whichever form it came.
async fn video_of(response: &Response, asked_for_base64: bool, run: &Run<'_>) -> Result<Video, ApiError> {
    let remaining_credits = header(response, "x-remaining-credits");
    let from_stand_in = header(response, "x-stand-in").is_some();
    let content_type = header(response, "content-type").unwrap_or_default();
    let blob = match answer::answer_form(&content_type, asked_for_base64) {
        AnswerForm::RawVideo => read_blob(response, run).await?,
        AnswerForm::Json => stream_base64(response, true, run).await?,
        AnswerForm::Text => stream_base64(response, false, run).await?,
    };
    Ok(Video { blob: checked_video(blob).await?, remaining_credits, from_stand_in })
}

/// Reads the body chunk by chunk, reporting bytes; the chunks stay JS
/// objects and become the parts of one Blob.
async fn read_blob(response: &Response, run: &Run<'_>) -> Result<Blob, ApiError> {
    let total = header(response, "content-length").and_then(|n| n.parse::<f64>().ok());
    let Some(body) = response.body() else { return Blob::new().map_err(|e| network(&e)) };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let parts = Array::new();
    let mut received = 0.0;
    run.progress(Progress::Receiving { received, total });
    loop {
        let step = run.wait(reader.read()).await?;
        if Reflect::get(&step, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let chunk = Reflect::get(&step, &JsValue::from_str("value")).map_err(|e| network(&e))?;
        received += chunk.dyn_ref::<Uint8Array>().map_or(0.0, |c| f64::from(c.length()));
        parts.push(&chunk);
        run.progress(Progress::Receiving { received, total });
    }
    Blob::new_with_u8_array_sequence(&parts).map_err(|e| network(&e))
}

/// A base64 answer decoded as it arrives, chunk by chunk, so there is never
/// one 65 MB string nor one long main-thread task. In JSON, the value is
/// found after the first known key (base64 and data: URIs hold no quotes or
/// escapes, so it ends at the next quote); answers of another shape are
/// parsed whole when small. The text stays JS strings; only short windows
/// (to find where the value starts) are read in Rust.
async fn stream_base64(response: &Response, json: bool, run: &Run<'_>) -> Result<Blob, ApiError> {
    let missing = || not_a_video("the JSON answer holds no base64 video under any known key");
    let Some(body) = response.body() else { return Err(not_a_video("the answer was empty")) };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let text_decoder = js_sys::Reflect::construct(
        &Reflect::get(&js_sys::global(), &JsValue::from_str("TextDecoder")).map_err(|e| network(&e))?.unchecked_into::<js_sys::Function>(),
        &Array::new(),
    )
    .map_err(|e| network(&e))?;
    let decode: js_sys::Function = Reflect::get(&text_decoder, &JsValue::from_str("decode")).map_err(|e| network(&e))?.unchecked_into();
    let stream_option = js_sys::Object::new();
    let _ = Reflect::set(&stream_option, &JsValue::from_str("stream"), &JsValue::TRUE);

    let parts = Array::new();
    let mut head = JsString::from(""); // text before the value starts
    let mut carry = JsString::from(""); // base64 not yet a multiple of 4 characters
    let mut in_value = false;
    let mut done = false;
    let total = header(response, "content-length").and_then(|n| n.parse::<f64>().ok());
    let mut received = 0.0;
    while !done {
        let step = run.wait(reader.read()).await?;
        let finished = Reflect::get(&step, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        let chunk = Reflect::get(&step, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
        received += chunk.dyn_ref::<Uint8Array>().map_or(0.0, |c| f64::from(c.length()));
        run.progress(Progress::Receiving { received, total });
        let text: JsString = if finished {
            decode.call0(&text_decoder).map_err(|e| network(&e))?.unchecked_into()
        } else {
            decode.call2(&text_decoder, &chunk, &stream_option).map_err(|e| network(&e))?.unchecked_into()
        };
        let mut piece = text;
        if !in_value {
            head = head.concat(&piece);
            let Some(start) = value_start(&head, json) else {
                if finished || head.length() > 1_000_000 {
                    // Not the expected shape: a small answer is parsed whole.
                    let parsed = js_sys::JSON::parse(&String::from(&head)).map_err(|_| missing())?;
                    return base64_blob(&base64_in_json(&parsed).map_err(|_| missing())?).await;
                }
                continue;
            };
            piece = head.slice(start, head.length());
            in_value = true;
        }
        if json {
            let end = piece.index_of("\"", 0);
            if end >= 0 {
                piece = piece.slice(0, end as u32);
                done = true;
            }
        }
        let pending = carry.concat(&piece);
        let usable = if done || finished { pending.length() } else { pending.length() - pending.length() % 4 };
        if usable > 0 {
            parts.push(&decode_base64(&pending.slice(0, usable)).await?);
        }
        carry = pending.slice(usable, pending.length());
        done |= finished;
    }
    let _ = reader.cancel();
    Blob::new_with_u8_array_sequence(&parts).map_err(|e| network(&e))
}

/// Where the base64 begins in the text read so far, once it is known: after
/// a known key's opening quote in JSON (and after a data: URI's header).
fn value_start(head: &JsString, json: bool) -> Option<u32> {
    let after_quote = if json {
        answer::BASE64_KEYS.iter().find_map(|key| {
            let at = head.index_of(&format!("\"{key}\""), 0);
            if at < 0 {
                return None;
            }
            let after_key = at as u32 + key.len() as u32 + 2;
            let window = String::from(head.slice(after_key, after_key + 64));
            answer::string_value_start(&window).map(|offset| after_key + offset as u32)
        })?
    } else {
        0
    };
    // The data: URI header (if any) must be in hand to skip it.
    let prefix = String::from(head.slice(after_quote, after_quote + 256));
    if prefix.len() < 5 || (prefix.starts_with("data:") && !prefix.contains(',')) {
        return None;
    }
    answer::base64_start(&prefix).map(|skip| after_quote + skip as u32)
}

/// The base64 text in a parsed JSON answer: the document itself if it is a
/// string, else the first of [`answer::BASE64_KEYS`] that holds a string.
fn base64_in_json(json: &JsValue) -> Result<JsString, ApiError> {
    if let Some(text) = json.dyn_ref::<JsString>() {
        return Ok(text.clone());
    }
    answer::BASE64_KEYS
        .iter()
        .filter_map(|key| Reflect::get(json, &JsValue::from_str(key)).ok())
        .find_map(|value| value.dyn_into::<JsString>().ok())
        .ok_or_else(|| not_a_video("the JSON answer holds no base64 video under any known key"))
}

/// Decodes base64 (bare or a `data:` URI) into a Blob inside the browser, a
/// slice at a time with a yield in between, so no main-thread task runs long.
async fn base64_blob(text: &JsString) -> Result<Blob, ApiError> {
    // Only the first bytes cross into Rust, to find where the base64 starts.
    let prefix = String::from(text.slice(0, 256));
    let start = answer::base64_start(&prefix).ok_or_else(|| not_a_video("the data: URI in the answer is not base64"))?;
    let parts = Array::new();
    let mut at = start as u32;
    while at < text.length() {
        let end = (at + answer::BASE64_SLICE).min(text.length());
        parts.push(&decode_base64(&text.slice(at, end)).await?);
        at = end;
        if at < text.length() {
            yield_to_browser().await;
        }
    }
    Blob::new_with_u8_array_sequence(&parts).map_err(|e| network(&e))
}

/// Lets the browser run other tasks (input, painting) before going on.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// `Uint8Array.fromBase64` where the browser has it (Chromium 140+), else the
/// browser's own data: URL decoder through fetch; neither copies into wasm.
async fn decode_base64(payload: &JsString) -> Result<JsValue, ApiError> {
    let damaged = |_| not_a_video("the base64 video in the answer is damaged");
    let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Uint8Array")).map_err(damaged)?;
    if let Ok(from_base64) = Reflect::get(&constructor, &JsValue::from_str("fromBase64")) {
        if let Some(from_base64) = from_base64.dyn_ref::<js_sys::Function>() {
            return from_base64.call1(&constructor, payload).map_err(damaged);
        }
    }
    let window = web_sys::window().ok_or_else(|| ApiError::Network { detail: "no browser window".into() })?;
    let url = JsString::from("data:application/octet-stream;base64,").concat(payload);
    let response: Response = JsFuture::from(window.fetch_with_str(&String::from(url))).await.map_err(damaged)?.unchecked_into();
    let buffer = JsFuture::from(response.array_buffer().map_err(damaged)?).await.map_err(damaged)?;
    Ok(Uint8Array::new(&buffer).into())
}

/// Refuses what `<video>` can't play, and gives the Blob its video type.
async fn checked_video(blob: Blob) -> Result<Blob, ApiError> {
    if blob.size() == 0.0 {
        return Err(not_a_video("the answer was empty"));
    }
    let head = blob.slice_with_i32_and_i32(0, answer::SNIFF_LEN as i32).map_err(|e| network(&e))?;
    let buffer = JsFuture::from(head.array_buffer()).await.map_err(|e| network(&e))?;
    let first_bytes = Uint8Array::new(&buffer).to_vec();
    if !answer::looks_like_video(&first_bytes) {
        let detail = if first_bytes.first().is_some_and(|b| matches!(b, b'<' | b'{' | b'[')) {
            "the server sent a text page instead of video bytes"
        } else {
            "its bytes are not an MP4 or WebM file"
        };
        return Err(not_a_video(detail));
    }
    let mime = answer::video_mime(&first_bytes);
    if mime == "video/mp4" && !mp4_is_complete(&blob).await? {
        return Err(not_a_video("the video file is cut off (the download was truncated)"));
    }
    if blob.type_() == mime {
        return Ok(blob);
    }
    // Re-wrapping references the same bytes; it only sets the type.
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(&Array::of1(&blob), &options).map_err(|e| network(&e))
}

/// Whether the MP4's top-level boxes add up to the file's length exactly; a
/// cut-off download ends inside a box. Reads a few 16-byte headers only.
async fn mp4_is_complete(blob: &Blob) -> Result<bool, ApiError> {
    let total = blob.size();
    let mut offset = 0.0;
    for _ in 0..256 {
        if offset == total {
            return Ok(true);
        }
        let end = (offset + f64::from(answer::BOX_HEADER_LEN)).min(total);
        let head = blob.slice_with_f64_and_f64(offset, end).map_err(|e| network(&e))?;
        let bytes = Uint8Array::new(&JsFuture::from(head.array_buffer()).await.map_err(|e| network(&e))?).to_vec();
        match answer::box_size(&bytes, total - offset) {
            Some(size) if offset + size <= total => offset += size,
            _ => return Ok(false),
        }
    }
    Ok(false)
}

/// `POST /v2/sadtalker`: the job's ticket.
async fn submit_job(endpoint: &Endpoint, request: &SadTalkerRequest, inline: &Inline, run: &Run<'_>) -> Result<JobTicket, ApiError> {
    run.progress(Progress::Waiting);
    let response = send(&endpoint.url_of(SADTALKER_JOB_PATH), "POST", endpoint.api_key(), Some(&request_body(request, inline)?), run).await?;
    if !response.ok() {
        return Err(error_of(&response, run).await);
    }
    let json = small_json(&response, run).await?;
    JobTicket::from_doc(&json).ok_or_else(|| not_a_video("the job was accepted without a request_id and status URLs"))
}

/// A small JSON answer (a status, a ticket) read as a document.
async fn small_json(response: &Response, run: &Run<'_>) -> Result<JsonDoc, ApiError> {
    let text = run.wait(response.text().map_err(|e| network(&e))?).await?.as_string().unwrap_or_default();
    JsonDoc::parse(&text).ok_or_else(|| not_a_video("the answer was not the JSON the API documents"))
}

/// Polls a job until it ends, then fetches its video. Also picks up a job
/// started before a reload: the ticket is all it needs.
pub async fn await_job(endpoint: &Endpoint, ticket: &JobTicket, asked_for_base64: bool, run: &Run<'_>) -> Result<Video, ApiError> {
    loop {
        let response = send(&ticket.status_url, "GET", endpoint.api_key(), None, run).await?;
        // A body naming a final state is the answer whatever the status (FAILED comes with 422).
        let status = response.status();
        let state = if response.ok() || status == 422 {
            small_json(&response, run).await.ok().and_then(|doc| JobState::from_doc(&doc))
        } else {
            None
        };
        match state {
            Some(JobState::Completed) => break,
            Some(JobState::Failed(message)) => return Err(ApiError::JobFailed { message }),
            Some(JobState::Queued) => run.progress(Progress::Queued),
            Some(JobState::Processing) => run.progress(Progress::Processing),
            None if !response.ok() && status != 422 => return Err(error_of(&response, run).await),
            None => return Err(not_a_video("the job status answer named no status")),
        }
        run.sleep_ms(POLL_INTERVAL_MS).await?;
    }
    let response = send(&ticket.response_url, "GET", endpoint.api_key(), None, run).await?;
    if !response.ok() && response.status() != 422 {
        return Err(error_of(&response, run).await);
    }
    let json = run.wait(response.json().map_err(|e| network(&e))?).await?;
    // Read member by member: `output` may be tens of MB of base64.
    let member = |key: &str| Reflect::get(&json, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    if let Some(JobState::Failed(message)) = member("status").and_then(|s| JobState::from_parts(&s, member("error"))) {
        return Err(ApiError::JobFailed { message });
    }
    let output = Reflect::get(&json, &JsValue::from_str("output"))
        .ok()
        .and_then(|o| o.dyn_into::<JsString>().ok())
        .ok_or_else(|| not_a_video("the finished job has no output"))?;
    let prefix = String::from(output.slice(0, 16));
    if answer::output_is_link(&prefix) {
        // A link to the finished file (a CDN): fetched without the key.
        let response = send(&String::from(output), "GET", None, None, run).await?;
        if !response.ok() {
            return Err(error_of(&response, run).await);
        }
        return video_of(&response, asked_for_base64, run).await;
    }
    let blob = checked_video(base64_blob(&output).await?).await?;
    Ok(Video { blob, remaining_credits: None, from_stand_in: endpoint.kind == EndpointKind::StandIn })
}

/// The account's balance (`GET /v1/get-user-credits`).
pub async fn credits(endpoint: &Endpoint, run: &Run<'_>) -> Result<answer::Credits, ApiError> {
    let response = send(&endpoint.url_of(CREDITS_PATH), "GET", endpoint.api_key(), None, run).await?;
    if !response.ok() {
        return Err(error_of(&response, run).await);
    }
    let doc = small_json(&response, run).await?;
    answer::Credits::from_doc(&doc).ok_or_else(|| ApiError::UnexpectedStatus {
        status: response.status(),
        server_message: Some("the credits answer had no \"credits\"".into()),
    })
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn response(body: &str, content_type: &str) -> Response {
        let init = web_sys::ResponseInit::new();
        let headers = Headers::new().expect("headers");
        headers.set("content-type", content_type).expect("header");
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(Some(body), &init).expect("response")
    }

    async fn bytes(blob: &Blob) -> Vec<u8> {
        Uint8Array::new(&JsFuture::from(blob.array_buffer()).await.expect("bytes")).to_vec()
    }

    const QUIET: &dyn Fn(Progress) = &|_| {};

    #[test]
    async fn base64_answers_decode_in_every_documented_shape() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        // "hello video!" in base64, with and without a data: header, under various keys.
        let expected = b"hello video!".to_vec();
        for (body, json) in [
            (r#"{"video":"aGVsbG8gdmlkZW8h"}"#, true),
            (r#"{"status":"Success","output" : "data:video/mp4;base64,aGVsbG8gdmlkZW8h","seconds":3}"#, true),
            (r#"{"image": "aGVsbG8gdmlkZW8h", "infer_time": 1.2}"#, true),
            (r#""data:video/mp4;base64,aGVsbG8gdmlkZW8h""#, true),
            ("aGVsbG8gdmlkZW8h", false),
        ] {
            let answer = response(body, if json { "application/json" } else { "text/plain" });
            let blob = stream_base64(&answer, json, &run).await.unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(bytes(&blob).await, expected, "{body}");
        }
    }

    #[test]
    async fn base64_answers_of_no_known_shape_are_refused() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        for body in [r#"{"result":{"nested":"aGVsbG8="}}"#, r#"{"video":"data:text/plain,hello"}"#, "{not json"] {
            let error = stream_base64(&response(body, "application/json"), true, &run).await.expect_err(body);
            assert_eq!(error.kind(), "not_a_video", "{body}");
        }
    }
}
