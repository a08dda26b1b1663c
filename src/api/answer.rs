//! Reading a success answer: raw video bytes, or the video base64-encoded in
//! JSON. Only the decisions live here (what form, which key, is it a video);
//! the bytes themselves stay in browser objects, see `crate::net`.

use serde::Serialize;

use crate::browser::json_doc::JsonDoc;

/// Where the base64 video may sit in a JSON answer, most likely first. The
/// shape for this model is undocumented; the image models use `image`.
pub const BASE64_KEYS: [&str; 6] = ["video", "output", "image", "data", "result", "base64"];

/// Base64 characters decoded per step (a multiple of 4): a few milliseconds each.
pub const BASE64_SLICE: u32 = 4 * 1024 * 1024;

/// Where a JSON string value starts in the text right after its key
/// (`: "…`), or `None` when the value is not a string.
pub fn string_value_start(after_key: &str) -> Option<usize> {
    let rest = after_key.trim_start();
    let rest_after_colon = rest.strip_prefix(':')?.trim_start();
    rest_after_colon.starts_with('"').then(|| after_key.len() - rest_after_colon.len() + 1)
}

/// How many leading bytes [`looks_like_video`] needs.
pub use crate::media::SNIFF_LEN;

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
    crate::media::is_iso_bmff(first_bytes) || crate::media::is_ebml(first_bytes)
}

/// How many bytes of a box header [`box_size`] reads (a 64-bit size needs 16).
pub const BOX_HEADER_LEN: u32 = 16;

/// The size of the MP4 (ISO-BMFF) box whose header begins `header`, where
/// `remaining` bytes are left in the file from its start. `None` when the
/// header is not a box header at all.
pub fn box_size(header: &[u8], remaining: f64) -> Option<f64> {
    let size32 = u32::from_be_bytes(header.get(..4)?.try_into().ok()?);
    let size = match size32 {
        0 => remaining, // "to the end of the file"
        1 => match u64::from_be_bytes(header.get(8..16)?.try_into().ok()?) {
            large if large < 16 => return None,
            large => large as f64,
        },
        n if n < 8 => return None,
        n => f64::from(n),
    };
    header.get(4..8).filter(|kind| kind.iter().all(|b| b.is_ascii_graphic() || *b == b' '))?;
    Some(size)
}

/// How many top-level boxes the completeness walk reads at most.
pub const MP4_MAX_BOXES: usize = 256;

/// One step of walking an MP4's top-level boxes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mp4Step {
    /// The boxes add up to the file's length exactly.
    Complete,
    /// The next box starts here.
    Next(f64),
    /// A box runs past the end, or a header is not a box: cut off or damaged.
    Broken,
}

/// From the box header read at `offset` (of a file of `total` bytes), where
/// the walk goes next. The page reads each header from a Blob; see
/// [`mp4_is_complete`] for the same walk over bytes in hand.
pub fn mp4_step(offset: f64, total: f64, header: &[u8]) -> Mp4Step {
    if offset == total {
        return Mp4Step::Complete;
    }
    match box_size(header, total - offset) {
        Some(size) if offset + size <= total => Mp4Step::Next(offset + size),
        _ => Mp4Step::Broken,
    }
}

/// Whether a whole MP4 in memory ends exactly at a box boundary.
pub fn mp4_is_complete(bytes: &[u8]) -> bool {
    let total = bytes.len() as f64;
    let mut offset = 0.0;
    for _ in 0..=MP4_MAX_BOXES {
        let at = offset as usize;
        let header = &bytes[at.min(bytes.len())..(at + BOX_HEADER_LEN as usize).min(bytes.len())];
        match mp4_step(offset, total, header) {
            Mp4Step::Complete => return true,
            Mp4Step::Next(next) => offset = next,
            Mp4Step::Broken => return false,
        }
    }
    false
}

/// The MIME type to give a video Blob built from its first bytes.
pub fn video_mime(first_bytes: &[u8]) -> &'static str {
    if crate::media::is_ebml(first_bytes) {
        "video/webm"
    } else {
        "video/mp4"
    }
}

/// A job of the asynchronous API, as `POST /v2/sadtalker` answers it.
/// Kept in local storage while it runs, so a reload can pick it up again.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobTicket {
    pub request_id: String,
    pub status_url: String,
    pub response_url: String,
}

