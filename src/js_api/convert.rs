//! The JS boundary's data, as Rust types that serde-wasm-bindgen turns into
//! and out of plain JS objects, and that tsify turns into the package's
//! TypeScript types (each type here is named as TypeScript sees it): call
//! options (the `AbortSignal` and callback passed through untouched),
//! tickets, progress events, validation results and the fields of a
//! `StudioError`.
//!
//! (About 400 lines: every type of the package's boundary in one place, so
//! the TypeScript it makes reads as one file.)

use js_sys::Function;
use serde::{Deserialize, Serialize};
use tsify_next::Tsify;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::api::endpoint::{EndpointKind, EndpointSettings};
use crate::api::error::ErrorKind;
use crate::api::request::{self, Field, NormalizedRequest};
use crate::net::Progress;

/// Rust → a plain JS object (maps as objects, as JSON would have them).
pub fn to_js(value: &impl Serialize) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A plain JS object → `T`, or why not (for an `invalid_options` error).
/// Read as a map, so that `deny_unknown_fields` sees every key (a struct read
/// would only look up the known ones and miss a misspelt option).
pub fn from_js<T: for<'de> Deserialize<'de> + Default>(value: JsValue) -> Result<T, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    serde::Deserializer::deserialize_map(serde_wasm_bindgen::Deserializer::from(value), AllKeys(std::marker::PhantomData)).map_err(|e| e.to_string())
}

struct AllKeys<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for AllKeys<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an options object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
}

fn given(text: &Option<String>) -> Option<String> {
    text.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The endpoint named by a call's `apiKey`, `proxyUrl` and `baseUrl`: a
/// proxy, another base URL, or Segmind with the key.
pub fn endpoint_settings(api_key: &Option<String>, proxy_url: &Option<String>, base_url: &Option<String>) -> EndpointSettings {
    let key = given(api_key).unwrap_or_default();
    let mut settings = EndpointSettings::default();
    if let Some(proxy_url) = given(proxy_url) {
        settings.kind = EndpointKind::Proxy;
        settings.proxy_url = proxy_url;
        settings.proxy_key = key;
    } else if let Some(base_url) = given(base_url) {
        settings.kind = EndpointKind::StandIn;
        settings.stand_in_url = base_url;
        settings.stand_in_key = key;
    } else {
        settings.kind = EndpointKind::Segmind;
        settings.segmind_key = key;
    }
    settings
}

/// How `generate()` runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One request (v1).
    #[default]
    Sync,
    /// A job (v2) polled to its end.
    Async,
}

/// The abort signal, time limit and progress sink of a call, as given.
pub struct CallParts<'a> {
    pub signal: Option<AbortSignal>,
    pub timeout_seconds: Option<f64>,
    pub on_progress: &'a JsValue,
}

impl CallParts<'_> {
    pub fn timeout_secs(&self) -> u32 {
        self.timeout_seconds.map_or(crate::api::run_settings::DEFAULT_TIMEOUT_SECS, |t| t.clamp(1.0, 86_400.0) as u32)
    }

    pub fn on_progress(&self) -> Option<Function> {
        self.on_progress.clone().dyn_into().ok()
    }
}

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct GenerateOptions {
    /// Segmind API key (direct mode), or the key a proxy/base URL expects. Never logged, sent only as x-api-key.
    #[tsify(optional)]
    pub api_key: Option<String>,
    /// A proxy that adds the key itself; replaces https://api.segmind.com.
    #[tsify(optional)]
    pub proxy_url: Option<String>,
    /// Another base URL speaking the same API (e.g. the local stand-in).
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// "sync": one request (v1). "async": a job (v2) polled to its end. Default "sync".
    #[tsify(optional)]
    pub mode: Mode,
    /// Aborts the call; the promise then rejects with kind "cancelled".
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "AbortSignal")]
    pub signal: JsValue,
    /// Gives up after this many seconds (kind "timeout"). Default 600.
    #[tsify(optional)]
    pub timeout_seconds: Option<f64>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "(event: ProgressEvent) => void")]
    pub on_progress: JsValue,
}

impl GenerateOptions {
    pub fn endpoint_settings(&self) -> EndpointSettings {
        endpoint_settings(&self.api_key, &self.proxy_url, &self.base_url)
    }

