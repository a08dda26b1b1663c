//! How the page runs a generation: as a job of the asynchronous API (which
//! survives a reload) or one long request, with an overall time limit.

use serde::Serialize;
use thiserror::Error;

use crate::browser::json_doc::JsonDoc;

pub const DEFAULT_TIMEOUT_SECS: u32 = 600;
pub const MIN_TIMEOUT_SECS: u32 = 30;
pub const MAX_TIMEOUT_SECS: u32 = 3600;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// `POST /v2/sadtalker` and polling: the provider's advice for video, and
    /// a reload or closed tab does not lose the run.
    #[default]
    Job,
    /// `POST /v1/sadtalker`, one request held open for the whole run.
    OneShot,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Job => "job",
            RunMode::OneShot => "one_shot",
        }
    }

    pub fn parse(text: &str) -> Option<RunMode> {
        [RunMode::Job, RunMode::OneShot].into_iter().find(|m| m.as_str() == text)
    }
}

/// How local files reach the model: the one place this is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRoute {
    /// Upload first (`upload-asset`, the provider's documented route), then send the URLs.
    #[default]
    Upload,
    /// Inline, as data: URIs inside the request.
    Inline,
}

impl InputRoute {
    pub fn as_str(self) -> &'static str {
        match self {
            InputRoute::Upload => "upload",
            InputRoute::Inline => "inline",
        }
    }

    pub fn parse(text: &str) -> Option<InputRoute> {
        [InputRoute::Upload, InputRoute::Inline].into_iter().find(|r| r.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSettings {
    pub mode: RunMode,
    /// How local files are sent.
    pub input_route: InputRoute,
    /// As typed; see [`RunSettings::timeout`].
    pub timeout_secs: String,
    /// Whether typed keys are kept in this browser.
    pub remember_key: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings { mode: RunMode::default(), input_route: InputRoute::default(), timeout_secs: DEFAULT_TIMEOUT_SECS.to_string(), remember_key: false }
    }
}

#[derive(Clone, Debug, PartialEq, Error)]
#[error("The time limit must be a whole number of seconds from 30 to 3600 (a run takes about 120); \"{0}\" is not.")]
pub struct TimeoutError(pub String);

impl RunSettings {
    /// The overall time limit in seconds; empty means the default.
    pub fn timeout(&self) -> Result<u32, TimeoutError> {
        let text = self.timeout_secs.trim();
        if text.is_empty() {
            return Ok(DEFAULT_TIMEOUT_SECS);
        }
        text.parse::<u32>()
            .ok()
            .filter(|s| (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(s))
            .ok_or_else(|| TimeoutError(text.to_string()))
    }

    pub fn from_doc(doc: &JsonDoc) -> RunSettings {
        let defaults = RunSettings::default();
        RunSettings {
            mode: doc.get("mode").and_then(|m| m.as_str()).and_then(|m| RunMode::parse(&m)).unwrap_or(defaults.mode),
            input_route: doc.get("input_route").and_then(|m| m.as_str()).and_then(|m| InputRoute::parse(&m)).unwrap_or(defaults.input_route),
            timeout_secs: doc.get("timeout_secs").and_then(|t| t.as_text()).unwrap_or(defaults.timeout_secs),
            remember_key: doc.get("remember_key").and_then(|r| r.as_bool()).unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn timeout_bounds_both_sides() {
        let with = |t: &str| RunSettings { timeout_secs: t.into(), ..RunSettings::default() }.timeout();
        assert_eq!(with(""), Ok(600));
        assert_eq!(with("30"), Ok(30));
        assert_eq!(with("3600"), Ok(3600));
        for bad in ["29", "3601", "-5", "1.5", "ten"] {
            let error = with(bad).expect_err(bad);
            assert!(error.to_string().contains("30 to 3600"), "{error}");
        }
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let settings = RunSettings { mode: RunMode::OneShot, input_route: InputRoute::Inline, timeout_secs: "900".into(), remember_key: true };
        let text = serde_json::to_string(&settings).expect("json");
        assert_eq!(RunSettings::from_doc(&JsonDoc::parse(&text).expect("json")), settings);
        assert_eq!(RunSettings::from_doc(&JsonDoc::parse("{}").expect("json")), RunSettings::default());
    }
}
