//! Generate (with the run's estimate, what blocks it, a saved job to pick
//! up) and starting a run; what the run shows is `run_outcome`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{AbortController, AbortSignal};

use super::later::later;
use crate::chunks::split_point;
use super::run_outcome::outcome_part;
use super::studio::{use_studio, LocalState, RunState, Studio};
use crate::api::endpoint::{Endpoint, EndpointKind};
use crate::api::error::ApiError;
use crate::api::request::{NormalizedRequest, RequestDraft};
use crate::api::run_settings::RunSettings;
use crate::api::{estimate, run_cost};
use crate::api::run_settings::DEFAULT_TIMEOUT_SECS;
use crate::browser::notify;
use crate::browser::saved_form::Store;
use crate::net::{self, Progress};
use crate::studio::run_rules::{self, Start};
use crate::studio::run_order::RunOrder;
use crate::studio::session::{self, LocalInputs};

/// Starts a run (or picks up a saved job) and wires its outcome to the studio.
pub fn start_run(studio: Studio, start: Start) {
    let page_origin = studio.page_origin.get_value();
    let resolved = studio.resolved.with_untracked(|current| studio.endpoint.with_untracked(|settings| start.endpoint(current, settings, &page_origin)));
    let Ok(endpoint) = resolved else { return };
    let settings = studio.run_settings.get_untracked();
    let cost = untrack(|| studio.cost_inputs());
    let timeout_secs = settings.timeout().unwrap_or(DEFAULT_TIMEOUT_SECS);
    let new_request = match &start {
        Start::New => match studio.checked.get_untracked() {
            Ok(request) => Some((request, studio.draft.get_untracked())),
            Err(_) => return,
        },
        Start::Resume(_) => None,
    };
    let ready = |local: Option<LocalState>| match local {
        Some(LocalState::Ready(media)) => Some(media),
        _ => None,
    };
    let locals = LocalInputs {
        image: ready(studio.local_image.get_untracked()),
        audio: ready(studio.local_audio.get_untracked()),
        trim: studio.trim.get_untracked(),
    };
    let Ok(controller) = AbortController::new() else { return };
    let signal = net::signal_with_timeout(&controller.signal(), timeout_secs);
    studio.abort.set_value(Some(controller));
    let started_ms = start.started_ms(js_sys::Date::now());
    studio.progress.set(None);
    studio.job_id.set(start.job_id());
    studio.job_kept.set(matches!(start, Start::Resume(_)) && studio.store.with_value(Store::load_job).is_some());
    // Running from here on, so Generate is off before anything is sent.
    studio.run.set(RunState::Running { started_ms });
    let size = cost.map(|c| session::RunSize { audio_secs: c.audio_secs, photo_pixels: c.photo_pixels });
    let prepared = PreparedRun { start, new_request, endpoint, settings, locals, size, signal, timeout_secs };
    spawn_local(async move {
        match run_part(studio, prepared).await {
            Ok(running) => running.await,
            // Without the run's code nothing was sent, and a kept job's ticket stays kept.
            Err(_) => {
                let _ = studio.abort.try_set_value(None);
                let _ = studio.run.try_set(RunState::Failed(ApiError::PageIncomplete));
            }
        }
    });
}

/// A run as Generate or a pick-up leaves it, moved whole into the run's chunk.
struct PreparedRun {
    start: Start,
    new_request: Option<(NormalizedRequest, RequestDraft)>,
    endpoint: Endpoint,
    settings: RunSettings,
    locals: LocalInputs,
    size: Option<session::RunSize>,
    signal: AbortSignal,
    timeout_secs: u32,
}

split_point! {
    preload pub fetch_run_part;
    /// The run's code (sending, following, reading the answer, keeping the
    /// video, and what that changes in the studio): fetched while the page is
    /// idle, so Generate does not wait for it.
    fn run_part(studio: Studio, prepared: PreparedRun) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(follow(studio, prepared))
    }
}

