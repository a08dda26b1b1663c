//! The JavaScript API of the package (`--features js-api`): the same logic
//! the page uses, behind `validate`, `generate`, `toCode` and `mount`.
//! Types for TypeScript are written by hand below, where wasm-bindgen's
//! generated ones would be `any`.

use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Blob, HtmlElement};

use crate::api_error::ApiError;
use crate::components::{App, StudioOptions};
use crate::endpoint::{Endpoint, EndpointKind, EndpointSettings, SADTALKER_PATH};
use crate::json_doc::JsonDoc;
use crate::request::{Field, FieldError, RequestDraft, SadTalkerRequest};
use crate::snippet::{self, Language};
use crate::transport::{self, Progress, Run};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The SadTalker request body. Omitted fields take the API's defaults. */
export interface SadTalkerRequest {
  /** The portrait: an http(s) URL or a data: URI. */
  input_image: string;
  /** The speech (WAV or MP3): an http(s) URL or a data: URI. */
  input_audio: string;
  /** Head-movement style, a whole number 0–45 (default 4). */
  pose_style?: number;
  /** Strength of expression, 1–3 (default 1.4). */
  expression_scale?: number;
  /** How the portrait is framed (default "full"). */
  preprocess?: "crop" | "extcrop" | "resize" | "full" | "extfull";
  /** Face renderer resolution (default 256). */
  image_size?: 256 | 512;
  /** Face restoration (default true). */
  enhancer?: boolean;
  /** Ask for the video base64-encoded (default false); generate() decodes either form. */
  base64?: boolean;
}

/** A request with every default filled in, as it is sent. */
export type NormalizedRequest = Required<SadTalkerRequest>;

/** One problem with one field, worded for a person. */
export interface FieldError {
  field: keyof SadTalkerRequest;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: FieldError[];
  /** The request as it would be sent, when ok. */
  request: NormalizedRequest | null;
}

/** Where a generate() call is. */
export interface ProgressEvent {
  stage: "uploading" | "waiting" | "submitted" | "queued" | "processing" | "receiving" | "retrying";
  /** The stage in words. */
  message: string;
  /** The job's id, for "submitted" (async mode). */
  requestId?: string;
  /** For "receiving". */
  receivedBytes?: number;
  totalBytes?: number;
  /** For "retrying": seconds until the automatic retry. */
  retryInSeconds?: number;
}

export interface GenerateOptions {
  /** Segmind API key (direct mode), or the key a proxy/base URL expects. Never logged, sent only as x-api-key. */
  apiKey?: string;
  /** A proxy that adds the key itself; replaces https://api.segmind.com. */
  proxyUrl?: string;
  /** Another base URL speaking the same API (e.g. the local stand-in). */
  baseUrl?: string;
  /** "sync": one request (v1). "async": a job (v2) polled to its end. Default "sync". */
  mode?: "sync" | "async";
  /** Aborts the call; the promise then rejects with kind "cancelled". */
  signal?: AbortSignal;
  /** Gives up after this many seconds (kind "timeout"). Default 600. */
  timeoutSeconds?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export type ErrorKind =
  | "invalid_request" | "invalid_options" | "unauthorized" | "forbidden" | "not_found"
  | "insufficient_credits" | "rate_limited" | "server_error" | "bad_gateway" | "gateway_timeout"
  | "unexpected_status" | "network" | "cancelled" | "timeout" | "job_failed" | "not_a_video" | "local_file";

/** What generate() rejects with. */
export interface StudioError extends Error {
  name: "StudioError";
  kind: ErrorKind;
  /** The HTTP status, when there was one. */
  status: number | null;
  /** What to do about it. */
  nextStep: string;
  /** The server's own words, as plain text. */
  serverMessage: string | null;
  /** For kind "invalid_request". */
  fieldErrors: FieldError[];
}

export interface CodeOptions {
  proxyUrl?: string;
  baseUrl?: string;
}

export interface MountOptions {
  /** Which endpoint the studio starts with (default "segmind", or "proxy" when proxyUrl is given). */
  endpoint?: "segmind" | "proxy" | "stand_in";
  proxyUrl?: string;
  /** The stand-in's (or another compatible server's) base URL. */
  baseUrl?: string;
  /** Pre-filled key for the chosen endpoint (kept in memory only). */
  apiKey?: string;
  /** Keep the form, a running job and the history in this browser under this name. Omit to keep nothing. */
  storageKey?: string;
  /** Field values to start with. */
  defaults?: Partial<SadTalkerRequest>;
}

/** Checks a request; never throws. */
export function validate(request: SadTalkerRequest): ValidationResult;
/** Makes the video; resolves with it as a Blob (video/mp4). */
export function generate(request: SadTalkerRequest, options: GenerateOptions): Promise<Blob>;
/** The request as code to run elsewhere; the key is a placeholder. */
export function toCode(request: SadTalkerRequest, language: "curl" | "python" | "js", options?: CodeOptions): string;
/** The whole studio inside `element` (in its own shadow root, so styles don't leak either way). */
export function mount(element: HTMLElement, options?: MountOptions): StudioHandle;
"#;

#[derive(Serialize)]
struct FieldErrorJs {
    field: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ValidationJs<'a> {
    ok: bool,
    errors: Vec<FieldErrorJs>,
    request: Option<&'a SadTalkerRequest>,
}

fn errors_js(errors: &[FieldError]) -> Vec<FieldErrorJs> {
    errors.iter().map(|e| FieldErrorJs { field: e.field().json_name(), message: e.to_string() }).collect()
}

/// JSON text → a plain JS object (no second serializer in the package).
fn to_js(value: &impl Serialize) -> JsValue {
    serde_json::to_string(value).ok().and_then(|text| js_sys::JSON::parse(&text).ok()).unwrap_or(JsValue::NULL)
}

/// The request checked as the page checks it, type mistakes included.
fn checked(request: JsValue) -> Result<SadTalkerRequest, Vec<FieldError>> {
    let doc = JsonDoc::from_js(request);
    let (draft, mut errors) = RequestDraft::from_doc_strict(&doc);
    match draft.validate() {
        Ok(request) if errors.is_empty() => Ok(request),
        Ok(_) => Err(errors),
        Err(more) => {
            let typed: Vec<_> = errors.iter().map(FieldError::field).collect();
            errors.extend(more.into_iter().filter(|e| !typed.contains(&e.field())));
            // In the body's field order, as the page shows them.
            errors.sort_by_key(|e| Field::ALL.iter().position(|f| *f == e.field()));
            Err(errors)
        }
    }
}

#[wasm_bindgen(skip_typescript)]
pub fn validate(request: JsValue) -> JsValue {
    match checked(request) {
        Ok(request) => to_js(&ValidationJs { ok: true, errors: Vec::new(), request: Some(&request) }),
        Err(errors) => to_js(&ValidationJs { ok: false, errors: errors_js(&errors), request: None }),
    }
}

/// An `Error` carrying `kind`, `status`, `nextStep`, `serverMessage`, `fieldErrors`.
fn studio_error(kind: &str, message: &str, status: Option<u16>, next_step: &str, server_message: Option<&str>, field_errors: &[FieldError]) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("StudioError");
    let fields: [(&str, JsValue); 5] = [
        ("kind", kind.into()),
        ("status", status.map_or(JsValue::NULL, |s| JsValue::from(s))),
        ("nextStep", next_step.into()),
        ("serverMessage", server_message.map_or(JsValue::NULL, JsValue::from)),
        ("fieldErrors", to_js(&errors_js(field_errors))),
    ];
    for (key, value) in fields {
        let _ = Reflect::set(&error, &key.into(), &value);
    }
    error.into()
}