    pub fn call(&self) -> CallParts<'_> {
        CallParts { signal: self.signal.clone().dyn_into().ok(), timeout_seconds: self.timeout_seconds, on_progress: &self.on_progress }
    }
}

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ResumeOptions {
    /// The key for the ticket's endpoint, if it needs one; sent only to that endpoint's origin.
    #[tsify(optional)]
    pub api_key: Option<String>,
    /// Stops following (the job itself goes on: the provider has no cancel); rejects with kind "stopped_following".
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "AbortSignal")]
    pub signal: JsValue,
    #[tsify(optional)]
    pub timeout_seconds: Option<f64>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "(event: ProgressEvent) => void")]
    pub on_progress: JsValue,
}

impl ResumeOptions {
    pub fn api_key(&self) -> String {
        given(&self.api_key).unwrap_or_default()
    }

    pub fn call(&self) -> CallParts<'_> {
        CallParts { signal: self.signal.clone().dyn_into().ok(), timeout_seconds: self.timeout_seconds, on_progress: &self.on_progress }
    }
}

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CodeOptions {
    /// The proxy the code should call (it adds the key itself).
    #[tsify(optional)]
    pub proxy_url: Option<String>,
    /// Another base URL speaking the same API.
    #[tsify(optional)]
    pub base_url: Option<String>,
}

impl CodeOptions {
    pub fn endpoint_settings(&self) -> EndpointSettings {
        endpoint_settings(&None, &self.proxy_url, &self.base_url)
    }
}

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct MountOptions {
    /// Which endpoint the studio starts with (default "segmind", or "proxy" when proxyUrl is given).
    #[tsify(optional)]
    pub endpoint: Option<EndpointKind>,
    #[tsify(optional)]
    pub proxy_url: Option<String>,
    /// The stand-in's (or another compatible server's) base URL.
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Pre-filled key for the chosen endpoint (kept in memory only).
    #[tsify(optional)]
    pub api_key: Option<String>,
    /// Keep the form, a running job and the history in this browser under this name. Omit to keep nothing.
    #[tsify(optional)]
    pub storage_key: Option<String>,
    /// Where the face check's worker is served (default: the package's own `face/worker.js`).
    #[tsify(optional)]
    pub face_check_url: Option<String>,
    /// Field values to start with.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "Partial<NormalizedRequest>")]
    pub defaults: JsValue,
}

impl MountOptions {
    pub fn endpoint_settings(&self) -> EndpointSettings {
        let mut settings = endpoint_settings(&self.api_key, &self.proxy_url, &self.base_url);
        if let Some(kind) = self.endpoint {
            settings.kind = kind;
        }
        settings
    }

    pub fn storage_key(&self) -> Option<String> {
        given(&self.storage_key)
    }

    pub fn face_check_url(&self) -> Option<String> {
        given(&self.face_check_url)
    }
}

/// A finished run, for `estimate()` to learn from.
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishedRun {
    /// The run's request (its settings are what matter here).
    #[tsify(type = "SadTalkerRequest")]
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub request: JsValue,
    /// The clip's length as sent, in seconds.
    pub audio_seconds: f64,
    /// From sending to the video, in seconds.
    pub took_seconds: f64,
    /// What the provider said it charged (`x-credits-consumed`), if it did.
    #[tsify(optional)]
    #[serde(default)]
    pub charged_usd: Option<f64>,
}

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EstimateOptions {
    /// The voice clip's length in seconds, as it will be sent.
    pub audio_seconds: f64,
    /// The portrait's pixel count, if known (it matters for "full" and "extfull").
    #[tsify(optional)]
    #[serde(default)]
    pub photo_pixels: Option<f64>,
    /// Your finished runs: the estimate learns from those alike to this one.
    #[tsify(optional)]
    #[serde(default)]
    pub history: Vec<FinishedRun>,
}

/// What a run will take and cost, before it starts.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RunEstimate {
    /// Seconds, low and high.
    #[tsify(type = "[number, number]")]
    pub seconds: (f64, f64),
    /// US dollars, low and high.
    #[tsify(type = "[number, number]")]
    pub usd: (f64, f64),
    /// Frames the model renders (25 a second of audio).
    pub frames: u64,
    /// How many of the given runs it rests on (0: the provider's typical figure, scaled: rough).
    pub from_runs: usize,
    /// The estimate in words, as the studio shows it.
    pub text: String,
}

/// One problem with one field, worded for a person.
#[derive(Serialize, Tsify)]
pub struct FieldError {
    #[tsify(type = "keyof NormalizedRequest")]
    field: Field,
    message: String,
}

