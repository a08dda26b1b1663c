//! Reading answers. Error and status bodies are read up to a cap as they
//! stream ([`read_capped`]); video stays in browser objects: a raw answer's
//! chunks are joined into Blobs by the browser, base64 is decoded by it a
//! piece at a time. Rust reads only lengths, the first bytes, and capped text.

use js_sys::{Array, JsString, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, ReadableStreamDefaultReader, Response};
#[cfg(all(test, target_arch = "wasm32"))]
use web_sys::Headers;

use super::{header, network, not_a_video, Progress, Run, Video};
use crate::api::answer::{self, AnswerForm, Mp4Step};
use crate::api::error::ApiError;
use crate::api::number::parse_f64;
use crate::net::bounded::{Base64Pieces, BoundedText, BODY_CAP_BYTES};
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
        AnswerForm::RawVideo => super::raw_body::read_blob(response, run).await?,
        AnswerForm::Json => stream_base64(response, true, run).await?,
        AnswerForm::Text => stream_base64(response, false, run).await?,
    };
    Ok(Video { blob: checked_video(blob).await?, remaining_credits, credits_consumed, from_stand_in })
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
    let mut pieces = Base64Pieces::<JsString>::default(); // whole groups of 4 characters
    let mut in_value = false;
    let mut done = false;
    let total = header(response, "content-length").and_then(|n| parse_f64(&n));
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
        if let Some(decodable) = pieces.push(&piece, done || finished) {
            parts.push(&decode_base64(&decodable).await?);
        }
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
pub(super) async fn base64_blob(text: &JsString) -> Result<Blob, ApiError> {
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
            crate::browser::idle::next_task().await;
        }
    }
    Blob::new_with_u8_array_sequence(&parts).map_err(|e| network(&e))
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
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn response(body: &str, content_type: &str) -> Response {
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

    #[test]
    async fn base64_answers_of_no_known_shape_are_refused() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        for body in [r#"{"result":{"nested":"aGVsbG8="}}"#, r#"{"video":"data:text/plain,hello"}"#, "{not json"] {
            let error = stream_base64(&response(body, "application/json"), true, &run).await.expect_err(body);
            assert_eq!(error.kind(), crate::api::error::ErrorKind::NotAVideo, "{body}");
        }
    }
}
