//! Local files and recordings, checked in the browser before anything is
//! sent. Their bytes stay in browser objects (`Blob`, `ArrayBuffer`,
//! `AudioBuffer`): only the first bytes are sniffed in Rust, and audio is
//! read in small chunks for the silence check and the WAV encoding. A plain
//! WAV is never decoded whole: its header tells its length and its samples
//! are read in slices of the file (`media::wav`).

use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, Blob, BlobPropertyBag, FileReader, ImageBitmap, OfflineAudioContext};

use crate::api::estimate;
use crate::media::trim::{self, Trim};
use crate::media::wav::{self, WavLayout};
use crate::media::{self, AudioKind, MediaProblem};
use crate::browser::object_url::ObjectUrl;
use crate::chunks::split_point;

/// Frames read into wasm at a time (per channel): keeps the memory high-water mark small.
const CHUNK_FRAMES: u32 = 65_536;

/// A checked local input, ready to send.
#[derive(Clone, Debug)]
pub struct LocalMedia {
    /// What is sent (a recording re-encoded as WAV where needed).
    pub blob: Blob,
    pub name: String,
    /// "512×512 px · 52 KB" or "3.2 s · 64 KB".
    pub summary: String,
    /// A `blob:` URL for the thumbnail or player.
    pub preview: ObjectUrl,
    /// A voice clip's length in seconds; a picture's pixel count.
    pub measure: f64,
    /// A voice clip's samples, kept so a trim can be cut from them.
    pub audio: Option<VoiceSamples>,
    /// A voice clip's loudness in [`trim::PEAKS`] stretches, for the waveform and "trim silence".
    pub peaks: Vec<f32>,
    /// Said beside the input: a conversion, or a long clip's cost.
    pub notes: Vec<String>,
}

fn browser(error: &JsValue) -> MediaProblem {
    let text = error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| error.as_string());
    MediaProblem::Browser(text.unwrap_or_else(|| "no reason given".into()))
}

