//! The money rules, written once. A run costs money as soon as a request may
//! have reached the model; reading a job's status or result costs nothing.
//! Every automatic action the page takes after a failure is decided here, by
//! small tables with one test per row:
//!
//! - [`after_submit_failure`]: a submission (v1 run, v2 submit) that failed.
//!   Only an answer that says the run did not start (429) is sent again by
//!   itself; everything else is the person's call, with true words on charges.
//! - [`after_read_failure`]: a job's status or result read that failed: free,
//!   so retried with backoff for as long as the job can still deliver.
//! - [`ticket_fate`]: when a job's ticket may be dropped.
//! - [`poll_interval_ms`]: how often a job is asked about (slower as it ages).

use crate::api::error::ApiError;

/// Automatic re-sends allowed after a 429 on a submission.
pub const RATE_LIMIT_RETRIES: u32 = 3;
/// Wait after a 429 that names no `Retry-After` (the free plan allows 5 runs a minute).
pub const DEFAULT_RATE_LIMIT_WAIT_SECS: u32 = 12;
/// The longest `Retry-After` a submission waits out by itself.
pub const MAX_SUBMIT_WAIT_SECS: u32 = 120;
/// Results expire this long after submission (the provider's async docs).
pub const JOB_EXPIRY_SECS: f64 = 3600.0;
/// First wait after a failed read; doubles up to [`READ_BACKOFF_MAX_SECS`].
pub const READ_BACKOFF_START_SECS: u32 = 2;
pub const READ_BACKOFF_MAX_SECS: u32 = 30;

/// What the page may truthfully say about a failed run's charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charge {
    /// The server refused before the run started.
    No,
    /// The request may have reached the model.
    Maybe,
    /// The model answered (the video was arriving, or the job ran): the run was made.
    Likely,
}

