//! One run from the page's point of view: send it the chosen way, keep a
//! job's ticket while it runs (so a reload can pick it up), keep the finished
//! video in the history, and only then let go of the ticket
//! ([`money::ticket_fate`]).

use crate::api::error::ApiError;
use crate::api::endpoint::Endpoint;
use crate::browser::history::{History, HistoryError, HistoryItem, RunFacts};
use crate::media::local::{self, LocalMedia};
use crate::media::trim::Trim;
use crate::api::money::{self, JobEnd, TicketFate};
use crate::browser::first_frame::FirstFrame;
use crate::browser::object_url::ObjectUrl;
use crate::api::request::{InputSource, RequestDraft, NormalizedRequest};
use crate::api::run_settings::{InputRoute, RunMode};
use crate::browser::saved_form::{PendingJob, Store};
use crate::net::{self, Inline, Progress, Run, Video};

/// Local files chosen in place of URLs.
#[derive(Clone, Debug, Default)]
pub struct LocalInputs {
    pub image: Option<LocalMedia>,
    pub audio: Option<LocalMedia>,
    /// The stretch of the local voice clip to send, when it is trimmed.
    pub trim: Option<Trim>,
}

/// Puts the local files into the request the chosen way: uploaded first
/// (their URLs replace the markers) or inline (spliced into the body).
async fn place_local_inputs(
    endpoint: &Endpoint,
    request: &NormalizedRequest,
    locals: &LocalInputs,
    route: InputRoute,
    run: &Run<'_>,
) -> Result<(NormalizedRequest, Inline), ApiError> {
    let unreadable = |e: crate::media::MediaProblem| ApiError::LocalFile { detail: e.to_string() };
    let mut uris = Vec::new();
    if let Some(media) = &locals.image {
        uris.push(local::data_uri(&media.blob).await.map_err(unreadable)?);
    }
    if let Some(media) = &locals.audio {
        // A trimmed clip is cut from the whole and sent as WAV.
        let blob = match locals.trim {
            Some(trim) if trim.cuts(media.measure) => local::cut(media, trim).await.map_err(unreadable)?,
            _ => media.blob.clone(),
        };
        uris.push(local::data_uri(&blob).await.map_err(unreadable)?);
    }
    let mut request = request.clone();
    let mut inline = Inline::default();
    if uris.is_empty() {
        return Ok((request, inline));
    }
    match route {
        InputRoute::Upload => {
            let mut urls = net::upload_assets(endpoint, &uris, run).await?.into_iter();
            if locals.image.is_some() {
                request.input_image = InputSource::Address(urls.next().unwrap_or_default());
            }
            if locals.audio.is_some() {
                request.input_audio = InputSource::Address(urls.next().unwrap_or_default());
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
    /// The job's ticket is still stored (the video could not be kept), so a
    /// reload fetches the video again.
    pub ticket_kept: bool,
    /// Its key in the history, when it was kept there.
    pub history_id: Option<f64>,
}

/// Today's date, YYYY-MM-DD, for file names.
fn today() -> String {
    String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect()
}

/// What a run's result is kept and shown as.
struct Labels<'a> {
    summary: &'a str,
    file_name: &'a str,
    draft: &'a RequestDraft,
    /// The clip's length and the photo's size, when known, with when the run was sent.
    sized: Option<RunSize>,
    started_at_ms: f64,
    /// A draft of a comparison, of this many seconds.
    draft_secs: Option<f64>,
}

/// What the run's size was, for the history's cost facts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunSize {
    pub audio_secs: f64,
    pub photo_pixels: Option<f64>,
}

/// Shows the video ([`Progress::Arrived`]) and keeps it in the history, awaiting the write.
async fn keep(video: Video, labels: &Labels<'_>, history: Option<&History>, run: &Run<'_>) -> Result<Finished, ApiError> {
    let url = ObjectUrl::new(&video.blob).ok_or(ApiError::NotAVideo { detail: "the browser could not hold it".into() })?;
    // Shown at once: writing a big video to IndexedDB takes a while, and the
    // bytes are safe in the page meanwhile (the ticket goes only once kept).
    let shown = FirstFrame::new();
    (run.on_progress)(Progress::Arrived { url: url.clone(), shown: shown.clone() });
    let made_at = js_sys::Date::now();
    let kept: Option<Result<f64, HistoryError>> = match history {
        Some(history) => {
            // The write would hold the player's first frame back (both read
            // the same bytes): it starts once the player says it shows it.
            shown.wait().await;
            let item = HistoryItem {
                id: made_at,
                draft_secs: labels.draft_secs,
                summary: labels.summary.to_string(),
                file_name: labels.file_name.to_string(),
                draft_json: serde_json::to_string(labels.draft).unwrap_or_default(),
                from_stand_in: video.from_stand_in,
                blob: video.blob.clone(),
                cost: labels.sized.map(|size| RunFacts {
                    audio_secs: size.audio_secs,
                    photo_pixels: size.photo_pixels,
                    took_secs: ((js_sys::Date::now() - labels.started_at_ms) / 1000.0).max(0.0),
                    charged_usd: video.credits_consumed,
                }),
            };
            Some(history.save(&item).await)
        }
        None => None,
    };
    Ok(Finished {
        url,
        summary: labels.summary.to_string(),
        file_name: labels.file_name.to_string(),
        remaining_credits: video.remaining_credits,
        from_stand_in: video.from_stand_in,
        history_id: kept.as_ref().and_then(|k| k.as_ref().ok().copied()),
        not_kept: kept.and_then(Result::err),
        ticket_kept: false,
    })
}

/// What to send and how.
pub struct Plan<'a> {
    pub endpoint: &'a Endpoint,
    pub request: &'a NormalizedRequest,
    /// The form that made it (kept with a job and in the history).
    pub draft: &'a RequestDraft,
    pub mode: RunMode,
    pub locals: &'a LocalInputs,
    pub route: InputRoute,
    /// The clip's length and the photo's size, when the page knows them.
    pub size: Option<RunSize>,
}

