//! What survives a reload, in `localStorage`: the form (request draft,
//! endpoint, run settings), the keys only when the person ticked "remember",
//! a running job's ticket so the page can pick the job up again, and a
//! comparison of drafts with each draft's ticket.
//!
//! Each studio keeps its entries under its own prefix, so two studios on one
//! page don't overwrite each other; an embedded studio without a prefix
//! keeps nothing.

use crate::media::trim::Trim;
use serde::Serialize;

use crate::api::answer::JobTicket;
use crate::api::number::parse_f64;
use crate::api::endpoint::{EndpointSettings, JobEndpoint};
use crate::browser::json_doc::JsonDoc;
use crate::api::request::RequestDraft;
use crate::api::run_settings::RunSettings;
use crate::studio::comparison::Comparison;

/// The page's own prefix.
pub const PAGE_PREFIX: &str = "talking-head-studio";

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SavedForm {
    pub draft: RequestDraft,
    pub endpoint: EndpointSettings,
    pub run: RunSettings,
}

impl SavedForm {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A damaged or foreign entry gives `None`, never a crash.
    pub fn from_json(text: &str) -> Option<Self> {
        let doc = JsonDoc::parse(text).filter(JsonDoc::is_object)?;
        Some(SavedForm {
            draft: doc.get("draft").map(|d| RequestDraft::from_doc(&d)).unwrap_or_default(),
            endpoint: doc.get("endpoint").map(|e| EndpointSettings::from_doc(&e)).unwrap_or_default(),
            run: doc.get("run").map(|r| RunSettings::from_doc(&r)).unwrap_or_default(),
        })
    }
}

/// Keys the person chose to keep on this device.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SavedKeys {
    pub segmind_key: String,
    pub proxy_key: String,
}

impl SavedKeys {
    pub fn of(endpoint: &EndpointSettings) -> SavedKeys {
        SavedKeys { segmind_key: endpoint.segmind_key.clone(), proxy_key: endpoint.proxy_key.clone() }
    }

    pub fn from_json(text: &str) -> Option<SavedKeys> {
        let doc = JsonDoc::parse(text).filter(JsonDoc::is_object)?;
        let text = |k: &str| doc.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        Some(SavedKeys { segmind_key: text("segmind_key"), proxy_key: text("proxy_key") })
    }
}

/// A job that was running when the page went away: everything needed to
/// pick it up and keep its video, whatever the form shows by then (so it
/// works for jobs made from local files too). Never a key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingJob {
    pub ticket: JobTicket,
    /// Where it was submitted; it is followed there and nowhere else.
    pub endpoint: JobEndpoint,
    /// The form that made it (kept in the history with the video).
    pub draft: RequestDraft,
    /// The settings as sent, in one line, and the download name.
    pub summary: String,
    pub file_name: String,
    /// Whether the video was asked for as base64.
    pub base64: bool,
    /// When it was sent, as milliseconds since 1970 (elapsed time, expiry).
    pub started_at_ms: f64,
}

impl PendingJob {
    pub fn from_json(text: &str) -> Option<PendingJob> {
        PendingJob::from_doc(&JsonDoc::parse(text).filter(JsonDoc::is_object)?)
    }

    pub fn from_doc(doc: &JsonDoc) -> Option<PendingJob> {
        let text_of = |key: &str| doc.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        Some(PendingJob {
            ticket: JobTicket::from_doc(&doc.get("ticket")?)?,
            endpoint: JobEndpoint::from_doc(&doc.get("endpoint")?)?,
            draft: doc.get("draft").map(|d| RequestDraft::from_doc(&d)).unwrap_or_default(),
            summary: text_of("summary"),
            file_name: Some(text_of("file_name")).filter(|n| !n.is_empty()).unwrap_or_else(|| "talking-head.mp4".into()),
            base64: doc.get("base64").and_then(|b| b.as_bool()).unwrap_or(false),
            started_at_ms: doc.get("started_at_ms").and_then(|t| t.as_text()).and_then(|t| parse_f64(&t)).unwrap_or(0.0),
        })
    }

