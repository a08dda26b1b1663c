//! Runs a comparison's drafts: sends the queued ones one after another,
//! paced to the account's per-minute limit once a 429 has shown it, and
//! follows every accepted one at the same time. Each step is written to the
//! stored [`Comparison`] as it happens, so a reload carries on from there
//! ([`comparison::on_reload`]).

use std::cell::Cell;
use std::rc::Rc;

use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, Blob};

use crate::api::compare;
use crate::api::endpoint::Endpoint;
use crate::api::money::TicketFate;
use crate::api::request::{Field, RequestDraft};
use crate::api::run_settings::RunMode;
use crate::browser::history::History;
use crate::browser::saved_form::Store;
use crate::media::local::{self, LocalMedia};
use crate::media::trim::Trim;
use crate::media::MediaProblem;
use crate::net::{self, Progress, Run};
use crate::studio::comparison::{self, Comparison, DraftState, OnReload, DRAFT_AUDIO_KEY, DRAFT_AUDIO_NAME, DRAFT_IMAGE_KEY};
use crate::studio::run_rules;
use crate::studio::session::{self, LocalInputs, Plan, RunSize};

/// What every draft of one comparison shares while the page runs it.
pub struct Drafts {
    pub id: f64,
    pub endpoint: Endpoint,
    pub store: Store,
    pub history: Option<History>,
    /// The cut voice (and the local portrait), as sent.
    pub locals: LocalInputs,
    /// Fires on Stop; each draft's reads and sends end with it.
    pub signal: AbortSignal,
    pub timeout_secs: u32,
    /// Told each draft's progress, and whenever the stored comparison changed.
    pub on_progress: Rc<dyn Fn(usize, Progress)>,
    pub on_change: Rc<dyn Fn()>,
}

impl Drafts {
    fn update(&self, change: impl FnOnce(&mut Comparison)) -> Option<Comparison> {
        let updated = self.store.update_comparison(self.id, change);
        (self.on_change)();
        updated
    }

    fn set_state(&self, index: usize, state: DraftState) {
        self.update(|c| {
            if let Some(draft) = c.drafts.get_mut(index) {
                draft.state = state;
            }
        });
    }

    fn state_of(&self, index: usize) -> Option<DraftState> {
        self.store.load_comparison().filter(|c| c.id == self.id)?.drafts.get(index).map(|d| d.state.clone())
    }
}

/// The cut voice the drafts speak: `draft_secs` from `from_secs` of `voice`.
pub async fn cut_voice(voice: &LocalMedia, from_secs: f64, draft_secs: f64) -> Result<Blob, MediaProblem> {
    let stretch = Trim { start: from_secs, end: from_secs + draft_secs }.within(voice.measure);
    local::cut(voice, stretch).await
}

/// Keeps the comparison's own inputs for a reload (best effort: without
/// them a reload shows the comparison but cannot send its queued drafts).
pub async fn keep_inputs(history: Option<&History>, audio: &Blob, image: Option<&LocalMedia>) {
    let Some(history) = history else { return };
    let _ = history.save_input(DRAFT_AUDIO_KEY, audio, DRAFT_AUDIO_NAME).await;
    match image {
        Some(image) => {
            let _ = history.save_input(DRAFT_IMAGE_KEY, &image.blob, &image.name).await;
        }
        None => history.delete_input(DRAFT_IMAGE_KEY).await,
    }
}

/// The comparison's inputs as kept by [`keep_inputs`].
pub async fn load_inputs(history: Option<&History>, comparison: &Comparison) -> Option<LocalInputs> {
    let history = history?;
    let (audio, name) = history.load_input(DRAFT_AUDIO_KEY).await?;
    let audio = local::load_audio(&audio, &name).await.ok()?;
    let image = if comparison.local_image {
        let (image, name) = history.load_input(DRAFT_IMAGE_KEY).await?;
        Some(local::load_image(&image, &name).await.ok()?)
    } else {
        None
    };
    Some(LocalInputs { image, audio: Some(audio), trim: None })
}