/// Sends the request and keeps the result.
pub async fn generate(plan: &Plan<'_>, store: &Store, history: Option<&History>, run: &Run<'_>) -> Result<Finished, ApiError> {
    let started_at_ms = js_sys::Date::now();
    match plan.mode {
        RunMode::OneShot => {
            let (sent, inline) = place_local_inputs(plan.endpoint, plan.request, plan.locals, plan.route, run).await?;
            let video = net::generate(plan.endpoint, &sent, &inline, run).await?;
            let (summary, file_name) = (plan.request.summary(), plan.request.file_name(&today()));
            let labels = Labels { summary: &summary, file_name: &file_name, draft: plan.draft, sized: plan.size, started_at_ms, draft_secs: None };
            keep(video, &labels, history, run).await
        }
        RunMode::Job => {
            let job = submit(plan, run).await?;
            // Stored before the page says it was accepted: the run panel reads
            // it back to decide whether to say "safe to reload".
            store.save_job(Some(&job));
            (run.on_progress)(Progress::Submitted(job.ticket.clone()));
            follow(plan.endpoint, &job, store, history, run, plan.size).await
        }
    }
}

/// Sends a job (a paid request) and returns its ticket with what is needed
/// to follow it; the caller keeps the ticket where a reload finds it.
pub async fn submit(plan: &Plan<'_>, run: &Run<'_>) -> Result<PendingJob, ApiError> {
    let (sent, inline) = place_local_inputs(plan.endpoint, plan.request, plan.locals, plan.route, run).await?;
    let ticket = net::submit_job(plan.endpoint, &sent, &inline, run).await?;
    Ok(PendingJob {
        ticket,
        endpoint: plan.endpoint.for_job(),
        draft: plan.draft.clone(),
        summary: plan.request.summary(),
        file_name: plan.request.file_name(&today()),
        base64: plan.request.base64,
        started_at_ms: js_sys::Date::now(),
    })
}

