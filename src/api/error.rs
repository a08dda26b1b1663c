//! Every way a run can fail, as one enum with a plain message and a next step.
//!
//! The server's own words are kept apart as text (never HTML) so the page can
//! show them under the explanation, whatever form the body came in.

use thiserror::Error;

pub use super::error_kind::ErrorKind;

use crate::browser::json_doc::JsonDoc;

/// The most of a server's message the page shows; gateway pages can be long.
const SERVER_MESSAGE_LIMIT: usize = 400;

#[derive(Clone, Debug, PartialEq, Error)]
pub enum ApiError {
    #[error("The API refused the request as invalid (400).")]
    BadRequest { server_message: Option<String> },
    #[error("The API key was missing or not accepted (401).")]
    Unauthorized { server_message: Option<String> },
    #[error("This key is not allowed to use this model (403).")]
    Forbidden { server_message: Option<String> },
    #[error("The endpoint was not found (404).")]
    NotFound { server_message: Option<String> },
    #[error("The account has not enough credits for this run (406).")]
    InsufficientCredits { server_message: Option<String> },
    #[error("Too many requests right now (429).")]
    RateLimited { retry_after_secs: Option<u32>, server_message: Option<String> },
    #[error("The model's server failed ({status}).")]
    ServerError { status: u16, server_message: Option<String> },
    #[error("The gateway could not reach the model (502).")]
    BadGateway { server_message: Option<String> },
    #[error("The model took too long and the gateway gave up (504).")]
    GatewayTimeout { server_message: Option<String> },
    #[error("The API answered with an unexpected status {status}.")]
    UnexpectedStatus { status: u16, server_message: Option<String> },
    #[error("The request did not reach the endpoint: {detail}.")]
    Network { detail: String },
    #[error("Cancelled: the page stopped waiting before an answer came.")]
    Cancelled,
    #[error("No answer within the time limit of {limit_secs} s, so the page stopped waiting.")]
    TimedOut { limit_secs: u32 },
    #[error("The model could not make this video (the job failed).")]
    JobFailed { message: String },
    #[error("The answer was not a playable video: {detail}.")]
    NotAVideo { detail: String },
    #[error("A local file could not be prepared for sending: {detail}")]
    LocalFile { detail: String },
    #[error("The connection broke while the answer was arriving: {detail}.")]
    AnswerBroken { detail: String },
    #[error("The server named another site ({origin}) for this request; your key is only sent to the endpoint you chose, and without it that site answered {status}.")]
    KeyWithheld { origin: String, status: u16 },
    #[error("The server answered with a redirect; requests carrying your key do not follow redirects.")]
    Redirected { url: String },
    #[error("This job was submitted more than an hour ago; the provider keeps results for one hour, so it can no longer be fetched.")]
    JobExpired,
    #[error("Stopped following the job. The provider has no cancel: the run may still finish and be charged.")]
    StoppedFollowing,
    /// The page's code for sending or following could not be fetched (it is
    /// a chunk of its own, see `crate::chunks`): nothing left the page.
    #[error("The studio's code for sending could not be loaded (is the connection down?).")]
    PageIncomplete,
}

impl ApiError {
    /// Maps an HTTP error status and its body to the matching case.
    pub fn from_status(status: u16, body: &str, content_type: &str, retry_after: Option<&str>) -> Self {
        let server_message = server_message(body, content_type);
        match status {
            400 => ApiError::BadRequest { server_message },
            401 => ApiError::Unauthorized { server_message },
            403 => ApiError::Forbidden { server_message },
            404 => ApiError::NotFound { server_message },
            406 => ApiError::InsufficientCredits { server_message },
            429 => ApiError::RateLimited { retry_after_secs: retry_after.and_then(parse_retry_after), server_message },
            502 => ApiError::BadGateway { server_message },
            504 => ApiError::GatewayTimeout { server_message },
            500..=599 => ApiError::ServerError { status, server_message },
            _ => ApiError::UnexpectedStatus { status, server_message },
        }
    }