/// The form each draft is kept with in the history ("Reuse settings" gives its variant).
fn form_of(comparison: &Comparison, index: usize) -> RequestDraft {
    let mut form = comparison.base.clone();
    if let Some(draft) = comparison.drafts.get(index) {
        let v = draft.variant;
        form.set_text(Field::PoseStyle, v.pose_style.to_string());
        form.set_text(Field::ExpressionScale, compare::scale_text(v.expression_scale));
        form.set_text(Field::Preprocess, v.preprocess.as_str().to_string());
        form.set_text(Field::ImageSize, v.image_size.pixels().to_string());
        form.enhancer = v.enhancer;
    }
    form
}

/// Carries a comparison on: follows what runs, sends what is queued. Call
/// it once per comparison per page (after [`reopen`] on a reload).
pub async fn go_on(drafts: Rc<Drafts>) {
    let Some(comparison) = drafts.store.load_comparison().filter(|c| c.id == drafts.id) else { return };
    for (index, draft) in comparison.drafts.iter().enumerate() {
        if let DraftState::Running { job } = &draft.state {
            spawn_local(follow(drafts.clone(), index, job.clone()));
        }
    }
    if drafts.locals.audio.is_none() {
        // The cut voice was not kept: what runs is followed, nothing new is sent.
        return;
    }
    // When each accepted draft was sent, and the limit a 429 showed.
    let sent_at: Rc<std::cell::RefCell<Vec<f64>>> = Rc::default();
    let limit: Rc<Cell<Option<u32>>> = Rc::default();
    let pause = Run { signal: Some(&drafts.signal), timeout_secs: None, on_progress: &|_| {} };
    loop {
        let Some(comparison) = drafts.store.load_comparison().filter(|c| c.id == drafts.id) else { return };
        let now_ms = js_sys::Date::now();
        let Some((index, retry_after_secs)) = comparison.next_queued(now_ms) else { return };
        let paced_secs = compare::next_submission_in(&sent_at.borrow(), now_ms / 1000.0, limit.get());
        let wait_secs = retry_after_secs.max(paced_secs);
        if wait_secs > 0.0 {
            (drafts.on_progress)(index, Progress::Paced { secs_left: wait_secs.ceil() as u32 });
            if pause.sleep_ms((wait_secs * 1000.0).ceil() as i32).await.is_err() {
                return;
            }
            continue;
        }
        if drafts.signal.aborted() {
            return;
        }
        send(&drafts, &comparison, index, &sent_at, &limit).await;
    }
}

/// Sends draft `index`; its state follows each step (a 429's wait puts it
/// back in the queue: it was not started).
async fn send(drafts: &Rc<Drafts>, comparison: &Comparison, index: usize, sent_at: &Rc<std::cell::RefCell<Vec<f64>>>, limit: &Rc<Cell<Option<u32>>>) {
    let Some(request) = comparison.request_for(index) else { return };
    let form = form_of(comparison, index);
    // It becomes `Sending` only as the paid request goes (`Progress::Waiting`):
    // uploading the inputs first costs nothing.
    let on_progress = {
        let (drafts, sent_at, limit) = (drafts.clone(), sent_at.clone(), limit.clone());
        move |progress: Progress| {
            match &progress {
                Progress::Waiting => drafts.set_state(index, DraftState::Sending),
                Progress::RetryingIn { secs_left, attempt: 1.., .. } => {
                    // Refused before the model ran: back in the queue until the wait is over.
                    let not_before_ms = js_sys::Date::now() + f64::from(*secs_left) * 1000.0;
                    drafts.set_state(index, DraftState::Queued { not_before_ms });
                    let now = js_sys::Date::now() / 1000.0;
                    let recent = sent_at.borrow().iter().filter(|t| now - **t < 60.0).count() as u32;
                    limit.set(Some(recent.max(1)));
                }
                // The grid shows a draft once it is kept: nothing here to wait for.
                Progress::Arrived { shown, .. } => shown.shown(),
                _ => {}
            }
            (drafts.on_progress)(index, progress);
        }
    };
    let signal = net::signal_with_timeout(&drafts.signal, drafts.timeout_secs);
    let run = Run { signal: Some(&signal), timeout_secs: Some(drafts.timeout_secs), on_progress: &on_progress };
    let plan = Plan { endpoint: &drafts.endpoint, request: &request, draft: &form, mode: RunMode::Job, locals: &drafts.locals, route: comparison.route, size: None };
    match session::submit(&plan, &run).await {
        Ok(job) => {
            sent_at.borrow_mut().push(js_sys::Date::now() / 1000.0);
            drafts.set_state(index, DraftState::Running { job: job.clone() });
            (drafts.on_progress)(index, Progress::Submitted(job.ticket.clone()));
            spawn_local(follow(drafts.clone(), index, job));
        }
        Err(error) => {
            let state = drafts.state_of(index);
            drafts.set_state(index, comparison::after_send_failure(state.as_ref(), &error, drafts.endpoint.kind.is_free()));
        }
    }
}

