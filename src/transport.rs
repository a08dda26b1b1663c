//! The only module that talks to the network: sends a checked request with
//! `fetch`, and turns the answer into a video `Blob` or an [`ApiError`].
//!
//! Video bytes never enter wasm memory: a raw answer goes `Response` →
//! `Blob`, a base64 answer is decoded by the browser. Rust only reads the
//! first few bytes to check that it really is a video.

use js_sys::{Array, JsString, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, BlobPropertyBag, Headers, RequestInit, Response};

use crate::answer::{self, AnswerForm};
use crate::api_error::ApiError;
use crate::endpoint::{Endpoint, SADTALKER_PATH};
use crate::request::SadTalkerRequest;

/// A finished video and what the server said about it.
#[derive(Clone, Debug)]
pub struct Video {
    pub blob: Blob,
    /// `x-remaining-credits`, where the server sends it (and CORS exposes it).
    pub remaining_credits: Option<String>,
    /// The local stand-in marks its answers; the page says so beside the video.
    pub from_stand_in: bool,
}

/// Runs one generation with the one-shot endpoint. `signal` aborts it.
pub async fn generate(endpoint: &Endpoint, request: &SadTalkerRequest, signal: Option<&AbortSignal>) -> Result<Video, ApiError> {
    let response = post_json(&endpoint.url_of(SADTALKER_PATH), endpoint.api_key(), &request.to_json(), signal).await?;
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let status = response.status();
    if !response.ok() {
        let body = await_text(response.text(), signal).await.unwrap_or_default();
        let content_type = header("content-type").unwrap_or_default();
        return Err(ApiError::from_status(status, &body, &content_type, header("retry-after").as_deref()));
    }
    let remaining_credits = header("x-remaining-credits");
    let from_stand_in = header("x-stand-in").is_some();
    let content_type = header("content-type").unwrap_or_default();
    let blob = match answer::answer_form(&content_type, request.base64) {
        AnswerForm::RawVideo => blob_of(&response, signal).await?,
        AnswerForm::Json => {
            let json = await_js(response.json().map_err(|e| network(&e))?, signal).await?;
            base64_blob(&base64_in_json(&json)?).await?
        }
        AnswerForm::Text => {
            let text = await_js(response.text().map_err(|e| network(&e))?, signal).await?;
            base64_blob(&text.dyn_into::<JsString>().map_err(|_| not_a_video("the answer is not text"))?).await?
        }
    };
    let blob = checked_video(blob).await?;
    Ok(Video { blob, remaining_credits, from_stand_in })
}

/// POSTs a JSON body; the key, when there is one, goes in `x-api-key` and nowhere else.
async fn post_json(url: &str, api_key: Option<&str>, body: &str, signal: Option<&AbortSignal>) -> Result<Response, ApiError> {
    let headers = Headers::new().map_err(|e| network(&e))?;
    headers.set("content-type", "application/json").map_err(|e| network(&e))?;
    if let Some(key) = api_key {
        headers.set("x-api-key", key).map_err(|e| network(&e))?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_signal(signal);
    let window = web_sys::window().ok_or_else(|| ApiError::Network { detail: "no browser window".into() })?;
    let response = await_js(window.fetch_with_str_and_init(url, &init), signal).await?;
    response.dyn_into::<Response>().map_err(|_| ApiError::Network { detail: "fetch gave no response".into() })
}

/// Awaits a promise; a rejection is a cancel when `signal` fired, else a network failure.
async fn await_js(promise: js_sys::Promise, signal: Option<&AbortSignal>) -> Result<JsValue, ApiError> {
    JsFuture::from(promise).await.map_err(|e| {
        if signal.is_some_and(AbortSignal::aborted) {
            ApiError::Cancelled
        } else {
            network(&e)
        }
    })
}

async fn await_text(promise: Result<js_sys::Promise, JsValue>, signal: Option<&AbortSignal>) -> Result<String, ApiError> {
    let value = await_js(promise.map_err(|e| network(&e))?, signal).await?;
    Ok(value.as_string().unwrap_or_default())
}

async fn blob_of(response: &Response, signal: Option<&AbortSignal>) -> Result<Blob, ApiError> {
    let promise = response.blob().map_err(|e| network(&e))?;
    await_js(promise, signal).await?.dyn_into::<Blob>().map_err(|_| not_a_video("the body could not be read"))
}

/// The base64 text in a JSON answer: the document itself if it is a string,
/// else the first of [`answer::BASE64_KEYS`] that holds a string.
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

/// Decodes base64 (bare or a `data:` URI) into a Blob inside the browser.
async fn base64_blob(text: &JsString) -> Result<Blob, ApiError> {
    // Only the first bytes cross into Rust, to find where the base64 starts.
    let prefix = String::from(text.slice(0, 256));
    let start = answer::base64_start(&prefix).ok_or_else(|| not_a_video("the data: URI in the answer is not base64"))?;
    let payload = text.slice(start as u32, text.length());
    let bytes = decode_base64(&payload).await?;
    let parts = Array::of1(&bytes);
    Blob::new_with_u8_array_sequence(&parts).map_err(|e| network(&e))
}

/// `Uint8Array.fromBase64` where the browser has it (Chromium 140+), else the
/// browser's own data: URL decoder through fetch; neither copies into wasm.
async fn decode_base64(payload: &JsString) -> Result<JsValue, ApiError> {
    let damaged = |_| not_a_video("the base64 video in the answer is damaged");
    let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Uint8Array")).map_err(damaged)?;
    if let Ok(from_base64) = Reflect::get(&constructor, &JsValue::from_str("fromBase64")) {
        if let Some(from_base64) = from_base64.dyn_ref::<js_sys::Function>() {
            let bytes = from_base64.call1(&constructor, payload).map_err(damaged)?;
            return Ok(bytes);
        }
    }
    let window = web_sys::window().ok_or_else(|| ApiError::Network { detail: "no browser window".into() })?;
    let url = JsString::from("data:application/octet-stream;base64,").concat(payload);
    let response: Response = JsFuture::from(window.fetch_with_str(&String::from(url)))
        .await
        .map_err(damaged)?
        .unchecked_into();
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
    if blob.type_() == mime {
        return Ok(blob);
    }
    // Re-wrapping references the same bytes; it only sets the type.
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(&Array::of1(&blob), &options).map_err(|e| network(&e))
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