fn api_error_js(error: &ApiError) -> JsValue {
    studio_error(error.kind(), &error.to_string(), error.status(), &error.next_step(), error.server_message(), &[])
}

/// An option of `options`, as a string.
fn option_text(options: &JsValue, key: &str) -> Option<String> {
    Reflect::get(options, &key.into()).ok().and_then(|v| v.as_string()).filter(|v| !v.trim().is_empty())
}

/// The endpoint the options name: a proxy, another base URL, or Segmind with a key.
fn endpoint_settings(options: &JsValue) -> EndpointSettings {
    let key = option_text(options, "apiKey").unwrap_or_default();
    let mut settings = EndpointSettings::default();
    if let Some(proxy_url) = option_text(options, "proxyUrl") {
        settings.kind = EndpointKind::Proxy;
        settings.proxy_url = proxy_url;
        settings.proxy_key = key;
    } else if let Some(base_url) = option_text(options, "baseUrl") {
        settings.kind = EndpointKind::StandIn;
        settings.stand_in_url = base_url;
        settings.stand_in_key = key;
    } else {
        settings.kind = EndpointKind::Segmind;
        settings.segmind_key = key;
    }
    settings
}

fn endpoint_of(options: &JsValue) -> Result<Endpoint, JsValue> {
    endpoint_settings(options).resolve("").map_err(|e| studio_error("invalid_options", &e.to_string(), None, "Fix the options passed to generate().", None, &[]))
}

/// A progress event as a plain object.
fn progress_js(progress: &Progress) -> JsValue {
    let event = Object::new();
    let stage = match progress {
        Progress::Uploading => "uploading",
        Progress::Waiting => "waiting",
        Progress::Submitted(_) => "submitted",
        Progress::Queued => "queued",
        Progress::Processing => "processing",
        Progress::Receiving { .. } => "receiving",
        Progress::RetryingIn { .. } => "retrying",
    };
    let mut fields: Vec<(&str, JsValue)> = vec![("stage", stage.into()), ("message", progress.describe().into())];
    match progress {
        Progress::Submitted(ticket) => fields.push(("requestId", ticket.request_id.as_str().into())),
        Progress::Receiving { received, total } => {
            fields.push(("receivedBytes", (*received).into()));
            if let Some(total) = total {
                fields.push(("totalBytes", (*total).into()));
            }
        }
        Progress::RetryingIn { secs_left, .. } => fields.push(("retryInSeconds", (*secs_left).into())),
        _ => {}
    }
    for (key, value) in fields {
        let _ = Reflect::set(&event, &key.into(), &value);
    }
    event.into()
}

