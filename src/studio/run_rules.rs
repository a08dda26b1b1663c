//! What the run panel decides, as plain functions the host tests: where a
//! run goes (a saved job only where it was sent), when its clock started,
//! whether a failure offers "Try again" and with which charge warning, the
//! balance an answer reports, and what the page says about a saved job.

use crate::api::answer::Credits;
use crate::api::endpoint::{Endpoint, EndpointError, EndpointSettings};
use crate::studio::comparison::Comparison;
use crate::api::error::ApiError;
use crate::api::money::{self, Charge, SubmitDecision};
use crate::api::request::RequestDraft;
use crate::api::run_cost::{CostInputs, PastRun};
use crate::browser::history::RunFacts;
use crate::browser::json_doc::JsonDoc;
use crate::browser::saved_form::PendingJob;

/// How a run begins: a new one from the form, or a saved job picked up.
pub enum Start {
    New,
    Resume(Box<PendingJob>),
}

impl Start {
    /// Where the run goes: a new one where the form points (`current`), a
    /// saved job where it was sent, whatever the form shows now.
    pub fn endpoint(&self, current: &Result<Endpoint, EndpointError>, settings: &EndpointSettings, page_origin: &str) -> Result<Endpoint, EndpointError> {
        match self {
            Start::New => current.clone(),
            Start::Resume(job) => settings.resolve_job(&job.endpoint, page_origin),
        }
    }

    /// When the run's clock starts: a saved job keeps its own start.
    pub fn started_ms(&self, now_ms: f64) -> f64 {
        match self {
            Start::Resume(job) if job.started_at_ms > 0.0 => job.started_at_ms,
            _ => now_ms,
        }
    }

    /// The job id shown from the start (a new run has none until submitted).
    pub fn job_id(&self) -> Option<String> {
        match self {
            Start::Resume(job) => Some(job.ticket.request_id.clone()),
            Start::New => None,
        }
    }
}

/// Whether a failed run offers "Try again", and what to say about its charge.
/// While a job's ticket is kept, the way on is following it, never a new paid run.
pub fn retry_offer(error: &ApiError, job_pending: bool) -> Option<Charge> {
    match money::after_submit_failure(error, money::RATE_LIMIT_RETRIES) {
        SubmitDecision::Offer(charge) if !job_pending => Some(charge),
        _ => None,
    }
}

/// The balance an answer's `x-remaining-credits` header reports, if it is a number.
pub fn balance_reported(remaining_credits: Option<&str>) -> Option<Credits> {
    let credits = crate::api::number::parse_f64(remaining_credits?.trim()).filter(|c| c.is_finite())?;
    Some(Credits { credits, free_credits: 0.0 })
}

/// What the page says about a saved job.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedJobNotice {
    pub text: String,
    /// What stands in the way of picking it up here (e.g. the key its endpoint needs).
    pub problem: Option<String>,
    /// Past the provider's one hour: it can no longer deliver.
    pub expired: bool,
}

impl SavedJobNotice {
    /// Picked up by itself on load: its endpoint is at hand and it can still deliver.
    pub fn can_resume(&self) -> bool {
        self.problem.is_none() && !self.expired
    }
}

pub fn saved_job_notice(job: &PendingJob, settings: &EndpointSettings, page_origin: &str, now_ms: f64) -> SavedJobNotice {
    let problem = settings.resolve_job(&job.endpoint, page_origin).err().map(|e| e.to_string());
    let expired = !money::job_can_deliver(job.age_secs(now_ms));
    let id = &job.ticket.request_id;
    let text = if expired {
        format!("Job {id} was submitted more than an hour ago; the provider keeps results for one hour, so it can no longer be fetched.")
    } else {
        format!("Job {id} on {} may still be running (the provider has no cancel; it may finish and be charged).", job.endpoint.describe())
    };
    SavedJobNotice { text, problem, expired }
}

/// What drives this run's cost: the form's settings, the clip's length (once
/// known) and the photo's pixel count (when known).
pub fn cost_inputs(draft: &RequestDraft, audio_secs: Option<f64>, photo_pixels: Option<f64>) -> Option<CostInputs> {
    let audio_secs = audio_secs.filter(|s| s.is_finite() && *s > 0.0)?;
    let (image_size, preprocess) = draft.framing_settings();
    Some(CostInputs { audio_secs, enhancer: draft.enhancer, preprocess, image_size, photo_pixels })
}

/// A finished run and where it was made: the stand-in's runs teach only the
/// stand-in's estimate, never the real model's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeptRun {
    pub run: PastRun,
    pub on_stand_in: bool,
}

/// The kept runs that teach an estimate for the stand-in, or for the real model.
pub fn runs_for(kept: &[KeptRun], on_stand_in: bool) -> Vec<PastRun> {
    kept.iter().filter(|k| k.on_stand_in == on_stand_in).map(|k| k.run).collect()
}

