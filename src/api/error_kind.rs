//! The stable machine names of failures: the page's `data-kind` and the JS
//! package's `kind`, one per [`super::error::ApiError`] case (and the package's
//! own `invalid_options`).

/// A stable machine name for each kind of failure. `InvalidOptions` is the
/// JS package's own (options of the wrong shape); the rest are [`ApiError`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify))]
pub enum ErrorKind {
    InvalidRequest,
    InvalidOptions,
    Unauthorized,
    Forbidden,
    NotFound,
    InsufficientCredits,
    RateLimited,
    ServerError,
    BadGateway,
    GatewayTimeout,
    UnexpectedStatus,
    Network,
    Cancelled,
    Timeout,
    JobFailed,
    NotAVideo,
    LocalFile,
    AnswerBroken,
    KeyWithheld,
    Redirected,
    JobExpired,
    StoppedFollowing,
    PageIncomplete,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 23] = {
        use ErrorKind::*;
        [
            InvalidRequest, InvalidOptions, Unauthorized, Forbidden, NotFound, InsufficientCredits, RateLimited, ServerError,
            BadGateway, GatewayTimeout, UnexpectedStatus, Network, Cancelled, Timeout, JobFailed, NotAVideo, LocalFile,
            AnswerBroken, KeyWithheld, Redirected, JobExpired, StoppedFollowing, PageIncomplete,
        ]
    };

    /// The name as text (the page's `data-kind`), without a serialiser in the page.
    pub fn as_str(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidOptions => "invalid_options",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            InsufficientCredits => "insufficient_credits",
            RateLimited => "rate_limited",
            ServerError => "server_error",
            BadGateway => "bad_gateway",
            GatewayTimeout => "gateway_timeout",
            UnexpectedStatus => "unexpected_status",
            Network => "network",
            Cancelled => "cancelled",
            Timeout => "timeout",
            JobFailed => "job_failed",
            NotAVideo => "not_a_video",
            LocalFile => "local_file",
            AnswerBroken => "answer_broken",
            KeyWithheld => "key_withheld",
            Redirected => "redirected",
            JobExpired => "job_expired",
            StoppedFollowing => "stopped_following",
            PageIncomplete => "page_incomplete",
        }
    }
}
