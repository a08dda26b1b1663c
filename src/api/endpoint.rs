//! Where a request goes and which key goes with it.
//!
//! Three routes: the real Segmind API with the key the person typed, a proxy
//! that adds the key on its server, or the local stand-in. Each keeps its own
//! key field so a key is only ever sent to the endpoint it was typed for.
//!
//! (Longer than most files here: the three endpoints, their keys and the
//! origins a key may go to are one concern, and their tests sit beside them.)

use serde::Serialize;
use thiserror::Error;

use crate::browser::json_doc::JsonDoc;
use crate::browser::web_url;

pub const SEGMIND_BASE_URL: &str = "https://api.segmind.com";
/// The key the local stand-in accepts unless it is started with another.
pub const STAND_IN_DEFAULT_KEY: &str = contract::STAND_IN_KEY;
/// Path of the one-shot endpoint, relative to a base URL.
pub const SADTALKER_PATH: &str = "v1/sadtalker";
/// Path of the asynchronous (job) endpoint.
pub const SADTALKER_JOB_PATH: &str = "v2/sadtalker";
/// The provider's asset upload service (a host of its own).
pub const SEGMIND_UPLOAD_URL: &str = "https://workflows-api.segmind.com/upload-asset";
/// Path of the upload service behind a proxy or the stand-in.
pub const UPLOAD_PATH: &str = "upload-asset";
/// Path of the account's balance.
pub const CREDITS_PATH: &str = "v1/get-user-credits";
/// Where the stand-in serves the sample portrait and voice the page pre-fills.
pub const SAMPLE_PORTRAIT_PATH: &str = "samples/portrait.jpg";
pub const SAMPLE_VOICE_PATH: &str = "samples/voice.mp3";

/// The sample inputs as served by the stand-in at `origin`.
pub fn sample_inputs(origin: &str) -> (String, String) {
    let base = origin.trim_end_matches('/');
    (format!("{base}/{SAMPLE_PORTRAIT_PATH}"), format!("{base}/{SAMPLE_VOICE_PATH}"))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify))]
pub enum EndpointKind {
    /// The local stand-in: no key, no internet, no cost.
    #[default]
    StandIn,
    Segmind,
    Proxy,
}

impl EndpointKind {
    pub const ALL: [EndpointKind; 3] = [EndpointKind::StandIn, EndpointKind::Segmind, EndpointKind::Proxy];

    /// Runs here cost nothing (the local stand-in).
    pub fn is_free(self) -> bool {
        self == EndpointKind::StandIn
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::StandIn => "stand_in",
            EndpointKind::Segmind => "segmind",
            EndpointKind::Proxy => "proxy",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            EndpointKind::StandIn => "Local stand-in (free, offline, not the real model)",
            EndpointKind::Segmind => "Segmind API (your key, ~$0.18 a run)",
            EndpointKind::Proxy => "Proxy URL (key kept on your server)",
        }
    }
}

/// The endpoint part of the form. Keys are skipped when the settings are
/// saved: they are secrets and are stored only on the person's explicit say.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointSettings {
    pub kind: EndpointKind,
    pub stand_in_url: String,
    pub proxy_url: String,
    #[serde(skip)]
    pub segmind_key: String,
    #[serde(skip)]
    pub proxy_key: String,
    #[serde(skip)]
    pub stand_in_key: String,
}

impl Default for EndpointSettings {
    fn default() -> Self {
        EndpointSettings {
            kind: EndpointKind::default(),
            stand_in_url: String::new(),
            proxy_url: String::new(),
            segmind_key: String::new(),
            proxy_key: String::new(),
            stand_in_key: STAND_IN_DEFAULT_KEY.to_string(),
        }
    }
}

/// The text settings of the endpoints, so one control can be bound to any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingText {
    StandInUrl,
    StandInKey,
    SegmindKey,
    ProxyUrl,
    ProxyKey,
}

impl SettingText {
    /// The endpoint the setting belongs to.
    pub fn kind(self) -> EndpointKind {
        match self {
            SettingText::StandInUrl | SettingText::StandInKey => EndpointKind::StandIn,
            SettingText::SegmindKey => EndpointKind::Segmind,
            SettingText::ProxyUrl | SettingText::ProxyKey => EndpointKind::Proxy,
        }
    }

