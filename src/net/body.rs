//! Reading answers. Error and status bodies are read up to a cap as they
//! stream ([`read_capped`]); video stays in browser objects: a raw answer's
//! chunks are joined into Blobs by the browser, base64 is decoded by it a
//! piece at a time. Rust reads only lengths, the first bytes, and capped text.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, ReadableStreamDefaultReader, Response};
#[cfg(all(test, target_arch = "wasm32"))]
use web_sys::Headers;

use super::{base64_body, header, network, not_a_video, raw_body, Run, Video};
use crate::api::answer::{self, AnswerForm, Mp4Step};
use crate::api::error::ApiError;
use crate::api::number::parse_f64;
use crate::net::bounded::{BoundedText, BODY_CAP_BYTES};
use crate::api::endpoint::Endpoint;
use crate::browser::json_doc::JsonDoc;

/// A connection that broke while an answer was streaming in: the server had
/// answered, so the run was made ([`ApiError::AnswerBroken`]).
pub fn broken_if_cut(error: ApiError) -> ApiError {
    match error {
        ApiError::Network { detail } => ApiError::AnswerBroken { detail },
        other => other,
    }
}

/// A reader's `{ done, value }`: whether the stream ended (a step that says
/// nothing counts as the end), and the bytes, if any.
pub(super) fn read_step(step: &JsValue) -> (bool, Option<Uint8Array>) {
    let done = Reflect::get(step, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
    (done, Reflect::get(step, &JsValue::from_str("value")).ok().and_then(|v| v.dyn_into::<Uint8Array>().ok()))
}

/// One step of a body reader: the chunk, or `None` at the end.
pub(super) async fn next_chunk(reader: &ReadableStreamDefaultReader, run: &Run<'_>) -> Result<Option<Uint8Array>, ApiError> {
    match read_step(&run.wait(reader.read()).await?) {
        (true, _) => Ok(None),
        (false, chunk) => Ok(chunk),
    }
}

/// The body as text, at most [`BODY_CAP_BYTES`] of it: only what fits is
/// copied into wasm memory, and the rest of the stream is cancelled.
pub async fn read_capped(response: &Response, run: &Run<'_>) -> Result<String, ApiError> {
    let Some(stream) = response.body() else { return Ok(String::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut text = BoundedText::new(BODY_CAP_BYTES);
    while let Some(chunk) = next_chunk(&reader, run).await? {
        let take = (chunk.length() as usize).min(text.room()) as u32;
        let more = text.push(&chunk.subarray(0, take).to_vec()) && take == chunk.length();
        if !more {
            text.mark_cut();
            let _ = reader.cancel();
            break;
        }
    }
    Ok(text.finish().0)
}

/// An error status and its (capped) body as an [`ApiError`].
pub async fn error_of(response: &Response, run: &Run<'_>) -> ApiError {
    let body = match read_capped(response, run).await {
        Ok(text) => text,
        Err(e @ (ApiError::Cancelled | ApiError::TimedOut { .. })) => return e,
        Err(_) => String::new(),
    };
    let content_type = header(response, "content-type").unwrap_or_default();
    ApiError::from_status(response.status(), &body, &content_type, header(response, "retry-after").as_deref())
}

/// A small JSON answer (a ticket, a balance) read as a document.
pub async fn small_json(response: &Response, run: &Run<'_>) -> Result<JsonDoc, ApiError> {
    let text = read_capped(response, run).await?;
    JsonDoc::parse(&text).ok_or_else(|| not_a_video("the answer was not the JSON the API documents"))
}

/// A success answer as a checked video Blob, in whichever form it came.
pub async fn video_of(response: &Response, asked_for_base64: bool, endpoint: &Endpoint, run: &Run<'_>) -> Result<Video, ApiError> {
    let remaining_credits = header(response, "x-remaining-credits");
    let credits_consumed = header(response, "x-credits-consumed").and_then(|c| parse_f64(c.trim())).filter(|c| c.is_finite() && *c >= 0.0);
    let from_stand_in = header(response, "x-stand-in").is_some() && endpoint.kind == crate::api::endpoint::EndpointKind::StandIn;
    let content_type = header(response, "content-type").unwrap_or_default();
    let blob = match answer::answer_form(&content_type, asked_for_base64) {
        AnswerForm::RawVideo => raw_body::read_blob(response, run).await?,
        AnswerForm::Json => base64_body::stream_base64(response, true, run).await?,
        AnswerForm::Text => base64_body::stream_base64(response, false, run).await?,
    };
    Ok(Video { blob: checked_video(blob).await?, remaining_credits, credits_consumed, from_stand_in })
}

/// Refuses what `<video>` can't play, and gives the Blob its video type.
pub(super) async fn checked_video(blob: Blob) -> Result<Blob, ApiError> {
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
    for _ in 0..=answer::MP4_MAX_BOXES {
        let end = (offset + f64::from(answer::BOX_HEADER_LEN)).min(total);
        let head = blob.slice_with_f64_and_f64(offset, end).map_err(|e| network(&e))?;
        let bytes = Uint8Array::new(&JsFuture::from(head.array_buffer()).await.map_err(|e| network(&e))?).to_vec();
        match answer::mp4_step(offset, total, &bytes) {
            Mp4Step::Complete => return Ok(true),
            Mp4Step::Next(next) => offset = next,
            Mp4Step::Broken => return Ok(false),
        }
    }
    Ok(false)
}

#[cfg(all(test, target_arch = "wasm32"))]
pub(super) mod tests {
    use super::*;
    use crate::net::Progress;
    use js_sys::JsString;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    pub(in crate::net) fn response(body: &str, content_type: &str) -> Response {
        let init = web_sys::ResponseInit::new();
        let headers = Headers::new().expect("headers");
        headers.set("content-type", content_type).expect("header");
        init.set_headers(&headers);
        Response::new_with_opt_str_and_init(Some(body), &init).expect("response")
    }

    pub(in crate::net) async fn bytes(blob: &Blob) -> Vec<u8> {
        Uint8Array::new(&JsFuture::from(blob.array_buffer()).await.expect("bytes")).to_vec()
    }

    pub(in crate::net) const QUIET: &dyn Fn(Progress) = &|_| {};

    /// A response whose body is made in the browser (never in wasm memory).
    pub(in crate::net) fn big_response(part: &str, times: u32, content_type: &str) -> Response {
        let text = JsString::from(part).repeat(times as i32);
        let blob = Blob::new_with_str_sequence(&Array::of1(&text)).expect("blob");
        let init = web_sys::ResponseInit::new();
        let headers = Headers::new().expect("headers");
        headers.set("content-type", content_type).expect("header");
        init.set_headers(&headers);
        Response::new_with_opt_blob_and_init(Some(&blob), &init).expect("response")
    }

    pub(in crate::net) fn wasm_memory_bytes() -> u32 {
        wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length()
    }

    #[test]
    async fn a_huge_error_body_is_read_only_up_to_the_cap() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        let before = wasm_memory_bytes();
        let text = read_capped(&big_response("0123456789", 1_600_000, "text/plain"), &run).await.expect("read");
        assert_eq!(text.len(), BODY_CAP_BYTES, "16 MB sent, the cap read");
        let error = error_of(&big_response("<p>gateway trouble</p>", 800_000, "text/html"), &run).await;
        assert!(error.server_message().is_some_and(|m| m.chars().count() <= 401), "{error:?}");
        let grown = wasm_memory_bytes() - before;
        assert!(grown < 1024 * 1024, "wasm memory grew by {grown} bytes");
    }
}