    /// Seconds since it was submitted, at `now_ms`.
    pub fn age_secs(&self, now_ms: f64) -> f64 {
        ((now_ms - self.started_at_ms) / 1000.0).max(0.0)
    }
}

/// One studio's corner of `localStorage`.
#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    prefix: Option<String>,
}

impl Store {
    pub fn new(prefix: Option<String>) -> Store {
        Store { prefix: prefix.filter(|p| !p.trim().is_empty()) }
    }

    fn storage_key(&self, what: &str) -> Option<String> {
        self.prefix.as_ref().map(|p| format!("{p}.{what}.v1"))
    }

    fn get(&self, what: &str) -> Option<String> {
        let key = self.storage_key(what)?;
        web_sys::window()?.local_storage().ok()??.get_item(&key).ok()?
    }

    /// Best effort: private modes and full quotas refuse writes; the page
    /// still works. Whether the value is now what is stored.
    fn set(&self, what: &str, value: Option<&str>) -> bool {
        let (Some(key), Some(Ok(Some(storage)))) = (self.storage_key(what), web_sys::window().map(|w| w.local_storage())) else {
            return false;
        };
        let _ = match value {
            Some(value) => storage.set_item(&key, value),
            None => storage.remove_item(&key),
        };
        storage.get_item(&key).ok().flatten().as_deref() == value
    }

    pub fn load_form(&self) -> Option<SavedForm> {
        SavedForm::from_json(&self.get("form")?)
    }

    pub fn save_form(&self, form: &SavedForm) {
        let _ = self.set("form", Some(&form.to_json()));
    }

    pub fn load_keys(&self) -> Option<SavedKeys> {
        SavedKeys::from_json(&self.get("keys")?)
    }

    /// Keeps the keys when `remember` is on; otherwise makes sure none are kept.
    pub fn save_keys(&self, keys: &SavedKeys, remember: bool) {
        let text = remember.then(|| serde_json::to_string(keys).unwrap_or_default());
        let _ = self.set("keys", text.as_deref());
    }

    /// Whether a local file is kept for the input `field` (written at once,
    /// so a Clear right before a reload is honoured even if the database
    /// write is cut short).
    pub fn input_kept(&self, field: &str) -> bool {
        self.get(&format!("input.{field}")).is_some()
    }

    pub fn mark_input_kept(&self, field: &str, kept: bool) {
        let _ = self.set(&format!("input.{field}"), kept.then_some("kept"));
    }

    /// The voice clip's trim, kept with the local clip it belongs to.
    pub fn load_trim(&self) -> Option<Trim> {
        let text = self.get("trim")?;
        let (start, end) = text.split_once(' ')?;
        Some(Trim { start: parse_f64(start)?, end: parse_f64(end)? })
    }

    pub fn save_trim(&self, trim: Option<Trim>) {
        // Milliseconds as whole numbers: no float formatting in the page.
        let text = trim.map(|t| format!("{}e-3 {}e-3", (t.start * 1000.0).round() as i64, (t.end * 1000.0).round() as i64));
        let _ = self.set("trim", text.as_deref());
    }

    /// Whether a comparison is kept (without reading it: the page's first
    /// load does not carry the comparison's code).
    pub fn has_comparison(&self) -> bool {
        self.get("comparison").is_some()
    }

    /// The comparison of drafts going on (or ended but not yet cleared).
    pub fn load_comparison(&self) -> Option<Comparison> {
        Comparison::from_json(&self.get("comparison")?)
    }

    /// Keeps (or forgets) the comparison; `true` only when it is really stored.
    pub fn save_comparison(&self, comparison: Option<&Comparison>) -> bool {
        let text = comparison.map(Comparison::to_json);
        self.set("comparison", text.as_deref())
    }