async fn head(blob: &Blob) -> Result<Vec<u8>, MediaProblem> {
    let slice = blob.slice_with_i32_and_i32(0, media::SNIFF_LEN as i32).map_err(|e| browser(&e))?;
    let buffer = JsFuture::from(slice.array_buffer()).await.map_err(|e| browser(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn typed(blob: &Blob, mime: &str) -> Result<Blob, MediaProblem> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(&Array::of1(blob), &options).map_err(|e| browser(&e))
}

/// What checking a chosen file gives, once its code is here.
pub type Checking = Pin<Box<dyn Future<Output = Result<LocalMedia, MediaProblem>>>>;

split_point! {
    preload pub fetch_check_part;
    /// The checks of chosen files: their code is fetched with the first choice.
    fn check_part(file: Blob, name: String, is_image: bool) -> Checking {
        Box::pin(async move { if is_image { load_image(&file, &name).await } else { load_audio(&file, &name).await } })
    }
}

/// Checks a chosen file as a portrait (`is_image`) or a voice clip.
pub async fn check(file: Blob, name: String, is_image: bool) -> Result<LocalMedia, MediaProblem> {
    match check_part(file, name, is_image).await {
        Ok(checking) => checking.await,
        Err(_) => Err(MediaProblem::CheckMissing),
    }
}

/// A portrait: really an image, decodable, of a sensible size.
pub async fn load_image(file: &Blob, name: &str) -> Result<LocalMedia, MediaProblem> {
    let kind = media::sniff_image(&head(file).await?).map_err(MediaProblem::NotAnImage)?;
    media::check_file_size(file.size(), media::MAX_IMAGE_BYTES)?;
    let window = web_sys::window().ok_or_else(|| MediaProblem::Browser("no window".into()))?;
    let bitmap: ImageBitmap = JsFuture::from(window.create_image_bitmap_with_blob(file).map_err(|e| browser(&e))?)
        .await
        .map_err(|_| MediaProblem::ImageUndecodable)?
        .unchecked_into();
    let (width, height) = (bitmap.width(), bitmap.height());
    bitmap.close();
    media::check_image_size(width, height)?;
    let blob = typed(file, kind.mime())?;
    let preview = ObjectUrl::new(&blob).ok_or_else(|| MediaProblem::Browser("no preview".into()))?;
    Ok(LocalMedia {
        summary: format!("{width}×{height} px · {}", estimate::size_text(file.size())),
        measure: f64::from(width) * f64::from(height),
        audio: None,
        peaks: Vec::new(),
        blob,
        name: name.to_string(),
        preview,
        notes: Vec::new(),
    })
}

/// How the stretch of a voice clip that is sent gets cut from it.
#[derive(Clone, Debug)]
pub enum VoiceSamples {
    /// Decoded by the browser (a browser object): anything but a plain WAV.
    Decoded(AudioBuffer),
    /// A plain WAV: cut from slices of the file itself, never decoded whole.
    Wav(WavLayout),
}

/// A voice clip: really audio, decodable, not silent, of a sensible length;
/// anything but WAV or MP3 (a microphone's WebM/Opus, M4A, OGG) becomes WAV.
pub async fn load_audio(file: &Blob, name: &str) -> Result<LocalMedia, MediaProblem> {
    let kind = media::sniff_audio(&head(file).await?).map_err(MediaProblem::NotAudio)?;
    media::check_file_size(file.size(), media::MAX_AUDIO_BYTES)?;
    if kind == AudioKind::Wav {
        // A plain WAV tells its length in its header and its samples are read in
        // slices: decoding a big one whole holds the page for a long moment.
        let head = range(file, 0.0, f64::from(wav::HEAD_LEN)).await?;
        if let Ok(layout) = WavLayout::parse(&head, file.size() as u64) {
            return load_plain_wav(file, name, layout).await;
        }
    }
    let bytes = JsFuture::from(file.array_buffer()).await.map_err(|e| browser(&e))?;
    let context = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(1, 1, 44_100.0).map_err(|e| browser(&e))?;
    let decoding = context.decode_audio_data(&bytes.unchecked_into()).map_err(|_| MediaProblem::AudioUndecodable)?;
    let audio: AudioBuffer = JsFuture::from(decoding).await.map_err(|_| MediaProblem::AudioUndecodable)?.unchecked_into();
    let duration = audio.duration();
    let Scanned { wav, peak, peaks } = scan(&audio, kind.needs_wav(), 0..audio.length()).await?;
    media::check_audio(duration, peak)?;
    let (blob, mut notes) = match wav {
        Some(wav) => (wav, vec![format!("Converted from {} to WAV in the page (the model takes WAV or MP3).", kind.name())]),
        None => (typed(file, if kind == AudioKind::Wav { "audio/wav" } else { "audio/mpeg" })?, Vec::new()),
    };
    notes.extend(media::long_audio_warning(duration));
    voice(blob, name, duration, VoiceSamples::Decoded(audio), peaks, notes)
}

fn voice(blob: Blob, name: &str, duration: f64, samples: VoiceSamples, peaks: Vec<f32>, notes: Vec<String>) -> Result<LocalMedia, MediaProblem> {
    let preview = ObjectUrl::new(&blob).ok_or_else(|| MediaProblem::Browser("no preview".into()))?;
    Ok(LocalMedia {
        summary: format!("{} s · {}", estimate::credits_text((duration * 10.0).round() / 10.0), estimate::size_text(blob.size())),
        measure: duration,
        audio: Some(samples),
        peaks,
        blob,
        name: name.to_string(),
        preview,
        notes,
    })
}

/// Bytes `start..end` of a file, read by the browser.
async fn range(file: &Blob, start: f64, end: f64) -> Result<Vec<u8>, MediaProblem> {
    let slice = file.slice_with_f64_and_f64(start, end).map_err(|e| browser(&e))?;
    let buffer = JsFuture::from(slice.array_buffer()).await.map_err(|e| browser(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A plain WAV, checked from its header and from slices of its samples
/// (each a few hundred KB, the page free between them); sent as it is.
async fn load_plain_wav(file: &Blob, name: &str, layout: WavLayout) -> Result<LocalMedia, MediaProblem> {
    let duration = layout.duration_secs();
    media::check_audio_length(duration)?; // a clip too long is not read at all
    let mut peaks = vec![0f32; trim::PEAKS];
    let per_peak = (layout.frames() as f64 / trim::PEAKS as f64).max(1.0);
    let step = u64::from(CHUNK_FRAMES) * layout.block();
    let end = layout.data_start + layout.data_len;
    let (mut at, mut peak) = (layout.data_start, 0f32);
    while at < end {
        let next = (at + step).min(end);
        let bytes = range(file, at as f64, next as f64).await?;
        peak = peak.max(layout.scan(&bytes, (at - layout.data_start) / layout.block(), &mut peaks, per_peak));
        at = next;
        crate::browser::idle::next_task().await;
    }
    media::check_audio(duration, peak)?;
    let blob = typed(file, "audio/wav")?;
    voice(blob, name, duration, VoiceSamples::Wav(layout), peaks, media::long_audio_warning(duration).into_iter().collect())
}

struct Scanned {
    wav: Option<Blob>,
    peak: f32,
    /// The loudest sample in each of [`trim::PEAKS`] equal stretches.
    peaks: Vec<f32>,
}

/// Reads `frames` of the decoded audio chunk by chunk: its peak, its
/// loudness per stretch, and (when asked) a 16-bit WAV made of browser-side
/// parts. Yields to the browser between chunks, so a long clip never holds
/// the main thread.
async fn scan(audio: &AudioBuffer, encode: bool, frames: std::ops::Range<u32>) -> Result<Scanned, MediaProblem> {
    let channels = audio.number_of_channels().min(2);
    let total = frames.end.saturating_sub(frames.start);
    let parts = Array::new();
    if encode {
        parts.push(&Uint8Array::from(&media::wav_header(audio.sample_rate() as u32, channels as u16, total)[..]));
    }
    let mut buffers: Vec<Vec<f32>> = (0..channels).map(|_| Vec::new()).collect();
    let mut peak = 0f32;
    let mut peaks = vec![0f32; trim::PEAKS];
    let per_peak = (f64::from(total) / trim::PEAKS as f64).max(1.0);
    let mut start = frames.start;
    while start < frames.end {
        let len = CHUNK_FRAMES.min(frames.end - start) as usize;
        for (channel, buffer) in buffers.iter_mut().enumerate() {
            buffer.resize(len, 0.0);
            audio.copy_from_channel_with_start_in_channel(buffer, channel as i32, start).map_err(|e| browser(&e))?;
        }
        if let Some(first) = buffers.first() {
            for (i, x) in first.iter().enumerate() {
                let at = ((f64::from(start - frames.start) + i as f64) / per_peak) as usize;
                if let Some(p) = peaks.get_mut(at) {
                    *p = p.max(x.abs());
                }
            }
        }
        let (pcm, chunk_peak) = media::pcm16(&buffers);
        peak = peak.max(chunk_peak);
        if encode {
            parts.push(&Uint8Array::from(&pcm[..]));
        }
        start += len as u32;
        crate::browser::idle::next_task().await;
    }
    if !encode {
        return Ok(Scanned { wav: None, peak, peaks });
    }
    let options = BlobPropertyBag::new();
    options.set_type("audio/wav");
    let wav = Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| browser(&e))?;
    Ok(Scanned { wav: Some(wav), peak, peaks })
}

/// The kept stretch of a voice clip, as a WAV to send: a plain WAV's own
/// samples behind a header of their own, or a decoded clip encoded anew.
pub async fn cut(voice: &LocalMedia, kept: Trim) -> Result<Blob, MediaProblem> {
    match &voice.audio {
        Some(VoiceSamples::Decoded(audio)) => trimmed_wav(audio, kept).await,
        Some(VoiceSamples::Wav(layout)) => {
            let kept = kept.within(voice.measure);
            let (start, end) = layout.byte_range(kept.start, kept.end);
            let samples = voice.blob.slice_with_f64_and_f64(start as f64, end as f64).map_err(|e| browser(&e))?;
            let parts = Array::of2(&Uint8Array::from(&layout.header(end - start)[..]), &samples);
            let options = BlobPropertyBag::new();
            options.set_type("audio/wav");
            Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|e| browser(&e))
        }
        None => Err(MediaProblem::Browser("this is not a voice clip".into())),
    }
}

async fn trimmed_wav(audio: &AudioBuffer, kept: Trim) -> Result<Blob, MediaProblem> {
    let rate = f64::from(audio.sample_rate());
    let kept = kept.within(audio.duration());
    let first = ((kept.start * rate).round() as u32).min(audio.length());
    let last = ((kept.end * rate).round() as u32).clamp(first, audio.length());
    scan(audio, true, first..last).await?.wav.ok_or_else(|| MediaProblem::Browser("no WAV was made".into()))
}

/// Bytes read into one base64 piece: a multiple of 3, so the pieces join
/// into one valid base64 text; small enough that encoding one is a short task.
const URI_PIECE_BYTES: f64 = 3.0 * 512.0 * 1024.0;

/// The file as a `data:` URI, held as a `Blob` of its text (a `Blob` or a
/// request body takes it as it is). The browser encodes it a piece at a time,
/// the page free between pieces: a 20 MB clip made into one 27 MB string at
/// once held the page for ~200 ms. The text never enters wasm.
pub async fn data_uri(blob: &Blob) -> Result<Blob, MediaProblem> {
    let mime = Some(blob.type_()).filter(|t| !t.is_empty()).unwrap_or_else(|| "application/octet-stream".into());
    let parts = Array::of1(&JsValue::from_str(&format!("data:{mime};base64,")));
    let size = blob.size();
    let mut at = 0.0;
    while at < size {
        let end = (at + URI_PIECE_BYTES).min(size);
        let piece = blob.slice_with_f64_and_f64(at, end).map_err(|e| browser(&e))?;
        let uri = read_as_data_url(&piece).await?;
        // The piece's own "data:…;base64," goes: only its base64 joins the whole.
        let base64 = uri.slice(uri.index_of(",", 0).saturating_add(1) as u32, uri.length());
        let piece: JsValue = Blob::new_with_str_sequence(&Array::of1(&base64)).map_err(|e| browser(&e))?.into();
        parts.push(&piece);
        at = end;
        crate::browser::idle::next_task().await;
    }
    let options = BlobPropertyBag::new();
    options.set_type("text/plain");
    Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|e| browser(&e))
}

/// A `Blob` as a `data:` URI string, read by the browser off the main thread.
async fn read_as_data_url(blob: &Blob) -> Result<JsString, MediaProblem> {
    let reader = FileReader::new().map_err(|e| browser(&e))?;
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        reader.set_onload(Some(&resolve));
        reader.set_onerror(Some(&reject));
    });
    reader.read_as_data_url(blob).map_err(|e| browser(&e))?;
    JsFuture::from(done).await.map_err(|e| browser(&e))?;
    reader.result().map_err(|e| browser(&e))?.dyn_into::<JsString>().map_err(|_| MediaProblem::Browser("unreadable file".into()))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    async fn text_of(blob: &Blob) -> String {
        JsFuture::from(blob.text()).await.ok().and_then(|t| t.as_string()).unwrap_or_default()
    }

    #[test]
    async fn a_big_file_made_into_a_data_uri_piece_by_piece_is_the_browser_own_uri() {
        // Over two pieces and a bit, with bytes that differ at every place.
        let bytes: Vec<u8> = (0..(URI_PIECE_BYTES as usize * 2 + 1001)).map(|i| (i * 7 + i / 251) as u8).collect();
        let options = BlobPropertyBag::new();
        options.set_type("audio/wav");
        let file = Blob::new_with_u8_array_sequence_and_options(&Array::of1(&Uint8Array::from(&bytes[..])), &options).expect("blob");
        let pieced = text_of(&data_uri(&file).await.expect("data: URI")).await;
        let whole = String::from(read_as_data_url(&file).await.expect("the browser's own"));
        assert!(pieced.starts_with("data:audio/wav;base64,"), "{}", &pieced[..40]);
        assert_eq!(pieced.len(), whole.len());
        assert!(pieced == whole, "the pieces join into the very same URI");
        let empty = Blob::new().expect("empty blob");
        assert_eq!(text_of(&data_uri(&empty).await.expect("empty")).await, "data:application/octet-stream;base64,");
    }
}
