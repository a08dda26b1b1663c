//! `compare()`: the studio's drafts for code. Each variant of the request
//! runs as a job on the first seconds of the voice (cut in the page), sent
//! one after another (a 429 is waited out and the account's per-minute limit
//! kept from then on) and followed side by side. Nothing is sent twice by
//! itself; a cancelled comparison reports each sent draft's ticket for
//! `resume()`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use serde::{Deserialize, Serialize};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, AbortSignal};

use super::convert::{endpoint_settings, to_js, JobTicket, ProgressEvent};
use super::{api_error_js, checked, invalid_options, invalid_request, options_of};
use crate::api::compare::{self, Variant};
use crate::api::endpoint::Endpoint;
use crate::api::error::ApiError;
use crate::api::request::{InputSource, NormalizedRequest};
use crate::media::local;
use crate::net::{self, Inline, Progress, Run};
use crate::studio::compare_run;

/// The request's fields a variant may change.
const VARIANT_FIELDS: [&str; 5] = ["pose_style", "expression_scale", "preprocess", "image_size", "enhancer"];

#[derive(Deserialize, Default, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CompareOptions {
    /// As for generate(): the key, sent only as x-api-key to the chosen endpoint.
    #[tsify(optional)]
    pub api_key: Option<String>,
    #[tsify(optional)]
    pub proxy_url: Option<String>,
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Seconds of the voice each draft speaks, 1–15 (default 3). The voice is
    /// read and cut in the page: a data: URI, or an address whose server allows it (CORS).
    #[tsify(optional)]
    pub draft_seconds: Option<f64>,
    /// Where in the voice the drafts start, in seconds (default 0).
    #[tsify(optional)]
    pub from_seconds: Option<f64>,
    /// Stops sending and following; drafts already sent keep running at the
    /// provider (it has no cancel): their results carry tickets for resume().
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "AbortSignal")]
    pub signal: JsValue,
    /// Each draft gives up after this many seconds (default 600).
    #[tsify(optional)]
    pub timeout_seconds: Option<f64>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "(variant: number, event: ProgressEvent) => void")]
    pub on_progress: JsValue,
}

/// What became of one variant, in the order they were given.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DraftResult {
    /// The request it sent (its variant over yours; the cut voice stands for input_audio).
    pub request: NormalizedRequest,
    /// "pose 7 · scale 1.4 · full · 256 px · enhancer on".
    pub label: String,
    /// The draft's video (video/mp4), when it finished.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "Blob")]
    pub video: JsValue,
    /// Why it did not, as generate() rejects (kind, nextStep, …).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(optional, type = "StudioError")]
    pub error: JsValue,
    /// The job's ticket once accepted: resume() it if the comparison was stopped.
    #[tsify(optional)]
    pub ticket: Option<JobTicket>,
}

/// A running comparison.
#[wasm_bindgen]
pub struct ComparisonHandle {
    controller: AbortController,
    done: Promise,
}

#[wasm_bindgen]
impl ComparisonHandle {
    /// Resolves when every draft has ended: one result per variant, in order. Never rejects.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<DraftResult[]>")]
    pub fn done(&self) -> Promise {
        self.done.clone()
    }

    /// Stops sending and following (see `CompareOptions.signal`).
    pub fn cancel(&self) {
        self.controller.abort();
    }
}

/// Each variant as a full request: the variant's fields over `request`, checked.
fn variant_requests(request: &JsValue, variants: &JsValue) -> Result<Vec<NormalizedRequest>, JsValue> {
    let shape = || invalid_options("The variants must be an array of objects with pose_style, expression_scale, preprocess, image_size or enhancer.", "Pass 2–6 variants.");
    let list: Array = variants.clone().dyn_into().map_err(|_| shape())?;
    let mut requests = Vec::new();
    for variant in list.iter() {
        let fields: Object = variant.dyn_into().map_err(|_| shape())?;
        if Object::keys(&fields).iter().any(|k| !k.as_string().is_some_and(|k| VARIANT_FIELDS.contains(&k.as_str()))) {
            return Err(shape());
        }
        let theirs: Object = request.clone().dyn_into().map_err(|_| shape())?;
        let merged = Object::assign(&Object::assign(&Object::new(), &theirs), &fields);
        requests.push(checked(merged.into()).map_err(|errors| invalid_request(&errors))?);
    }
    let chosen: Vec<Variant> = requests.iter().map(Variant::of).collect();
    compare::checked(&chosen).map_err(|e| invalid_options(&e.to_string(), "Pass 2–6 different variants."))?;
    Ok(requests)
}

