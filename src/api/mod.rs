//! The API contract as plain types, with no browser in them (tested on the
//! host and, unchanged, in Chromium): the request and its validation, the
//! endpoints and where keys go, every failure, answers and job states, the
//! money rules, prices and times, run settings, the request as code, and
//! numbers read from text.

pub mod answer;
pub mod compare;
pub mod endpoint;
pub mod error;
pub mod error_kind;
pub mod estimate;
pub mod money;
pub mod number;
pub mod request;
pub mod run_cost;
pub mod run_settings;
pub mod snippet;