/// Follows draft `index`'s job until it ends; its ticket goes only as the money rules say.
async fn follow(drafts: Rc<Drafts>, index: usize, job: crate::browser::saved_form::PendingJob) {
    let Some(comparison) = drafts.store.load_comparison().filter(|c| c.id == drafts.id) else { return };
    let on_progress = {
        let drafts = drafts.clone();
        move |progress: Progress| (drafts.on_progress)(index, progress)
    };
    let signal = net::signal_with_timeout(&drafts.signal, drafts.timeout_secs);
    let run = Run { signal: Some(&signal), timeout_secs: Some(drafts.timeout_secs), on_progress: &on_progress };
    let photo_pixels = drafts.locals.image.as_ref().map(|m| m.measure);
    let size = RunSize { audio_secs: comparison.draft_secs, photo_pixels };
    let (finished, fate) = session::follow_job(&drafts.endpoint, &job, drafts.history.as_ref(), &run, Some(size), Some(comparison.draft_secs)).await;
    let state = match (finished, fate) {
        (Ok(finished), TicketFate::Drop) => DraftState::Done { history_id: finished.history_id.unwrap_or(0.0) },
        (Err(error), TicketFate::Drop) => DraftState::Failed { message: comparison::failure_text(&error, run_rules::retry_offer(&error, false), drafts.endpoint.kind.is_free()) },
        // Kept: a reload (or "Go on") follows it again.
        (_, TicketFate::Keep) => return (drafts.on_change)(),
    };
    drafts.set_state(index, state);
}

/// On opening the page: applies the reload table to a stored comparison
/// (a draft caught mid-send is never sent again by itself) and says whether
/// anything is left to send or follow.
pub fn reopen(store: &Store) -> Option<(Comparison, bool)> {
    let mut comparison = store.load_comparison()?;
    let mut goes_on = false;
    for draft in &mut comparison.drafts {
        let (action, state) = comparison::on_reload(&draft.state);
        draft.state = state;
        goes_on |= matches!(action, OnReload::Send | OnReload::Follow);
    }
    store.save_comparison(Some(&comparison));
    Some((comparison, goes_on))
}

/// Reads a voice address into the page for cutting (its server must allow it: CORS).
pub async fn fetch_voice(uri: &str) -> Result<LocalMedia, MediaProblem> {
    let refused = || MediaProblem::Browser("the voice's server does not let other pages read it (CORS)".into());
    let window = web_sys::window().ok_or_else(refused)?;
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(uri)).await.map_err(|_| refused())?.dyn_into().map_err(|_| refused())?;
    if !response.ok() {
        return Err(MediaProblem::Browser(format!("the voice's address answered {}", response.status())));
    }
    let blob: Blob = wasm_bindgen_futures::JsFuture::from(response.blob().map_err(|_| refused())?).await.map_err(|_| refused())?.dyn_into().map_err(|_| refused())?;
    local::load_audio(&blob, uri.rsplit('/').next().unwrap_or("voice")).await
}

