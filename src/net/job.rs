//! Following a v2 job until it can no longer deliver. Reading its status or
//! result is free, so every read that fails is asked again (as
//! [`money::after_read_failure`] says) instead of ending the run; a finished
//! job whose download broke is downloaded again, never submitted again.

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::{base64_body, body, not_a_video, send, Outgoing, Progress, Run, Video};
use crate::api::answer::{self, JobState, JobTicket};
use crate::api::error::ApiError;
use crate::api::endpoint::{Endpoint, EndpointKind};
use crate::browser::json_doc::JsonDoc;
use crate::api::money::{self, ReadDecision};

/// What one status read said.
enum Reading {
    Going(JobState),
    Done,
}

/// Follows a job from its ticket (also one picked up after a reload) to its
/// video. `started_at_ms` is when it was submitted: results expire an hour
/// later, and the polling slows as the job ages.
pub async fn follow_job(endpoint: &Endpoint, ticket: &JobTicket, asked_for_base64: bool, started_at_ms: f64, run: &Run<'_>) -> Result<Video, ApiError> {
    let age = || ((js_sys::Date::now() - started_at_ms) / 1000.0).max(0.0);
    let mut failures = 0;
    loop {
        if !money::job_can_deliver(age()) {
            return Err(ApiError::JobExpired);
        }
        let outcome = match read_status(endpoint, ticket, run).await {
            Ok(Reading::Done) => match fetch_result(endpoint, ticket, asked_for_base64, run).await {
                Ok(video) => return Ok(video),
                Err(error) => Err(error),
            },
            Ok(Reading::Going(state)) => Ok(state),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(state) => {
                failures = 0;
                run.progress(match state {
                    JobState::Queued => Progress::Queued,
                    _ => Progress::Processing,
                });
                run.sleep_ms(money::poll_interval_ms(age())).await?;
            }
            Err(ApiError::JobFailed { message }) => return Err(ApiError::JobFailed { message }),
            Err(error) => match money::after_read_failure(&error, failures, age()) {
                ReadDecision::RetryAfter { secs } => {
                    failures += 1;
                    let (request_id, reason) = (ticket.request_id.clone(), error.to_string());
                    run.count_down(secs, |secs_left| Progress::Trouble { request_id: request_id.clone(), secs_left, reason: reason.clone() })
                        .await?;
                }
                ReadDecision::Stop if !money::job_can_deliver(age()) => return Err(ApiError::JobExpired),
                ReadDecision::Stop => return Err(error),
            },
        }
    }
}

/// One status read. A body naming a final state is the answer whatever the
/// HTTP status (a FAILED job comes with 422).
async fn read_status(endpoint: &Endpoint, ticket: &JobTicket, run: &Run<'_>) -> Result<Reading, ApiError> {
    let answer = send(endpoint, Outgoing { url: &ticket.status_url, method: "GET", body: None }, run).await?;
    let status = answer.response.status();
    if !answer.ok() && status != 422 {
        return Err(answer.error(run).await);
    }
    let text = body::read_capped(&answer.response, run).await?;
    match JsonDoc::parse(&text).and_then(|doc| JobState::from_doc(&doc)) {
        Some(JobState::Completed) => Ok(Reading::Done),
        Some(JobState::Failed(message)) => Err(ApiError::JobFailed { message }),
        Some(state) => Ok(Reading::Going(state)),
        None => Err(not_a_video("the job status answer named no status")),
    }
}

/// The finished job's video: its result (`response_url`), then the video
/// itself when the result is a link to it.
async fn fetch_result(endpoint: &Endpoint, ticket: &JobTicket, asked_for_base64: bool, run: &Run<'_>) -> Result<Video, ApiError> {
    let answer = send(endpoint, Outgoing { url: &ticket.response_url, method: "GET", body: None }, run).await?;
    if !answer.ok() && answer.response.status() != 422 {
        return Err(answer.error(run).await);
    }
    // Parsed by the browser: `output` may be tens of MB of base64.
    let promise = answer.response.json().map_err(|e| super::network(&e))?;
    let json = run.wait(promise).await.map_err(body::broken_if_cut)?;
    let member = |key: &str| Reflect::get(&json, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    if let Some(JobState::Failed(message)) = member("status").and_then(|s| JobState::from_parts(&s, member("error"))) {
        return Err(ApiError::JobFailed { message });
    }
    let output = Reflect::get(&json, &JsValue::from_str("output"))
        .ok()
        .and_then(|o| o.dyn_into::<JsString>().ok())
        .ok_or_else(|| not_a_video("the finished job has no output"))?;
    let prefix = String::from(output.slice(0, 16));
    if answer::output_is_link(&prefix) {
        // A link to the finished file (often a CDN): the key goes with it
        // only if it is on the endpoint's own origin.
        let link = String::from(output);
        let video = send(endpoint, Outgoing { url: &link, method: "GET", body: None }, run).await?;
        if !video.ok() {
            return Err(video.error(run).await);
        }
        return body::video_of(&video.response, asked_for_base64, endpoint, run).await.map_err(body::broken_if_cut);
    }
    let blob = body::checked_video(base64_body::base64_blob(&output).await?).await?;
    Ok(Video { blob, remaining_credits: None, credits_consumed: None, from_stand_in: endpoint.kind == EndpointKind::StandIn })
}
