//! The JavaScript API of the package (`--features js-api`): the same logic
//! the page uses, behind `validate`, `generate`, `resume`, `toCode` and
//! `mount`. Data crosses the boundary as the Rust types in [`convert`]
//! (serde-wasm-bindgen); the TypeScript types are in `types.d.ts`.

mod convert;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, HtmlElement};

use crate::api::endpoint::{Endpoint, EndpointKind, EndpointSettings, JobEndpoint, SADTALKER_PATH};
use crate::api::error::ApiError;
use crate::api::request::{Field, FieldError, RequestDraft, SadTalkerRequest};
use crate::api::snippet::{self, Language};
use crate::browser::json_doc::JsonDoc;
use crate::components::{App, StudioOptions};
use crate::net::{self, Progress, Run};
use convert::{errors_js, from_js, to_js, EndpointJs, Options, ProgressJs, TicketJs, ValidationJs};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

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

fn invalid_options(message: &str, next_step: &str) -> JsValue {
    studio_error("invalid_options", message, None, next_step, None, &[])
}

fn options_of(options: JsValue, call: &str) -> Result<Options, JsValue> {
    from_js(options).map_err(|e| invalid_options(&format!("The options passed to {call} are not of the documented shape: {e}."), "Pass the options the types describe."))
}

fn endpoint_of(options: &Options) -> Result<Endpoint, JsValue> {
    options.endpoint_settings().resolve("").map_err(|e| invalid_options(&e.to_string(), "Fix the options passed to generate()."))
}

/// The abort signal (the caller's, with the time limit) and the progress sink of a call.
struct Call {
    signal: web_sys::AbortSignal,
    timeout_secs: u32,
    on_progress: Option<Function>,
}

impl Call {
    fn of(options: &Options) -> Result<Call, JsValue> {
        let timeout_secs = options.timeout_secs();
        let never = web_sys::AbortController::new().map_err(|_| JsValue::from_str("AbortController is missing"))?;
        let signal = net::signal_with_timeout(options.signal().as_ref().unwrap_or(&never.signal()), timeout_secs);
        Ok(Call { signal, timeout_secs, on_progress: options.on_progress() })
    }

    fn report(&self, event: &ProgressJs) {
        if let Some(callback) = &self.on_progress {
            let _ = callback.call1(&JsValue::NULL, &to_js(event));
        }
    }
}

#[wasm_bindgen(skip_typescript)]
pub async fn generate(request: JsValue, options: JsValue) -> Result<Blob, JsValue> {
    let request = checked(request).map_err(|errors| {
        studio_error("invalid_request", "The request has invalid fields.", None, "Fix the fields listed in fieldErrors.", None, &errors)
    })?;
    let options = options_of(options, "generate()")?;
    let endpoint = endpoint_of(&options)?;
    let call = Call::of(&options)?;
    let submitted_at = js_sys::Date::now();
    let job_endpoint = endpoint.for_job();
    let on_progress = |progress: Progress| {
        let ticket = match &progress {
            Progress::Submitted(ticket) => Some(TicketJs {
                request_id: ticket.request_id.clone(),
                status_url: ticket.status_url.clone(),
                response_url: ticket.response_url.clone(),
                endpoint: EndpointJs { kind: job_endpoint.kind.as_str().into(), base_url: job_endpoint.base_url.clone() },
                submitted_at,
                base64: request.base64,
            }),
            _ => None,
        };
        call.report(&ProgressJs::of(&progress, ticket));
    };
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    let inline = net::Inline::default();
    let video = if options.is_async() {
        net::generate_job(&endpoint, &request, &inline, &run).await
    } else {
        net::generate(&endpoint, &request, &inline, &run).await
    };
    video.map(|v| v.blob).map_err(|e| api_error_js(&e))
}

#[wasm_bindgen(skip_typescript)]
pub async fn resume(ticket: JsValue, options: JsValue) -> Result<Blob, JsValue> {
    let bad_ticket = |_| invalid_options("The ticket is not one generate() reported.", "Pass the ticket of a \"submitted\" progress event.");
    let ticket: TicketJs = serde_wasm_bindgen::from_value(ticket).map_err(bad_ticket)?;
    let kind = EndpointKind::parse(&ticket.endpoint.kind).ok_or_else(|| bad_ticket(serde_wasm_bindgen::Error::new("kind")))?;
    if ticket.request_id.is_empty() || ticket.status_url.is_empty() || ticket.response_url.is_empty() {
        return Err(bad_ticket(serde_wasm_bindgen::Error::new("empty")));
    }
    let job_endpoint = JobEndpoint { kind, base_url: ticket.endpoint.base_url.clone() };
    let options = options_of(options, "resume()")?;
    // The key is used for the ticket's own endpoint, and only at its origin.
    let key = options.given(&options.api_key).unwrap_or_default();
    let settings = EndpointSettings {
        kind,
        proxy_url: job_endpoint.base_url.clone(),
        stand_in_url: job_endpoint.base_url.clone(),
        segmind_key: key.clone(),
        proxy_key: key.clone(),
        stand_in_key: key,
    };
    let endpoint = settings.resolve_job(&job_endpoint, "").map_err(|e| invalid_options(&e.to_string(), "Pass the key the ticket's endpoint needs."))?;
    let call = Call::of(&options)?;
    let on_progress = |progress: Progress| call.report(&ProgressJs::of(&progress, None));
    let run = Run { signal: Some(&call.signal), timeout_secs: Some(call.timeout_secs), on_progress: &on_progress };
    let job_ticket = crate::api::answer::JobTicket { request_id: ticket.request_id, status_url: ticket.status_url, response_url: ticket.response_url };
    match net::follow_job(&endpoint, &job_ticket, ticket.base64, ticket.submitted_at, &run).await {
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
    let language = Language::parse(language).ok_or_else(|| invalid_options("The language must be \"curl\", \"python\" or \"js\".", "Pass one of those."))?;
    let endpoint = options_of(options, "toCode()")?.endpoint_settings();
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

#[wasm_bindgen(skip_typescript)]
pub fn mount(element: HtmlElement, options: JsValue) -> Result<StudioHandle, JsValue> {
    let options = options_of(options, "mount()")?;
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

    let mut endpoint = options.endpoint_settings();
    if let Some(kind) = options.given(&options.endpoint).and_then(|k| EndpointKind::parse(&k)) {
        endpoint.kind = kind;
    }
    // An embedded studio starts empty (the samples live on the stand-in), or with the given defaults.
    let draft = Some(options.defaults.clone()).filter(JsValue::is_object).map_or_else(RequestDraft::default, |d| RequestDraft::from_doc(&JsonDoc::from_js(d)));
    let studio_options = StudioOptions {
        storage_prefix: options.given(&options.storage_key).map(|k| format!("talking-head-studio.{k}")),
        page_origin: web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
        endpoint: Some(endpoint),
        draft: Some(draft),
    };
    let handle = leptos::mount::mount_to(container, move || leptos::prelude::view! { <App options=studio_options /> });
    Ok(StudioHandle { mounted: Some(Box::new(handle)), host: element })
}
