//! When a failed run is tried again by itself, and when it is left to the
//! person. A run costs money, so only failures where the model did not run
//! are retried automatically, a bounded number of times.

use crate::api_error::ApiError;

/// Automatic retries allowed after a 429.
pub const RATE_LIMIT_RETRIES: u32 = 3;
/// Automatic retries allowed after a 502 or a connection failure.
pub const TRANSIENT_RETRIES: u32 = 3;
/// Wait after a 429 without `Retry-After` (the free plan allows 5 runs a minute).
pub const DEFAULT_RATE_LIMIT_WAIT_SECS: u32 = 12;
/// First backoff after a 502 or connection failure; doubles each time.
pub const BACKOFF_START_SECS: u32 = 2;
/// Longest wait the page accepts from `Retry-After` before giving up.
pub const MAX_WAIT_SECS: u32 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then send the same request again.
    After { secs: u32 },
    /// Show the failure; the person decides.
    Stop,
}

/// `retries_so_far` counts automatic retries already made for this run.
pub fn decide(error: &ApiError, retries_so_far: u32) -> RetryDecision {
    match error {
        ApiError::RateLimited { retry_after_secs, .. } if retries_so_far < RATE_LIMIT_RETRIES => {
            let secs = retry_after_secs.unwrap_or(DEFAULT_RATE_LIMIT_WAIT_SECS);
            if secs > MAX_WAIT_SECS {
                RetryDecision::Stop
            } else {
                RetryDecision::After { secs: secs.max(1) }
            }
        }
        ApiError::BadGateway { .. } | ApiError::Network { .. } if retries_so_far < TRANSIENT_RETRIES => {
            RetryDecision::After { secs: BACKOFF_START_SECS << retries_so_far }
        }
        _ => RetryDecision::Stop,
    }
}

/// Whether the person gets a one-click "Try again", and whether to warn that
/// the failed run may already have been charged.
pub fn manual_retry(error: &ApiError) -> Option<bool> {
    match error {
        ApiError::ServerError { .. } | ApiError::GatewayTimeout { .. } | ApiError::TimedOut { .. } => Some(true),
        ApiError::RateLimited { .. } | ApiError::BadGateway { .. } | ApiError::Network { .. } | ApiError::Cancelled => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rate_limited(after: Option<u32>) -> ApiError {
        ApiError::RateLimited { retry_after_secs: after, server_message: None }
    }

    #[test]
    fn rate_limits_honour_retry_after_a_bounded_number_of_times() {
        assert_eq!(decide(&rate_limited(Some(7)), 0), RetryDecision::After { secs: 7 });
        assert_eq!(decide(&rate_limited(None), 1), RetryDecision::After { secs: DEFAULT_RATE_LIMIT_WAIT_SECS });
        assert_eq!(decide(&rate_limited(Some(0)), 0), RetryDecision::After { secs: 1 });
        assert_eq!(decide(&rate_limited(Some(7)), RATE_LIMIT_RETRIES), RetryDecision::Stop);
        assert_eq!(decide(&rate_limited(Some(MAX_WAIT_SECS + 1)), 0), RetryDecision::Stop);
    }

    #[test]
    fn gateway_and_connection_failures_back_off() {
        let bad_gateway = ApiError::BadGateway { server_message: None };
        assert_eq!(decide(&bad_gateway, 0), RetryDecision::After { secs: 2 });
        assert_eq!(decide(&bad_gateway, 1), RetryDecision::After { secs: 4 });
        assert_eq!(decide(&bad_gateway, 2), RetryDecision::After { secs: 8 });
        assert_eq!(decide(&bad_gateway, 3), RetryDecision::Stop);
        assert_eq!(decide(&ApiError::Network { detail: "x".into() }, 0), RetryDecision::After { secs: 2 });
    }

    #[test]
    fn failures_that_may_have_cost_money_are_never_retried_silently() {
        for error in [
            ApiError::ServerError { status: 500, server_message: None },
            ApiError::GatewayTimeout { server_message: None },
            ApiError::Unauthorized { server_message: None },
            ApiError::InsufficientCredits { server_message: None },
            ApiError::Cancelled,
            ApiError::NotAVideo { detail: String::new() },
        ] {
            assert_eq!(decide(&error, 0), RetryDecision::Stop, "{error:?}");
        }
        assert_eq!(manual_retry(&ApiError::ServerError { status: 500, server_message: None }), Some(true));
        assert_eq!(manual_retry(&ApiError::GatewayTimeout { server_message: None }), Some(true));
        assert_eq!(manual_retry(&ApiError::Unauthorized { server_message: None }), None, "fix the key instead");
    }
}
