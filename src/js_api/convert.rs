//! The JS boundary's data, as Rust types that serde-wasm-bindgen turns into
//! and out of plain JS objects: call options (with the `AbortSignal` and
//! callback passed through untouched), tickets, progress events and
//! validation results. Errors stay `Error` objects (see `studio_error`).

use js_sys::Function;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::api::endpoint::{EndpointKind, EndpointSettings};
use crate::api::request::{FieldError, SadTalkerRequest};
use crate::net::Progress;

/// Rust → a plain JS object (maps as objects, as JSON would have them).
pub fn to_js(value: &impl Serialize) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A plain JS object → `T`, or why not (for an `invalid_options` error).
pub fn from_js<T: for<'de> Deserialize<'de> + Default>(value: JsValue) -> Result<T, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// The options of `generate()`, `toCode()`, `resume()` and `mount()` (each reads its own).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Options {
    pub api_key: Option<String>,
    pub proxy_url: Option<String>,
    pub base_url: Option<String>,
    pub mode: Option<String>,
    pub timeout_seconds: Option<f64>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub signal: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub on_progress: JsValue,
    pub endpoint: Option<String>,
    pub storage_key: Option<String>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub defaults: JsValue,
}

fn given(text: &Option<String>) -> Option<String> {
    text.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

impl Options {
    /// The endpoint the options name: a proxy, another base URL, or Segmind with a key.
    pub fn endpoint_settings(&self) -> EndpointSettings {
        let key = given(&self.api_key).unwrap_or_default();
        let mut settings = EndpointSettings::default();
        if let Some(proxy_url) = given(&self.proxy_url) {
            settings.kind = EndpointKind::Proxy;
            settings.proxy_url = proxy_url;
            settings.proxy_key = key;
        } else if let Some(base_url) = given(&self.base_url) {
            settings.kind = EndpointKind::StandIn;
            settings.stand_in_url = base_url;
            settings.stand_in_key = key;
        } else {
            settings.kind = EndpointKind::Segmind;
            settings.segmind_key = key;
        }
        settings
    }

    pub fn is_async(&self) -> bool {
        self.mode.as_deref() == Some("async")
    }

    pub fn timeout_secs(&self) -> u32 {
        self.timeout_seconds.map_or(crate::api::run_settings::DEFAULT_TIMEOUT_SECS, |t| t.clamp(1.0, 86_400.0) as u32)
    }

    pub fn signal(&self) -> Option<AbortSignal> {
        self.signal.clone().dyn_into().ok()
    }

    pub fn on_progress(&self) -> Option<Function> {
        self.on_progress.clone().dyn_into().ok()
    }

    pub fn given(&self, text: &Option<String>) -> Option<String> {
        given(text)
    }
}

#[derive(Serialize)]
pub struct FieldErrorJs {
    field: &'static str,
    message: String,
}

pub fn errors_js(errors: &[FieldError]) -> Vec<FieldErrorJs> {
    errors.iter().map(|e| FieldErrorJs { field: e.field().json_name(), message: e.to_string() }).collect()
}

#[derive(Serialize)]
pub struct ValidationJs<'a> {
    pub ok: bool,
    pub errors: Vec<FieldErrorJs>,
    pub request: Option<&'a SadTalkerRequest>,
}

/// A submitted job as the package hands it out and takes it back (no key).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketJs {
    pub request_id: String,
    pub status_url: String,
    pub response_url: String,
    pub endpoint: EndpointJs,
    pub submitted_at: f64,
    #[serde(default)]
    pub base64: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointJs {
    pub kind: String,
    pub base_url: String,
}

/// A progress event (`ProgressEvent` in the types).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressJs {
    stage: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<TicketJs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    received_bytes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_bytes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_in_seconds: Option<u32>,
}

impl ProgressJs {
    /// The event for `progress`; `ticket` is given with "submitted".
    pub fn of(progress: &Progress, ticket: Option<TicketJs>) -> ProgressJs {
        let stage = match progress {
            Progress::Uploading => "uploading",
            Progress::Waiting => "waiting",
            Progress::Submitted(_) => "submitted",
            Progress::Queued => "queued",
            Progress::Processing => "processing",
            Progress::Receiving { .. } => "receiving",
            Progress::RetryingIn { .. } => "retrying",
            Progress::Trouble { .. } => "trouble",
        };
        let (received_bytes, total_bytes) = match progress {
            Progress::Receiving { received, total } => (Some(*received), *total),
            _ => (None, None),
        };
        let retry_in_seconds = match progress {
            Progress::RetryingIn { secs_left, .. } | Progress::Trouble { secs_left, .. } => Some(*secs_left),
            _ => None,
        };
        let request_id = match progress {
            Progress::Submitted(ticket) => Some(ticket.request_id.clone()),
            _ => None,
        };
        ProgressJs { stage, message: progress.describe(), request_id, ticket, received_bytes, total_bytes, retry_in_seconds }
    }
}
