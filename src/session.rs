//! One run from the page's point of view: send it the chosen way, remember a
//! job while it runs (so a reload can pick it up), and keep the finished
//! video in the history *before* it is shown.

use crate::api_error::ApiError;
use crate::endpoint::Endpoint;
use crate::local_media::{self, LocalMedia};
use crate::history::{History, HistoryError, HistoryItem};
use crate::object_url::ObjectUrl;
use crate::request::{RequestDraft, SadTalkerRequest};
use crate::run_settings::{InputRoute, RunMode};
use crate::saved_form::{PendingJob, Store};
use crate::transport::{self, Inline, Progress, Run, Video};

/// Local files chosen in place of URLs.
#[derive(Clone, Debug, Default)]
pub struct LocalInputs {
    pub image: Option<LocalMedia>,
    pub audio: Option<LocalMedia>,
}

/// Puts the local files into the request the chosen way: uploaded first
/// (their URLs replace the markers) or inline (spliced into the body).
async fn place_local_inputs(
    endpoint: &Endpoint,
    request: &SadTalkerRequest,
    locals: &LocalInputs,
    route: InputRoute,
    run: &Run<'_>,
) -> Result<(SadTalkerRequest, Inline), ApiError> {
    let unreadable = |e: crate::media::MediaProblem| ApiError::LocalFile { detail: e.to_string() };
    let mut uris = Vec::new();
    for media in [&locals.image, &locals.audio].into_iter().flatten() {
        uris.push(local_media::data_uri(&media.blob).await.map_err(unreadable)?);
    }
    let mut request = request.clone();
    let mut inline = Inline::default();
    if uris.is_empty() {
        return Ok((request, inline));
    }
    match route {
        InputRoute::Upload => {
            let mut urls = transport::upload_assets(endpoint, &uris, run).await?.into_iter();
            if locals.image.is_some() {
                request.input_image = urls.next().unwrap_or_default();
            }
            if locals.audio.is_some() {
                request.input_audio = urls.next().unwrap_or_default();
            }
        }
        InputRoute::Inline => {
            let mut uris = uris.into_iter();
            inline.image = locals.image.as_ref().and_then(|_| uris.next());
            inline.audio = locals.audio.as_ref().and_then(|_| uris.next());
        }
    }
    Ok((request, inline))
}

/// A video ready to show, and what is known about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub url: ObjectUrl,
    pub summary: String,
    pub file_name: String,
    pub remaining_credits: Option<String>,
    pub from_stand_in: bool,
    /// Why it is not in the history, when keeping it failed.
    pub not_kept: Option<HistoryError>,
}

/// Today's date, YYYY-MM-DD, for file names.
fn today() -> String {
    String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect()
}

/// Keeps the video in the history, then makes it showable.
async fn keep(video: Video, request: &SadTalkerRequest, draft: &RequestDraft, history: Option<&History>) -> Result<Finished, ApiError> {
    let summary = request.summary();
    let file_name = request.file_name(&today());
    let not_kept = match history {
        Some(history) => {
            let item = HistoryItem {
                id: js_sys::Date::now(),
                summary: summary.clone(),
                file_name: file_name.clone(),
                draft_json: serde_json::to_string(draft).unwrap_or_default(),
                blob: video.blob.clone(),
            };
            history.save(&item).await.err()
        }
        None => None,
    };
    let url = ObjectUrl::new(&video.blob).ok_or(ApiError::NotAVideo { detail: "the browser could not hold it".into() })?;
    Ok(Finished { url, summary, file_name, remaining_credits: video.remaining_credits, from_stand_in: video.from_stand_in, not_kept })
}

/// Whether a failed job is still worth picking up later (the page lost the
/// network, not the job).
fn keep_job_after(error: &ApiError) -> bool {
    matches!(error, ApiError::Network { .. })
}

/// What to send and how.
pub struct Plan<'a> {
    pub endpoint: &'a Endpoint,
    pub request: &'a SadTalkerRequest,
    /// The form that made it (kept with a job and in the history).
    pub draft: &'a RequestDraft,
    pub mode: RunMode,
    pub locals: &'a LocalInputs,
    pub route: InputRoute,
}

/// Sends the request and keeps the result.
pub async fn generate(plan: &Plan<'_>, store: &Store, history: Option<&History>, run: &Run<'_>) -> Result<Finished, ApiError> {
    let Plan { endpoint, request, draft, mode, locals, route } = *plan;
    let (sent, inline) = place_local_inputs(endpoint, request, locals, route, run).await?;
    let video = match mode {
        RunMode::OneShot => transport::generate_with(endpoint, &sent, &inline, run).await?,
        RunMode::Job => {
            let remember = |progress: Progress| {
                if let Progress::Submitted(ticket) = &progress {
                    let job = PendingJob { ticket: ticket.clone(), draft: draft.clone(), endpoint_kind: endpoint.kind, started_at_ms: js_sys::Date::now() };
                    store.save_job(Some(&job));
                }
                (run.on_progress)(progress);
            };
            let job_run = Run { signal: run.signal, timeout_secs: run.timeout_secs, on_progress: &remember };
            let outcome = transport::generate_job_with(endpoint, &sent, &inline, &job_run).await;
            if !outcome.as_ref().err().is_some_and(keep_job_after) {
                store.save_job(None);
            }
            outcome?
        }
    };
    keep(video, request, draft, history).await
}

/// Picks up a job that was running when the page went away.
pub async fn resume(endpoint: &Endpoint, job: &PendingJob, store: &Store, history: Option<&History>, run: &Run<'_>) -> Result<Finished, ApiError> {
    let request = job.draft.validate().map_err(|_| ApiError::NotAVideo { detail: "the saved job's settings are unreadable".into() })?;
    let outcome = transport::await_job(endpoint, &job.ticket, request.base64, run).await;
    if !outcome.as_ref().err().is_some_and(keep_job_after) {
        store.save_job(None);
    }
    keep(outcome?, &request, &job.draft, history).await
}
