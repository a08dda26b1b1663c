//! Decimal text to `f64`, read exactly as `str::parse::<f64>` reads it,
//! without Rust's float parser in the page: that parser carries a 20 KB table
//! of powers of five, data that gzip can hardly shrink and that stays in the
//! page's first load even when only a later part parses a number (wasm-split
//! moves code, not data). In the browser the grammar is checked here and the
//! value is read by JS's `parseFloat`, which rounds to nearest as Rust does;
//! on the host, by Rust's own parser.

/// The number `text` writes, by Rust's grammar for floats: an optional sign,
/// then `inf`, `infinity` or `nan` (any case), or digits with at most one
/// point (and a digit on at least one side of it) and an optional exponent
/// (`e` or `E`, an optional sign, digits). Nothing else: no spaces, no `_`,
/// no hex; `None` where `str::parse::<f64>` gives an error.
pub fn parse_f64(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let signed = |value: f64| if text.starts_with('-') { -value } else { value };
    if ["inf", "infinity"].iter().any(|word| unsigned.eq_ignore_ascii_case(word)) {
        return Some(signed(f64::INFINITY));
    }
    if unsigned.eq_ignore_ascii_case("nan") {
        return Some(signed(f64::NAN));
    }
    is_decimal(unsigned).then(|| read(text))?
}

/// Digits, at most one point with a digit beside it, then an optional exponent.
fn is_decimal(text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok = digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
        !unsigned.is_empty() && digits(unsigned)
    });
    mantissa_ok && exponent_ok
}

/// The value of text the grammar accepted (a sign, digits, a point, an exponent).
#[cfg(target_arch = "wasm32")]
fn read(text: &str) -> Option<f64> {
    Some(js_sys::parse_float(text))
}

#[cfg(not(target_arch = "wasm32"))]
fn read(text: &str) -> Option<f64> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium, where JS reads the values.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The same answer as Rust's parser: both refuse, or both give the same bits (any NaN for NaN).
    pub(super) fn same_as_rust(text: &str) {
        match (parse_f64(text), text.parse::<f64>().ok()) {
            (Some(ours), Some(rust)) => assert!(ours.to_bits() == rust.to_bits() || (ours.is_nan() && rust.is_nan()), "{text:?}: {ours} vs {rust}"),
            (ours, rust) => assert_eq!(ours, rust, "{text:?}"),
        }
    }

    #[test]
    fn reads_what_rust_reads_and_refuses_what_it_refuses() {
        for text in [
            "1.4", "0", "-0", "+3", "5.", ".5", "1e3", "1E-3", "2.5e+10", "-1.25e-7", "007.50", "1e400", "1e-400", "-1e400",
            "0.1", "0.30000000000000004", "9007199254740993", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308",
            "123456789012345678901234567890.123456789e-5", "inf", "-Infinity", "+INF", "NaN", "-nan",
            "", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "1_000", "0x10", "1,5", "--1", "+-1", "infinit", "nana", "1e5.5", "١",
        ] {
            same_as_rust(text);
        }
    }

    #[test]
    fn thousands_of_floats_written_out_read_back_the_same() {
        // Bit patterns from a fixed xorshift: every exponent, subnormals, long mantissas.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..4000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state);
            same_as_rust(&format!("{x}"));
            same_as_rust(&format!("{x:e}"));
            same_as_rust(&format!("{:.3}", x.abs() % 1000.0));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::tests::same_as_rust;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_of_number_characters_reads_as_in_rust(text in "[-+0-9.eE]{0,12}|[-+]?(inf|INF|Infinity|nan|NaN)") {
            same_as_rust(&text);
        }

        #[test]
        fn any_float_written_out_reads_back_the_same(x in any::<f64>(), exponent in any::<bool>()) {
            let text = if exponent { format!("{x:e}") } else { format!("{x}") };
            same_as_rust(&text);
        }
    }
}