/// A history entry as a past run to learn from (entries from before these
/// facts were kept, or with a damaged form, teach nothing).
pub fn past_run(draft_json: &str, facts: Option<RunFacts>) -> Option<PastRun> {
    let facts = facts?;
    let draft = RequestDraft::from_doc(&JsonDoc::parse(draft_json)?);
    let inputs = cost_inputs(&draft, Some(facts.audio_secs), facts.photo_pixels)?;
    Some(PastRun { inputs, took_secs: facts.took_secs, charged_usd: facts.charged_usd })
}

/// Whether the endpoint charges nothing (the local stand-in), for the charge wording.
pub fn is_free(endpoint: &Result<Endpoint, EndpointError>) -> bool {
    endpoint.as_ref().is_ok_and(|e| e.kind.is_free())
}

/// Where the single run is, as the tab's title says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTitle {
    Idle,
    Running,
    Ready,
    Failed,
}

/// The tab's title: the run's state and the drafts' count while either
/// goes on (a hidden tab still tells), then the latest outcome.
pub fn tab_title(run: RunTitle, drafts: Option<&Comparison>, base: &str) -> String {
    let run_text = match run {
        RunTitle::Idle => None,
        RunTitle::Running => Some("Generating…"),
        RunTitle::Ready => Some("Video ready"),
        RunTitle::Failed => Some("Run failed"),
    };
    let drafts_going = drafts.filter(|c| !c.is_over());
    let state = match (run_text, drafts_going, drafts) {
        (Some(run_text), Some(going), _) => format!("{run_text} · {}", going.title_text()),
        (Some(run_text), None, Some(over)) if run == RunTitle::Running => format!("{run_text} · {}", over.title_text()),
        (Some(run_text), None, _) => run_text.to_string(),
        (None, _, Some(any)) => any.title_text(),
        (None, _, None) => return base.to_string(),
    };
    format!("{state} · {base}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::answer::JobTicket;
    use crate::api::endpoint::{EndpointKind, JobEndpoint};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn job(kind: EndpointKind, base_url: &str, started_at_ms: f64) -> PendingJob {
        PendingJob {
            ticket: JobTicket { request_id: "req-1".into(), status_url: format!("{base_url}/s"), response_url: format!("{base_url}/r") },
            endpoint: JobEndpoint { kind, base_url: base_url.into() },
            draft: Default::default(),
            summary: String::new(),
            file_name: String::new(),
            base64: false,
            started_at_ms,
        }
    }

    fn proxy_form() -> EndpointSettings {
        EndpointSettings { kind: EndpointKind::Proxy, proxy_url: "https://proxy.example".into(), ..Default::default() }
    }

    #[test]
    fn a_saved_job_goes_where_it_was_sent_not_where_the_form_points() {
        let form = proxy_form();
        let current = form.resolve("");
        let saved = Start::Resume(Box::new(job(EndpointKind::StandIn, "http://127.0.0.1:8787", 5.0)));
        let endpoint = saved.endpoint(&current, &form, "").expect("resolves");
        assert_eq!(endpoint.kind, EndpointKind::StandIn);
        assert_eq!(Start::New.endpoint(&current, &form, "").map(|e| e.kind), Ok(EndpointKind::Proxy));
        // A Segmind job with no Segmind key typed: no guessing with another key.
        let segmind = Start::Resume(Box::new(job(EndpointKind::Segmind, "https://api.segmind.com", 5.0)));
        assert!(segmind.endpoint(&current, &form, "").is_err());
    }

    #[test]
    fn a_saved_job_keeps_its_own_start_and_id() {
        let saved = Start::Resume(Box::new(job(EndpointKind::StandIn, "http://127.0.0.1:8787", 1000.0)));
        assert_eq!(saved.started_ms(9000.0), 1000.0);
        assert_eq!(saved.job_id().as_deref(), Some("req-1"));
        let unknown_start = Start::Resume(Box::new(job(EndpointKind::StandIn, "http://127.0.0.1:8787", 0.0)));
        assert_eq!(unknown_start.started_ms(9000.0), 9000.0);
        assert_eq!(Start::New.started_ms(9000.0), 9000.0);
        assert_eq!(Start::New.job_id(), None);
    }

    #[test]
    fn try_again_is_offered_only_without_a_kept_job() {
        let dropped = ApiError::Network { detail: "reset".into() };
        assert_eq!(retry_offer(&dropped, false), Some(Charge::Maybe));
        assert_eq!(retry_offer(&dropped, true), None, "a kept job is followed, never re-run");
        let refused = ApiError::Unauthorized { server_message: None };
        assert_eq!(retry_offer(&refused, false), None, "the person must fix the key first");
    }

    #[test]
    fn only_a_number_is_a_reported_balance() {
        assert_eq!(balance_reported(Some(" 12.5 ")).map(|c| c.total()), Some(12.5));
        assert_eq!(balance_reported(Some("lots")), None);
        assert_eq!(balance_reported(Some("NaN")), None);
        assert_eq!(balance_reported(None), None);
    }

    #[test]
    fn a_saved_job_says_whether_it_can_still_deliver_and_what_is_missing() {
        let saved = job(EndpointKind::Proxy, "https://proxy.example", 0.0);
        let fresh = saved_job_notice(&saved, &proxy_form(), "", 60_000.0);
        assert!(!fresh.expired && fresh.text.contains("may still be running") && fresh.text.contains("proxy.example"), "{fresh:?}");
        assert_eq!(fresh.problem, None);
        assert!(fresh.can_resume());
        let old = saved_job_notice(&saved, &proxy_form(), "", 2.0 * 3600.0 * 1000.0);
        assert!(old.expired && old.text.contains("more than an hour ago"), "{old:?}");
        assert!(!old.can_resume());
        let on_segmind = job(EndpointKind::Segmind, "https://api.segmind.com", 0.0);
        let keyless = saved_job_notice(&on_segmind, &proxy_form(), "", 1000.0);
        assert!(keyless.problem.is_some() && !keyless.can_resume(), "no Segmind key typed");
    }

    #[test]
    fn a_history_entry_teaches_with_its_form_and_facts() {
        let draft = RequestDraft { enhancer: false, preprocess: "crop".into(), ..RequestDraft::default() };
        let json = serde_json::to_string(&draft).expect("draft JSON");
        let facts = RunFacts { audio_secs: 4.0, photo_pixels: Some(1e6), took_secs: 30.0, charged_usd: Some(0.05) };
        let past = past_run(&json, Some(facts)).expect("a past run");
        assert!(!past.inputs.enhancer && past.inputs.preprocess == crate::api::request::Preprocess::Crop);
        assert_eq!((past.inputs.audio_secs, past.took_secs, past.charged_usd), (4.0, 30.0, Some(0.05)));
        assert_eq!(past_run(&json, None), None, "an older entry without facts");
        assert_eq!(past_run("not json", Some(facts)), None);
        assert_eq!(cost_inputs(&draft, None, None), None, "no clip length yet, no estimate");
        let kept = [KeptRun { run: past, on_stand_in: true }, KeptRun { run: past, on_stand_in: false }, KeptRun { run: past, on_stand_in: false }];
        assert_eq!(runs_for(&kept, true).len(), 1, "the stand-in's runs teach only the stand-in's estimate");
        assert_eq!(runs_for(&kept, false).len(), 2);
    }

    #[test]
    fn only_the_stand_in_is_free() {
        let stand_in = EndpointSettings { kind: EndpointKind::StandIn, stand_in_url: "http://127.0.0.1:8787".into(), ..Default::default() };
        assert!(is_free(&stand_in.resolve("")));
        assert!(!is_free(&proxy_form().resolve("")));
    }

    #[test]
    fn the_tab_title_tells_the_run_and_the_drafts() {
        use crate::api::compare::Variant;
        use crate::api::request::{ImageSize, Preprocess};
        use crate::studio::comparison::{DraftRun, DraftState};
        let variant = Variant { pose_style: 1, expression_scale: 1.4, preprocess: Preprocess::Full, image_size: ImageSize::Px256, enhancer: true };
        let drafts = |states: Vec<DraftState>| Comparison {
            id: 1.0,
            endpoint: JobEndpoint { kind: EndpointKind::StandIn, base_url: "http://s".into() },
            base: RequestDraft::default(),
            local_image: false,
            route: Default::default(),
            from_secs: 0.0,
            draft_secs: 3.0,
            drafts: states.into_iter().map(|state| DraftRun { variant, state }).collect(),
        };
        let going = drafts(vec![DraftState::Done { history_id: 1.0 }, DraftState::Queued { not_before_ms: 0.0 }]);
        let over = drafts(vec![DraftState::Done { history_id: 1.0 }, DraftState::Done { history_id: 2.0 }]);
        assert_eq!(tab_title(RunTitle::Idle, None, "Studio"), "Studio");
        assert_eq!(tab_title(RunTitle::Running, None, "Studio"), "Generating… · Studio");
        assert_eq!(tab_title(RunTitle::Idle, Some(&going), "Studio"), "Drafts 1/2 · Studio");
        assert_eq!(tab_title(RunTitle::Ready, Some(&going), "Studio"), "Video ready · Drafts 1/2 · Studio");
        assert_eq!(tab_title(RunTitle::Idle, Some(&over), "Studio"), "Drafts done 2/2 · Studio");
        assert_eq!(tab_title(RunTitle::Ready, Some(&over), "Studio"), "Video ready · Studio", "the latest outcome once the drafts are over");
    }
}