impl Charge {
    /// The warning shown beside "Try again", if any. On a free endpoint (the
    /// local stand-in) nothing is charged, and the words say so.
    pub fn warning(self, free_endpoint: bool) -> Option<&'static str> {
        match (self, free_endpoint) {
            (Charge::No, _) => None,
            (Charge::Maybe, false) => Some("This run may have been charged: the request may have reached the model."),
            (Charge::Likely, false) => Some("This run was most likely charged: the model had already answered."),
            (Charge::Maybe, true) => Some("On the paid API this run may have been charged (the local stand-in charges nothing)."),
            (Charge::Likely, true) => Some("On the paid API this run was most likely charged (the local stand-in charges nothing)."),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitDecision {
    /// The server said the run did not start: wait, then send the same request again.
    ResendAfter { secs: u32 },
    /// Show the failure with a one-click "Try again" and what it may have cost.
    Offer(Charge),
    /// Show the failure; something must be fixed first (key, field, credits).
    Fix,
}

/// After a submission failed. `resends_so_far` counts automatic re-sends.
pub fn after_submit_failure(error: &ApiError, resends_so_far: u32) -> SubmitDecision {
    use SubmitDecision::*;
    match error {
        // 429: refused before the model ran; safe to send again, a few times.
        ApiError::RateLimited { retry_after_secs, .. } => {
            let secs = retry_after_secs.unwrap_or(DEFAULT_RATE_LIMIT_WAIT_SECS).max(1);
            if resends_so_far < RATE_LIMIT_RETRIES && secs <= MAX_SUBMIT_WAIT_SECS {
                ResendAfter { secs }
            } else {
                Offer(Charge::No)
            }
        }
        // Refused for a reason the person must fix: nothing ran.
        ApiError::BadRequest { .. }
        | ApiError::Unauthorized { .. }
        | ApiError::Forbidden { .. }
        | ApiError::NotFound { .. }
        | ApiError::InsufficientCredits { .. }
        | ApiError::KeyWithheld { .. }
        | ApiError::Redirected { .. } => Fix,
        // Nothing was sent yet.
        ApiError::LocalFile { .. } | ApiError::PageIncomplete => Offer(Charge::No),
        // The model answered with video (or a finished job) and then it broke.
        ApiError::AnswerBroken { .. } | ApiError::NotAVideo { .. } => Offer(Charge::Likely),
        // No answer, or a gateway/server failure: the body may have reached the
        // model. A 502 is not proof that it did not (a gateway can fail mid-run).
        ApiError::Network { .. }
        | ApiError::Cancelled
        | ApiError::TimedOut { .. }
        | ApiError::ServerError { .. }
        | ApiError::BadGateway { .. }
        | ApiError::GatewayTimeout { .. }
        | ApiError::UnexpectedStatus { .. }
        | ApiError::JobFailed { .. }
        | ApiError::JobExpired
        | ApiError::StoppedFollowing => Offer(Charge::Maybe),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadDecision {
    /// Free to ask again: wait this long.
    RetryAfter { secs: u32 },
    /// Stop following for now; the ticket stays unless [`ticket_fate`] says otherwise.
    Stop,
}

/// After a job's status or result read failed. `failures_in_a_row` counts the
/// reads that failed before this one; `job_age_secs` is the time since submission.
pub fn after_read_failure(error: &ApiError, failures_in_a_row: u32, job_age_secs: f64) -> ReadDecision {
    use ReadDecision::*;
    if job_age_secs >= JOB_EXPIRY_SECS {
        return Stop;
    }
    let backoff = READ_BACKOFF_START_SECS.saturating_mul(1 << failures_in_a_row.min(8)).min(READ_BACKOFF_MAX_SECS);
    let secs = match error {
        // Honour the server's wait, but never past the result's expiry.
        ApiError::RateLimited { retry_after_secs: Some(secs), .. } => (*secs).max(1),
        ApiError::RateLimited { retry_after_secs: None, .. } => backoff.max(DEFAULT_RATE_LIMIT_WAIT_SECS),
        // Trouble on the way: the job goes on regardless.
        ApiError::Network { .. }
        | ApiError::ServerError { .. }
        | ApiError::BadGateway { .. }
        | ApiError::GatewayTimeout { .. }
        | ApiError::UnexpectedStatus { .. }
        | ApiError::AnswerBroken { .. }
        | ApiError::NotAVideo { .. } => backoff,
        // The person must act (key, endpoint), the job ended, or it was stopped.
        ApiError::BadRequest { .. }
        | ApiError::Unauthorized { .. }
        | ApiError::Forbidden { .. }
        | ApiError::NotFound { .. }
        | ApiError::InsufficientCredits { .. }
        | ApiError::KeyWithheld { .. }
        | ApiError::Redirected { .. }
        | ApiError::JobFailed { .. }
        | ApiError::JobExpired
        | ApiError::Cancelled
        | ApiError::StoppedFollowing
        | ApiError::TimedOut { .. }
        | ApiError::LocalFile { .. }
        | ApiError::PageIncomplete => return Stop,
    };
    let left = (JOB_EXPIRY_SECS - job_age_secs).max(1.0) as u32;
    RetryAfter { secs: secs.min(left) }
}

/// How a job's following ended, for [`ticket_fate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JobEnd<'a> {
    /// The video is in the history.
    Stored,
    /// The video arrived but could not be kept (quota, blocked database).
    ShownNotStored,
    /// The person chose to forget the job.
    Dropped,
    /// Following stopped with this failure.
    Failed(&'a ApiError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketFate {
    Drop,
    Keep,
}

/// A ticket is dropped only once its video is stored, the server says the job
/// failed, or the person says so. Everything else keeps it, so a reload (or
/// "Pick it up") can still fetch a paid video.
pub fn ticket_fate(end: JobEnd<'_>) -> TicketFate {
    match end {
        JobEnd::Stored | JobEnd::Dropped | JobEnd::Failed(ApiError::JobFailed { .. }) => TicketFate::Drop,
        JobEnd::ShownNotStored | JobEnd::Failed(_) => TicketFate::Keep,
    }
}

/// How long to wait before asking about a job again: every 2 s for its first
/// half minute, then every 5 s, then every 10 s after five minutes. A job's
/// first minute takes 21 reads, well inside a proxy's 30-a-minute budget.
pub fn poll_interval_ms(job_age_secs: f64) -> i32 {
    if job_age_secs < 30.0 {
        2_000
    } else if job_age_secs < 300.0 {
        5_000
    } else {
        10_000
    }
}

/// Whether a job submitted `job_age_secs` ago can still deliver its result.
pub fn job_can_deliver(job_age_secs: f64) -> bool {
    job_age_secs < JOB_EXPIRY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rate_limited(after: Option<u32>) -> ApiError {
        ApiError::RateLimited { retry_after_secs: after, server_message: None }
    }
    fn net() -> ApiError {
        ApiError::Network { detail: "Failed to fetch".into() }
    }

    // --- after_submit_failure, one test per row ---
    #[test]
    fn submit_429_is_resent_after_its_retry_after() {
        assert_eq!(after_submit_failure(&rate_limited(Some(7)), 0), SubmitDecision::ResendAfter { secs: 7 });
        assert_eq!(after_submit_failure(&rate_limited(None), 1), SubmitDecision::ResendAfter { secs: DEFAULT_RATE_LIMIT_WAIT_SECS });
        assert_eq!(after_submit_failure(&rate_limited(Some(0)), 0), SubmitDecision::ResendAfter { secs: 1 });
    }
    #[test]
    fn submit_429_stops_after_a_few_resends_or_a_long_wait() {
        assert_eq!(after_submit_failure(&rate_limited(Some(7)), RATE_LIMIT_RETRIES), SubmitDecision::Offer(Charge::No));
        assert_eq!(after_submit_failure(&rate_limited(Some(MAX_SUBMIT_WAIT_SECS + 1)), 0), SubmitDecision::Offer(Charge::No));
    }
    #[test]
    fn submit_refusals_need_a_fix_and_cost_nothing() {
        for status in [400, 401, 403, 404, 406] {
            assert_eq!(after_submit_failure(&ApiError::from_status(status, "", "", None), 0), SubmitDecision::Fix, "{status}");
        }
        let withheld = ApiError::KeyWithheld { origin: "https://x".into(), status: 401 };
        assert_eq!(after_submit_failure(&withheld, 0), SubmitDecision::Fix);
    }
    #[test]
    fn submit_connection_failures_are_never_resent() {
        assert_eq!(after_submit_failure(&net(), 0), SubmitDecision::Offer(Charge::Maybe));
    }
    #[test]
    fn submit_server_and_gateway_failures_are_never_resent() {
        for status in [500, 502, 503, 504] {
            assert_eq!(after_submit_failure(&ApiError::from_status(status, "", "", None), 0), SubmitDecision::Offer(Charge::Maybe), "{status}");
        }
    }
    #[test]
    fn submit_answer_broken_mid_video_is_likely_charged_and_never_resent() {
        let broken = ApiError::AnswerBroken { detail: "network error".into() };
        assert_eq!(after_submit_failure(&broken, 0), SubmitDecision::Offer(Charge::Likely));
        assert_eq!(after_submit_failure(&ApiError::NotAVideo { detail: "cut".into() }, 0), SubmitDecision::Offer(Charge::Likely));
    }
    #[test]
    fn a_failed_job_may_have_cost() {
        assert_eq!(after_submit_failure(&ApiError::JobFailed { message: "no face".into() }, 0), SubmitDecision::Offer(Charge::Maybe));
    }
    #[test]
    fn submit_cancel_or_timeout_may_have_cost() {
        assert_eq!(after_submit_failure(&ApiError::Cancelled, 0), SubmitDecision::Offer(Charge::Maybe));
        assert_eq!(after_submit_failure(&ApiError::TimedOut { limit_secs: 600 }, 0), SubmitDecision::Offer(Charge::Maybe));
    }
    #[test]
    fn submit_local_file_trouble_sent_nothing() {
        assert_eq!(after_submit_failure(&ApiError::LocalFile { detail: "x".into() }, 0), SubmitDecision::Offer(Charge::No));
    }
    #[test]
    fn submit_without_the_sending_code_sent_nothing() {
        assert_eq!(after_submit_failure(&ApiError::PageIncomplete, 0), SubmitDecision::Offer(Charge::No));
    }

    // --- after_read_failure ---
    #[test]
    fn read_429_waits_out_retry_after() {
        assert_eq!(after_read_failure(&rate_limited(Some(9)), 0, 10.0), ReadDecision::RetryAfter { secs: 9 });
        assert_eq!(after_read_failure(&rate_limited(None), 0, 10.0), ReadDecision::RetryAfter { secs: DEFAULT_RATE_LIMIT_WAIT_SECS });
    }
    #[test]
    fn read_trouble_backs_off_and_keeps_going() {
        for error in [net(), ApiError::from_status(500, "", "", None), ApiError::from_status(502, "", "", None), ApiError::AnswerBroken { detail: String::new() }] {
            assert_eq!(after_read_failure(&error, 0, 5.0), ReadDecision::RetryAfter { secs: 2 }, "{error:?}");
            assert_eq!(after_read_failure(&error, 2, 5.0), ReadDecision::RetryAfter { secs: 8 });
            assert_eq!(after_read_failure(&error, 40, 5.0), ReadDecision::RetryAfter { secs: READ_BACKOFF_MAX_SECS }, "capped");
        }
    }
    #[test]
    fn read_waits_never_pass_the_expiry() {
        assert_eq!(after_read_failure(&rate_limited(Some(600)), 0, JOB_EXPIRY_SECS - 10.0), ReadDecision::RetryAfter { secs: 10 });
    }
    #[test]
    fn read_past_expiry_stops() {
        assert_eq!(after_read_failure(&net(), 0, JOB_EXPIRY_SECS), ReadDecision::Stop);
    }
    #[test]
    fn read_refusals_stop_for_the_person() {
        for error in [ApiError::from_status(401, "", "", None), ApiError::from_status(404, "", "", None), ApiError::KeyWithheld { origin: "x".into(), status: 401 }] {
            assert_eq!(after_read_failure(&error, 0, 5.0), ReadDecision::Stop, "{error:?}");
        }
    }
    #[test]
    fn read_ends_when_the_job_failed_or_following_stopped() {
        assert_eq!(after_read_failure(&ApiError::JobFailed { message: "no face".into() }, 0, 5.0), ReadDecision::Stop);
        assert_eq!(after_read_failure(&ApiError::Cancelled, 0, 5.0), ReadDecision::Stop);
    }
    #[test]
    fn read_without_the_following_code_stops_and_keeps_the_ticket() {
        // Not retried by itself (the code may stay out of reach); the person retries.
        assert_eq!(after_read_failure(&ApiError::PageIncomplete, 0, 5.0), ReadDecision::Stop);
        assert_eq!(ticket_fate(JobEnd::Failed(&ApiError::PageIncomplete)), TicketFate::Keep);
    }

    // --- ticket_fate ---
    #[test]
    fn ticket_dropped_once_stored() {
        assert_eq!(ticket_fate(JobEnd::Stored), TicketFate::Drop);
    }
    #[test]
    fn ticket_kept_when_the_video_could_not_be_stored() {
        assert_eq!(ticket_fate(JobEnd::ShownNotStored), TicketFate::Keep);
    }
    #[test]
    fn ticket_dropped_when_the_person_says_so() {
        assert_eq!(ticket_fate(JobEnd::Dropped), TicketFate::Drop);
    }
    #[test]
    fn ticket_dropped_when_the_server_says_failed() {
        assert_eq!(ticket_fate(JobEnd::Failed(&ApiError::JobFailed { message: String::new() })), TicketFate::Drop);
    }
    #[test]
    fn ticket_kept_on_every_other_failure() {
        for error in [net(), ApiError::Cancelled, ApiError::JobExpired, ApiError::from_status(404, "", "", None), ApiError::TimedOut { limit_secs: 30 }] {
            assert_eq!(ticket_fate(JobEnd::Failed(&error)), TicketFate::Keep, "{error:?}");
        }
    }

    // --- polling ---
    #[test]
    fn polling_slows_down_and_fits_a_30_a_minute_budget() {
        let mut age = 0.0;
        let mut reads_in_first_minute = 0;
        while age < 60.0 {
            reads_in_first_minute += 1;
            age += f64::from(poll_interval_ms(age)) / 1000.0;
        }
        assert!(reads_in_first_minute <= 25, "{reads_in_first_minute}");
        assert!(poll_interval_ms(0.0) <= 2_000, "the first answers come quickly");
        assert_eq!(poll_interval_ms(3000.0), 10_000);
        assert!(job_can_deliver(JOB_EXPIRY_SECS - 1.0) && !job_can_deliver(JOB_EXPIRY_SECS));
    }

    #[test]
    fn charge_words_are_only_given_when_there_may_be_a_charge() {
        for free in [false, true] {
            assert_eq!(Charge::No.warning(free), None);
            assert!(Charge::Maybe.warning(free).is_some_and(|w| w.contains("may have been charged")));
            assert!(Charge::Likely.warning(free).is_some_and(|w| w.contains("most likely charged")));
        }
        assert!(Charge::Maybe.warning(true).is_some_and(|w| w.contains("stand-in charges nothing")));
    }
}
