//! Figures the page, the local stand-in and the proxy must agree on, written
//! once. No dependencies, so the page (wasm) and the servers share it.

/// The key the local stand-in accepts unless started with another; the page
/// pre-fills it. Not a secret: it opens nothing but the stand-in.
pub const STAND_IN_KEY: &str = "stand-in-key";

/// What one run with the default settings costs, in US dollars (Segmind's
/// figure for ~119 s on its GPU); the stand-in debits it from its pretend balance.
pub const PRICE_PER_RUN_USD: f64 = 0.184;
