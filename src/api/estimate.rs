//! What a run typically costs, in time and money (the provider's figures), and
//! how the page words the wait.

/// The model's typical run time, in seconds.
pub const TYPICAL_RUN_SECS: u32 = 119;
/// The provider's typical price of one run, in US dollars (as shown, and as a number).
pub const TYPICAL_PRICE_USD: &str = "0.18";
pub const TYPICAL_PRICE: f64 = contract::PRICE_PER_RUN_USD;

/// Whether a balance (in the provider's credits, which are dollars) covers one typical run.
pub fn covers_a_run(balance: f64) -> bool {
    balance >= TYPICAL_PRICE
}

/// A balance with at most three decimals ("99.816"), via serde_json's float
/// text so the page ships no second float formatter (`to_string`, not a
/// `Value`'s `Display`, whose writer adaptor brings std's I/O error texts).
pub fn credits_text(balance: f64) -> String {
    serde_json::to_string(&((balance * 1000.0).round() / 1000.0)).unwrap_or_default()
}

/// A byte count for people: "3.4 MB", "812 KB".
pub fn size_text(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        let tenths = (bytes * 10.0 / (1024.0 * 1024.0)).round() as u64;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", (bytes / 1024.0).ceil() as u64)
    }
}

/// Seconds to one decimal ("2.0"), without float formatting (it costs the page KBs).
pub fn tenths_text(seconds: f64) -> String {
    let tenths = (seconds * 10.0).round().clamp(0.0, 1e9) as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

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
    fn balance_and_sizes() {
        assert!(covers_a_run(0.2) && covers_a_run(0.184));
        assert!(!covers_a_run(0.018));
        assert_eq!(size_text(3.4 * 1024.0 * 1024.0), "3.4 MB");
        assert_eq!(size_text(812.0 * 1024.0), "812 KB");
        assert_eq!(size_text(1.0), "1 KB");
        assert_eq!(credits_text(99.81600000001), "99.816");
        assert_eq!(credits_text(0.018), "0.018");
    }

    #[test]
    fn tenths_of_a_second() {
        assert_eq!(tenths_text(2.0), "2.0");
        assert_eq!(tenths_text(8.358), "8.4");
        assert_eq!(tenths_text(-1.0), "0.0");
        assert_eq!(tenths_text(f64::NAN), "0.0");
    }

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
