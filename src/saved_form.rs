//! The form survives reloads: the request draft and the endpoint choice are
//! kept in `localStorage`. Keys are never part of it (see `EndpointSettings`).

use serde::Serialize;

use crate::endpoint::EndpointSettings;
use crate::json_doc::JsonDoc;
use crate::request::RequestDraft;

const STORAGE_KEY: &str = "talking-head-studio.form.v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SavedForm {
    pub draft: RequestDraft,
    pub endpoint: EndpointSettings,
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
        })
    }

    /// What was saved in this browser, if anything.
    pub fn load() -> Option<Self> {
        let storage = web_sys::window()?.local_storage().ok()??;
        Self::from_json(&storage.get_item(STORAGE_KEY).ok()??)
    }

    /// Best effort: private modes and full quotas refuse writes; the form still works.
    pub fn store(&self) {
        if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
            let _ = storage.set_item(STORAGE_KEY, &self.to_json());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use crate::endpoint::EndpointKind;

    #[test]
    fn round_trips_without_keys() {
        let mut form = SavedForm::default();
        form.draft.input_image = "https://example.com/a.png".into();
        form.draft.pose_style = "4x".into(); // a half-typed value is kept as typed
        form.endpoint.kind = EndpointKind::Segmind;
        form.endpoint.segmind_key = "sg_secret_key".into();
        let text = form.to_json();
        assert!(!text.contains("sg_secret_key"));
        let back = SavedForm::from_json(&text).expect("parses");
        assert_eq!(back.draft, form.draft);
        assert_eq!(back.endpoint.kind, EndpointKind::Segmind);
        assert_eq!(back.endpoint.segmind_key, "");
    }

    #[test]
    fn damaged_entries_are_ignored() {
        assert_eq!(SavedForm::from_json("{not json"), None);
        assert_eq!(SavedForm::from_json("[1,2]"), None);
        let odd = SavedForm::from_json(r#"{"draft":{"pose_style":true},"endpoint":{"kind":"nonsense"}}"#).expect("object");
        assert_eq!(odd, SavedForm::default(), "mistyped members keep their defaults");
        assert_eq!(SavedForm::from_json("{}"), Some(SavedForm::default()));
    }
}
