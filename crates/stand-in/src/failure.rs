//! Documented error answers on demand, in the body forms real servers use.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// How the error body is written: the provider's JSON, a plain-text
/// answer, or a gateway's HTML page.
/// With status 200, the last two spoil a real answer instead.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    #[default]
    Json,
    Text,
    Html,
    /// The first half of the real video, labelled video/mp4.
    Truncated,
    /// Bytes that are no video at all, labelled video/mp4.
    NotVideo,
    /// The real video made big (benchmarks): a `free` box of `pad_mb` MB appended,
    /// which keeps it a valid, playable MP4.
    Padded,
    /// The answer starts (status 200, full length announced), then the
    /// connection is cut halfway: what a dropped network looks like.
    Dropped,
}

/// A failure to answer with instead of a video.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Failure {
    pub status: u16,
    #[serde(default)]
    pub body: BodyKind,
    /// Overrides the usual message for this status.
    #[serde(default)]
    pub message: Option<String>,
    /// Sent as `Retry-After` (seconds), typically with 429.
    #[serde(default)]
    pub retry_after: Option<u32>,
    /// How many requests in a row fail this way (default 1).
    #[serde(default)]
    pub count: Option<u32>,
    /// For [`BodyKind::Padded`]: the padding in MB (default 50).
    #[serde(default)]
    pub pad_mb: Option<u32>,
}

impl Failure {
    pub fn new(status: u16, body: BodyKind) -> Self {
        Failure { status, body, message: None, retry_after: None, count: None, pad_mb: None }
    }

    /// `x-stand-in-fail: 429` and optionally `x-stand-in-fail-body: html`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let status = text("x-stand-in-fail")?.parse().ok()?;
        let body = match text("x-stand-in-fail-body") {
            Some("text") => BodyKind::Text,
            Some("html") => BodyKind::Html,
            Some("truncated") => BodyKind::Truncated,
            Some("not_video") => BodyKind::NotVideo,
            Some("dropped") => BodyKind::Dropped,
            _ => BodyKind::Json,
        };
        let retry_after = text("x-stand-in-retry-after").and_then(|v| v.parse().ok());
        Some(Failure { retry_after, ..Failure::new(status, body) })
    }

    /// The provider's wording for each documented status.
    fn default_message(status: u16) -> &'static str {
        match status {
            400 => "Invalid parameters or request format",
            401 => "Invalid API key",
            403 => "Insufficient permissions for this model",
            404 => "Model or endpoint not found",
            406 => "Not enough credits",
            429 => "Rate limit exceeded",
            500 => "Internal server error",
            502 => "Bad gateway: the model is temporarily unavailable",
            504 => "Gateway timeout",
            _ => "Error",
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let location = self.message.clone().filter(|_| status.is_redirection());
        let message = self.message.unwrap_or_else(|| Self::default_message(self.status).to_string());
        let mut response = match self.body {
            BodyKind::Dropped => return dropped_answer(status, b"{\"status\":\"PROCESSING\",\"padding\":\"".repeat(64)),
            BodyKind::Json | BodyKind::Truncated | BodyKind::NotVideo | BodyKind::Padded => (status, axum::Json(serde_json::json!({ "error": message }))).into_response(),
            BodyKind::Text => (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response(),
            BodyKind::Html => {
                let page = format!(
                    "<!DOCTYPE html><html><head><title>{code} {reason}</title><style>body{{font:14px serif}}</style></head>\
                     <body><h1>{code} {reason}</h1><p>{message}</p><hr><address>stand-in gateway</address></body></html>",
                    code = status.as_u16(),
                    reason = status.canonical_reason().unwrap_or(""),
                    message = html_escape(&message),
                );
                (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
            }
        };
        // A redirect goes where its message says (tests of where keys may go).
        if let Some(location) = location.and_then(|m| HeaderValue::from_str(&m).ok()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Announces `body`'s full length, sends its first half, then cuts the
/// connection (the stream ends in an error, so the server aborts it).
pub fn dropped_answer(status: StatusCode, body: Vec<u8>) -> Response {
    let half = body.len() / 2;
    let first = axum::body::Bytes::copy_from_slice(&body[..half]);
    // The first half goes out (and is flushed) before the cut: a connection
    // closed before any byte would look like no answer at all, and browsers
    // quietly re-send requests on such connections.
    let first_half = futures_util::stream::iter([Ok::<_, std::io::Error>(first)]);
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "stand-in: connection dropped on purpose"))
    });
    let stream = futures_util::StreamExt::chain(first_half, cut);
    let mut response = (status, axum::body::Body::from_stream(stream)).into_response();
    if let Ok(length) = HeaderValue::from_str(&body.len().to_string()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, length);
    }
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    response
}

/// A 200 answer spoiled on purpose, for tests of what the page does with it.
pub fn spoiled_answer(failure: &Failure, video: Vec<u8>) -> Response {
    if failure.body == BodyKind::Dropped {
        return dropped_answer(StatusCode::OK, video);
    }
    let body = match failure.body {
        BodyKind::Truncated => video[..video.len() / 2].to_vec(),
        BodyKind::NotVideo => b"this is not a video, just text labelled as one".repeat(64),
        BodyKind::Padded => {
            let pad = failure.pad_mb.unwrap_or(50) as usize * 1024 * 1024;
            let mut padded = video;
            padded.extend_from_slice(&((pad + 8) as u32).to_be_bytes());
            padded.extend_from_slice(b"free");
            padded.resize(padded.len() + pad, 0);
            padded
        }
        _ => video,
    };
    if failure.body == BodyKind::Padded && failure.message.as_deref() == Some("base64") {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
        return axum::Json(serde_json::json!({ "video": encoded })).into_response();
    }
    ([(header::CONTENT_TYPE, "video/mp4")], body).into_response()
}