/// Carries a prepared run out and shows its progress and outcome.
async fn follow(studio: Studio, prepared: PreparedRun) {
    let (progress, job_id, job_kept, store_value) = (studio.progress, studio.job_id, studio.job_kept, studio.store);
    let on_progress = move |p: Progress| {
        if let Progress::Submitted(ticket) = &p {
            let _ = job_id.try_set(Some(ticket.request_id.clone()));
            // Read back: "safe to reload" only when the ticket is really stored.
            let stored = store_value.try_with_value(|s| s.load_job().is_some_and(|j| j.ticket == *ticket)).unwrap_or(false);
            let _ = job_kept.try_set(stored);
        }
        let _ = progress.try_set(Some(p));
    };
    let (Some(store), Some(history)) = (studio.store.try_get_value(), studio.history.try_get_value()) else { return };
    let PreparedRun { start, new_request, endpoint, settings, locals, size, signal, timeout_secs } = prepared;
    let order = RunOrder { start, new_request, endpoint, settings, locals, size, store, history, signal, timeout_secs, on_progress: Rc::new(on_progress) };
    let Some(outcome) = order.carry_out().await else { return };
    let _ = studio.abort.try_set_value(None);
    let _ = studio.job_version.try_update(|v| *v += 1);
    if let Ok(finished) = &outcome {
        let _ = studio.history_version.try_update(|v| *v += 1);
        if let Some(balance) = run_rules::balance_reported(finished.remaining_credits.as_deref()) {
            let _ = studio.credits.try_set(Some(Ok(balance)));
        }
    }
    let _ = studio.run.try_set(match outcome {
        Ok(finished) => RunState::Succeeded(finished),
        Err(error) => RunState::Failed(error),
    });
}

split_point! {
    /// The stored job's notice (Keep following, Forget): its code comes only when a job is kept.
    fn pending_part(studio: Studio) -> AnyView {
        pending_job_view(studio).into_any()
    }
}

/// The stored job, with what stands in the way of picking it up. Drawn only
/// while a job is kept and no run goes on (`job_waiting` in [`RunPanel`]);
/// redrawn when the kept job changes.
fn pending_job_view(studio: Studio) -> impl IntoView {
    move || {
        studio.job_version.track();
        let job = studio.store.with_value(Store::load_job)?;
        let page_origin = studio.page_origin.get_value();
        let run_rules::SavedJobNotice { text, problem, expired } =
            studio.endpoint.with(|settings| run_rules::saved_job_notice(&job, settings, &page_origin, js_sys::Date::now()));
        let resume_job = job;
        Some(view! {
            <div class="ths-note" data-testid="pending-job">
                <p>{text}</p>
                {problem.clone().map(|p| view! { <p class="ths-warning" data-testid="pending-job-problem">"To pick it up: " {p}</p> })}
                <button type="button" data-testid="resume-job" hidden=expired disabled=problem.is_some()
                    on:click=move |_| start_run(studio, Start::Resume(Box::new(resume_job.clone())))>
                    "Keep following it"
                </button>
                " "
                <button type="button" data-testid="forget-job" on:click=move |_| {
                    studio.store.with_value(session::forget_job);
                    studio.job_version.update(|v| *v += 1);
                    if studio.run.with_untracked(|r| matches!(r, RunState::Failed(_))) {
                        studio.run.set(RunState::Idle);
                    }
                }>
                    "Forget this job"
                </button>
            </div>
        })
    }
}