impl JobTicket {
    pub fn from_doc(doc: &JsonDoc) -> Option<JobTicket> {
        let text = |key: &str| doc.get(key).and_then(|v| v.as_str()).filter(|v| !v.trim().is_empty());
        Some(JobTicket { request_id: text("request_id")?, status_url: text("status_url")?, response_url: text("response_url")? })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a job stands.
#[derive(Clone, Debug, PartialEq)]
pub enum JobState {
    Queued,
    Processing,
    Completed,
    Failed(String),
}

impl JobState {
    /// Reads `{"status": ..., "error"?: ...}`; a body naming a final state is the
    /// answer whatever the HTTP status (a FAILED job comes with 422).
    pub fn from_doc(doc: &JsonDoc) -> Option<JobState> {
        JobState::from_parts(&doc.get("status")?.as_str()?, doc.get("error").and_then(|e| e.as_str()))
    }

    /// From the `status` and `error` members, however the body was read.
    pub fn from_parts(status: &str, error: Option<String>) -> Option<JobState> {
        Some(match status.to_ascii_uppercase().as_str() {
            "QUEUED" | "PENDING" | "IN_QUEUE" => JobState::Queued,
            "PROCESSING" | "RUNNING" | "IN_PROGRESS" | "STARTING" => JobState::Processing,
            "COMPLETED" | "SUCCEEDED" | "SUCCESS" => JobState::Completed,
            "FAILED" | "ERROR" | "CANCELLED" | "CANCELED" => {
                JobState::Failed(error.unwrap_or_else(|| "the job failed without a reason".into()))
            }
            _ => return None,
        })
    }
}

/// The account's balance from `GET /v1/get-user-credits`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credits {
    pub credits: f64,
    pub free_credits: f64,
}

impl Credits {
    pub fn from_doc(doc: &JsonDoc) -> Option<Credits> {
        let number = |key: &str| doc.get(key).and_then(|v| v.as_text()).and_then(|t| crate::api::number::parse_f64(&t));
        Some(Credits { credits: number("credits")?, free_credits: number("free-credits").unwrap_or(0.0) })
    }

