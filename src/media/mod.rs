//! Checks on local files before anything is sent, from their bytes (never
//! their names): what kind of image or audio a file really is, whether it is
//! within limits, and the WAV encoding for audio the model can't take.

pub mod capture;
pub mod face;
pub mod local;
pub mod trim;
pub mod wav;

use thiserror::Error;

/// Below this, a portrait can't hold a face the model finds.
pub const MIN_IMAGE_SIDE_PX: u32 = 128;
/// Above this, the image is needlessly large to send.
pub const MAX_IMAGE_SIDE_PX: u32 = 4096;
pub const MAX_IMAGE_BYTES: f64 = 10.0 * 1024.0 * 1024.0;
pub const MAX_AUDIO_BYTES: f64 = 20.0 * 1024.0 * 1024.0;
/// Shorter than this is no speech to animate.
pub const MIN_AUDIO_SECS: f64 = 0.5;
/// Longer than this is refused; the model's time (and price) grows with length.
pub const MAX_AUDIO_SECS: f64 = 300.0;
/// Longer than this gets a warning about time and cost.
pub const LONG_AUDIO_SECS: f64 = 60.0;
/// A peak below this (of full scale) is silence.
pub const SILENCE_PEAK: f32 = 0.01;
/// How many leading bytes the sniffers need (files and answers alike).
pub const SNIFF_LEN: u32 = 16;

/// The magic number of EBML files (WebM, Matroska).
pub const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

/// An ISO base media file (MP4, MOV, M4A): an `ftyp` box first.
pub fn is_iso_bmff(head: &[u8]) -> bool {
    head.get(4..8) == Some(b"ftyp")
}

/// A WebM/Matroska file.
pub fn is_ebml(head: &[u8]) -> bool {
    head.starts_with(&EBML_MAGIC)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
    Bmp,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Gif => "image/gif",
            ImageKind::Bmp => "image/bmp",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioKind {
    Wav,
    Mp3,
    Ogg,
    Webm,
    M4a,
    Flac,
}

impl AudioKind {
    pub fn name(self) -> &'static str {
        match self {
            AudioKind::Wav => "WAV",
            AudioKind::Mp3 => "MP3",
            AudioKind::Ogg => "OGG",
            AudioKind::Webm => "WebM",
            AudioKind::M4a => "M4A",
            AudioKind::Flac => "FLAC",
        }
    }

    /// The model takes WAV or MP3; anything else is re-encoded as WAV first.
    pub fn needs_wav(self) -> bool {
        !matches!(self, AudioKind::Wav | AudioKind::Mp3)
    }
}

/// What a file is by its first bytes: the kind the page recognises, or a
/// name for what it is instead (for the message).
pub fn sniff_image(head: &[u8]) -> Result<ImageKind, &'static str> {
    match head {
        [0x89, b'P', b'N', b'G', ..] => Ok(ImageKind::Png),
        [0xFF, 0xD8, 0xFF, ..] => Ok(ImageKind::Jpeg),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Ok(ImageKind::Webp),
        [b'G', b'I', b'F', b'8', ..] => Ok(ImageKind::Gif),
        [b'B', b'M', ..] => Ok(ImageKind::Bmp),
        _ => Err(other_kind(head)),
    }
}

pub fn sniff_audio(head: &[u8]) -> Result<AudioKind, &'static str> {
    match head {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Ok(AudioKind::Wav),
        [b'I', b'D', b'3', ..] => Ok(AudioKind::Mp3),
        [0xFF, second, ..] if second & 0xE0 == 0xE0 && second & 0x06 != 0 => Ok(AudioKind::Mp3),
        [b'O', b'g', b'g', b'S', ..] => Ok(AudioKind::Ogg),
        head if is_ebml(head) => Ok(AudioKind::Webm),
        head if is_iso_bmff(head) => Ok(AudioKind::M4a),
        [b'f', b'L', b'a', b'C', ..] => Ok(AudioKind::Flac),
        _ => Err(other_kind(head)),
    }
}

/// A plain name for a file that is not what was expected.
fn other_kind(head: &[u8]) -> &'static str {
    match head {
        [b'%', b'P', b'D', b'F', ..] => "a PDF document",
        [b'P', b'K', 3, 4, ..] => "a ZIP archive (or an Office document)",
        [0x89, b'P', b'N', b'G', ..] | [0xFF, 0xD8, 0xFF, ..] | [b'G', b'I', b'F', b'8', ..] => "an image",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] | [b'I', b'D', b'3', ..] => "an audio file",
        head if is_iso_bmff(head) || is_ebml(head) => "a video or audio file",
        [b'<', ..] | [b'{', ..] => "a text or web page",
        [] => "an empty file",
        _ => "a file of an unknown type",
    }
}