    /// Keys are masked, never autocompleted or spell-checked.
    pub fn is_secret(self) -> bool {
        matches!(self, SettingText::StandInKey | SettingText::SegmindKey | SettingText::ProxyKey)
    }
}

impl EndpointSettings {
    pub fn text(&self, setting: SettingText) -> &str {
        match setting {
            SettingText::StandInUrl => &self.stand_in_url,
            SettingText::StandInKey => &self.stand_in_key,
            SettingText::SegmindKey => &self.segmind_key,
            SettingText::ProxyUrl => &self.proxy_url,
            SettingText::ProxyKey => &self.proxy_key,
        }
    }

    pub fn set_text(&mut self, setting: SettingText, value: String) {
        match setting {
            SettingText::StandInUrl => self.stand_in_url = value,
            SettingText::StandInKey => self.stand_in_key = value,
            SettingText::SegmindKey => self.segmind_key = value,
            SettingText::ProxyUrl => self.proxy_url = value,
            SettingText::ProxyKey => self.proxy_key = value,
        }
    }
}

/// Which endpoint control a problem belongs beside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointField {
    Key,
    BaseUrl,
}

#[derive(Clone, Debug, PartialEq, Error)]
pub enum EndpointError {
    #[error("Enter your Segmind API key (from segmind.com → API keys), or switch to the proxy or the local stand-in.")]
    MissingKey,
    #[error("The key contains characters a header can't carry (spaces inside it, line breaks or non-ASCII); paste it again.")]
    KeyNotHeaderSafe,
    #[error("Enter the {0} URL, such as http://127.0.0.1:8787.")]
    MissingBaseUrl(&'static str),
    #[error("The {what} URL must be a full http:// or https:// URL ({reason}).")]
    BadBaseUrl { what: &'static str, reason: String },
    #[error("The {0} URL must not carry a user name or password: secrets never go in a URL.")]
    CredentialsInUrl(&'static str),
}

impl EndpointError {
    pub fn field(&self) -> EndpointField {
        match self {
            EndpointError::MissingKey | EndpointError::KeyNotHeaderSafe => EndpointField::Key,
            _ => EndpointField::BaseUrl,
        }
    }
}

/// A checked destination: base URL (ending in `/`) and the key to send, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub kind: EndpointKind,
    /// Normalised, ending in `/`, without query or fragment.
    base_url: String,
    api_key: Option<String>,
}

impl Endpoint {
    /// Full URL of an API path such as [`SADTALKER_PATH`]; a proxy's own path prefix is kept.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }

    /// Where local files are uploaded before a run.
    pub fn upload_url(&self) -> String {
        match self.kind {
            EndpointKind::Segmind => SEGMIND_UPLOAD_URL.to_string(),
            EndpointKind::StandIn | EndpointKind::Proxy => self.url_of(UPLOAD_PATH),
        }
    }

    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The origins this endpoint's key may be sent to: for Segmind, the
    /// provider's API and upload hosts (named once, above); for a proxy or
    /// the stand-in, the origin of its base URL and nothing else.
    pub fn key_origins(&self) -> Vec<String> {
        let urls: &[&str] = match self.kind {
            EndpointKind::Segmind => &[SEGMIND_BASE_URL, SEGMIND_UPLOAD_URL],
            EndpointKind::Proxy | EndpointKind::StandIn => &[self.base_url.as_str()],
        };
        urls.iter().filter_map(|u| web_url::origin_of(u)).collect()
    }

    /// The key to send with a request to `url`: only when `url` is on one of
    /// [`Endpoint::key_origins`]. Server-named URLs (a job's status, its
    /// result, a video link) on any other origin get no key.
    pub fn key_for(&self, url: &str) -> Option<&str> {
        let key = self.api_key.as_deref()?;
        let origin = web_url::origin_of(url)?;
        self.key_origins().contains(&origin).then_some(key)
    }

    /// What a saved job keeps of its endpoint (never the key).
    pub fn for_job(&self) -> JobEndpoint {
        JobEndpoint { kind: self.kind, base_url: self.base_url.clone() }
    }
}

/// Where a job was submitted, kept with its ticket so that picking it up
/// later asks the same server, whatever the form shows by then.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobEndpoint {
    pub kind: EndpointKind,
    pub base_url: String,
}

impl JobEndpoint {
    pub fn from_doc(doc: &JsonDoc) -> Option<JobEndpoint> {
        let kind = doc.get("kind").and_then(|k| k.as_str()).and_then(|k| EndpointKind::parse(&k))?;
        let base_url = doc.get("base_url").and_then(|b| b.as_str()).filter(|b| !b.is_empty())?;
        Some(JobEndpoint { kind, base_url })
    }

