//! The state one studio shares between its components (provided as context,
//! so two studios on one page never see each other's).

use std::sync::atomic::{AtomicU32, Ordering};

use leptos::prelude::*;
use web_sys::AbortController;

use crate::api::answer::Credits;
use crate::api::error::ApiError;
use crate::api::endpoint::{Endpoint, EndpointError, EndpointSettings};
use crate::browser::face_worker::FaceCheckError;
use crate::browser::history::History;
use crate::api::run_cost::CostInputs;
use crate::studio::run_rules::KeptRun;
use crate::media::face::FaceReport;
use crate::media::trim::Trim;
use crate::media::local::LocalMedia;
use crate::media::MediaProblem;
use crate::api::request::{FieldError, RequestDraft, NormalizedRequest};
use crate::api::run_settings::RunSettings;
use crate::studio::form_check::LocalCheck;
use crate::browser::saved_form::Store;
use crate::studio::comparison::Comparison;
use crate::studio::session::Finished;
use crate::net::Progress;

/// The draft checked for the chosen endpoint: the request to send, or every problem.
pub type Checked = Memo<Result<NormalizedRequest, Vec<FieldError>>>;

#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    Idle,
    /// `started_ms` is wall-clock (ms since 1970), so a resumed job keeps its elapsed time.
    Running { started_ms: f64 },
    Succeeded(Finished),
    Failed(ApiError),
}

/// A local file chosen for an input.
#[derive(Clone, Debug)]
pub enum LocalState {
    Checking(String),
    Ready(LocalMedia),
    Refused(String, MediaProblem),
}

impl LocalState {
    /// What the form check needs to know of it.
    pub fn check(&self) -> LocalCheck {
        match self {
            LocalState::Checking(name) => LocalCheck::Checking(name.clone()),
            LocalState::Ready(media) => LocalCheck::Ready(media.name.clone()),
            LocalState::Refused(name, problem) => LocalCheck::Refused(name.clone(), problem.to_string()),
        }
    }
}

/// Where the face check of the current portrait is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum FaceCheck {
    /// No portrait to check.
    #[default]
    Idle,
    Checking,
    Done(FaceReport),
    Failed(FaceCheckError),
}

#[derive(Clone, Copy)]
pub struct Studio {
    /// Makes element ids and radio-group names unique per studio.
    pub uid: u32,
    pub draft: RwSignal<RequestDraft>,
    /// Local files chosen instead of the portrait's / voice's URL.
    pub local_image: RwSignal<Option<LocalState>, LocalStorage>,
    pub local_audio: RwSignal<Option<LocalState>, LocalStorage>,
    pub endpoint: RwSignal<EndpointSettings>,
    pub run_settings: RwSignal<RunSettings>,
    pub checked: Checked,
    pub resolved: Memo<Result<Endpoint, EndpointError>>,
    pub run: RwSignal<RunState>,
    pub progress: RwSignal<Option<Progress>>,
    /// The running job's id, shown while it runs (a reload picks it up).
    pub job_id: RwSignal<Option<String>>,
    pub credits: RwSignal<Option<Result<Credits, ApiError>>>,
    /// Bumped when the history changes, so its list reloads.
    pub history_version: RwSignal<u32>,
    pub store: StoredValue<Store>,
    /// Where the page came from (the stand-in's default address).
    pub page_origin: StoredValue<String>,
    /// Whether the running job's ticket is stored (only then is a reload safe).
    pub job_kept: RwSignal<bool>,
    /// The latest choice (file, capture, Clear) per input, portrait then
    /// voice: a check that finishes for an older choice is dropped.
    pub choice_seq: StoredValue<[u32; 2]>,
    /// Bumped when the stored job changes (picked up, forgotten).
    pub job_version: RwSignal<u32>,
    pub history: StoredValue<Option<History>>,
    pub abort: StoredValue<Option<AbortController>, LocalStorage>,
    pub face: RwSignal<FaceCheck>,
    /// The typed voice address's length, once its preview has read it.
    pub voice_secs: RwSignal<Option<f64>>,
    /// The stretch of a local voice clip to send (`None`: all of it).
    pub trim: RwSignal<Option<Trim>>,
    /// This person's finished runs, as the history keeps them (for the estimate).
    pub past_runs: RwSignal<Vec<KeptRun>>,
    /// The face check's worker script (fetched when a portrait is first chosen).
    pub face_worker_url: StoredValue<String>,
    /// The comparison of drafts kept here, as last written (`None`: none).
    pub comparison: RwSignal<Option<Comparison>>,
    /// Each draft's latest progress, by its place in the comparison.
    pub draft_progress: RwSignal<Vec<Option<Progress>>>,
    /// Stops this page's work on the comparison (its tickets stay kept).
    pub compare_abort: StoredValue<Option<AbortController>, LocalStorage>,
    /// Why the drafts could not start or go on, in words.
    pub compare_problem: RwSignal<Option<String>>,
    /// Tell with a browser notification when a run or the drafts end while the tab is hidden.
    pub notify: RwSignal<bool>,
}

static NEXT_UID: AtomicU32 = AtomicU32::new(1);

pub fn next_uid() -> u32 {
    NEXT_UID.fetch_add(1, Ordering::Relaxed)
}

impl Studio {
    /// An element id unique to this studio.
    pub fn id(&self, name: &str) -> String {
        format!("ths{}-{name}", self.uid)
    }

    pub fn running(&self) -> bool {
        self.run.with(|r| matches!(r, RunState::Running { .. }))
    }

    /// What drives this run's cost, as far as the page knows it now.
    pub fn cost_inputs(&self) -> Option<CostInputs> {
        let measure = |local: RwSignal<Option<LocalState>, LocalStorage>| {
            local.with(|l| match l {
                Some(LocalState::Ready(media)) => Some(Some(media.measure)),
                Some(_) => Some(None),
                None => None,
            })
        };
        let trimmed = self.trim.get().map(|t| t.kept_secs());
        let audio_secs = measure(self.local_audio).map(|whole| trimmed.or(whole)).unwrap_or_else(|| self.voice_secs.get());
        let photo_pixels = measure(self.local_image).flatten().or_else(|| {
            self.face.with(|f| match f {
                FaceCheck::Done(report) => Some(f64::from(report.width) * f64::from(report.height)),
                _ => None,
            })
        });
        self.draft.with(|d| crate::studio::run_rules::cost_inputs(d, audio_secs, photo_pixels))
    }

    /// Whether this page is working on the comparison now.
    pub fn comparing(&self) -> bool {
        self.compare_abort.try_with_value(|a| a.as_ref().is_some_and(|c| !c.signal().aborted())).unwrap_or(false)
    }

    pub fn cancel(&self) {
        if let Some(Some(controller)) = self.abort.try_get_value() {
            controller.abort();
        }
    }
}

pub fn use_studio() -> Studio {
    // Every component here is rendered inside `App`, which provides it.
    expect_context::<Studio>()
}