/// Makes a draft of each variant; see [`CompareOptions`] and [`DraftResult`].
#[wasm_bindgen]
pub fn compare(
    #[wasm_bindgen(unchecked_param_type = "SadTalkerRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Array<Partial<Pick<NormalizedRequest, \"pose_style\" | \"expression_scale\" | \"preprocess\" | \"image_size\" | \"enhancer\">>>")]
    variants: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CompareOptions")] options: JsValue,
) -> Result<ComparisonHandle, JsValue> {
    let requests = variant_requests(&request, &variants)?;
    let options: CompareOptions = options_of(options, "compare()")?;
    let draft_secs = match options.draft_seconds {
        Some(secs) => compare::draft_secs(&secs.to_string()).map_err(|e| invalid_options(&e.to_string(), "Pass draftSeconds between 1 and 15."))?,
        None => compare::DEFAULT_DRAFT_SECS,
    };
    let from_secs = options.from_seconds.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(0.0);
    let endpoint = endpoint_settings(&options.api_key, &options.proxy_url, &options.base_url)
        .resolve("")
        .map_err(|e| invalid_options(&e.to_string(), "Fix the options passed to compare()."))?;
    let controller = AbortController::new().map_err(|_| JsValue::from_str("AbortController is missing"))?;
    let stop = match options.signal.dyn_ref::<AbortSignal>() {
        Some(theirs) => AbortSignal::any(&Array::of2(theirs, &controller.signal())),
        None => controller.signal(),
    };
    let timeout_secs = options.timeout_seconds.map_or(crate::api::run_settings::DEFAULT_TIMEOUT_SECS, |t| t.clamp(1.0, 86_400.0) as u32);
    let drafts = Rc::new(JsDrafts { endpoint, stop, timeout_secs, on_progress: options.on_progress.dyn_into().ok() });
    let voice = requests[0].input_audio.clone();
    let done = future_to_promise(async move { Ok(run(drafts, requests, voice, from_secs, draft_secs).await) });
    Ok(ComparisonHandle { controller, done })
}

/// What the drafts of one `compare()` share.
struct JsDrafts {
    endpoint: Endpoint,
    stop: AbortSignal,
    timeout_secs: u32,
    on_progress: Option<Function>,
}

impl JsDrafts {
    fn report(&self, index: usize, event: &ProgressEvent) {
        if let Some(callback) = &self.on_progress {
            let _ = callback.call2(&JsValue::NULL, &JsValue::from(index as u32), &to_js(event));
        }
    }
}

/// The voice read into the page and cut (as the page's comparison does), as a data: URI.
async fn cut_voice(voice: &InputSource, from_secs: f64, draft_secs: f64) -> Result<web_sys::Blob, ApiError> {
    let unreadable = |e: crate::media::MediaProblem| ApiError::LocalFile { detail: e.to_string() };
    let address = voice.address().ok_or_else(|| ApiError::LocalFile { detail: "the voice is not an address or data: URI".into() })?;
    let clip = compare_run::fetch_voice(address).await.map_err(unreadable)?;
    let cut = compare_run::cut_voice(&clip, from_secs, draft_secs).await.map_err(unreadable)?;
    local::data_uri(&cut).await.map_err(unreadable)
}

