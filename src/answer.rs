//! Reading a success answer: raw video bytes, or the video base64-encoded in
//! JSON. Only the decisions live here (what form, which key, is it a video);
//! the bytes themselves stay in browser objects, see `transport`.

/// Where the base64 video may sit in a JSON answer, most likely first. The
/// shape for this model is undocumented; the image models use `image`.
pub const BASE64_KEYS: [&str; 6] = ["video", "output", "image", "data", "result", "base64"];

/// How many leading bytes [`looks_like_video`] needs.
pub const SNIFF_LEN: u32 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerForm {
    /// Bytes of a video file.
    RawVideo,
    /// JSON carrying the video as base64 (a bare string or a data: URI).
    Json,
    /// Text that is just the base64 (some gateways answer `text/plain`).
    Text,
}

/// Decides the form from `Content-Type`, falling back to what was asked for.
pub fn answer_form(content_type: &str, asked_for_base64: bool) -> AnswerForm {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if mime.starts_with("video/") || mime == "application/octet-stream" {
        AnswerForm::RawVideo
    } else if mime == "application/json" || mime.ends_with("+json") {
        AnswerForm::Json
    } else if mime.starts_with("text/") {
        AnswerForm::Text
    } else if asked_for_base64 {
        AnswerForm::Json
    } else {
        AnswerForm::RawVideo
    }
}

/// Where base64 content starts in a string that may be a `data:` URI
/// (`data:video/mp4;base64,AAAA...`), given only its first bytes.
/// `None` when it is a data: URI that is not base64.
pub fn base64_start(prefix: &str) -> Option<usize> {
    if !prefix.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return Some(0);
    }
    let comma = prefix.find(',')?;
    prefix[..comma].to_ascii_lowercase().ends_with(";base64").then_some(comma + 1)
}

/// MP4/MOV (`ftyp` box first), WebM/Matroska (EBML magic): what `<video>` plays.
pub fn looks_like_video(first_bytes: &[u8]) -> bool {
    let is_iso_bmff = first_bytes.len() >= 8 && &first_bytes[4..8] == b"ftyp";
    let is_ebml = first_bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]);
    is_iso_bmff || is_ebml
}

/// The MIME type to give a video Blob built from its first bytes.
pub fn video_mime(first_bytes: &[u8]) -> &'static str {
    if first_bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "video/webm"
    } else {
        "video/mp4"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn content_type_decides_the_form() {
        assert_eq!(answer_form("video/mp4", true), AnswerForm::RawVideo);
        assert_eq!(answer_form("application/octet-stream", false), AnswerForm::RawVideo);
        assert_eq!(answer_form("application/json; charset=utf-8", false), AnswerForm::Json);
        assert_eq!(answer_form("application/problem+json", false), AnswerForm::Json);
        assert_eq!(answer_form("text/plain", true), AnswerForm::Text);
        assert_eq!(answer_form("", true), AnswerForm::Json);
        assert_eq!(answer_form("", false), AnswerForm::RawVideo);
    }

    #[test]
    fn base64_start_skips_a_data_uri_header() {
        assert_eq!(base64_start("AAAAIGZ0eXBpc29t"), Some(0));
        assert_eq!(base64_start("data:video/mp4;base64,AAAAIGZ0"), Some(22));
        assert_eq!(base64_start("DATA:video/mp4;BASE64,AAAA"), Some(22));
        assert_eq!(base64_start("data:text/plain,hello"), None);
        assert_eq!(base64_start("data:video/mp4;base64"), None, "no comma in the prefix");
    }

    #[test]
    fn video_magic_is_recognised() {
        let mp4 = [0, 0, 0, 0x20, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm'];
        assert!(looks_like_video(&mp4));
        assert_eq!(video_mime(&mp4), "video/mp4");
        let webm = [0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0, 0];
        assert!(looks_like_video(&webm));
        assert_eq!(video_mime(&webm), "video/webm");
        assert!(!looks_like_video(b"<html><body>"));
        assert!(!looks_like_video(b"{\"error\""));
        assert!(!looks_like_video(b""));
    }
}
