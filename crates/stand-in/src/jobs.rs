//! The asynchronous form: `POST /v2/sadtalker` answers at once with a
//! request id and the URLs to poll; the run goes on in the background and
//! survives the client going away, as the provider's does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{admit, check_key, delay_of, json_error, key_of, marked, render_video, AppState, ReadTarget};

#[derive(Clone)]
pub enum Job {
    Queued,
    Processing,
    Completed { video: Bytes, seconds: f64 },
    Failed(String),
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Where this job's status and result are said to be: here, or the base a
/// test named (another origin).
fn job_base(state: &AppState, headers: &HeaderMap) -> String {
    state.job_base.lock().ok().and_then(|b| b.clone()).unwrap_or_else(|| base_url(headers))
}


/// A queued read fault, as the answer to give instead (and recorded).
fn faulted(state: &AppState, headers: &HeaderMap, target: ReadTarget, path: &str) -> Option<Response> {
    let failure = state.read_fault(target)?;
    let response = if failure.status == 200 {
        super::failure::dropped_answer(StatusCode::OK, b"{\"status\":\"PROCESSING\"}".repeat(256))
    } else {
        failure.into_response()
    };
    state.record("GET", path, key_of(headers), response.status(), 0);
    Some(response)
}


fn set(state: &AppState, id: &str, job: Job) {
    if let Ok(mut jobs) = state.jobs.lock() {
        jobs.insert(id.to_string(), job);
    }
}

pub async fn submit(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Ok(mut last) = state.last_body.lock() {
        *last = Some(body.clone());
    }
    let key = key_of(&headers);
    let response = match admit(&state, key, &headers, &body) {
        Err(response) => response,
        Ok((request, spoil)) => {
            let id = format!("stand-in-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
            set(&state, &id, Job::Queued);
            let cut_ticket = spoil.as_ref().is_some_and(|f| f.status == 200 && f.body == super::BodyKind::Dropped);
            let queued_failure = spoil.filter(|f| f.status == 422).map(|f| f.message.unwrap_or_else(|| "The model failed".into()));
            let fail_with = headers.get("x-stand-in-job-fail").and_then(|v| v.to_str().ok()).map(str::to_string).or(queued_failure);
            let delay = delay_of(&state, &headers);
            let worker = state.clone();
            let job_id = id.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                tokio::time::sleep(delay / 4).await;
                set(&worker, &job_id, Job::Processing);
                let outcome = match fail_with {
                    Some(message) => {
                        tokio::time::sleep(delay / 2).await;
                        Job::Failed(message)
                    }
                    None => match render_video(&worker, &request, delay * 3 / 4).await {
                        Ok(video) => Job::Completed { video: Bytes::from(video), seconds: started.elapsed().as_secs_f64() },
                        Err(_) => Job::Failed("The model could not process these inputs".into()),
                    },
                };
                set(&worker, &job_id, outcome);
            });
            let base = job_base(&state, &headers);
            let ticket = serde_json::json!({
                "request_id": id,
                "status_url": format!("{base}/v2/requests/{id}/status"),
                "response_url": format!("{base}/v2/requests/{id}"),
            });
            if cut_ticket {
                super::failure::dropped_answer(StatusCode::OK, ticket.to_string().into_bytes())
            } else {
                Json(ticket).into_response()
            }
        }
    };
    state.record("POST", "/v2/sadtalker", key, response.status(), body.len());
    marked(response, &state)
}

#[allow(clippy::result_large_err)] // the error is the answer to give
fn lookup(state: &AppState, headers: &HeaderMap, id: &str) -> Result<Job, Response> {
    check_key(state, key_of(headers))?;
    state
        .jobs
        .lock()
        .ok()
        .and_then(|jobs| jobs.get(id).cloned())
        .ok_or_else(|| json_error(StatusCode::NOT_FOUND, format!("Unknown request_id {id}")))
}

fn failed(message: &str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(serde_json::json!({ "status": "FAILED", "error": message }))).into_response()
}

pub async fn status(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(response) = faulted(&state, &headers, ReadTarget::Status, "/v2/requests/{id}/status") {
        return marked(response, &state);
    }
    let response = match lookup(&state, &headers, &id) {
        Err(response) => response,
        Ok(Job::Failed(message)) => failed(&message),
        Ok(job) => {
            let status = match job {
                Job::Queued => "QUEUED",
                Job::Processing => "PROCESSING",
                _ => "COMPLETED",
            };
            Json(serde_json::json!({ "status": status })).into_response()
        }
    };
    state.record("GET", "/v2/requests/{id}/status", key_of(&headers), response.status(), 0);
    marked(response, &state)
}

pub async fn response(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(response) = faulted(&state, &headers, ReadTarget::Result, "/v2/requests/{id}") {
        return marked(response, &state);
    }
    let response = match lookup(&state, &headers, &id) {
        Err(response) => response,
        Ok(Job::Failed(message)) => failed(&message),
        Ok(Job::Completed { seconds, .. }) => Json(serde_json::json!({
            "status": "COMPLETED",
            "metrics": { "inference_time": seconds },
            "output": format!("{}/v2/requests/{id}/video", job_base(&state, &headers)),
        }))
        .into_response(),
        Ok(_) => Json(serde_json::json!({ "status": "PROCESSING" })).into_response(),
    };
    state.record("GET", "/v2/requests/{id}", key_of(&headers), response.status(), 0);
    marked(response, &state)
}

/// The finished video, like a CDN link: no key needed.
pub async fn video(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let job = state.jobs.lock().ok().and_then(|jobs| jobs.get(&id).cloned());
    let fault = state.read_fault(ReadTarget::Video);
    let response = match (job, fault) {
        (Some(Job::Completed { video, .. }), Some(f)) if f.status == 200 => super::failure::dropped_answer(StatusCode::OK, video.to_vec()),
        (_, Some(f)) => f.into_response(),
        (Some(Job::Completed { video, .. }), None) => ([(header::CONTENT_TYPE, "video/mp4")], video).into_response(),
        _ => json_error(StatusCode::NOT_FOUND, "No finished video for this request_id"),
    };
    state.record("GET", "/v2/requests/{id}/video", key_of(&headers), response.status(), 0);
    marked(response, &state)
}