/// Sends the drafts one after another, paced, and follows each; resolves with every result.
async fn run(drafts: Rc<JsDrafts>, requests: Vec<NormalizedRequest>, voice: InputSource, from_secs: f64, draft_secs: f64) -> JsValue {
    let results = Array::new();
    let inline = match cut_voice(&voice, from_secs, draft_secs).await {
        Ok(audio) => Inline { image: None, audio: Some(audio) },
        Err(error) => {
            for request in requests {
                results.push(&to_js(&failed(request, &error, None)));
            }
            return results.into();
        }
    };
    let following = Array::new();
    let sent_at: Rc<RefCell<Vec<f64>>> = Rc::default();
    let limit: Rc<Cell<Option<u32>>> = Rc::default();
    let pause = Run { signal: Some(&drafts.stop), timeout_secs: None, on_progress: &|_| {} };
    for (index, request) in requests.into_iter().enumerate() {
        let sent = NormalizedRequest { input_audio: InputSource::LocalFile { name: "draft-voice.wav".into() }, ..request.clone() };
        let wait = compare::next_submission_in(&sent_at.borrow(), js_sys::Date::now() / 1000.0, limit.get());
        if wait > 0.0 {
            drafts.report(index, &ProgressEvent::of(&Progress::Paced { secs_left: wait.ceil() as u32 }, None));
            if pause.sleep_ms((wait * 1000.0).ceil() as i32).await.is_err() {
                following.push(&Promise::resolve(&to_js(&failed(request, &ApiError::Cancelled, None))));
                continue;
            }
        }
        let on_progress = {
            let (drafts, sent_at, limit) = (drafts.clone(), sent_at.clone(), limit.clone());
            move |progress: Progress| {
                if let Progress::RetryingIn { .. } = progress {
                    let now = js_sys::Date::now() / 1000.0;
                    limit.set(Some((sent_at.borrow().iter().filter(|t| now - **t < 60.0).count() as u32).max(1)));
                }
                drafts.report(index, &ProgressEvent::of(&progress, None));
            }
        };
        let signal = net::signal_with_timeout(&drafts.stop, drafts.timeout_secs);
        let run = Run { signal: Some(&signal), timeout_secs: Some(drafts.timeout_secs), on_progress: &on_progress };
        match net::submit_job(&drafts.endpoint, &sent, &inline, &run).await {
            Ok(ticket) => {
                let submitted_at = js_sys::Date::now();
                sent_at.borrow_mut().push(submitted_at / 1000.0);
                let kept = JobTicket::of(&ticket, &drafts.endpoint.for_job(), submitted_at, request.base64);
                drafts.report(index, &ProgressEvent::of(&Progress::Submitted(ticket.clone()), Some(kept.clone())));
                let drafts = drafts.clone();
                following.push(&future_to_promise(async move {
                    let on_progress = |progress: Progress| drafts.report(index, &ProgressEvent::of(&progress, None));
                    let signal = net::signal_with_timeout(&drafts.stop, drafts.timeout_secs);
                    let run = Run { signal: Some(&signal), timeout_secs: Some(drafts.timeout_secs), on_progress: &on_progress };
                    let result = match net::follow_job(&drafts.endpoint, &ticket, request.base64, submitted_at, &run).await {
                        Ok(video) => DraftResult { label: Variant::of(&request).label(), request, video: video.blob.into(), error: JsValue::UNDEFINED, ticket: Some(kept) },
                        Err(ApiError::Cancelled) => failed(request, &ApiError::StoppedFollowing, Some(kept)),
                        Err(error) => failed(request, &error, Some(kept)),
                    };
                    Ok(to_js(&result))
                }));
            }
            Err(error) => {
                following.push(&Promise::resolve(&to_js(&failed(request, &error, None))));
            }
        }
    }
    JsFuture::from(Promise::all(&following)).await.unwrap_or(results.into())
}

fn failed(request: NormalizedRequest, error: &ApiError, ticket: Option<JobTicket>) -> DraftResult {
    DraftResult { label: Variant::of(&request).label(), request, video: JsValue::UNDEFINED, error: api_error_js(error), ticket }
}