    /// The HTTP status, where there was one.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized { .. } => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::InsufficientCredits { .. } => 406,
            ApiError::RateLimited { .. } => 429,
            ApiError::BadGateway { .. } => 502,
            ApiError::GatewayTimeout { .. } => 504,
            ApiError::ServerError { status, .. } | ApiError::UnexpectedStatus { status, .. } => *status,
            ApiError::Network { .. }
            | ApiError::Cancelled
            | ApiError::TimedOut { .. }
            | ApiError::JobFailed { .. }
            | ApiError::LocalFile { .. }
            | ApiError::AnswerBroken { .. }
            | ApiError::Redirected { .. }
            | ApiError::JobExpired
            | ApiError::StoppedFollowing
            | ApiError::PageIncomplete
            | ApiError::NotAVideo { .. } => return None,
            ApiError::KeyWithheld { status, .. } => *status,
        })
    }

    /// The case, as the page's `data-kind` and the JS API's `kind` name it.
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            ApiError::BadRequest { .. } => K::InvalidRequest,
            ApiError::Unauthorized { .. } => K::Unauthorized,
            ApiError::Forbidden { .. } => K::Forbidden,
            ApiError::NotFound { .. } => K::NotFound,
            ApiError::InsufficientCredits { .. } => K::InsufficientCredits,
            ApiError::RateLimited { .. } => K::RateLimited,
            ApiError::ServerError { .. } => K::ServerError,
            ApiError::BadGateway { .. } => K::BadGateway,
            ApiError::GatewayTimeout { .. } => K::GatewayTimeout,
            ApiError::UnexpectedStatus { .. } => K::UnexpectedStatus,
            ApiError::Network { .. } => K::Network,
            ApiError::Cancelled => K::Cancelled,
            ApiError::TimedOut { .. } => K::Timeout,
            ApiError::JobFailed { .. } => K::JobFailed,
            ApiError::NotAVideo { .. } => K::NotAVideo,
            ApiError::LocalFile { .. } => K::LocalFile,
            ApiError::PageIncomplete => K::PageIncomplete,
            ApiError::AnswerBroken { .. } => K::AnswerBroken,
            ApiError::KeyWithheld { .. } => K::KeyWithheld,
            ApiError::Redirected { .. } => K::Redirected,
            ApiError::JobExpired => K::JobExpired,
            ApiError::StoppedFollowing => K::StoppedFollowing,
        }
    }

    /// What the person can do about it.
    pub fn next_step(&self) -> String {
        match self {
            ApiError::BadRequest { .. } => "Fix the field the server's message names, then generate again.".into(),
            ApiError::Unauthorized { .. } => "Re-enter the API key (check for a missing or extra character).".into(),
            ApiError::Forbidden { .. } => "Check in your Segmind account that this key may use SadTalker.".into(),
            ApiError::NotFound { .. } => "Check the endpoint or proxy URL: it should be the API's base address.".into(),
            ApiError::InsufficientCredits { .. } => "Top up your Segmind credits; nothing in the form needs changing.".into(),
            ApiError::RateLimited { retry_after_secs: Some(s), .. } => format!("Wait {s} s, then generate again."),
            ApiError::RateLimited { retry_after_secs: None, .. } => {
                "Wait a minute (the free plan allows 5 runs a minute), then generate again.".into()
            }
            ApiError::ServerError { .. } => "Try again in a few minutes; the run may have been charged.".into(),
            ApiError::BadGateway { .. } => "Try again shortly; the service is temporarily unavailable (the run may have been charged if it had started).".into(),
            ApiError::GatewayTimeout { .. } => "Try again; the run may have been charged, so check your credits first.".into(),
            ApiError::UnexpectedStatus { .. } => "Check the endpoint URL; if it is right, try again later.".into(),
            ApiError::Network { .. } => {
                "Check your connection and the endpoint URL. Calling Segmind straight from a browser may be blocked (CORS): use a proxy.".into()
            }
            ApiError::Cancelled => "If the request had already gone out, the model may still have run it (and charged it); generate again when ready.".into(),
            ApiError::TimedOut { .. } => {
                "Try again, or raise the time limit in the advanced settings; the run may have been charged.".into()
            }
            ApiError::JobFailed { .. } => "Check the inputs the reason names (a clear, real face; audible speech), then try again.".into(),
            ApiError::NotAVideo { .. } => "Try again; if it repeats, the endpoint is not answering with video.".into(),
            ApiError::LocalFile { .. } => "Choose the file again; nothing was sent or charged.".into(),
            ApiError::PageIncomplete => "Try again once the connection is back; nothing was sent or charged (a job already running is kept and followed then).".into(),
            ApiError::AnswerBroken { .. } => {
                "The run was made; check your connection. As a job (the default), a broken download is fetched again for free.".into()
            }
            ApiError::KeyWithheld { .. } => "Check the endpoint: a proxy must hand out its own URLs for jobs.".into(),
            ApiError::Redirected { .. } => "Use the address the redirect points to as the endpoint, if you trust it.".into(),
            ApiError::JobExpired => "Forget this job and generate again.".into(),
            ApiError::StoppedFollowing => "Keep following it to get the video you may be paying for, or forget it.".into(),
        }
    }

    /// The server's own words, as plain text.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { server_message }
            | ApiError::Unauthorized { server_message }
            | ApiError::Forbidden { server_message }
            | ApiError::NotFound { server_message }
            | ApiError::InsufficientCredits { server_message }
            | ApiError::RateLimited { server_message, .. }
            | ApiError::ServerError { server_message, .. }
            | ApiError::BadGateway { server_message }
            | ApiError::GatewayTimeout { server_message }
            | ApiError::UnexpectedStatus { server_message, .. } => server_message.as_deref(),
            ApiError::JobFailed { message } => Some(message),
            ApiError::Network { .. }
            | ApiError::Cancelled
            | ApiError::TimedOut { .. }
            | ApiError::NotAVideo { .. }
            | ApiError::AnswerBroken { .. }
            | ApiError::KeyWithheld { .. }
            | ApiError::Redirected { .. }
            | ApiError::JobExpired
            | ApiError::StoppedFollowing
            | ApiError::PageIncomplete
            | ApiError::LocalFile { .. } => None,
        }
    }
}

