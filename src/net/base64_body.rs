//! Base64 answers (bare, a `data:` URI, or inside JSON) decoded by the
//! browser as they stream in, a piece at a time: the text stays JS strings
//! and the bytes browser objects; Rust reads only short windows of text to
//! find where the base64 starts.

use js_sys::{Array, JsString, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStreamDefaultReader, Response};

use super::{body, header, network, not_a_video, raw_body, Progress, Run};
use crate::api::answer;
use crate::api::error::ApiError;
use crate::api::number::parse_f64;
use crate::net::bounded::Base64Pieces;

/// A base64 answer decoded as it arrives, chunk by chunk, so there is never
/// one 65 MB string nor one long main-thread task. In JSON, the value is
/// found after the first known key (base64 and data: URIs hold no quotes or
/// escapes, so it ends at the next quote); answers of another shape are
/// parsed whole when small. The text stays JS strings; only short windows
/// (to find where the value starts) are read in Rust.
pub(super) async fn stream_base64(response: &Response, json: bool, run: &Run<'_>) -> Result<Blob, ApiError> {
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

    // Decoded bytes, made into a Blob every few MB (as raw answers are).
    let (batches, parts, mut in_batch) = (Array::new(), Array::new(), 0u32);
    let mut head = JsString::from(""); // text before the value starts
    let mut pieces = Base64Pieces::<JsString>::default(); // whole groups of 4 characters
    let mut in_value = false;
    let mut done = false;
    let total = header(response, "content-length").and_then(|n| parse_f64(&n));
    let mut received = 0.0;
    while !done {
        let (finished, chunk) = body::read_step(&run.wait(reader.read()).await?);
        received += chunk.as_ref().map_or(0.0, |c| f64::from(c.length()));
        run.progress(Progress::Receiving { received, total });
        let text: JsString = if finished {
            decode.call0(&text_decoder)
        } else {
            decode.call2(&text_decoder, chunk.as_ref().map_or(&JsValue::UNDEFINED, AsRef::as_ref), &stream_option)
        }
        .map_err(|e| network(&e))?
        .unchecked_into();
        let mut piece = text;
        if !in_value {
            head = head.concat(&piece);
            let Some(start) = value_start(&head, json) else {
                if finished || head.length() > 1_000_000 {
                    // Not the expected shape: a small answer is parsed whole.
                    let parsed = js_sys::JSON::parse(&String::from(&head)).map_err(|_| missing())?;
                    return base64_blob(&base64_in_json(&parsed)?).await;
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
            let bytes = decode_base64(&decodable).await?;
            in_batch = in_batch.saturating_add(bytes.dyn_ref::<Uint8Array>().map_or(0, Uint8Array::length));
            parts.push(&bytes);
            // A Blob every few MB, then the page's other tasks (and its garbage
            // collector) get a turn: one Blob of the whole answer copied tens of
            // MB in one task, and the text read so far stayed in the JS heap.
            if in_batch >= raw_body::BATCH_BYTES {
                raw_body::keep_batch(&batches, &parts).await?;
                parts.set_length(0);
                in_batch = 0;
            }
        }
        done |= finished;
    }
    let _ = reader.cancel();
    raw_body::keep_batch(&batches, &parts).await?;
    Blob::new_with_blob_sequence(&batches).map_err(|e| network(&e))
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
/// slice at a time with a yield after each, so no main-thread task runs long.
pub(super) async fn base64_blob(text: &JsString) -> Result<Blob, ApiError> {
    // Only the first bytes cross into Rust, to find where the base64 starts.
    let prefix = String::from(text.slice(0, 256));
    let start = answer::base64_start(&prefix).ok_or_else(|| not_a_video("the data: URI in the answer is not base64"))?;
    let batches = Array::new();
    let mut at = start as u32;
    while at < text.length() {
        let end = (at + answer::BASE64_SLICE).min(text.length());
        // Each slice's bytes become a Blob before the page's next turn: one Blob
        // made of every slice at the end would copy tens of MB in one task.
        raw_body::keep_batch(&batches, &Array::of1(&decode_base64(&text.slice(at, end)).await?)).await?;
        at = end;
    }
    Blob::new_with_blob_sequence(&batches).map_err(|e| network(&e))
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::net::body::tests::{bytes, response, QUIET};
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
            assert_eq!(error.kind(), crate::api::error::ErrorKind::NotAVideo, "{body}");
        }
    }

    /// The base64 of `bytes` bytes of `k % 251`, made in the browser.
    fn base64_of_pattern(bytes: u32) -> JsString {
        js_sys::Function::new_with_args(
            "total",
            "const raw = new Uint8Array(total); for (let i = 0; i < total; i++) raw[i] = i % 251;
             let binary = ''; for (let i = 0; i < total; i += 32768) binary += String.fromCharCode(...raw.subarray(i, i + 32768));
             return btoa(binary);",
        )
        .call1(&JsValue::NULL, &JsValue::from(bytes))
        .expect("base64 made")
        .unchecked_into()
    }

    async fn expect_pattern(blob: &Blob, length: u32) {
        assert_eq!(blob.size(), f64::from(length));
        for at in [0, raw_body::BATCH_BYTES - 7, 2 * raw_body::BATCH_BYTES + 5, length - 16] {
            let piece = blob.slice_with_f64_and_f64(f64::from(at), f64::from(at + 16)).expect("slice");
            let expected: Vec<u8> = (at..at + 16).map(|k| (k % 251) as u8).collect();
            assert_eq!(bytes(&piece).await, expected, "bytes at {at}");
        }
    }

    /// A JSON answer holding [`base64_of_pattern`] of `bytes`, streamed from
    /// JS in pieces of 1 MB of text, each there as soon as it is asked for;
    /// `ticks` notes, at each piece, how many other tasks (a message the page
    /// posts itself again and again) had run by then.
    fn streamed_base64_answer(bytes: u32, ticks: &Array) -> Response {
        let make = js_sys::Function::new_with_args(
            "base64, ticks",
            "const body = new TextEncoder().encode('{\"status\":\"ok\",\"image\":\"' + base64 + '\"}');
             let sent = 0, tasks = 0, open = true;
             const ticker = new MessageChannel();
             ticker.port1.onmessage = () => { tasks++; if (open) ticker.port2.postMessage(null); else ticker.port1.close(); };
             ticker.port2.postMessage(null);
             return new ReadableStream({ pull(c) {
               ticks.push(tasks);
               const n = Math.min(1024 * 1024, body.length - sent);
               c.enqueue(body.slice(sent, sent + n)); sent += n;
               if (sent >= body.length) { open = false; c.close(); }
             } });",
        );
        let stream = make.call2(&JsValue::NULL, &base64_of_pattern(bytes), ticks).expect("stream made").unchecked_into::<web_sys::ReadableStream>();
        Response::new_with_opt_readable_stream(Some(&stream)).expect("response")
    }

    #[test]
    async fn a_long_base64_text_decodes_whole_and_in_order_across_its_slices() {
        let length = 3 * raw_body::BATCH_BYTES + 999;
        let text = base64_of_pattern(length);
        assert!(text.length() > 3 * answer::BASE64_SLICE, "more than three slices");
        expect_pattern(&base64_blob(&text).await.expect("decoded"), length).await;
        let uri = JsString::from("data:video/mp4;base64,").concat(&text);
        expect_pattern(&base64_blob(&uri).await.expect("decoded"), length).await;
    }

    #[test]
    async fn a_base64_answer_that_comes_faster_than_it_is_read_gives_the_page_back_between_batches() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        let ticks = Array::new();
        let length = 3 * raw_body::BATCH_BYTES + 999;
        let blob = stream_base64(&streamed_base64_answer(length, &ticks), true, &run).await.expect("decoded");
        expect_pattern(&blob, length).await;
        let seen: Vec<f64> = ticks.iter().filter_map(|t| t.as_f64()).collect();
        let (first, last) = (seen.first().copied().unwrap_or(0.0), seen.last().copied().unwrap_or(0.0));
        assert!(last - first >= 2.0, "other tasks ran while the answer was decoded: {seen:?}");
    }
}
