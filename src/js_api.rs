//! The JavaScript API of the package (`--features js-api`): the same logic
//! the page uses, behind `validate`, `generate`, `toCode` and `mount`.
//! Types for TypeScript are written by hand below, where wasm-bindgen's
//! generated ones would be `any`.

use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Blob, HtmlElement};

use crate::api::error::ApiError;
use crate::components::{App, StudioOptions};
use crate::api::endpoint::{Endpoint, EndpointKind, EndpointSettings, SADTALKER_PATH};
use crate::browser::json_doc::JsonDoc;
use crate::api::request::{Field, FieldError, RequestDraft, SadTalkerRequest};
use crate::api::snippet::{self, Language};
use crate::net::{self, Progress, Run};

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
  stage: "uploading" | "waiting" | "submitted" | "queued" | "processing" | "receiving" | "retrying" | "trouble";
  /** The stage in words. */
  message: string;
  /** The job's id, for "submitted" (async mode). */
  requestId?: string;
  /** For "submitted": everything resume() needs to follow the job later (keep it; it holds no key). */
  ticket?: JobTicket;
  /** For "receiving". */
  receivedBytes?: number;
  totalBytes?: number;
  /** For "retrying" (a 429: the run was not started) and "trouble" (a job's status read failed;
   *  it is followed on): seconds until the next try. */
  retryInSeconds?: number;
}

/** A submitted job (async mode), as reported in the "submitted" progress event. No key is in it. */
export interface JobTicket {
  requestId: string;
  statusUrl: string;
  responseUrl: string;
  /** Where it was submitted; resume() follows it there and nowhere else. */
  endpoint: { kind: "segmind" | "proxy" | "stand_in"; baseUrl: string };
  /** When it was submitted (ms since 1970); results expire an hour later. */
  submittedAt: number;
  /** Whether the video was asked for as base64. */
  base64: boolean;
}

export interface ResumeOptions {
  /** The key for the ticket's endpoint, if it needs one; sent only to that endpoint's origin. */
  apiKey?: string;
  /** Stops following (the job itself goes on: the provider has no cancel); rejects with kind "stopped_following". */
  signal?: AbortSignal;
  timeoutSeconds?: number;
  onProgress?: (event: ProgressEvent) => void;
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
  | "unexpected_status" | "network" | "cancelled" | "timeout" | "job_failed" | "not_a_video" | "local_file"
  | "answer_broken" | "key_withheld" | "redirected" | "job_expired" | "stopped_following";

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
/** Makes the video; resolves with it as a Blob (video/mp4). A run is never sent twice by itself:
 *  only a 429 (the run was not started) is retried. In async mode, keep the "submitted" event's ticket. */
export function generate(request: SadTalkerRequest, options: GenerateOptions): Promise<Blob>;
/** Follows a submitted job (from generate()'s "submitted" event) to its video, e.g. after a reload.
 *  Status reads are free and retried through trouble until the job ends or expires. */
export function resume(ticket: JobTicket, options?: ResumeOptions): Promise<Blob>;
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
        ("status", status.map_or(JsValue::NULL, JsValue::from)),
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
        Progress::Trouble { .. } => "trouble",
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
        Progress::RetryingIn { secs_left, .. } | Progress::Trouble { secs_left, .. } => fields.push(("retryInSeconds", (*secs_left).into())),
        _ => {}
    }
    for (key, value) in fields {
        let _ = Reflect::set(&event, &key.into(), &value);
    }
    event.into()
}

/// A job's ticket as the JS API hands it out (camelCase, no key).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TicketJs<'a> {
    request_id: &'a str,
    status_url: &'a str,
    response_url: &'a str,
    endpoint: EndpointJs<'a>,
    submitted_at: f64,
    base64: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointJs<'a> {
    kind: &'static str,
    base_url: &'a str,
}

/// The options every call that runs shares: abort signal (with its time
/// limit) and the progress callback.
struct CallOptions {
    signal: AbortSignal,
    timeout_secs: u32,
    on_progress: Option<Function>,
}