/// A problem with a local file, worded so the person knows what to do.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum MediaProblem {
    #[error("This is {0}, not an image: choose a PNG, JPEG or WebP photo of a face.")]
    NotAnImage(&'static str),
    #[error("This is {0}, not audio: choose a WAV or MP3 recording of speech.")]
    NotAudio(&'static str),
    #[error("The browser could not decode this image; it may be damaged. Try exporting it again as PNG or JPEG.")]
    ImageUndecodable,
    #[error("The browser could not decode this audio; it may be damaged. Try exporting it again as WAV or MP3.")]
    AudioUndecodable,
    #[error("The image is {width}×{height} px: too small to hold a face (at least {min}×{min} px).", min = MIN_IMAGE_SIDE_PX)]
    ImageTooSmall { width: u32, height: u32 },
    #[error("The image is {width}×{height} px: larger than needed (at most {max} px a side); scale it down first.", max = MAX_IMAGE_SIDE_PX)]
    ImageTooLarge { width: u32, height: u32 },
    #[error("The file is {0}; the limit is {1}. Use a smaller file.")]
    FileTooLarge(String, String),
    #[error("The recording is silent: there is no voice to animate.")]
    Silent,
    #[error("The recording is only {0} s long: give at least half a second of speech.")]
    AudioTooShort(String),
    #[error("The recording is {0} s long; the limit is 5 minutes. Shorten it.")]
    AudioTooLong(String),
    #[error("The browser refused: {0}")]
    Browser(String),
    /// The camera or microphone could not be used (the message says why and what to do).
    #[error("{0}")]
    Capture(String),
    /// The page's code for checking files could not be fetched (`crate::chunks`).
    #[error("The studio's code for checking files could not be loaded (is the connection down?): choose the file again.")]
    CheckMissing,
}

/// Pixel limits of a portrait.
pub fn check_image_size(width: u32, height: u32) -> Result<(), MediaProblem> {
    if width.min(height) < MIN_IMAGE_SIDE_PX {
        return Err(MediaProblem::ImageTooSmall { width, height });
    }
    if width.max(height) > MAX_IMAGE_SIDE_PX {
        return Err(MediaProblem::ImageTooLarge { width, height });
    }
    Ok(())
}

/// Length and loudness of a voice clip.
pub fn check_audio(duration_secs: f64, peak: f32) -> Result<(), MediaProblem> {
    check_audio_length(duration_secs)?;
    if peak < SILENCE_PEAK {
        return Err(MediaProblem::Silent);
    }
    Ok(())
}

/// The length alone (known from a WAV's header before its samples are read).
pub fn check_audio_length(duration_secs: f64) -> Result<(), MediaProblem> {
    let secs = |s: f64| crate::api::estimate::credits_text(s);
    if duration_secs < MIN_AUDIO_SECS {
        return Err(MediaProblem::AudioTooShort(secs(duration_secs)));
    }
    if duration_secs > MAX_AUDIO_SECS {
        return Err(MediaProblem::AudioTooLong(secs(duration_secs.round())));
    }
    Ok(())
}

/// A warning (not a refusal) for a long clip.
pub fn long_audio_warning(duration_secs: f64) -> Option<String> {
    (duration_secs > LONG_AUDIO_SECS).then(|| {
        format!(
            "A {} s clip makes a long video: the run will take longer than the typical 2 minutes and may cost more.",
            duration_secs.round() as u64
        )
    })
}

pub fn check_file_size(bytes: f64, limit: f64) -> Result<(), MediaProblem> {
    if bytes > limit {
        return Err(MediaProblem::FileTooLarge(crate::api::estimate::size_text(bytes), crate::api::estimate::size_text(limit)));
    }
    Ok(())
}

/// The 44-byte header of a 16-bit PCM WAV file.
pub fn wav_header(sample_rate: u32, channels: u16, frames: u32) -> [u8; 44] {
    let layout = wav::WavLayout { format: wav::SampleFormat::I16, channels, rate: sample_rate, data_start: 44, data_len: 0 };
    layout.header(u64::from(frames) * layout.block())
}

/// Interleaves channels of float samples into 16-bit little-endian PCM,
/// and reports the chunk's peak (for the silence check).
pub fn pcm16(channels: &[Vec<f32>]) -> (Vec<u8>, f32) {
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Vec::with_capacity(frames * channels.len() * 2);
    let mut peak = 0f32;
    for i in 0..frames {
        for channel in channels {
            let x = channel[i].clamp(-1.0, 1.0);
            peak = peak.max(x.abs());
            let sample = if x < 0.0 { (x * 32768.0) as i16 } else { (x * 32767.0) as i16 };
            out.extend_from_slice(&sample.to_le_bytes());
        }
    }
    (out, peak)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn images_are_known_by_their_bytes_not_their_names() {
        assert_eq!(sniff_image(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A]), Ok(ImageKind::Png));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(ImageKind::Jpeg));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Ok(ImageKind::Webp));
        assert_eq!(sniff_image(b"%PDF-1.4"), Err("a PDF document"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVEfmt "), Err("an audio file"));
        let message = MediaProblem::NotAnImage(sniff_image(b"%PDF-1.4").unwrap_err()).to_string();
        assert!(message.starts_with("This is a PDF document, not an image"), "{message}");
    }

    #[test]
    fn audio_is_known_by_its_bytes() {
        assert_eq!(sniff_audio(b"RIFF\0\0\0\0WAVEfmt "), Ok(AudioKind::Wav));
        assert_eq!(sniff_audio(b"ID3\x04\0\0"), Ok(AudioKind::Mp3));
        assert_eq!(sniff_audio(&[0xFF, 0xFB, 0x90, 0x64]), Ok(AudioKind::Mp3));
        assert_eq!(sniff_audio(b"OggS\0\x02"), Ok(AudioKind::Ogg));
        assert_eq!(sniff_audio(&[0x1A, 0x45, 0xDF, 0xA3, 1]), Ok(AudioKind::Webm));
        assert_eq!(sniff_audio(b"\0\0\0\x20ftypM4A "), Ok(AudioKind::M4a));
        assert_eq!(sniff_audio(&[0x89, b'P', b'N', b'G']), Err("an image"));
        assert!(AudioKind::Webm.needs_wav() && AudioKind::M4a.needs_wav());
        assert!(!AudioKind::Wav.needs_wav() && !AudioKind::Mp3.needs_wav());
    }

    #[test]
    fn limits_on_both_sides() {
        assert!(check_image_size(128, 128).is_ok() && check_image_size(4096, 300).is_ok());
        assert_eq!(check_image_size(127, 500), Err(MediaProblem::ImageTooSmall { width: 127, height: 500 }));
        assert_eq!(check_image_size(4097, 500), Err(MediaProblem::ImageTooLarge { width: 4097, height: 500 }));
        assert!(check_audio(0.5, 0.5).is_ok() && check_audio(300.0, 0.5).is_ok());
        assert!(matches!(check_audio(0.4, 0.5), Err(MediaProblem::AudioTooShort(_))));
        assert!(matches!(check_audio(301.0, 0.5), Err(MediaProblem::AudioTooLong(_))));
        assert_eq!(check_audio(3.0, 0.0), Err(MediaProblem::Silent));
        assert!(check_audio(3.0, SILENCE_PEAK).is_ok());
        assert_eq!(long_audio_warning(60.0), None);
        assert!(long_audio_warning(95.0).is_some_and(|w| w.contains("95 s")));
        assert!(check_file_size(10.0 * 1024.0 * 1024.0, MAX_IMAGE_BYTES).is_ok());
        let too_big = check_file_size(12.5 * 1024.0 * 1024.0, MAX_IMAGE_BYTES).unwrap_err().to_string();
        assert_eq!(too_big, "The file is 12.5 MB; the limit is 10.0 MB. Use a smaller file.");
    }

    #[test]
    fn wav_encoding_is_standard_pcm() {
        let header = wav_header(16_000, 1, 16_000);
        assert_eq!(&header[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([header[4], header[5], header[6], header[7]]), 36 + 32_000);
        assert_eq!(&header[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes([header[24], header[25], header[26], header[27]]), 16_000);
        assert_eq!(u32::from_le_bytes([header[40], header[41], header[42], header[43]]), 32_000);
        let (bytes, peak) = pcm16(&[vec![0.0, 1.0, -1.0, 0.5], vec![0.0, 0.0, 0.0, 2.0]]);
        assert_eq!(bytes.len(), 16, "4 frames × 2 channels × 2 bytes");
        assert_eq!(&bytes[4..6], &32767i16.to_le_bytes());
        assert_eq!(&bytes[8..10], &(-32768i16).to_le_bytes());
        assert_eq!(&bytes[14..16], &32767i16.to_le_bytes(), "clipped to full scale");
        assert_eq!(peak, 1.0);
        assert_eq!(sniff_audio(&header), Ok(AudioKind::Wav));
    }
}