    pub fn total(&self) -> f64 {
        self.credits + self.free_credits
    }
}

/// Whether a job's `output` (seen by its first bytes) is a link to the video
/// rather than the video itself as base64.
pub fn output_is_link(prefix: &str) -> bool {
    let lower = prefix.trim_start().get(..8).unwrap_or(prefix).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
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
    fn job_tickets_and_states_are_read() {
        let doc = JsonDoc::parse(r#"{"request_id":"r1","status_url":"http://a/s","response_url":"http://a/r"}"#).expect("json");
        let ticket = JobTicket::from_doc(&doc).expect("ticket");
        assert_eq!(ticket.request_id, "r1");
        assert_eq!(JobTicket::from_doc(&JsonDoc::parse(&ticket.to_json()).expect("json")), Some(ticket));
        assert_eq!(JobTicket::from_doc(&JsonDoc::parse(r#"{"request_id":"r1"}"#).expect("json")), None);
        let state = |text: &str| JobState::from_doc(&JsonDoc::parse(text).expect("json"));
        assert_eq!(state(r#"{"status":"QUEUED"}"#), Some(JobState::Queued));
        assert_eq!(state(r#"{"status":"processing"}"#), Some(JobState::Processing));
        assert_eq!(state(r#"{"status":"COMPLETED","output":"x"}"#), Some(JobState::Completed));
        assert_eq!(state(r#"{"status":"FAILED","error":"No face found"}"#), Some(JobState::Failed("No face found".into())));
        assert_eq!(state(r#"{"status":"FAILED"}"#), Some(JobState::Failed("the job failed without a reason".into())));
        assert_eq!(state(r#"{"error":"Invalid API key"}"#), None, "no status: an ordinary error body");
    }

    #[test]
    fn credits_are_read_from_the_account_answer() {
        let credits = Credits::from_doc(&JsonDoc::parse(r#"{"credits": 0.0, "free-credits": 0.018}"#).expect("json")).expect("credits");
        assert_eq!(credits, Credits { credits: 0.0, free_credits: 0.018 });
        assert!((credits.total() - 0.018).abs() < 1e-9);
        assert_eq!(Credits::from_doc(&JsonDoc::parse(r#"{"error":"x"}"#).expect("json")), None);
    }

    #[test]
    fn outputs_are_links_or_base64() {
        assert!(output_is_link("https://cdn.example/v.mp4"));
        assert!(output_is_link("HTTP://127.0.0.1/v"));
        assert!(!output_is_link("AAAAIGZ0eXBpc29t"));
        assert!(!output_is_link("data:video/mp4;base64,AAAA"));
    }

    #[test]
    fn string_values_are_found_after_their_key() {
        assert_eq!(string_value_start(r#": "AAAA"#), Some(3));
        assert_eq!(string_value_start(r#"  :   "data:video"#), Some(7));
        assert_eq!(string_value_start(r#":"x""#), Some(2));
        assert_eq!(string_value_start(r#": 42,"#), None);
        assert_eq!(string_value_start(r#", "other": "x""#), None, "the key was a value, not a key");
        assert_eq!(BASE64_SLICE % 4, 0);
    }

    #[test]
    fn box_sizes_are_read_in_all_three_forms() {
        let mut header = [0u8; 16];
        header[..8].copy_from_slice(&[0, 0, 0, 0x20, b'f', b't', b'y', b'p']);
        assert_eq!(box_size(&header, 1000.0), Some(32.0));
        header[..4].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(box_size(&header, 1000.0), Some(1000.0), "0 means to the end");
        header[..8].copy_from_slice(&[0, 0, 0, 1, b'm', b'd', b'a', b't']);
        header[8..16].copy_from_slice(&(5_000_000_000u64).to_be_bytes());
        assert_eq!(box_size(&header, 1000.0), Some(5e9), "64-bit size");
        assert_eq!(box_size(&[0, 0, 0, 4, b'f', b'r', b'e', b'e'], 10.0), None, "smaller than a header");
        assert!(box_size(b"<html><body>", 12.0).is_none_or(|size| size > 12.0), "text never tiles the file");
        assert_eq!(box_size(&[0, 0, 0, 9, 0, 1, 2, 3], 10.0), None, "not a box type");
        assert_eq!(box_size(&[0, 0, 0], 10.0), None);
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON a server could send, a few levels deep.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            prop_oneof![Just("COMPLETED"), Just("failed"), Just("QUEUED"), Just("Processing"), Just("")].prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            let keys = prop_oneof![Just("status".to_string()), Just("request_id".to_string()), Just("status_url".to_string()),
                Just("response_url".to_string()), Just("error".to_string()), "[a-z_]{1,8}"];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(keys, inner, 0..6).prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// An MP4-like file: boxes of the given types and payload lengths.
    fn boxes_file(boxes: &[([u8; 4], usize)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (kind, len) in boxes {
            out.extend_from_slice(&((len + 8) as u32).to_be_bytes());
            out.extend_from_slice(kind);
            out.resize(out.len() + len, 7);
        }
        out
    }

    proptest! {
        #[test]
        fn tickets_and_states_from_any_json_never_panic_and_are_whole(value in any_json()) {
            let doc = JsonDoc::parse(&value.to_string()).expect("serde_json output parses");
            if let Some(ticket) = JobTicket::from_doc(&doc) {
                prop_assert!(!ticket.request_id.trim().is_empty());
                prop_assert!(!ticket.status_url.trim().is_empty() && !ticket.response_url.trim().is_empty());
                prop_assert_eq!(JobTicket::from_doc(&JsonDoc::parse(&ticket.to_json()).expect("json")), Some(ticket));
            }
            let state = JobState::from_doc(&doc);
            let status = value.get("status").and_then(|s| s.as_str());
            prop_assert_eq!(state.is_some(), status.is_some_and(|s| JobState::from_parts(s, None).is_some()));
        }

        #[test]
        fn complete_mp4s_pass_and_cut_ones_fail(
            boxes in proptest::collection::vec(("[a-z]{4}".prop_map(|t| { let b = t.as_bytes(); [b[0], b[1], b[2], b[3]] }), 0usize..200), 1..12),
            cut in 0.0f64..1.0,
        ) {
            let file = boxes_file(&boxes);
            prop_assert!(mp4_is_complete(&file));
            let boundaries: Vec<usize> = boxes.iter().scan(0, |at, (_, len)| { *at += len + 8; Some(*at) }).collect();
            let keep = (cut * file.len() as f64) as usize;
            if keep > 0 && !boundaries.contains(&keep) {
                prop_assert!(!mp4_is_complete(&file[..keep]), "cut at {} of {}", keep, file.len());
            }
        }

        #[test]
        fn the_mp4_walk_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = mp4_is_complete(&bytes);
        }

        #[test]
        fn retry_after_reads_seconds_and_nothing_else(text in ".{0,20}", secs in any::<u32>()) {
            prop_assert_eq!(crate::api::error::parse_retry_after(&format!(" {secs} ")), Some(secs));
            // Whatever a server sends, the wait is a plain number of seconds or nothing.
            if let Some(parsed) = crate::api::error::parse_retry_after(&text) {
                prop_assert!(text.trim().chars().all(|c| c.is_ascii_digit() || c == '+'), "{:?} gave {}", text, parsed);
            }
            prop_assert_eq!(crate::api::error::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        }
    }
}