/// `Retry-After` in seconds; the HTTP-date form is rare for APIs and is ignored.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    value.trim().parse::<u32>().ok()
}

/// The readable message in an error body: JSON `{"error": ...}` (or
/// `message`/`detail`), an HTML page's title and text, or plain text.
pub fn server_message(body: &str, content_type: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let text = if let Some(from_json) = message_from_json(body) {
        from_json
    } else if content_type.contains("html") || body.starts_with('<') {
        text_from_html(body)
    } else {
        body.to_string()
    };
    let text = collapse_whitespace(&text);
    if text.is_empty() {
        return None;
    }
    Some(truncate_chars(&text, SERVER_MESSAGE_LIMIT))
}

fn message_from_json(body: &str) -> Option<String> {
    let doc = JsonDoc::parse(body)?;
    if let Some(text) = doc.as_str() {
        return Some(text);
    }
    for key in ["error", "message", "detail", "msg"] {
        let Some(member) = doc.get(key) else { continue };
        if let Some(text) = member.as_str().or_else(|| member.get("message").and_then(|m| m.as_str())) {
            return Some(text);
        }
        if !member.is_null() {
            return Some(member.to_json());
        }
    }
    Some(doc.to_json())
}

/// Visible text of an HTML page: markup, scripts and styles dropped, the
/// common entities decoded. Good enough for a gateway's error page.
fn text_from_html(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len().min(4096));
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if rest.starts_with("<script") || rest.starts_with("<style") {
            let close = if rest.starts_with("<script") { "</script>" } else { "</style>" };
            i += rest.find(close).map_or(rest.len(), |p| p + close.len());
            continue;
        }
        if rest.starts_with('<') {
            i += rest.find('>').map_or(rest.len(), |p| p + 1);
            out.push(' ');
            continue;
        }
        let next = rest.find('<').unwrap_or(rest.len());
        out.push_str(&html[i..i + next]);
        i += next;
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate_chars(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn each_error_kind_has_one_name_the_same_in_text_and_json() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        let distinct: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        for kind in ErrorKind::ALL {
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::Value::from(kind.as_str())));
        }
    }

    #[test]
    fn each_documented_status_has_its_own_kind_and_next_step() {
        let statuses = [400, 401, 403, 404, 406, 429, 500, 502, 504];
        let errors: Vec<ApiError> = statuses.iter().map(|&s| ApiError::from_status(s, "", "", None)).collect();
        let kinds: std::collections::BTreeSet<_> = errors.iter().map(ApiError::kind).collect();
        assert_eq!(kinds.len(), statuses.len(), "every status its own kind, adjacent or not: {kinds:?}");
        for (error, status) in errors.iter().zip(statuses) {
            assert_eq!(error.status(), Some(status));
            assert!(error.to_string().contains(&status.to_string()), "{error}");
        }
        assert_eq!(errors[1].kind(), ErrorKind::Unauthorized);
        assert!(errors[1].next_step().contains("key"));
        assert_eq!(errors[4].kind(), ErrorKind::InsufficientCredits);
        assert!(errors[6].next_step().contains("charged"));
        assert!(errors[8].next_step().contains("charged"));
    }

    #[test]
    fn other_statuses_are_not_mistaken_for_documented_ones() {
        assert_eq!(ApiError::from_status(503, "", "", None).kind(), ErrorKind::ServerError);
        assert_eq!(ApiError::from_status(418, "", "", None).kind(), ErrorKind::UnexpectedStatus);
        assert_eq!(ApiError::from_status(418, "", "", None).status(), Some(418));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let e = ApiError::from_status(429, "", "", Some(" 7 "));
        assert_eq!(e, ApiError::RateLimited { retry_after_secs: Some(7), server_message: None });
        assert!(e.next_step().contains("7 s"));
        let e = ApiError::from_status(429, "", "", Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(matches!(e, ApiError::RateLimited { retry_after_secs: None, .. }));
    }

    #[test]
    fn json_error_bodies_give_their_message() {
        let e = ApiError::from_status(400, r#"{"error":"pose_style must be <= 45"}"#, "application/json", None);
        assert_eq!(e.server_message(), Some("pose_style must be <= 45"));
        assert_eq!(server_message(r#"{"message":"no"}"#, "application/json").as_deref(), Some("no"));
        assert_eq!(server_message(r#"{"error":{"message":"deep"}}"#, "").as_deref(), Some("deep"));
        assert_eq!(server_message(r#""bare""#, "").as_deref(), Some("bare"));
        assert_eq!(server_message(r#"{"other":1}"#, "").as_deref(), Some(r#"{"other":1}"#));
    }

    #[test]
    fn html_gateway_pages_become_plain_text() {
        let html = "<html><head><title>502 Bad Gateway</title><style>h1{color:red}</style>\
                    <script>alert('x')</script></head><body><h1>Bad&nbsp;Gateway</h1>\
                    <p>nginx &amp; friends</p></body></html>";
        let text = server_message(html, "text/html").expect("text");
        assert_eq!(text, "502 Bad Gateway Bad Gateway nginx & friends");
        assert!(!text.contains('<') && !text.contains("alert"));
    }

    #[test]
    fn plain_text_is_kept_and_long_bodies_are_cut() {
        assert_eq!(server_message("  upstream\n timed out ", "text/plain").as_deref(), Some("upstream timed out"));
        assert_eq!(server_message("   ", "text/plain"), None);
        let long = "é".repeat(1000);
        let cut = server_message(&long, "text/plain").expect("text");
        assert_eq!(cut.chars().count(), SERVER_MESSAGE_LIMIT + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn non_http_failures_have_no_status() {
        for e in [
            ApiError::Cancelled,
            ApiError::Network { detail: "x".into() },
            ApiError::NotAVideo { detail: "y".into() },
            ApiError::TimedOut { limit_secs: 600 },
        ] {
            assert_eq!(e.status(), None);
            assert_eq!(e.server_message(), None);
            assert!(!e.next_step().is_empty());
        }
    }
}