/// Follows a job to its video and keeps it; says what may now become of
/// its ticket ([`money::ticket_fate`]): the caller drops it only on `Drop`.
pub async fn follow_job(endpoint: &Endpoint, job: &PendingJob, history: Option<&History>, run: &Run<'_>, sized: Option<RunSize>, draft_secs: Option<f64>) -> (Result<Finished, ApiError>, TicketFate) {
    let outcome = net::follow_job(endpoint, &job.ticket, job.base64, job.started_at_ms, run).await;
    let outcome = match outcome {
        // The provider has no cancel: stopping the wait leaves the job running.
        Err(ApiError::Cancelled) => Err(ApiError::StoppedFollowing),
        other => other,
    };
    let finished = match outcome {
        Ok(video) => {
            let labels = Labels { summary: &job.summary, file_name: &job.file_name, draft: &job.draft, sized, started_at_ms: job.started_at_ms, draft_secs };
            keep(video, &labels, history, run).await
        }
        Err(error) => Err(error),
    };
    let end = match &finished {
        Ok(f) if f.not_kept.is_none() => JobEnd::Stored,
        Ok(_) => JobEnd::ShownNotStored,
        Err(error) => JobEnd::Failed(error),
    };
    let fate = money::ticket_fate(end);
    (finished.map(|f| Finished { ticket_kept: fate == TicketFate::Keep, ..f }), fate)
}

/// Follows the page's one stored job; its ticket goes only as [`follow_job`] says.
async fn follow(endpoint: &Endpoint, job: &PendingJob, store: &Store, history: Option<&History>, run: &Run<'_>, sized: Option<RunSize>) -> Result<Finished, ApiError> {
    let (finished, fate) = follow_job(endpoint, job, history, run, sized, None).await;
    if fate == TicketFate::Drop {
        store.save_job(None);
    }
    finished
}

/// Picks up a job that was running when the page went away (or that the
/// person stopped following), on the endpoint it was sent to.
pub async fn resume(endpoint: &Endpoint, job: &PendingJob, store: &Store, history: Option<&History>, run: &Run<'_>) -> Result<Finished, ApiError> {
    // The clip's length is not kept with a saved job: a resumed run is not learnt from.
    follow(endpoint, job, store, history, run, None).await
}

/// The person chose to forget the job ([`JobEnd::Dropped`]).
pub fn forget_job(store: &Store) {
    if money::ticket_fate(JobEnd::Dropped) == TicketFate::Drop {
        store.save_job(None);
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    async fn sleep_ms(ms: i32) {
        let _ = wasm_bindgen_futures::JsFuture::from(crate::browser::idle::timer(ms)).await;
    }

    #[test]
    async fn the_history_write_waits_for_the_players_first_frame() {
        // Leaked: the run goes on in a task of its own while the test looks at the history.
        let history: &'static History = Box::leak(Box::new(History::new(&format!("test.first-frame.{}", js_sys::Math::random()))));
        let said: Rc<RefCell<Option<FirstFrame>>> = Rc::default();
        let on_progress: &'static dyn Fn(Progress) = Box::leak(Box::new({
            let said = said.clone();
            move |p: Progress| {
                if let Progress::Arrived { shown, .. } = p {
                    *said.borrow_mut() = Some(shown);
                }
            }
        }));
        let run: &'static Run<'static> = Box::leak(Box::new(Run { signal: None, timeout_secs: None, on_progress }));
        let draft: &'static RequestDraft = Box::leak(Box::default());
        let labels: &'static Labels<'static> =
            Box::leak(Box::new(Labels { summary: "test", file_name: "test.mp4", draft, sized: None, started_at_ms: 0.0, draft_secs: None }));
        let blob = web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&"not really a video".into())).expect("blob");
        let video = Video { blob, remaining_credits: None, credits_consumed: None, from_stand_in: true };
        let finished = Rc::new(RefCell::new(None));
        wasm_bindgen_futures::spawn_local({
            let finished = finished.clone();
            async move {
                let outcome = keep(video, labels, Some(history), run).await;
                *finished.borrow_mut() = Some(outcome.map(|f| f.history_id.is_some()));
            }
        });
        // Long enough for a small write (without the wait it is done by then), short of the cap.
        sleep_ms(400).await;
        let shown = said.borrow().clone().expect("the video was shown");
        assert!(history.list().await.expect("history").is_empty(), "nothing written before the first frame");
        assert!(finished.borrow().is_none(), "the run is not over before the video is kept");
        shown.shown();
        for _ in 0..100 {
            if finished.borrow().is_some() {
                break;
            }
            sleep_ms(20).await;
        }
        assert_eq!(finished.borrow_mut().take(), Some(Ok(true)), "kept once the player showed it");
        assert_eq!(history.list().await.expect("history").len(), 1);
    }
}
