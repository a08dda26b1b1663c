//! Generate, the wait, and what came back: the video or a plain explanation.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortController;

use super::controls::Checked;
use crate::api_error::ApiError;
use crate::endpoint::{Endpoint, EndpointError, EndpointKind};
use crate::estimate;
use crate::object_url::ObjectUrl;
use crate::request::SadTalkerRequest;
use crate::transport;

/// A finished video, with the settings that made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub url: ObjectUrl,
    pub request: SadTalkerRequest,
    pub remaining_credits: Option<String>,
    pub from_stand_in: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    Idle,
    Running { started_ms: f64 },
    Succeeded(Finished),
    Failed(ApiError),
}

/// Today as YYYY-MM-DD, for file names.
fn today() -> String {
    String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect()
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

#[component]
pub fn RunPanel(checked: Checked, resolved: Memo<Result<Endpoint, EndpointError>>) -> impl IntoView {
    let run = RwSignal::new(RunState::Idle);
    let abort = StoredValue::new_local(None::<AbortController>);
    let now = RwSignal::new(0.0);
    let running = move || matches!(run.get(), RunState::Running { .. });
    let can_send = move || checked.with(Result::is_ok) && resolved.with(Result::is_ok) && !running();

    // Ticks the elapsed time; cheap enough to leave running.
    if let Ok(handle) = set_interval_with_handle(move || now.set(now_ms()), Duration::from_millis(250)) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(move || {
        if let Some(Some(controller)) = abort.try_get_value() {
            controller.abort();
        }
    });

    let generate = move |_| {
        let (Ok(request), Ok(endpoint)) = (checked.get_untracked(), resolved.get_untracked()) else { return };
        let Ok(controller) = AbortController::new() else { return };
        let signal = controller.signal();
        abort.set_value(Some(controller));
        let started_ms = now_ms();
        now.set(started_ms);
        run.set(RunState::Running { started_ms });
        spawn_local(async move {
            let outcome = transport::generate(&endpoint, &request, Some(&signal)).await.and_then(|video| {
                let url = ObjectUrl::new(&video.blob).ok_or(ApiError::NotAVideo { detail: "the browser could not hold it".into() })?;
                Ok(Finished { url, request, remaining_credits: video.remaining_credits, from_stand_in: video.from_stand_in })
            });
            let _ = abort.try_set_value(None);
            let _ = run.try_set(match outcome {
                Ok(finished) => RunState::Succeeded(finished),
                Err(error) => RunState::Failed(error),
            });
        });
    };
    let cancel = move |_| {
        if let Some(Some(controller)) = abort.try_get_value() {
            controller.abort();
        }
    };

    let estimate_text = move || match resolved.with(|r| r.as_ref().map(|e| e.kind).ok()) {
        Some(EndpointKind::StandIn) => "Local stand-in: free, answers in seconds.".to_string(),
        _ => format!(
            "A run typically takes about {} and costs about ${}.",
            estimate::clock(estimate::TYPICAL_RUN_SECS),
            estimate::TYPICAL_PRICE_USD
        ),
    };
    let blocked_text = move || {
        let problems = checked.with(|c| c.as_ref().err().map_or(0, Vec::len)) + resolved.with(|r| usize::from(r.is_err()));
        (problems > 0 && !running()).then(|| format!("Fix the {problems} marked field(s) to generate."))
    };

    view! {
        <section class="ths-run" aria-live="polite">
            <div class="ths-actions">
                <button type="button" class="ths-generate" data-testid="generate"
                    disabled=move || !can_send() on:click=generate>
                    "Generate video"
                </button>
                <span class="ths-estimate" data-testid="estimate">{estimate_text}</span>
            </div>
            <p class="ths-blocked" data-testid="blocked" hidden=move || blocked_text().is_none()>{blocked_text}</p>
            {move || match run.get() {
                RunState::Idle => ().into_any(),
                RunState::Running { started_ms } => {
                    let elapsed = ((now.get() - started_ms).max(0.0) / 1000.0) as u32;
                    view! {
                        <div class="ths-progress" data-testid="progress">
                            <progress max="100" value=estimate::progress_percent(elapsed).to_string()></progress>
                            <span data-testid="elapsed">{estimate::wait_text(elapsed)}</span>
                            <button type="button" class="ths-cancel" data-testid="cancel" on:click=cancel>"Cancel"</button>
                        </div>
                    }.into_any()
                }
                RunState::Succeeded(finished) => view! { <ResultVideo finished /> }.into_any(),
                RunState::Failed(error) => view! { <FailureMessage error /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ResultVideo(finished: Finished) -> impl IntoView {
    let settings = finished.request.summary();
    let file_name = finished.request.file_name(&today());
    let src = finished.url.as_str().to_string();
    view! {
        <div class="ths-result" data-testid="result">
            <video data-testid="result-video" controls autoplay playsinline src=src.clone()></video>
            <p class="ths-settings-used" data-testid="result-settings">{settings}</p>
            {finished.from_stand_in.then(|| view! {
                <p class="ths-note">"Made by the local stand-in: your portrait and voice joined into a video, not animated."</p>
            })}
            {finished.remaining_credits.map(|c| view! { <p class="ths-note">"Remaining credits: " {c}</p> })}
            <a class="ths-download" data-testid="download" href=src download=file_name>"Download video"</a>
        </div>
    }
}

#[component]
fn FailureMessage(error: ApiError) -> impl IntoView {
    view! {
        <div class="ths-failure" role="alert" data-testid="failure" data-kind=error.kind()>
            <p class="ths-failure-title">{error.to_string()}</p>
            {error.server_message().map(|m| view! {
                <p class="ths-server-message">"The server said: " <q data-testid="server-message">{m.to_string()}</q></p>
            })}
            <p class="ths-next-step" data-testid="next-step">{error.next_step()}</p>
        </div>
    }
}
