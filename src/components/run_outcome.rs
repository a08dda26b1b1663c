//! What a run shows once there is one: its progress (stage, elapsed time,
//! Cancel), the video (playable as soon as it arrives, then with what was
//! used and the download), or a plain explanation with the next step. Its
//! code is a part of its own, fetched while the page is idle (and by the
//! first run or a picked-up job, if it is not here yet).

use std::time::Duration;

use leptos::prelude::*;

use super::run_panel::start_run;
use super::studio::{RunState, Studio};
use crate::api::error::ApiError;
use crate::api::estimate;
use crate::browser::first_frame::FirstFrame;
use crate::browser::saved_form::Store;
use crate::chunks::split_point;
use crate::net::Progress;
use crate::studio::run_rules::{self, Start};
use crate::studio::session::Finished;

split_point! {
    preload pub fetch_outcome_part;
    pub fn outcome_part(studio: Studio) -> AnyView {
        outcome(studio).into_any()
    }
}

/// The run's state as a view, following `studio.run`.
fn outcome(studio: Studio) -> impl IntoView {
    let run = studio.run;
    let now = RwSignal::new(js_sys::Date::now());
    // Ticks the elapsed time; cheap enough to leave running.
    if let Ok(handle) = set_interval_with_handle(move || now.set(js_sys::Date::now()), Duration::from_millis(250)) {
        on_cleanup(move || handle.clear());
    }
    // The video, once it is here (shown while it is kept); changes once per run.
    let arrived = Memo::new(move |_| studio.progress.with(|p| match p {
        Some(Progress::Arrived { url, shown }) => Some((url.clone(), shown.clone())),
        _ => None,
    }));
    move || match run.get() {
        RunState::Idle => ().into_any(),
        // The arrived video and the result are one view type, so the
        // player is updated in place when the video is kept, not reloaded.
        RunState::Running { .. } if arrived.with(Option::is_some) => {
            arrived.get().map(|(url, shown)| video_view(url.as_str().to_string(), Some(shown), None)).into_any()
        }
        // Built once per run: only the parts that change follow the clock.
        RunState::Running { started_ms } => {
            let elapsed = move || ((now.get() - started_ms).max(0.0) / 1000.0) as u32;
            view! {
                <div class="ths-progress" data-testid="progress">
                    <progress max="100" value=move || estimate::progress_percent(elapsed()).to_string()></progress>
                    <span data-testid="elapsed">{move || estimate::wait_text(elapsed())}</span>
                    <span class="ths-stage" data-testid="stage">
                        {move || studio.progress.with(|p| p.as_ref().map_or_else(|| "Starting…".to_string(), Progress::describe))}
                    </span>
                    <button type="button" class="ths-cancel" data-testid="cancel" on:click=move |_| studio.cancel()>
                        {move || if studio.job_id.with(Option::is_some) { "Stop following" } else { "Cancel" }}
                    </button>
                    <span class="ths-hint" data-testid="job-id" hidden=move || studio.job_id.with(Option::is_none)>
                        {move || studio.job_id.get().map(|id| if studio.job_kept.get() {
                            format!("Job {id}: safe to reload or close this tab, the page picks it up again.")
                        } else {
                            format!("Job {id}: this page could not store the job, so keep this tab open until the video arrives.")
                        })}
                    </span>
                </div>
            }
            .into_any()
        }
        RunState::Succeeded(finished) => Some(video_view(finished.url.as_str().to_string(), None, Some(finished))).into_any(),
        RunState::Failed(error) => failure_message(studio, error).into_any(),
    }
}

/// The video: playable from the moment it arrives (`finished` is `None`
/// while it is being kept, and the player says on `shown` when its first
/// frame is up, or it failed), then with what was used, the download and what
/// the server said.
fn video_view(src: String, shown: Option<FirstFrame>, finished: Option<Finished>) -> impl IntoView {
    let say_shown = move || {
        if let Some(shown) = &shown {
            shown.shown();
        }
    };
    let on_error = say_shown.clone();
    let kept = finished.is_some();
    let details = finished.map(|finished| view! {
        <p class="ths-settings-used" data-testid="result-settings">{finished.summary}</p>
        <a class="ths-download" data-testid="download" href=src.clone() download=finished.file_name>"Download video"</a>
        {finished.not_kept.map(|e| view! { <p class="ths-warning" data-testid="not-kept">{e.to_string()}</p> })}
        {finished.ticket_kept.then(|| view! {
            <p class="ths-note" data-testid="ticket-kept">"The job is still saved, so reloading this page fetches the video again (free, within an hour of the run)."</p>
        })}
        {finished.from_stand_in.then(|| view! {
            <p class="ths-note">"Made by the local stand-in: your portrait and voice joined into a video, not animated."</p>
        })}
        {finished.remaining_credits.map(|c| view! { <p class="ths-note">"Remaining credits: " {c}</p> })}
    });
    view! {
        <div class="ths-result" data-testid=if kept { "result" } else { "arrived" }>
            <video data-testid=if kept { "result-video" } else { "arrived-video" } controls autoplay playsinline src=src
                on:loadeddata=move |_| say_shown() on:error=move |_| on_error()></video>
            <p class="ths-note" hidden=kept>"The video is here; keeping it in this browser's history…"</p>
            {details}
        </div>
    }
}

fn failure_message(studio: Studio, error: ApiError) -> impl IntoView {
    let job_pending = studio.store.with_value(Store::load_job).is_some();
    let free = studio.resolved.with_untracked(run_rules::is_free);
    let charge = run_rules::retry_offer(&error, job_pending);
    view! {
        <div class="ths-failure" role="alert" data-testid="failure" data-kind=error.kind().as_str()>
            <p class="ths-failure-title" data-testid="failure-title">{error.to_string()}</p>
            {error.server_message().map(|m| view! {
                <p class="ths-server-message">"The server said: " <q data-testid="server-message">{m.to_string()}</q></p>
            })}
            <p class="ths-next-step" data-testid="next-step">{error.next_step()}</p>
            {charge.map(|charge| view! {
                <p>
                    {charge.warning(free).map(|w| view! { <span class="ths-warning" data-testid="charged-warning">{w} " "</span> })}
                    <button type="button" data-testid="retry" on:click=move |_| start_run(studio, Start::New)>"Try again"</button>
                </p>
            })}
        </div>
    }
}

