//! One run as the page orders it, owned whole so it can cross into the
//! wasm chunk that holds the run's code (sending, following, reading the
//! answer, keeping the video): that code is fetched on the first Generate or
//! pick-up, not with the page ([`crate::chunks`]).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use web_sys::AbortSignal;

use crate::api::endpoint::Endpoint;
use crate::api::error::ApiError;
use crate::api::request::{NormalizedRequest, RequestDraft};
use crate::api::run_settings::RunSettings;
use crate::browser::history::History;
use crate::browser::saved_form::Store;
use crate::chunks::split_point;
use crate::net::{Progress, Run};
use crate::studio::run_rules::Start;
use crate::studio::session::{self, Finished, LocalInputs, Plan, RunSize};

/// What a run's future gives: its outcome, or `None` when there was nothing to run.
pub type Running = Pin<Box<dyn Future<Output = Option<Result<Finished, ApiError>>>>>;

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
    async fn carry_out(self) -> Option<Result<Finished, ApiError>> {
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

    /// Fetches the run's code if need be, then runs. Without its code nothing
    /// was sent, and a job's ticket stays kept ([`ApiError::PageIncomplete`]).
    pub async fn run(self) -> Option<Result<Finished, ApiError>> {
        match run_part(self).await {
            Ok(running) => running.await,
            Err(_) => Some(Err(ApiError::PageIncomplete)),
        }
    }
}

split_point! {
    preload pub fetch_run_part;
    fn run_part(order: RunOrder) -> Running {
        Box::pin(order.carry_out())
    }
}