fn call_options(options: &JsValue) -> Result<CallOptions, JsValue> {
    let timeout_secs = Reflect::get(options, &"timeoutSeconds".into()).ok().and_then(|t| t.as_f64()).map_or(crate::api::run_settings::DEFAULT_TIMEOUT_SECS, |t| t.clamp(1.0, 86_400.0) as u32);
    let user_signal = Reflect::get(options, &"signal".into()).ok().and_then(|s| s.dyn_into::<AbortSignal>().ok());
    let never = web_sys::AbortController::new().map_err(|_| JsValue::from_str("AbortController is missing"))?;
    let signal = net::signal_with_timeout(user_signal.as_ref().unwrap_or(&never.signal()), timeout_secs);
    let on_progress = Reflect::get(options, &"onProgress".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    Ok(CallOptions { signal, timeout_secs, on_progress })
}

impl CallOptions {
    fn report(&self, event: &JsValue) {
        if let Some(callback) = &self.on_progress {
            let _ = callback.call1(&JsValue::NULL, event);
        }
    }
}

#[wasm_bindgen(skip_typescript)]
pub async fn generate(request: JsValue, options: JsValue) -> Result<Blob, JsValue> {
    let request = checked(request).map_err(|errors| {
        studio_error("invalid_request", "The request has invalid fields.", None, "Fix the fields listed in fieldErrors.", None, &errors)
    })?;
    let endpoint = endpoint_of(&options)?;
    let call = call_options(&options)?;
    let submitted_at = js_sys::Date::now();
    let job_endpoint = endpoint.for_job();
    let on_progress = |progress: Progress| {
        let event = progress_js(&progress);
        if let Progress::Submitted(ticket) = &progress {
            let ticket = TicketJs {
                request_id: &ticket.request_id,
                status_url: &ticket.status_url,
                response_url: &ticket.response_url,
                endpoint: EndpointJs { kind: job_endpoint.kind.as_str(), base_url: &job_endpoint.base_url },
                submitted_at,
                base64: request.base64,
            };
            let _ = Reflect::set(&event, &"ticket".into(), &to_js(&ticket));
        }
        call.report(&event);
    };
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    let inline = net::Inline::default();
    let video = if option_text(&options, "mode").as_deref() == Some("async") {
        net::generate_job(&endpoint, &request, &inline, &run).await
    } else {
        net::generate(&endpoint, &request, &inline, &run).await
    };
    video.map(|v| v.blob).map_err(|e| api_error_js(&e))
}

#[wasm_bindgen(skip_typescript)]
pub async fn resume(ticket: JsValue, options: JsValue) -> Result<Blob, JsValue> {
    let bad_ticket = || studio_error("invalid_options", "The ticket is not one generate() reported.", None, "Pass the ticket of a \"submitted\" progress event.", None, &[]);
    let text = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|x| x.as_string()).filter(|x| !x.is_empty());
    let job_ticket = crate::api::answer::JobTicket {
        request_id: text(&ticket, "requestId").ok_or_else(bad_ticket)?,
        status_url: text(&ticket, "statusUrl").ok_or_else(bad_ticket)?,
        response_url: text(&ticket, "responseUrl").ok_or_else(bad_ticket)?,
    };
    let endpoint_js = Reflect::get(&ticket, &"endpoint".into()).map_err(|_| bad_ticket())?;
    let job_endpoint = crate::api::endpoint::JobEndpoint {
        kind: text(&endpoint_js, "kind").and_then(|k| EndpointKind::parse(&k)).ok_or_else(bad_ticket)?,
        base_url: text(&endpoint_js, "baseUrl").ok_or_else(bad_ticket)?,
    };
    let submitted_at = Reflect::get(&ticket, &"submittedAt".into()).ok().and_then(|t| t.as_f64()).ok_or_else(bad_ticket)?;
    let base64 = Reflect::get(&ticket, &"base64".into()).ok().and_then(|b| b.as_bool()).unwrap_or(false);
    let options = if options.is_object() { options } else { Object::new().into() };
    // The key is used for the ticket's own endpoint, and only at its origin.
    let key = option_text(&options, "apiKey").unwrap_or_default();
    let settings = EndpointSettings {
        kind: job_endpoint.kind,
        proxy_url: job_endpoint.base_url.clone(),
        stand_in_url: job_endpoint.base_url.clone(),
        segmind_key: key.clone(),
        proxy_key: key.clone(),
        stand_in_key: key,
    };
    let endpoint = settings
        .resolve_job(&job_endpoint, "")
        .map_err(|e| studio_error("invalid_options", &e.to_string(), None, "Pass the key the ticket's endpoint needs.", None, &[]))?;
    let call = call_options(&options)?;
    let on_progress = |progress: Progress| call.report(&progress_js(&progress));
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    match net::follow_job(&endpoint, &job_ticket, base64, submitted_at, &run).await {
        Ok(video) => Ok(video.blob),
        Err(ApiError::Cancelled) => Err(api_error_js(&ApiError::StoppedFollowing)),
        Err(error) => Err(api_error_js(&error)),
    }
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
    // The key is never part of the code: resolve with a placeholder so a missing one is no error.
    let resolved = EndpointSettings { segmind_key: "placeholder".into(), ..endpoint }
        .resolve("")
        .map_err(|e| studio_error("invalid_options", &e.to_string(), None, "Fix the options passed to toCode().", None, &[]))?;
    Ok(snippet::request_code(language, &resolved.url_of(SADTALKER_PATH), &request, snippet::key_variable(resolved.kind, resolved.api_key().is_some())))
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
    // `all: initial` keeps the host page's inherited styles out; every rule inside is scoped anyway.
    let css = format!(":host {{ all: initial; display: block; }}\n{}", include_str!("../style/main.css"));
    // A constructed style sheet, not a <style> element: a host page whose
    // Content-Security-Policy refuses inline styles still styles the studio.
    let constructor: Function = Reflect::get(&js_sys::global(), &"CSSStyleSheet".into())?.dyn_into()?;
    let sheet = Reflect::construct(&constructor, &js_sys::Array::new())?;
    let replace_sync: Function = Reflect::get(&sheet, &"replaceSync".into())?.dyn_into()?;
    replace_sync.call1(&sheet, &css.into())?;
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    root.set_inner_html("");
    Reflect::set(&root, &"adoptedStyleSheets".into(), &js_sys::Array::of1(&sheet))?;
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
