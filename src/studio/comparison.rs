//! A comparison of drafts as the page keeps it: which variants, where each
//! draft's run stands, and what a reload does with each (plain types, kept in
//! `localStorage` as JSON, host-tested). The money rules hold per draft:
//! a draft that may have reached the model is never sent again by itself
//! ([`on_reload`]), a running draft's ticket is kept until its video is stored
//! or the server says it failed, and only the person forgets a comparison.

use serde::Serialize;

use crate::api::compare::Variant;
use crate::api::endpoint::JobEndpoint;
use crate::api::error::ApiError;
use crate::api::money::Charge;
use crate::studio::run_rules;
use crate::api::request::{ImageSize, InputSource, NormalizedRequest, Preprocess, RequestDraft, POSE_STYLE_MAX};
use crate::api::run_settings::InputRoute;
use crate::browser::json_doc::JsonDoc;
use crate::browser::saved_form::PendingJob;
use crate::net::Progress;

/// The IndexedDB keys of the comparison's own inputs: the cut voice (always)
/// and the portrait when it was a local file. Kept apart from the form's, so
/// the form can change while the drafts run.
pub const DRAFT_AUDIO_KEY: &str = "compare.audio";
pub const DRAFT_IMAGE_KEY: &str = "compare.image";
/// The name the cut voice is sent (and shown) under.
pub const DRAFT_AUDIO_NAME: &str = "draft-voice.wav";

/// Where one draft's run stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DraftState {
    /// Not sent yet; not before `not_before_ms` (a 429's `Retry-After`, or 0).
    Queued { not_before_ms: f64 },
    /// Being sent: from here on it may have reached the model.
    Sending,
    /// Accepted; followed until it ends.
    Running { job: PendingJob },
    /// Its video is in the history under this id.
    Done { history_id: f64 },
    /// It ended without a video; `message` says why and what it cost.
    Failed { message: String },
    /// The page went away while it was being sent: it may have been charged,
    /// so it is sent again only if the person says so.
    Unknown,
}

impl DraftState {
    /// Whether nothing more will happen to it by itself.
    pub fn is_settled(&self) -> bool {
        matches!(self, DraftState::Done { .. } | DraftState::Failed { .. } | DraftState::Unknown)
    }

    /// A job that may still deliver a paid video.
    pub fn is_running(&self) -> bool {
        matches!(self, DraftState::Sending | DraftState::Running { .. })
    }

    /// Its name as kept (and as the page marks it for tests and styles).
    pub fn name(&self) -> &'static str {
        match self {
            DraftState::Queued { .. } => "queued",
            DraftState::Sending => "sending",
            DraftState::Running { .. } => "running",
            DraftState::Done { .. } => "done",
            DraftState::Failed { .. } => "failed",
            DraftState::Unknown => "unknown",
        }
    }

    fn from_doc(doc: &JsonDoc) -> Option<DraftState> {
        let number = |key: &str| doc.get(key).and_then(|v| v.as_text()).and_then(|t| crate::api::number::parse_f64(&t));
        Some(match doc.get("state")?.as_str()?.as_str() {
            "queued" => DraftState::Queued { not_before_ms: number("not_before_ms").unwrap_or(0.0) },
            "sending" => DraftState::Sending,
            "running" => DraftState::Running { job: PendingJob::from_doc(&doc.get("job")?)? },
            "done" => DraftState::Done { history_id: number("history_id")? },
            "failed" => DraftState::Failed { message: doc.get("message").and_then(|m| m.as_str()).unwrap_or_default() },
            "unknown" => DraftState::Unknown,
            _ => return None,
        })
    }
}

/// What the page does with a draft when it (re)opens a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReload {
    /// Never sent: send it (the person already agreed to the comparison).
    Send,
    /// Accepted: follow its job (reads are free).
    Follow,
    /// Its video is kept: show it.
    Show,
    /// Nothing by itself: it ended, or it may have been charged already.
    Leave,
}

/// The reload table: a draft caught mid-send becomes [`DraftState::Unknown`].
pub fn on_reload(state: &DraftState) -> (OnReload, DraftState) {
    match state {
        DraftState::Queued { .. } => (OnReload::Send, state.clone()),
        DraftState::Sending => (OnReload::Leave, DraftState::Unknown),
        DraftState::Running { .. } => (OnReload::Follow, state.clone()),
        DraftState::Done { .. } => (OnReload::Show, state.clone()),
        DraftState::Failed { .. } | DraftState::Unknown => (OnReload::Leave, state.clone()),
    }
}

