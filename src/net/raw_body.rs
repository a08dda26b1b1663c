//! A raw video answer, gathered as the browser hands it over: the bytes stay
//! browser objects (Blobs joined by the browser), Rust counts them for the
//! progress view. Measured against `Response.blob()` on a 50 MB answer from
//! localhost: about +140 ms (`Response.blob()` gives no progress); the
//! counting `TransformStream` this replaced cost +350 to +500 ms.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{Blob, ReadableStream, ReadableStreamByobReader, ReadableStreamDefaultReader, Response};

use super::body::{next_chunk, read_step};
use super::{header, network, Progress, Run};
use crate::api::error::ApiError;
use crate::api::number::parse_f64;

/// How often a raw answer's bytes are reported while it arrives.
const PROGRESS_EVERY_MS: f64 = 200.0;

/// How many bytes become one Blob: making it copies them, so a batch is small
/// enough to be a short task (16 MB took ~70 ms).
pub(super) const BATCH_BYTES: u32 = 4 * 1024 * 1024;

/// The body as one Blob. A byte stream (what fetch gives) is read into one
/// buffer of [`BATCH_BYTES`], used again for every batch: a default reader
/// hands over a new `ArrayBuffer` per chunk, 50 MB of garbage for a 50 MB
/// answer. Any other stream is read chunk by chunk.
pub(super) async fn read_blob(response: &Response, run: &Run<'_>) -> Result<Blob, ApiError> {
    let total = header(response, "content-length").and_then(|n| parse_f64(&n));
    let Some(body) = response.body() else { return Blob::new().map_err(|e| network(&e)) };
    let mut gathered = Gathered { batches: Array::new(), received: 0.0, total, told_at: js_sys::Date::now() };
    run.progress(Progress::Receiving { received: 0.0, total });
    match ReadableStreamByobReader::new(&body) {
        Ok(reader) => read_into_one_buffer(&reader, &mut gathered, run).await?,
        Err(_) => read_chunks(&body, &mut gathered, run).await?,
    }
    run.progress(Progress::Receiving { received: gathered.received, total });
    Blob::new_with_blob_sequence(&gathered.batches).map_err(|e| network(&e))
}

/// Adds `parts` (byte views, copied by the Blob) to `batches` as one Blob,
/// then lets the page's other tasks run. Why batches: one Blob made of a whole
/// answer's views copies tens of MB in one task. Why the yield: see
/// [`Gathered::keep`].
pub(super) async fn keep_batch(batches: &Array, parts: &Array) -> Result<(), ApiError> {
    batches.push(Blob::new_with_u8_array_sequence(parts).map_err(|e| network(&e))?.as_ref());
    crate::browser::idle::next_task().await;
    Ok(())
}

/// The batches made so far, and the count for the progress view.
struct Gathered {
    batches: Array,
    received: f64,
    total: Option<f64>,
    told_at: f64,
}

impl Gathered {
    /// Keeps `parts` (byte views, copied by the Blob) as one batch, then lets
    /// the page's other tasks run: when the bytes come faster than they are
    /// read (a fast connection), every read is answered at once and the loop
    /// would never give the page back, a task of 50–90 ms on a 50 MB answer.
    async fn keep(&mut self, parts: &Array) -> Result<(), ApiError> {
        keep_batch(&self.batches, parts).await
    }

    fn count(&mut self, bytes: u32, run: &Run<'_>) {
        self.received += f64::from(bytes);
        let now = js_sys::Date::now();
        if now - self.told_at >= PROGRESS_EVERY_MS {
            run.progress(Progress::Receiving { received: self.received, total: self.total });
            self.told_at = now;
        }
    }
}

/// BYOB reads: each read fills the rest of the buffer (as much as has come)
/// and hands the same memory back, moved to a new `ArrayBuffer` object.
async fn read_into_one_buffer(reader: &ReadableStreamByobReader, gathered: &mut Gathered, run: &Run<'_>) -> Result<(), ApiError> {
    let mut buffer = ArrayBuffer::new(BATCH_BYTES);
    let mut filled = 0u32;
    loop {
        let room = Uint8Array::new_with_byte_offset_and_length(&buffer, filled, BATCH_BYTES - filled);
        let (done, view) = read_step(&run.wait(reader.read_with_array_buffer_view(&room)).await?);
        // The view comes back even at the end (empty), on the buffer's memory.
        let Some(view) = view else {
            return Err(ApiError::AnswerBroken { detail: "the download stopped before its end".into() });
        };
        buffer = view.buffer();
        filled += view.byte_length();
        gathered.count(view.byte_length(), run);
        if done || filled == BATCH_BYTES {
            gathered.keep(&Array::of1(&Uint8Array::new_with_byte_offset_and_length(&buffer, 0, filled))).await?;
            filled = 0;
        }
        if done {
            return Ok(());
        }
    }
}

