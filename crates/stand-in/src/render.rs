//! The answer video: the portrait held still over the voice, as a real
//! H.264/AAC MP4 at the requested size, made by ffmpeg.

use std::path::Path;
use std::process::Stdio;

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