/// The failure of a run in words: what happened, the next step, and what
/// it may have cost (nothing is said of a charge that cannot have happened).
pub fn failure_text(error: &ApiError, charge: Option<Charge>, free_endpoint: bool) -> String {
    let warning = charge.and_then(|c| c.warning(free_endpoint)).map(|w| format!(" {w}")).unwrap_or_default();
    format!("{error} {}{warning}", error.next_step())
}

/// Where a draft stands after its send failed, from where it stood (`now`).
/// Stopped while waiting out a 429 it was never started, so it stays queued;
/// stopped while its request was out, it may have reached the model.
pub fn after_send_failure(now: Option<&DraftState>, error: &ApiError, free_endpoint: bool) -> DraftState {
    match (now, error) {
        (Some(DraftState::Queued { not_before_ms }), ApiError::Cancelled) => DraftState::Queued { not_before_ms: *not_before_ms },
        (_, ApiError::Cancelled) => DraftState::Unknown,
        _ => DraftState::Failed { message: failure_text(error, run_rules::retry_offer(error, false), free_endpoint) },
    }
}

/// A draft's state in words, with its latest progress when this page follows it.
pub fn status_text(state: &DraftState, progress: Option<&Progress>) -> String {
    match (state, progress) {
        (DraftState::Done { .. }, _) => "Done".into(),
        (DraftState::Failed { message }, _) => message.clone(),
        (DraftState::Unknown, _) => {
            "The page closed while this draft was being sent, so it may have run (and been charged); it is not sent again unless you say so.".into()
        }
        (DraftState::Queued { .. }, Some(p @ (Progress::Paced { .. } | Progress::RetryingIn { .. }))) => p.describe(),
        (DraftState::Queued { .. }, _) => "Queued: not sent yet.".into(),
        (_, Some(progress)) => progress.describe(),
        (DraftState::Sending, None) => "Sending…".into(),
        (DraftState::Running { job }, None) => format!("Job {} accepted.", job.ticket.request_id),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DraftRun {
    pub variant: Variant,
    pub state: DraftState,
}

/// A comparison: the same short clip and portrait under each variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// When it was started (ms since 1970); names it.
    pub id: f64,
    /// Where every draft goes (followed there and nowhere else).
    pub endpoint: JobEndpoint,
    /// The form when it started (the portrait's address, the answer form).
    pub base: RequestDraft,
    /// The portrait is a local file kept under [`DRAFT_IMAGE_KEY`].
    pub local_image: bool,
    pub route: InputRoute,
    /// The stretch of the voice each draft speaks.
    pub from_secs: f64,
    pub draft_secs: f64,
    pub drafts: Vec<DraftRun>,
}

impl Comparison {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A damaged entry gives `None`, never a crash.
    pub fn from_json(text: &str) -> Option<Comparison> {
        let doc = JsonDoc::parse(text).filter(JsonDoc::is_object)?;
        let number = |key: &str| doc.get(key).and_then(|v| v.as_text()).and_then(|t| crate::api::number::parse_f64(&t));
        let drafts_doc = doc.get("drafts")?;
        let mut drafts = Vec::new();
        while let Some(entry) = drafts_doc.get_index(drafts.len()) {
            drafts.push(DraftRun { variant: variant_from_doc(&entry.get("variant")?)?, state: DraftState::from_doc(&entry.get("state")?)? });
        }
        Some(Comparison {
            id: number("id")?,
            endpoint: JobEndpoint::from_doc(&doc.get("endpoint")?)?,
            base: doc.get("base").map(|d| RequestDraft::from_doc(&d)).unwrap_or_default(),
            local_image: doc.get("local_image").and_then(|b| b.as_bool()).unwrap_or(false),
            route: doc.get("route").and_then(|r| r.as_str()).and_then(|r| InputRoute::parse(&r)).unwrap_or_default(),
            from_secs: number("from_secs").unwrap_or(0.0),
            draft_secs: number("draft_secs")?,
            drafts,
        })
    }

    /// The request draft `index` sends: its variant over the base, speaking
    /// the cut clip (sent from the page), the portrait as when it started.
    pub fn request_for(&self, index: usize) -> Option<NormalizedRequest> {
        let variant = self.drafts.get(index)?.variant;
        let input_image = if self.local_image {
            InputSource::LocalFile { name: "portrait".into() }
        } else {
            InputSource::Address(self.base.input_image.trim().to_string())
        };
        let base = NormalizedRequest {
            input_image,
            input_audio: InputSource::LocalFile { name: DRAFT_AUDIO_NAME.into() },
            pose_style: variant.pose_style,
            expression_scale: variant.expression_scale,
            preprocess: variant.preprocess,
            image_size: variant.image_size,
            enhancer: variant.enhancer,
            base64: self.base.base64,
        };
        Some(base)
    }

    /// The next draft to send, if any: the first queued one, and how long
    /// it must wait (its own `Retry-After`) at `now_ms`.
    pub fn next_queued(&self, now_ms: f64) -> Option<(usize, f64)> {
        self.drafts.iter().enumerate().find_map(|(i, d)| match d.state {
            DraftState::Queued { not_before_ms } => Some((i, ((not_before_ms - now_ms) / 1000.0).max(0.0))),
            _ => None,
        })
    }

    /// How many drafts have ended with a video, and how many there are.
    pub fn done_count(&self) -> (usize, usize) {
        (self.drafts.iter().filter(|d| matches!(d.state, DraftState::Done { .. })).count(), self.drafts.len())
    }

    /// Whether every draft has ended (nothing runs or waits).
    pub fn is_over(&self) -> bool {
        self.drafts.iter().all(|d| d.state.is_settled())
    }

    /// Drafts whose paid runs would be lost if the person forgot the
    /// comparison now (their videos would never be kept).
    pub fn running_count(&self) -> usize {
        self.drafts.iter().filter(|d| d.state.is_running()).count()
    }

    /// The tab's title while it goes on: "Drafts 2/6".
    pub fn title_text(&self) -> String {
        let (done, all) = self.done_count();
        if self.is_over() {
            format!("Drafts done {done}/{all}")
        } else {
            format!("Drafts {done}/{all}")
        }
    }
}

fn variant_from_doc(doc: &JsonDoc) -> Option<Variant> {
    let text = |key: &str| doc.get(key).and_then(|v| v.as_text());
    let pose_style = text("pose_style")?.parse::<u8>().ok().filter(|p| i64::from(*p) <= POSE_STYLE_MAX)?;
    Some(Variant {
        pose_style,
        expression_scale: crate::api::number::parse_f64(&text("expression_scale")?).filter(|s| s.is_finite())?,
        preprocess: Preprocess::parse(&text("preprocess")?)?,
        image_size: ImageSize::from_pixels(text("image_size")?.parse::<i64>().ok()?)?,
        enhancer: doc.get("enhancer").and_then(|b| b.as_bool())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::answer::JobTicket;
    use crate::api::endpoint::EndpointKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn variant(pose_style: u8) -> Variant {
        Variant { pose_style, expression_scale: 1.4, preprocess: Preprocess::Full, image_size: ImageSize::Px256, enhancer: true }
    }

    fn job() -> PendingJob {
        PendingJob {
            ticket: JobTicket { request_id: "r1".into(), status_url: "http://s/status".into(), response_url: "http://s/result".into() },
            endpoint: JobEndpoint { kind: EndpointKind::StandIn, base_url: "http://s".into() },
            draft: RequestDraft::default(),
            summary: "pose 1".into(),
            file_name: "a.mp4".into(),
            base64: false,
            started_at_ms: 5.0,
        }
    }

    fn comparison(states: Vec<DraftState>) -> Comparison {
        Comparison {
            id: 1000.0,
            endpoint: JobEndpoint { kind: EndpointKind::StandIn, base_url: "http://s".into() },
            base: RequestDraft { input_image: "https://e.com/face.png".into(), ..RequestDraft::default() },
            local_image: false,
            route: InputRoute::Inline,
            from_secs: 0.5,
            draft_secs: 3.0,
            drafts: states.into_iter().enumerate().map(|(i, state)| DraftRun { variant: variant(i as u8 * 9), state }).collect(),
        }
    }

    // The reload table, one test per row.
    #[test]
    fn reload_sends_a_queued_draft() {
        assert_eq!(on_reload(&DraftState::Queued { not_before_ms: 9.0 }), (OnReload::Send, DraftState::Queued { not_before_ms: 9.0 }));
    }

    #[test]
    fn reload_never_resends_a_draft_caught_mid_send() {
        assert_eq!(on_reload(&DraftState::Sending), (OnReload::Leave, DraftState::Unknown));
    }

    #[test]
    fn reload_follows_a_running_draft() {
        let running = DraftState::Running { job: job() };
        assert_eq!(on_reload(&running), (OnReload::Follow, running.clone()));
    }

    #[test]
    fn reload_shows_a_done_draft() {
        assert_eq!(on_reload(&DraftState::Done { history_id: 7.0 }).0, OnReload::Show);
    }

    #[test]
    fn reload_leaves_failed_and_unknown_drafts_to_the_person() {
        assert_eq!(on_reload(&DraftState::Failed { message: "no face".into() }).0, OnReload::Leave);
        assert_eq!(on_reload(&DraftState::Unknown), (OnReload::Leave, DraftState::Unknown));
    }

    #[test]
    fn a_draft_stopped_during_a_429_wait_stays_queued() {
        let queued = DraftState::Queued { not_before_ms: 5.0 };
        assert_eq!(after_send_failure(Some(&queued), &ApiError::Cancelled, false), queued);
    }

    #[test]
    fn a_draft_stopped_while_its_request_was_out_is_unknown() {
        assert_eq!(after_send_failure(Some(&DraftState::Sending), &ApiError::Cancelled, false), DraftState::Unknown);
    }

    #[test]
    fn a_failed_send_says_why_and_what_it_may_have_cost() {
        let network = ApiError::Network { detail: "reset".into() };
        let DraftState::Failed { message } = after_send_failure(Some(&DraftState::Sending), &network, false) else { panic!("failed") };
        assert!(message.contains("may have been charged"), "{message}");
        let refused = ApiError::from_status(401, "{\"error\":\"bad key\"}", "application/json", None);
        let DraftState::Failed { message } = after_send_failure(Some(&DraftState::Sending), &refused, false) else { panic!("failed") };
        assert!(!message.contains("charged"), "a refused key costs nothing: {message}");
    }

    #[test]
    fn each_state_is_said_plainly() {
        let queued = DraftState::Queued { not_before_ms: 0.0 };
        assert_eq!(status_text(&queued, None), "Queued: not sent yet.");
        assert!(status_text(&queued, Some(&Progress::Paced { secs_left: 40 })).contains("Not sent yet: waiting 40 s"));
        assert!(status_text(&queued, Some(&Progress::Processing)).starts_with("Queued"), "a stale progress is not shown for a queued draft");
        assert_eq!(status_text(&DraftState::Running { job: job() }, Some(&Progress::Processing)), Progress::Processing.describe());
        assert!(status_text(&DraftState::Unknown, None).contains("may have run"));
        assert_eq!(status_text(&DraftState::Done { history_id: 1.0 }, Some(&Progress::Processing)), "Done");
    }

    #[test]
    fn a_comparison_round_trips_through_its_json() {
        let all = comparison(vec![
            DraftState::Queued { not_before_ms: 61_000.0 },
            DraftState::Sending,
            DraftState::Running { job: job() },
            DraftState::Done { history_id: 1_700_000_000_123.0 },
            DraftState::Failed { message: "The job failed: no face".into() },
            DraftState::Unknown,
        ]);
        assert_eq!(Comparison::from_json(&all.to_json()), Some(all));
        assert_eq!(Comparison::from_json("{\"id\":1}"), None);
        assert_eq!(Comparison::from_json("not json"), None);
    }

    #[test]
    fn each_draft_sends_its_variant_with_the_cut_clip() {
        let c = comparison(vec![DraftState::Queued { not_before_ms: 0.0 }; 3]);
        let request = c.request_for(2).expect("a third draft");
        assert_eq!(request.pose_style, 18);
        assert_eq!(request.input_image, InputSource::Address("https://e.com/face.png".into()));
        assert_eq!(request.input_audio, InputSource::LocalFile { name: DRAFT_AUDIO_NAME.into() });
        assert_eq!(c.request_for(3), None);
        let local = Comparison { local_image: true, ..c };
        assert!(matches!(local.request_for(0).map(|r| r.input_image), Some(InputSource::LocalFile { .. })));
    }

    #[test]
    fn the_queue_waits_out_a_retry_after_and_counts_what_is_done() {
        let c = comparison(vec![DraftState::Done { history_id: 1.0 }, DraftState::Queued { not_before_ms: 10_000.0 }, DraftState::Running { job: job() }]);
        assert_eq!(c.next_queued(4_000.0), Some((1, 6.0)));
        assert_eq!(c.next_queued(12_000.0), Some((1, 0.0)));
        assert_eq!(c.done_count(), (1, 3));
        assert!(!c.is_over());
        assert_eq!(c.running_count(), 1);
        assert_eq!(c.title_text(), "Drafts 1/3");
        let over = comparison(vec![DraftState::Done { history_id: 1.0 }, DraftState::Failed { message: "x".into() }]);
        assert!(over.is_over());
        assert_eq!(over.next_queued(0.0), None);
        assert_eq!(over.title_text(), "Drafts done 1/2");
    }
}