#[component]
pub fn RunPanel() -> impl IntoView {
    let studio = use_studio();
    let (checked, resolved, run) = (studio.checked, studio.resolved, studio.run);
    // Changes when the first run starts (or a saved job is picked up), and when "Forget" clears a failure.
    let active = Memo::new(move |_| run.with(|r| !matches!(r, RunState::Idle)));
    // A kept job waits while no run is going on.
    let job_waiting = Memo::new(move |_| {
        studio.job_version.track();
        !studio.running() && studio.store.with_value(|s| s.load_job().is_some())
    });
    let timeout_ok = move || studio.run_settings.with(|r| r.timeout().is_ok());
    let can_send = move || checked.with(Result::is_ok) && resolved.with(Result::is_ok) && timeout_ok() && !studio.running();

    // This run's estimate, once the clip's length is known; it learns from the history.
    let estimate_for = move |on_stand_in: bool| {
        studio.cost_inputs().map(|inputs| studio.past_runs.with(|kept| run_cost::estimate(&inputs, &run_rules::runs_for(kept, on_stand_in))))
    };
    let cost = Memo::new(move |_| estimate_for(false));
    let estimate_text = move || match resolved.with(|r| r.as_ref().map(|e| e.kind).ok()) {
        Some(EndpointKind::StandIn) => match (estimate_for(true), cost.get()) {
            (Some(here), Some(model)) => format!("Local stand-in: free, {}. On the real model: {}", here.time_text(), model.text()),
            _ => "Local stand-in: free, answers in seconds.".to_string(),
        },
        _ => cost.get().map(|c| c.text()).unwrap_or_else(|| {
            format!(
                "A typical run takes about {} and costs about ${}; the estimate follows your clip once its length is known.",
                estimate::clock(estimate::TYPICAL_RUN_SECS),
                estimate::TYPICAL_PRICE_USD
            )
        }),
    };
    let low_balance = move || {
        let (covered, needed) = match cost.get() {
            Some(c) => (studio.credits.with(|b| matches!(b, Some(Ok(b)) if c.covered_by(b.total()))), run_cost::dollars(c.usd.1)),
            None => (studio.credits.with(|b| matches!(b, Some(Ok(b)) if estimate::covers_a_run(b.total()))), format!("${}", estimate::TYPICAL_PRICE_USD)),
        };
        studio.credits.with(|c| match c {
            Some(Ok(credits)) if !covered => Some(format!(
                "Your balance ({} credits) does not cover a run like this (up to {needed}): top up first, or it will fail with 406.",
                estimate::credits_text(credits.total()),
            )),
            _ => None,
        })
    };
    let blocked_text = move || {
        let problems = checked.with(|c| c.as_ref().err().map_or(0, Vec::len))
            + usize::from(resolved.with(Result::is_err))
            + usize::from(!timeout_ok());
        (problems > 0 && !studio.running()).then(|| format!("Fix the {problems} marked field(s) to generate."))
    };

    view! {
        <section class="ths-run" aria-live="polite">
            <div class="ths-actions">
                <button type="button" class="ths-generate" data-testid="generate" disabled=move || !can_send()
                    on:click=move |_| start_run(studio, Start::New)>
                    "Generate video"
                </button>
                <span class="ths-estimate" data-testid="estimate">{estimate_text}</span>
            </div>
            {notify_choice(studio)}
            <p class="ths-warning" data-testid="low-balance" hidden=move || low_balance().is_none()>{low_balance}</p>
            <p class="ths-blocked" data-testid="blocked" hidden=move || blocked_text().is_none()>{blocked_text}</p>
            {move || job_waiting.get().then(|| later(move || pending_part(studio)))}
            // What a run shows (its progress, its video, or why it failed) comes with its own code, once there is a run.
            {move || active.get().then(|| later(move || outcome_part(studio)))}
        </section>
    }
}

/// "Tell me when it is done": a browser notification, asked for once ticked.
fn notify_choice(studio: Studio) -> impl IntoView {
    view! {
        <label class="ths-toggle">
            <input type="checkbox" data-testid="notify" prop:checked=move || studio.notify.get()
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    studio.notify.set(on);
                    if on {
                        spawn_local(async move { if !notify::ask().await { let _ = studio.notify.try_set(false); } });
                    }
                } />
            " Tell me when a run or the drafts are done (a browser notification, when this tab is hidden)"
        </label>
    }
}
