//! The JavaScript API of the package (`--features js-api`): the same logic
//! the page uses, behind `validate`, `generate`, `resume`, `estimate`,
//! `toCode`, `compare` and `mount`. Data crosses the boundary as the Rust types in [`convert`]
//! (serde-wasm-bindgen), whose TypeScript types tsify writes into the
//! package's `.d.ts`; `types.d.ts` adds the few it cannot (see there).

mod compare;
mod convert;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, HtmlElement};

use crate::api::endpoint::{Endpoint, EndpointSettings, JobEndpoint, SADTALKER_PATH};
use crate::api::error::{ApiError, ErrorKind};
use crate::api::request::{Field, FieldError, RequestDraft, NormalizedRequest};
use crate::api::snippet::{self, Language};
use crate::browser::json_doc::JsonDoc;
use crate::components::StudioOptions;
use crate::net::{self, Progress, Run};
use crate::studio::run_rules;
use convert::{EstimateOptions, RunEstimate, field_errors, from_js, to_js, CallParts, CodeOptions, GenerateOptions, JobTicket, Mode, MountOptions, ProgressEvent, ResumeOptions, StudioErrorFields, ValidationResult};
pub use compare::{compare, ComparisonHandle};

// The package's own address, to find the files beside it (the face check).
// This snippet lives at snippets/<crate>-<hash>/inline0.js inside the package.
#[wasm_bindgen(inline_js = "export function beside_package(path) { return new URL('../../' + path, import.meta.url).href; }")]
extern "C" {
    fn beside_package(path: &str) -> String;
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

/// The request checked as the page checks it, type mistakes included.
fn checked(request: JsValue) -> Result<NormalizedRequest, Vec<FieldError>> {
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

/// Checks a request; never throws.
#[wasm_bindgen(unchecked_return_type = "ValidationResult")]
pub fn validate(#[wasm_bindgen(unchecked_param_type = "SadTalkerRequest")] request: JsValue) -> JsValue {
    match checked(request) {
        Ok(request) => to_js(&ValidationResult { ok: true, errors: Vec::new(), request: Some(request) }),
        Err(errors) => to_js(&ValidationResult { ok: false, errors: field_errors(&errors), request: None }),
    }
}

/// An `Error` named "StudioError" carrying [`StudioErrorFields`].
fn studio_error(message: &str, fields: StudioErrorFields) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("StudioError");
    if let Ok(fields) = to_js(&fields).dyn_into::<Object>() {
        Object::assign(&error, &fields);
    }
    error.into()
}

fn api_error_js(error: &ApiError) -> JsValue {
    let fields = StudioErrorFields {
        kind: error.kind(),
        status: error.status(),
        next_step: error.next_step(),
        server_message: error.server_message().map(str::to_string),
        field_errors: Vec::new(),
    };
    studio_error(&error.to_string(), fields)
}

fn invalid_request(errors: &[crate::api::request::FieldError]) -> JsValue {
    let fields = StudioErrorFields {
        kind: ErrorKind::InvalidRequest,
        status: None,
        next_step: "Fix the fields listed in fieldErrors.".into(),
        server_message: None,
        field_errors: field_errors(errors),
    };
    studio_error("The request has invalid fields.", fields)
}

fn invalid_options(message: &str, next_step: &str) -> JsValue {
    let fields = StudioErrorFields { kind: ErrorKind::InvalidOptions, status: None, next_step: next_step.into(), server_message: None, field_errors: Vec::new() };
    studio_error(message, fields)
}

fn options_of<T: for<'de> serde::Deserialize<'de> + Default>(options: JsValue, call: &str) -> Result<T, JsValue> {
    from_js(options).map_err(|e| invalid_options(&format!("The options passed to {call} are not of the documented shape: {e}."), "Pass the options the types describe."))
}

fn endpoint_of(settings: EndpointSettings) -> Result<Endpoint, JsValue> {
    settings.resolve("").map_err(|e| invalid_options(&e.to_string(), "Fix the options passed to generate()."))
}

/// The abort signal (the caller's, with the time limit) and the progress sink of a call.
struct Call {
    signal: web_sys::AbortSignal,
    timeout_secs: u32,
    on_progress: Option<Function>,
}

impl Call {
    fn of(parts: CallParts<'_>) -> Result<Call, JsValue> {
        let timeout_secs = parts.timeout_secs();
        let never = web_sys::AbortController::new().map_err(|_| JsValue::from_str("AbortController is missing"))?;
        let signal = net::signal_with_timeout(parts.signal.as_ref().unwrap_or(&never.signal()), timeout_secs);
        Ok(Call { signal, timeout_secs, on_progress: parts.on_progress() })
    }

    fn report(&self, event: &ProgressEvent) {
        if let Some(callback) = &self.on_progress {
            let _ = callback.call1(&JsValue::NULL, &to_js(event));
        }
    }
}

/// Makes the video; resolves with it as a Blob (video/mp4). A run is never sent twice by itself:
/// only a 429 (the run was not started) is retried. In async mode, keep the "submitted" event's ticket.
#[wasm_bindgen(unchecked_return_type = "Blob")]
pub async fn generate(
    #[wasm_bindgen(unchecked_param_type = "SadTalkerRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GenerateOptions")] options: JsValue,
) -> Result<Blob, JsValue> {
    let request = checked(request).map_err(|errors| invalid_request(&errors))?;
    let options: GenerateOptions = options_of(options, "generate()")?;
    let endpoint = endpoint_of(options.endpoint_settings())?;
    let call = Call::of(options.call())?;
    let submitted_at = js_sys::Date::now();
    let job_endpoint = endpoint.for_job();
    let on_progress = |progress: Progress| {
        let ticket = match &progress {
            Progress::Submitted(ticket) => Some(JobTicket::of(ticket, &job_endpoint, submitted_at, request.base64)),
            _ => None,
        };
        call.report(&ProgressEvent::of(&progress, ticket));
    };
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    let inline = net::Inline::default();
    let video = if options.mode == Mode::Async {
        net::generate_job(&endpoint, &request, &inline, &run).await
    } else {
        net::generate(&endpoint, &request, &inline, &run).await
    };
    video.map(|v| v.blob).map_err(|e| api_error_js(&e))
}

/// Follows a submitted job (from generate()'s "submitted" event) to its video, e.g. after a reload.
/// Status reads are free and retried through trouble until the job ends or expires.
#[wasm_bindgen(unchecked_return_type = "Blob")]
pub async fn resume(
    #[wasm_bindgen(unchecked_param_type = "JobTicket")] ticket: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ResumeOptions")] options: JsValue,
) -> Result<Blob, JsValue> {
    let bad_ticket = || invalid_options("The ticket is not one generate() reported.", "Pass the ticket of a \"submitted\" progress event.");
    let ticket: JobTicket = serde_wasm_bindgen::from_value(ticket).map_err(|_| bad_ticket())?;
    if ticket.request_id.is_empty() || ticket.status_url.is_empty() || ticket.response_url.is_empty() {
        return Err(bad_ticket());
    }
    let kind = ticket.endpoint.kind;
    let job_endpoint = JobEndpoint { kind, base_url: ticket.endpoint.base_url.clone() };
    let options: ResumeOptions = options_of(options, "resume()")?;
    // The key is used for the ticket's own endpoint, and only at its origin.
    let key = options.api_key();
    let settings = EndpointSettings {
        kind,
        proxy_url: job_endpoint.base_url.clone(),
        stand_in_url: job_endpoint.base_url.clone(),
        segmind_key: key.clone(),
        proxy_key: key.clone(),
        stand_in_key: key,
    };
    let endpoint = settings.resolve_job(&job_endpoint, "").map_err(|e| invalid_options(&e.to_string(), "Pass the key the ticket's endpoint needs."))?;
    let call = Call::of(options.call())?;
    let on_progress = |progress: Progress| call.report(&ProgressEvent::of(&progress, None));
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    let job_ticket = crate::api::answer::JobTicket { request_id: ticket.request_id, status_url: ticket.status_url, response_url: ticket.response_url };
    match net::follow_job(&endpoint, &job_ticket, ticket.base64, ticket.submitted_at, &run).await {
        Ok(video) => Ok(video.blob),
        Err(ApiError::Cancelled) => Err(api_error_js(&ApiError::StoppedFollowing)),
        Err(error) => Err(api_error_js(&error)),
    }
}

/// What a run of `request` will take and cost, from the clip's length and the
/// settings, learning from `history` (your finished runs) where given. Never throws.
#[wasm_bindgen(unchecked_return_type = "RunEstimate")]
pub fn estimate(
    #[wasm_bindgen(unchecked_param_type = "SadTalkerRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "EstimateOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    use crate::api::run_cost::{self, Basis, PastRun};
    let draft_of = |request: JsValue| RequestDraft::from_doc(&JsonDoc::from_js(request));
    let options: EstimateOptions = options_of(options, "estimate()")?;
    let Some(inputs) = run_rules::cost_inputs(&draft_of(request), Some(options.audio_seconds), options.photo_pixels) else {
        return Err(invalid_options("audioSeconds must be a length in seconds, above 0.", "Pass the clip's length as audioSeconds."));
    };
    let past: Vec<PastRun> = options
        .history
        .into_iter()
        .filter_map(|run| {
            let inputs = run_rules::cost_inputs(&draft_of(run.request), Some(run.audio_seconds), None)?;
            Some(PastRun { inputs, took_secs: run.took_seconds, charged_usd: run.charged_usd })
        })
        .collect();
    let found = run_cost::estimate(&inputs, &past);
    let from_runs = match found.basis {
        Basis::Published => 0,
        Basis::PastRuns(n) => n,
    };
    Ok(to_js(&RunEstimate { seconds: found.secs, usd: found.usd, frames: found.frames, from_runs, text: found.text() }))
}

/// The request as code to run elsewhere; the key is a placeholder.
#[wasm_bindgen(js_name = toCode)]
pub fn to_code(
    #[wasm_bindgen(unchecked_param_type = "SadTalkerRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Language")] language: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "CodeOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let request = checked(request).map_err(|errors| invalid_request(&errors))?;
    let language = Language::parse(language).ok_or_else(|| invalid_options("The language must be \"curl\", \"python\" or \"js\".", "Pass one of those."))?;
    let endpoint = options_of::<CodeOptions>(options, "toCode()")?.endpoint_settings();
    // The key is never part of the code: resolve with a placeholder so a missing one is no error.
    let resolved = EndpointSettings { segmind_key: "placeholder".into(), ..endpoint }
        .resolve("")
        .map_err(|e| invalid_options(&e.to_string(), "Fix the options passed to toCode()."))?;
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

/// The whole studio inside `element` (in its own shadow root, so styles don't leak either way).
#[wasm_bindgen]
pub fn mount(element: HtmlElement, #[wasm_bindgen(unchecked_optional_param_type = "MountOptions")] options: JsValue) -> Result<StudioHandle, JsValue> {
    let options: MountOptions = options_of(options, "mount()")?;
    let root = match element.shadow_root() {
        Some(root) => root,
        None => element.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?,
    };
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    // `all: initial` keeps the host page's inherited styles out; every rule inside is scoped anyway.
    let css = format!(":host {{ all: initial; display: block; }}\n{}", include_str!("../../style/main.css"));
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

    let endpoint = options.endpoint_settings();
    // An embedded studio starts empty (the samples live on the stand-in), or with the given defaults.
    let draft = Some(options.defaults.clone()).filter(JsValue::is_object).map_or_else(RequestDraft::default, |d| RequestDraft::from_doc(&JsonDoc::from_js(d)));
    let studio_options = StudioOptions {
        storage_prefix: options.storage_key().map(|k| format!("talking-head-studio.{k}")),
        page_origin: web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
        endpoint: Some(endpoint),
        draft: Some(draft),
        face_worker_url: options.face_check_url().unwrap_or_else(|| beside_package("face/worker.js")),
        owns_title: false,
    };
    // The studio's views are a chunk of their own in the package's build (scripts/build-pkg.sh):
    // fetched on the first mount(), never by a page that only uses the functions above.
    let handle = leptos::mount::mount_to(container, move || crate::components::later(move || crate::components::studio_part(studio_options.clone())));
    Ok(StudioHandle { mounted: Some(Box::new(handle)), host: element })
}