/// Default reads: the chunks stay JS `Uint8Array`s until a batch's worth
/// are joined.
async fn read_chunks(body: &ReadableStream, gathered: &mut Gathered, run: &Run<'_>) -> Result<(), ApiError> {
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let batch = Array::new();
    let mut in_batch = 0u32;
    while let Some(chunk) = next_chunk(&reader, run).await? {
        gathered.count(chunk.length(), run);
        in_batch = in_batch.saturating_add(chunk.length());
        batch.push(&chunk);
        if in_batch >= BATCH_BYTES {
            gathered.keep(&batch).await?;
            batch.set_length(0);
            in_batch = 0;
        }
    }
    gathered.keep(&batch).await
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::net::body::tests::{big_response, bytes, wasm_memory_bytes, QUIET};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A response whose body is a stream made in JS: `bytes` of `k % 251`,
    /// in pieces of at most 300 KB, each there as soon as it is asked for. A
    /// byte stream (`byte_stream`) fills the reader's own buffer when it
    /// brings one, and notes in `offered` the size of each buffer it was given
    /// (or -1 for a read that came without one), and in `ticks` how many
    /// other tasks (a message the page posts itself again and again) had run by then.
    fn js_stream_response(byte_stream: bool, bytes: u32, offered: &Array, ticks: &Array) -> Response {
        let make = js_sys::Function::new_with_args(
            "byteStream, total, offered, ticks",
            "let sent = 0, tasks = 0;
             const ticker = new MessageChannel();
             ticker.port1.onmessage = () => { tasks++; if (sent < total) ticker.port2.postMessage(null); else ticker.port1.close(); };
             ticker.port2.postMessage(null);
             const piece = (n) => { const a = new Uint8Array(n); for (let i = 0; i < n; i++) a[i] = (sent + i) % 251; sent += n; return a; };
             const pull = (c) => {
               ticks.push(tasks);
               const request = byteStream ? c.byobRequest : null;
               const n = Math.min(300 * 1024, total - sent, request ? request.view.byteLength : Infinity);
               if (request) { offered.push(request.view.buffer.byteLength); request.view.set(piece(n)); request.respond(n); }
               else { offered.push(-1); c.enqueue(piece(n)); }
               if (sent >= total) c.close();
             };
             return new ReadableStream(byteStream ? { type: 'bytes', pull } : { pull });",
        );
        let args = Array::of4(&JsValue::from_bool(byte_stream), &JsValue::from(bytes), offered, ticks);
        let stream = make
            .apply(&JsValue::NULL, &args)
            .expect("stream made")
            .unchecked_into::<ReadableStream>();
        Response::new_with_opt_readable_stream(Some(&stream)).expect("response")
    }

    async fn expect_pattern(blob: &Blob, length: u32) {
        assert_eq!(blob.size(), f64::from(length));
        for at in [0, BATCH_BYTES - 7, BATCH_BYTES, length - 16] {
            let piece = blob.slice_with_f64_and_f64(f64::from(at), f64::from(at + 16)).expect("slice");
            let expected: Vec<u8> = (at..at + 16).map(|k| (k % 251) as u8).collect();
            assert_eq!(bytes(&piece).await, expected, "bytes at {at}");
        }
    }

    #[test]
    async fn a_byte_stream_is_read_into_one_buffer_of_a_batch() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        let (offered, length) = (Array::new(), 2 * BATCH_BYTES + 12_345);
        let blob = read_blob(&js_stream_response(true, length, &offered, &Array::new()), &run).await.expect("read");
        expect_pattern(&blob, length).await;
        let sizes: Vec<f64> = offered.iter().filter_map(|s| s.as_f64()).collect();
        assert!(sizes.len() > 3, "read in pieces: {sizes:?}");
        assert!(sizes.iter().all(|&s| s == f64::from(BATCH_BYTES)), "every read filled the batch's buffer: {sizes:?}");
    }

    #[test]
    async fn an_answer_that_comes_faster_than_it_is_read_gives_the_page_back_between_batches() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        for byte_stream in [true, false] {
            let ticks = Array::new();
            let length = 3 * BATCH_BYTES + 999;
            let blob = read_blob(&js_stream_response(byte_stream, length, &Array::new(), &ticks), &run).await.expect("read");
            expect_pattern(&blob, length).await;
            let seen: Vec<f64> = ticks.iter().filter_map(|t| t.as_f64()).collect();
            let (first, last) = (seen.first().copied().unwrap_or(0.0), seen.last().copied().unwrap_or(0.0));
            assert!(last - first >= 2.0, "other tasks ran between the batches (byte stream: {byte_stream}): {seen:?}");
        }
    }

    #[test]
    async fn another_stream_is_read_chunk_by_chunk() {
        let run = Run { signal: None, timeout_secs: None, on_progress: QUIET };
        let (offered, length) = (Array::new(), BATCH_BYTES + 54_321);
        let blob = read_blob(&js_stream_response(false, length, &offered, &Array::new()), &run).await.expect("read");
        expect_pattern(&blob, length).await;
        assert!(offered.iter().all(|s| s.as_f64() == Some(-1.0)), "a default stream brings its own chunks");
    }

    #[test]
    async fn a_raw_answer_is_joined_whole_and_in_order_outside_wasm_memory() {
        let seen = std::cell::RefCell::new(Vec::new());
        let record = |p: Progress| seen.borrow_mut().push(p);
        let run = Run { signal: None, timeout_secs: None, on_progress: &record };
        let pattern = "0123456789abcdef";
        let length = 16 * 1_300_000; // 20.8 MB: more than one batch
        let before = wasm_memory_bytes();
        let blob = read_blob(&big_response(pattern, 1_300_000, "video/mp4"), &run).await.expect("read");
        assert_eq!(blob.size(), f64::from(length));
        let batch = BATCH_BYTES;
        for at in [0, batch - 7, batch, length - 16] {
            let piece = blob.slice_with_f64_and_f64(f64::from(at), f64::from(at + 16)).expect("slice");
            let expected: Vec<u8> = (at..at + 16).map(|i| pattern.as_bytes()[(i % 16) as usize]).collect();
            assert_eq!(bytes(&piece).await, expected, "bytes at {at}");
        }
        let grown = wasm_memory_bytes() - before;
        assert!(grown < 1024 * 1024, "wasm memory grew by {grown} bytes");
        assert_eq!(seen.borrow().last(), Some(&Progress::Receiving { received: f64::from(length), total: None }), "the count ends at the length");
    }

}