    /// Where the job is followed, for messages.
    pub fn describe(&self) -> String {
        match self.kind {
            EndpointKind::Segmind => "the Segmind API".into(),
            EndpointKind::Proxy => format!("the proxy at {}", self.base_url),
            EndpointKind::StandIn => format!("the local stand-in at {}", self.base_url),
        }
    }
}

impl EndpointSettings {
    /// Reads saved settings; keys are never among them, so they start empty
    /// (the stand-in's with its known default).
    pub fn from_doc(doc: &JsonDoc) -> EndpointSettings {
        let text = |key: &str| doc.get(key).and_then(|v| v.as_str());
        EndpointSettings {
            kind: text("kind").and_then(|k| EndpointKind::parse(&k)).unwrap_or_default(),
            stand_in_url: text("stand_in_url").unwrap_or_default(),
            proxy_url: text("proxy_url").unwrap_or_default(),
            ..EndpointSettings::default()
        }
    }

    /// The endpoint a saved job runs on, with the key typed for that same
    /// place: the Segmind key for Segmind; a proxy's or the stand-in's key
    /// only while the form still names the same origin for it (otherwise
    /// none is sent). The form's current choice of endpoint plays no part.
    pub fn resolve_job(&self, job: &JobEndpoint, page_origin: &str) -> Result<Endpoint, EndpointError> {
        let same_kind = EndpointSettings { kind: job.kind, ..self.clone() };
        let current = same_kind.resolve(page_origin);
        let key = match job.kind {
            EndpointKind::Segmind => Some(current?.api_key.unwrap_or_default()),
            EndpointKind::Proxy | EndpointKind::StandIn => {
                let job_origin = web_url::origin_of(&job.base_url);
                current.ok().filter(|e| job_origin.is_some() && web_url::origin_of(&e.base_url) == job_origin).and_then(|e| e.api_key)
            }
        };
        let what = match job.kind {
            EndpointKind::Segmind => "Segmind",
            EndpointKind::Proxy => "proxy",
            EndpointKind::StandIn => "stand-in",
        };
        let base_url = match job.kind {
            EndpointKind::Segmind => parse_base(SEGMIND_BASE_URL, what)?,
            _ => parse_base(&job.base_url, what)?,
        };
        Ok(Endpoint { kind: job.kind, base_url, api_key: key.filter(|k| !k.is_empty()) })
    }

    /// Checks the settings for the chosen route. `page_origin` is where the
    /// page was served from: the stand-in serves the page, so an empty
    /// stand-in URL means "this page's own server".
    pub fn resolve(&self, page_origin: &str) -> Result<Endpoint, EndpointError> {
        let (base, key) = match self.kind {
            EndpointKind::Segmind => {
                let key = self.segmind_key.trim();
                if key.is_empty() {
                    return Err(EndpointError::MissingKey);
                }
                (parse_base(SEGMIND_BASE_URL, "Segmind")?, Some(key))
            }
            EndpointKind::Proxy => {
                let url = self.proxy_url.trim();
                if url.is_empty() {
                    return Err(EndpointError::MissingBaseUrl("proxy"));
                }
                (parse_base(url, "proxy")?, Some(self.proxy_key.trim()).filter(|k| !k.is_empty()))
            }
            EndpointKind::StandIn => {
                let url = Some(self.stand_in_url.trim()).filter(|u| !u.is_empty()).unwrap_or(page_origin);
                if url.is_empty() {
                    return Err(EndpointError::MissingBaseUrl("stand-in"));
                }
                (parse_base(url, "stand-in")?, Some(self.stand_in_key.trim()).filter(|k| !k.is_empty()))
            }
        };
        if let Some(key) = key {
            if !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(EndpointError::KeyNotHeaderSafe);
            }
        }
        Ok(Endpoint { kind: self.kind, base_url: base, api_key: key.map(str::to_string) })
    }
}

