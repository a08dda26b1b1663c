//! What a run typically costs, in time and money (the provider's figures), and
//! how the page words the wait.

/// The model's typical run time, in seconds.
pub const TYPICAL_RUN_SECS: u32 = 119;
/// The provider's typical price of one run, in US dollars.
pub const TYPICAL_PRICE_USD: &str = "0.18";

/// `m:ss`, for the elapsed-time display.
pub fn clock(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// "0:42 of a typical 1:59", and past the typical time, a reassurance.
pub fn wait_text(elapsed_secs: u32) -> String {
    if elapsed_secs <= TYPICAL_RUN_SECS {
        format!("{} of a typical {}", clock(elapsed_secs), clock(TYPICAL_RUN_SECS))
    } else {
        format!(
            "{}: longer than the typical {} (a cold start can add minutes); still waiting",
            clock(elapsed_secs),
            clock(TYPICAL_RUN_SECS)
        )
    }
}

/// Percent of the typical run time, capped below 100 so the bar never claims done.
pub fn progress_percent(elapsed_secs: u32) -> u32 {
    (elapsed_secs.saturating_mul(100) / TYPICAL_RUN_SECS).min(97)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn clock_pads_seconds() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(65), "1:05");
        assert_eq!(clock(119), "1:59");
    }

    #[test]
    fn wait_text_before_and_after_the_typical_time() {
        assert_eq!(wait_text(42), "0:42 of a typical 1:59");
        assert!(wait_text(130).starts_with("2:10: longer than the typical 1:59"));
    }

    #[test]
    fn progress_never_reaches_done_on_its_own() {
        assert_eq!(progress_percent(0), 0);
        assert_eq!(progress_percent(60), 50);
        assert_eq!(progress_percent(10_000), 97);
    }
}
