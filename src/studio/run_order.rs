//! One run as the page orders it: a new request or a kept job picked up,
//! sent, followed, its answer read and its video kept. Only the run's chunk
//! (`components::run_panel::run_part`, fetched while the page is idle) calls
//! it, so none of this code is in the first load ([`crate::chunks`]).

use std::rc::Rc;

use web_sys::AbortSignal;

use crate::api::endpoint::Endpoint;
use crate::api::error::ApiError;
use crate::api::request::{NormalizedRequest, RequestDraft};
use crate::api::run_settings::RunSettings;
use crate::browser::history::History;
use crate::browser::saved_form::Store;
use crate::net::{Progress, Run};
use crate::studio::run_rules::Start;
use crate::studio::session::{self, Finished, LocalInputs, Plan, RunSize};

pub struct RunOrder {
    pub start: Start,
    /// The checked request and the form that made it (a new run only).
    pub new_request: Option<(NormalizedRequest, RequestDraft)>,
    pub endpoint: Endpoint,
    pub settings: RunSettings,
    pub locals: LocalInputs,
    pub size: Option<RunSize>,
    pub store: Store,
    pub history: Option<History>,
    pub signal: AbortSignal,
    pub timeout_secs: u32,
    pub on_progress: Rc<dyn Fn(Progress)>,
}

impl RunOrder {
    /// Runs: the outcome, or `None` when there was nothing to run.
    pub async fn carry_out(self) -> Option<Result<Finished, ApiError>> {
        let run = Run { signal: Some(&self.signal), timeout_secs: Some(self.timeout_secs), on_progress: &*self.on_progress };
        Some(match (&self.start, &self.new_request) {
            (Start::Resume(job), _) => session::resume(&self.endpoint, job, &self.store, self.history.as_ref(), &run).await,
            (Start::New, Some((request, draft))) => {
                let plan = Plan {
                    endpoint: &self.endpoint,
                    request,
                    draft,
                    mode: self.settings.mode,
                    locals: &self.locals,
                    route: self.settings.input_route,
                    size: self.size,
                };
                session::generate(&plan, &self.store, self.history.as_ref(), &run).await
            }
            (Start::New, None) => return None,
        })
    }
}