pub fn field_errors(errors: &[request::FieldError]) -> Vec<FieldError> {
    errors.iter().map(|e| FieldError { field: e.field(), message: e.to_string() }).collect()
}

#[derive(Serialize, Tsify)]
pub struct ValidationResult {
    pub ok: bool,
    pub errors: Vec<FieldError>,
    /// The request as it would be sent, when ok.
    #[tsify(type = "NormalizedRequest | null")]
    pub request: Option<NormalizedRequest>,
}

/// The fields a `StudioError` (an `Error` named "StudioError") carries.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct StudioErrorFields {
    pub kind: ErrorKind,
    /// The HTTP status, when there was one.
    #[tsify(type = "number | null")]
    pub status: Option<u16>,
    /// What to do about it.
    pub next_step: String,
    /// The server's own words, as plain text.
    #[tsify(type = "string | null")]
    pub server_message: Option<String>,
    /// For kind "invalid_request".
    pub field_errors: Vec<FieldError>,
}

/// A submitted job (async mode), as reported in the "submitted" progress
/// event and taken back by `resume()`. No key is in it.
#[derive(Clone, Debug, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct JobTicket {
    pub request_id: String,
    pub status_url: String,
    pub response_url: String,
    /// Where it was submitted; resume() follows it there and nowhere else.
    pub endpoint: TicketEndpoint,
    /// When it was submitted (ms since 1970); results expire an hour later.
    pub submitted_at: f64,
    /// Whether the video was asked for as base64.
    #[serde(default)]
    pub base64: bool,
}

impl JobTicket {
    /// The ticket a caller keeps for a job accepted at `endpoint`.
    pub fn of(ticket: &crate::api::answer::JobTicket, endpoint: &crate::api::endpoint::JobEndpoint, submitted_at: f64, base64: bool) -> JobTicket {
        JobTicket {
            request_id: ticket.request_id.clone(),
            status_url: ticket.status_url.clone(),
            response_url: ticket.response_url.clone(),
            endpoint: TicketEndpoint { kind: endpoint.kind, base_url: endpoint.base_url.clone() },
            submitted_at,
            base64,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TicketEndpoint {
    pub kind: EndpointKind,
    pub base_url: String,
}

/// Where a generate() call is.
#[derive(Clone, Copy, Debug, Serialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Uploading,
    Waiting,
    Submitted,
    Queued,
    Processing,
    Receiving,
    Retrying,
    Trouble,
}

/// Where a generate() or resume() call is.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    stage: Stage,
    /// The stage in words.
    message: String,
    /// The job's id, for "submitted" (async mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    request_id: Option<String>,
    /// For "submitted": everything resume() needs to follow the job later (keep it; it holds no key).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    ticket: Option<JobTicket>,
    /// For "receiving".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    received_bytes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    total_bytes: Option<f64>,
    /// For "retrying" (a 429: the run was not started) and "trouble" (a job's
    /// status read failed; it is followed on): seconds until the next try.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    retry_in_seconds: Option<u32>,
}

impl ProgressEvent {
    /// The event for `progress`; `ticket` is given with "submitted".
    pub fn of(progress: &Progress, ticket: Option<JobTicket>) -> ProgressEvent {
        let stage = match progress {
            Progress::Uploading => Stage::Uploading,
            Progress::Waiting => Stage::Waiting,
            Progress::Submitted(_) => Stage::Submitted,
            Progress::Queued => Stage::Queued,
            Progress::Processing => Stage::Processing,
            Progress::Receiving { .. } | Progress::Arrived { .. } => Stage::Receiving,
            Progress::RetryingIn { .. } | Progress::Paced { .. } => Stage::Retrying,
            Progress::Trouble { .. } => Stage::Trouble,
        };
        let (received_bytes, total_bytes) = match progress {
            Progress::Receiving { received, total } => (Some(*received), *total),
            _ => (None, None),
        };
        let retry_in_seconds = match progress {
            Progress::RetryingIn { secs_left, .. } | Progress::Trouble { secs_left, .. } | Progress::Paced { secs_left } => Some(*secs_left),
            _ => None,
        };
        let request_id = match progress {
            Progress::Submitted(ticket) => Some(ticket.request_id.clone()),
            _ => None,
        };
        ProgressEvent { stage, message: progress.describe(), request_id, ticket, received_bytes, total_bytes, retry_in_seconds }
    }
}