#[wasm_bindgen(skip_typescript)]
pub async fn generate(request: JsValue, options: JsValue) -> Result<Blob, JsValue> {
    let request = checked(request).map_err(|errors| {
        studio_error("invalid_request", "The request has invalid fields.", None, "Fix the fields listed in fieldErrors.", None, &errors)
    })?;
    let endpoint = endpoint_of(&options)?;
    let timeout_secs = Reflect::get(&options, &"timeoutSeconds".into()).ok().and_then(|t| t.as_f64()).map_or(600, |t| t.clamp(1.0, 86_400.0) as u32);
    let user_signal = Reflect::get(&options, &"signal".into()).ok().and_then(|s| s.dyn_into::<AbortSignal>().ok());
    let never = web_sys::AbortController::new().map_err(|_| JsValue::from_str("AbortController is missing"))?;
    let signal = transport::signal_with_timeout(user_signal.as_ref().unwrap_or(&never.signal()), timeout_secs);
    let on_progress_fn = Reflect::get(&options, &"onProgress".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    let on_progress = move |progress: Progress| {
        if let Some(callback) = &on_progress_fn {
            let _ = callback.call1(&JsValue::NULL, &progress_js(&progress));
        }
    };
    let run = Run { signal: Some(&signal), timeout_secs: Some(timeout_secs), on_progress: &on_progress };
    let is_async = option_text(&options, "mode").as_deref() == Some("async");
    let video = if is_async {
        transport::generate_job(&endpoint, &request, &run).await
    } else {
        transport::generate(&endpoint, &request, &run).await
    };
    video.map(|v| v.blob).map_err(|e| api_error_js(&e))
}

#[wasm_bindgen(js_name = toCode, skip_typescript)]
pub fn to_code(request: JsValue, language: &str, options: JsValue) -> Result<String, JsValue> {
    let request = checked(request).map_err(|errors| {
        studio_error("invalid_request", "The request has invalid fields.", None, "Fix the fields listed in fieldErrors.", None, &errors)
    })?;
    let language = Language::parse(language)
        .ok_or_else(|| studio_error("invalid_options", "The language must be \"curl\", \"python\" or \"js\".", None, "Pass one of those.", None, &[]))?;
    let options = if options.is_object() { options } else { Object::new().into() };
    let endpoint = endpoint_settings(&options);
    let with_key = endpoint.kind != EndpointKind::Proxy;
    // The key is never part of the code: resolve with a placeholder so a missing one is no error.
    let resolved = EndpointSettings { segmind_key: "placeholder".into(), ..endpoint }
        .resolve("")
        .map_err(|e| studio_error("invalid_options", &e.to_string(), None, "Fix the options passed to toCode().", None, &[]))?;
    Ok(snippet::request_code(language, &resolved.url_of(SADTALKER_PATH), &request, with_key))
}

/// A mounted studio; `unmount()` removes it and stops its work.
#[wasm_bindgen]
pub struct StudioHandle {
    mounted: Option<Box<dyn std::any::Any>>,
    host: HtmlElement,
}

#[wasm_bindgen]
impl StudioHandle {
    pub fn unmount(&mut self) {
        // Dropping leptos' handle unmounts the view and disposes its reactive owner.
        self.mounted.take();
        if let Some(root) = self.host.shadow_root() {
            root.set_inner_html("");
        }
    }
}

#[wasm_bindgen(skip_typescript)]
pub fn mount(element: HtmlElement, options: JsValue) -> Result<StudioHandle, JsValue> {
    let options = if options.is_object() { options } else { Object::new().into() };
    let root = match element.shadow_root() {
        Some(root) => root,
        None => element.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?,
    };
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    let style = document.create_element("style")?;
    // `all: initial` keeps the host page's inherited styles out; every rule inside is scoped anyway.
    style.set_text_content(Some(&format!(":host {{ all: initial; display: block; }}\n{}", include_str!("../style/main.css"))));
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    root.set_inner_html("");
    root.append_child(&style)?;
    root.append_child(&container)?;

    let mut endpoint = endpoint_settings(&options);
    if let Some(kind) = option_text(&options, "endpoint").and_then(|k| EndpointKind::parse(&k)) {
        endpoint.kind = kind;
    }
    // An embedded studio starts empty (the samples live on the stand-in), or with the given defaults.
    let draft = Reflect::get(&options, &"defaults".into())
        .ok()
        .filter(JsValue::is_object)
        .map_or_else(RequestDraft::default, |d| RequestDraft::from_doc(&JsonDoc::from_js(d)));
    let studio_options = StudioOptions {
        storage_prefix: option_text(&options, "storageKey").map(|k| format!("talking-head-studio.{k}")),
        page_origin: web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
        endpoint: Some(endpoint),
        draft: Some(draft),
    };
    let handle = leptos::mount::mount_to(container, move || leptos::prelude::view! { <App options=studio_options /> });
    Ok(StudioHandle { mounted: Some(Box::new(handle)), host: element })
}