fn parse_base(text: &str, what: &'static str) -> Result<String, EndpointError> {
    let bad = |reason: String| EndpointError::BadBaseUrl { what, reason };
    let url = web_url::parse_web_address(text).map_err(|problem| bad(problem.reason()))?;
    if url.has_credentials {
        return Err(EndpointError::CredentialsInUrl(what));
    }
    if url.has_query_or_fragment {
        return Err(bad("a base URL has no ?query or #fragment".into()));
    }
    // A trailing slash keeps a proxy's own path prefix in front of API paths.
    let mut base = url.href;
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn settings(kind: EndpointKind) -> EndpointSettings {
        EndpointSettings { kind, ..EndpointSettings::default() }
    }

    #[test]
    fn segmind_needs_a_key_and_sends_it_to_segmind_only() {
        let mut s = settings(EndpointKind::Segmind);
        assert_eq!(s.resolve("http://127.0.0.1:1").unwrap_err(), EndpointError::MissingKey);
        s.segmind_key = "  sg_abc123  ".into();
        s.proxy_url = "https://proxy.example".into();
        let endpoint = s.resolve("http://127.0.0.1:1").expect("ok");
        assert_eq!(endpoint.url_of(SADTALKER_PATH), "https://api.segmind.com/v1/sadtalker");
        assert_eq!(endpoint.upload_url(), "https://workflows-api.segmind.com/upload-asset");
        assert_eq!(endpoint.api_key(), Some("sg_abc123"));
    }

    #[test]
    fn proxy_keeps_its_path_prefix_and_sends_no_key_unless_typed() {
        let mut s = settings(EndpointKind::Proxy);
        s.segmind_key = "sg_secret".into();
        assert_eq!(s.resolve("").unwrap_err(), EndpointError::MissingBaseUrl("proxy"));
        s.proxy_url = "https://example.org/api/segmind".into();
        let endpoint = s.resolve("").expect("ok");
        assert_eq!(endpoint.url_of(SADTALKER_PATH), "https://example.org/api/segmind/v1/sadtalker");
        assert_eq!(endpoint.upload_url(), "https://example.org/api/segmind/upload-asset", "uploads go through the proxy too");
        assert_eq!(endpoint.api_key(), None, "the Segmind key never goes to a proxy");
        s.proxy_key = "proxy-token".into();
        assert_eq!(s.resolve("").expect("ok").api_key(), Some("proxy-token"));
    }

    #[test]
    fn stand_in_defaults_to_the_page_origin_and_its_known_key() {
        let s = settings(EndpointKind::StandIn);
        let endpoint = s.resolve("http://127.0.0.1:8787").expect("ok");
        assert_eq!(endpoint.url_of(SADTALKER_PATH), "http://127.0.0.1:8787/v1/sadtalker");
        assert_eq!(endpoint.api_key(), Some(STAND_IN_DEFAULT_KEY));
    }

    #[test]
    fn bad_base_urls_are_refused_with_the_reason() {
        let mut s = settings(EndpointKind::Proxy);
        for (url, expected) in [
            ("proxy.example.com", "no http://"),
            ("ftp://proxy.example.com", "not a web address"),
            ("https://user:pw@proxy.example.com", "user name or password"),
            ("https://proxy.example.com/?key=1", "no ?query"),
            ("javascript:alert(1)", "not a web address"),
        ] {
            s.proxy_url = url.into();
            let err = s.resolve("").unwrap_err();
            assert_eq!(err.field(), EndpointField::BaseUrl);
            assert!(err.to_string().contains(expected), "{url}: {err}");
        }
    }

    #[test]
    fn keys_that_cannot_be_a_header_are_refused() {
        let mut s = settings(EndpointKind::Segmind);
        s.segmind_key = "abc def".into();
        assert_eq!(s.resolve("").unwrap_err(), EndpointError::KeyNotHeaderSafe);
        s.segmind_key = "clé".into();
        assert_eq!(s.resolve("").unwrap_err().field(), EndpointField::Key);
    }

    #[test]
    fn text_settings_are_read_and_written_by_name() {
        let mut s = EndpointSettings::default();
        s.set_text(SettingText::ProxyUrl, "https://p.example".into());
        s.set_text(SettingText::SegmindKey, "sg".into());
        assert_eq!((s.proxy_url.as_str(), s.text(SettingText::SegmindKey)), ("https://p.example", "sg"));
        assert_eq!(s.text(SettingText::StandInKey), STAND_IN_DEFAULT_KEY);
        assert!(SettingText::ProxyKey.is_secret() && !SettingText::ProxyUrl.is_secret());
        assert_eq!(SettingText::StandInUrl.kind(), EndpointKind::StandIn);
    }

    #[test]
    fn keys_go_only_to_the_endpoints_own_origins() {
        let mut s = settings(EndpointKind::Segmind);
        s.segmind_key = "sg_key".into();
        let segmind = s.resolve("").expect("ok");
        assert_eq!(segmind.key_for("https://api.segmind.com/v2/requests/1/status"), Some("sg_key"));
        assert_eq!(segmind.key_for("https://workflows-api.segmind.com/upload-asset"), Some("sg_key"));
        for elsewhere in ["https://evil.example/v2/requests/1", "http://api.segmind.com/v2/x", "https://api.segmind.com.evil.example/",
            "https://api.segmind.com:8443/", "https://cdn.segmind.com/v.mp4", "data:text/plain,x", "not a url"] {
            assert_eq!(segmind.key_for(elsewhere), None, "{elsewhere}");
        }
        let mut p = settings(EndpointKind::Proxy);
        p.proxy_url = "https://proxy.example/api".into();
        p.proxy_key = "tok".into();
        let proxy = p.resolve("").expect("ok");
        assert_eq!(proxy.key_for("https://proxy.example/other/path"), Some("tok"));
        assert_eq!(proxy.key_for("https://api.segmind.com/v1/sadtalker"), None);
        assert_eq!(proxy.key_for("http://proxy.example/api"), None, "another scheme is another origin");
    }

    #[test]
    fn a_saved_job_runs_where_it_was_sent_whatever_the_form_shows_now() {
        let mut s = settings(EndpointKind::Proxy);
        s.proxy_url = "https://proxy.example".into();
        s.proxy_key = "proxy-token".into();
        s.segmind_key = "sg_real_key".into();
        let job = s.resolve("").expect("ok").for_job();
        s.kind = EndpointKind::Segmind; // the person switched to Segmind since
        let endpoint = s.resolve_job(&job, "").expect("ok");
        assert_eq!((endpoint.kind, endpoint.base_url()), (EndpointKind::Proxy, "https://proxy.example/"));
        assert_eq!(endpoint.api_key(), Some("proxy-token"), "never the Segmind key");
        s.proxy_url = "https://other-proxy.example".into();
        assert_eq!(s.resolve_job(&job, "").expect("ok").api_key(), None, "the proxy key is not sent to a proxy it was not typed for");

        let segmind_job = JobEndpoint { kind: EndpointKind::Segmind, base_url: SEGMIND_BASE_URL.into() };
        s.segmind_key.clear();
        assert_eq!(s.resolve_job(&segmind_job, "").unwrap_err(), EndpointError::MissingKey, "asks for the key");
        s.segmind_key = "sg_k".into();
        assert_eq!(s.resolve_job(&segmind_job, "").expect("ok").api_key(), Some("sg_k"));
        let doc = JsonDoc::parse(&serde_json::to_string(&job).expect("json")).expect("json");
        assert_eq!(JobEndpoint::from_doc(&doc), Some(job));
    }

    #[test]
    fn saved_settings_never_contain_a_key() {
        let mut s = settings(EndpointKind::Segmind);
        s.segmind_key = "sg_very_secret".into();
        s.proxy_key = "proxy_secret".into();
        let text = serde_json::to_string(&s).expect("json");
        assert!(!text.contains("secret"), "{text}");
        let back = EndpointSettings::from_doc(&JsonDoc::parse(&text).expect("parses"));
        assert_eq!(back.kind, EndpointKind::Segmind);
        assert_eq!(back.stand_in_key, STAND_IN_DEFAULT_KEY);
    }
}
