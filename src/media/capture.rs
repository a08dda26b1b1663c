//! The camera and the microphone: a snapshot of the camera as a PNG, and a
//! recording with a level meter. What they make goes through the same checks
//! as a chosen file (`local_media`). The bytes stay in browser objects.

use js_sys::{Array, Promise};
use thiserror::Error;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, Blob, BlobEvent, CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaRecorder,
    MediaStream, MediaStreamConstraints,
};

#[derive(Clone, Debug, Error, PartialEq)]
pub enum CaptureError {
    #[error("The browser was not allowed to use the {0}: allow it in the address bar's site settings, or choose a file instead.")]
    Denied(&'static str),
    #[error("No {0} was found: connect one, or choose a file instead.")]
    NoDevice(&'static str),
    #[error("The {0} is busy in another app or tab: close it there, or choose a file instead.")]
    Busy(&'static str),
    #[error("This browser can't use the {0} here (it needs a secure https:// or localhost page); choose a file instead.")]
    Unsupported(&'static str),
    #[error("The {0} failed: {1}")]
    Failed(&'static str, String),
}

/// The plain message for a `getUserMedia` failure, by its DOMException name.
pub fn capture_problem(device: &'static str, name: &str, message: String) -> CaptureError {
    match name {
        "NotAllowedError" | "SecurityError" => CaptureError::Denied(device),
        "NotFoundError" | "OverconstrainedError" => CaptureError::NoDevice(device),
        "NotReadableError" | "AbortError" => CaptureError::Busy(device),
        "TypeError" | "NotSupportedError" => CaptureError::Unsupported(device),
        _ => CaptureError::Failed(device, message),
    }
}

fn problem(device: &'static str, error: &JsValue) -> CaptureError {
    let text = |key: &str| js_sys::Reflect::get(error, &key.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    capture_problem(device, &text("name"), text("message"))
}

/// Asks for the camera (`video`) or the microphone.
pub async fn open(video: bool) -> Result<MediaStream, CaptureError> {
    let device = if video { "camera" } else { "microphone" };
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or(CaptureError::Unsupported(device))?;
    let constraints = MediaStreamConstraints::new();
    if video {
        constraints.set_video(&JsValue::TRUE);
    } else {
        constraints.set_audio(&JsValue::TRUE);
    }
    let promise = devices.get_user_media_with_constraints(&constraints).map_err(|e| problem(device, &e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| problem(device, &e))?;
    stream.dyn_into().map_err(|_| CaptureError::Failed(device, "no stream".into()))
}

/// Ends every track, so the camera or microphone light goes off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// The camera's current frame as a PNG.
pub async fn snapshot(video: &HtmlVideoElement) -> Result<Blob, CaptureError> {
    let failed = |what: &str| CaptureError::Failed("camera", what.to_string());
    let (width, height) = (video.video_width(), video.video_height());
    if width == 0 || height == 0 {
        return Err(failed("no picture yet; wait a moment and try again"));
    }
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| failed("no document"))?;
    let canvas: HtmlCanvasElement = document.create_element("canvas").map_err(|_| failed("no canvas"))?.unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    let context: CanvasRenderingContext2d =
        canvas.get_context("2d").ok().flatten().ok_or_else(|| failed("no 2D canvas"))?.unchecked_into();
    context.draw_image_with_html_video_element(video, 0.0, 0.0).map_err(|_| failed("the frame could not be drawn"))?;
    let blob = Promise::new(&mut |resolve, _| {
        let _ = canvas.to_blob_with_type(&resolve, "image/png");
    });
    JsFuture::from(blob).await.ok().and_then(|b| b.dyn_into::<Blob>().ok()).ok_or_else(|| failed("the frame could not be encoded"))
}

/// A microphone recording in progress.
pub struct Recording {
    stream: MediaStream,
    recorder: MediaRecorder,
    chunks: Array,
    analyser: AnalyserNode,
    context: AudioContext,
    level_buffer: Vec<u8>,
    _on_data: Closure<dyn FnMut(BlobEvent)>,
}

impl Recording {
    pub async fn start() -> Result<Recording, CaptureError> {
        let stream = open(false).await?;
        let failed = |e: JsValue| problem("microphone", &e);
        let recorder = MediaRecorder::new_with_media_stream(&stream).map_err(failed)?;
        let chunks = Array::new();
        let sink = chunks.clone();
        // Each chunk stays a JS Blob; it is only collected.
        let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |event: BlobEvent| {
            if let Some(data) = event.data() {
                sink.push(&data);
            }
        });
        recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
        let context = AudioContext::new().map_err(failed)?;
        let analyser = context.create_analyser().map_err(failed)?;
        analyser.set_fft_size(256);
        context.create_media_stream_source(&stream).and_then(|s| s.connect_with_audio_node(&analyser)).map_err(failed)?;
        recorder.start_with_time_slice(250).map_err(failed)?;
        Ok(Recording { stream, recorder, chunks, analyser, context, level_buffer: vec![0; 256], _on_data: on_data })
    }

    /// The current input level, 0 to 1 (for the meter).
    pub fn level(&mut self) -> f64 {
        self.analyser.get_byte_time_domain_data(&mut self.level_buffer);
        let peak = self.level_buffer.iter().map(|&b| (i16::from(b) - 128).unsigned_abs()).max().unwrap_or(0);
        f64::from(peak) / 128.0
    }

    /// Stops and returns the recording (WebM/Opus in Chromium).
    pub async fn finish(self) -> Result<Blob, CaptureError> {
        let stopped = Promise::new(&mut |resolve, _| self.recorder.set_onstop(Some(&resolve)));
        let _ = self.recorder.stop();
        let _ = JsFuture::from(stopped).await;
        stop(&self.stream);
        let _ = self.context.close();
        let mime = self.recorder.mime_type();
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(&mime);
        Blob::new_with_blob_sequence_and_options(&self.chunks, &options).map_err(|e| problem("microphone", &e))
    }

    /// Abandons the recording.
    pub fn cancel(self) {
        let _ = self.recorder.stop();
        stop(&self.stream);
        let _ = self.context.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn each_refusal_gets_a_plain_message_and_a_way_out() {
        assert_eq!(capture_problem("camera", "NotAllowedError", String::new()), CaptureError::Denied("camera"));
        assert_eq!(capture_problem("microphone", "NotFoundError", String::new()), CaptureError::NoDevice("microphone"));
        assert_eq!(capture_problem("camera", "NotReadableError", String::new()), CaptureError::Busy("camera"));
        assert_eq!(capture_problem("camera", "TypeError", String::new()), CaptureError::Unsupported("camera"));
        let other = capture_problem("camera", "WeirdError", "it broke".into());
        assert_eq!(other.to_string(), "The camera failed: it broke");
        for error in [CaptureError::Denied("camera"), CaptureError::NoDevice("microphone"), CaptureError::Busy("camera")] {
            assert!(error.to_string().contains("choose a file instead"), "{error}");
        }
    }
}