    /// Changes the stored comparison `id` (if it is still the one kept):
    /// each draft's step is written as it happens, so a reload finds it.
    pub fn update_comparison(&self, id: f64, change: impl FnOnce(&mut Comparison)) -> Option<Comparison> {
        let mut comparison = self.load_comparison().filter(|c| c.id == id)?;
        change(&mut comparison);
        self.save_comparison(Some(&comparison)).then_some(comparison)
    }

    pub fn load_job(&self) -> Option<PendingJob> {
        PendingJob::from_json(&self.get("job")?)
    }

    /// Keeps (or forgets) the job; `true` only when it is really stored, so
    /// the page never says "safe to reload" when it is not.
    pub fn save_job(&self, job: Option<&PendingJob>) -> bool {
        let text = job.map(|j| serde_json::to_string(j).unwrap_or_default());
        self.set("job", text.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use crate::api::endpoint::EndpointKind;
    use crate::api::run_settings::RunMode;

    #[test]
    fn the_form_round_trips_without_keys() {
        let mut form = SavedForm::default();
        form.draft.input_image = "https://example.com/a.png".into();
        form.draft.pose_style = "4x".into(); // a half-typed value is kept as typed
        form.endpoint.kind = EndpointKind::Segmind;
        form.endpoint.segmind_key = "sg_secret_key".into();
        form.run.mode = RunMode::OneShot;
        let text = form.to_json();
        assert!(!text.contains("sg_secret_key"));
        let back = SavedForm::from_json(&text).expect("parses");
        assert_eq!(back.draft, form.draft);
        assert_eq!(back.endpoint.kind, EndpointKind::Segmind);
        assert_eq!(back.endpoint.segmind_key, "");
        assert_eq!(back.run.mode, RunMode::OneShot);
    }

    #[test]
    fn damaged_entries_are_ignored() {
        assert_eq!(SavedForm::from_json("{not json"), None);
        assert_eq!(SavedForm::from_json("[1,2]"), None);
        let odd = SavedForm::from_json(r#"{"draft":{"pose_style":true},"endpoint":{"kind":"nonsense"}}"#).expect("object");
        assert_eq!(odd, SavedForm::default(), "mistyped members keep their defaults");
        assert_eq!(PendingJob::from_json(r#"{"ticket":{}}"#), None);
    }

    #[test]
    fn keys_and_jobs_round_trip() {
        let keys = SavedKeys { segmind_key: "sg_1".into(), proxy_key: String::new() };
        assert_eq!(SavedKeys::from_json(&serde_json::to_string(&keys).expect("json")), Some(keys));
        let job = PendingJob {
            ticket: JobTicket { request_id: "r".into(), status_url: "http://a/s".into(), response_url: "http://a/r".into() },
            endpoint: JobEndpoint { kind: EndpointKind::Proxy, base_url: "https://p.example/".into() },
            draft: RequestDraft { pose_style: "9".into(), ..RequestDraft::default() },
            summary: "pose_style 9".into(),
            file_name: "talking-head_x.mp4".into(),
            base64: true,
            started_at_ms: 1_764_000_000_000.0,
        };
        let text = serde_json::to_string(&job).expect("json");
        assert!(!text.contains("key"), "{text}");
        assert_eq!(PendingJob::from_json(&text), Some(job.clone()));
        assert_eq!(job.age_secs(1_764_000_090_000.0), 90.0);
        let without_draft = text.replace("\"draft\"", "\"old_draft\"");
        assert!(PendingJob::from_json(&without_draft).is_some(), "a job is never lost over its form");
    }

    #[test]
    fn a_store_without_prefix_keeps_nothing() {
        assert_eq!(Store::new(None).storage_key("form"), None);
        assert_eq!(Store::new(Some(" ".into())).storage_key("form"), None);
        assert_eq!(Store::new(Some("a".into())).storage_key("keys").as_deref(), Some("a.keys.v1"));
    }
}
