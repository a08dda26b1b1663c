//! The studio: its state, what survives a reload, and the layout.

use leptos::prelude::*;

use super::code_panel::CodePanel;
use super::compare_panel::ComparePanel;
use super::endpoint_picker::EndpointPicker;
use super::history_list::history_part;
use super::later::later;
use crate::chunks::split_point;
use super::request_form::{InputsSection, SettingsSection};
use super::run_panel::{start_run, RunPanel};
use crate::studio::run_rules::{self, RunTitle, Start};
use super::previews::previews_part;
use super::studio::{next_uid, Checked, FaceCheck, LocalState, RunState, Studio};
use crate::api::endpoint::{sample_inputs, EndpointSettings};
use crate::browser::history::History;
use crate::api::request::RequestDraft;
use crate::studio::form_check::{checked_request, LocalCheck};
use crate::browser::saved_form::{SavedForm, SavedKeys, Store};

/// How a studio starts; the page and `mount()` each fill it in.
#[derive(Clone, Debug, Default)]
pub struct StudioOptions {
    /// Prefix for what is kept in this browser (form, keys if asked, job,
    /// history); `None` keeps nothing.
    pub storage_prefix: Option<String>,
    /// Where the page came from: the stand-in serves the page and the samples.
    pub page_origin: String,
    /// Endpoint to start with when nothing was saved.
    pub endpoint: Option<EndpointSettings>,
    /// Request fields to start with when nothing was saved.
    pub draft: Option<RequestDraft>,
    /// The face check's worker script; empty for the page's own `face/worker.js`.
    pub face_worker_url: String,
    /// Whether the studio may show a run's state in the tab's title (the
    /// page's own studio; an embedded one leaves the host page's title alone).
    pub owns_title: bool,
}

/// Where the page serves the face check (scripts/build.sh puts it there).
pub const PAGE_FACE_WORKER: &str = "face/worker.js";

/// What the form starts with: what was left here, else the options, else the samples.
fn initial_form(store: &Store, options: &StudioOptions) -> SavedForm {
    let mut form = store.load_form().unwrap_or_else(|| {
        let draft = options.draft.clone().unwrap_or_else(|| {
            let (input_image, input_audio) = sample_inputs(&options.page_origin);
            RequestDraft { input_image, input_audio, ..RequestDraft::default() }
        });
        SavedForm { draft, endpoint: options.endpoint.clone().unwrap_or_default(), ..SavedForm::default() }
    });
    if form.run.remember_key {
        if let Some(keys) = store.load_keys() {
            form.endpoint.segmind_key = keys.segmind_key;
            form.endpoint.proxy_key = keys.proxy_key;
        }
    }
    form
}

split_point! {
    /// The whole studio as a part fetched on first use: the JS package's
    /// `mount()` draws it, so a page that only validates or generates never
    /// downloads the studio's views. (Package only: an exported split point
    /// is kept whole even where nothing calls it.)
    #[cfg(feature = "js-api")]
    pub fn studio_part(options: StudioOptions) -> AnyView {
        view! { <App options /> }.into_any()
    }
}

#[component]
pub fn App(#[prop(optional)] options: StudioOptions) -> impl IntoView {
    let store = Store::new(options.storage_prefix.clone());
    let initial = initial_form(&store, &options);
    let history = options.storage_prefix.as_ref().map(|p| History::new(&format!("{p}.history")));
    let draft = RwSignal::new(initial.draft);
    let endpoint = RwSignal::new(initial.endpoint);
    let run_settings = RwSignal::new(initial.run);
    let local_image = RwSignal::new_local(None::<LocalState>);
    let local_audio = RwSignal::new_local(None::<LocalState>);

    let origin = options.page_origin.clone();
    let resolved = Memo::new(move |_| endpoint.with(|e| e.resolve(&origin)));
    let trim = RwSignal::new(store.load_trim());
    let checked: Checked = Memo::new(move |_| {
        let check = |local: RwSignal<Option<LocalState>, LocalStorage>| local.with(|l| l.as_ref().map(LocalState::check));
        let (image, mut audio) = (check(local_image), check(local_audio));
        // A trimmed clip exists only in this page: its name says so (the code panel shows it).
        if let (Some(LocalCheck::Ready(name)), Some(trim)) = (audio.as_mut(), trim.get()) {
            if local_audio.with(|l| matches!(l, Some(LocalState::Ready(m)) if trim.cuts(m.measure))) {
                name.push_str(&format!(" (only {} of it, cut in the studio page: export that stretch to send it from here)", trim.range_text()));
            }
        }
        draft.with(|d| checked_request(d, image.as_ref(), audio.as_ref(), endpoint.with(|e| e.kind)))
    });

    let studio = Studio {
        uid: next_uid(),
        draft,
        local_image,
        local_audio,
        endpoint,
        run_settings,
        checked,
        resolved,
        run: RwSignal::new(RunState::Idle),
        progress: RwSignal::new(None),
        job_id: RwSignal::new(None),
        credits: RwSignal::new(None),
        history_version: RwSignal::new(0),
        store: StoredValue::new(store.clone()),
        page_origin: StoredValue::new(options.page_origin.clone()),
        job_kept: RwSignal::new(false),
        job_version: RwSignal::new(0),
        choice_seq: StoredValue::new([0, 0]),
        history: StoredValue::new(history),
        abort: StoredValue::new_local(None),
        face: RwSignal::new(FaceCheck::Idle),
        voice_secs: RwSignal::new(None),
        trim,
        past_runs: RwSignal::new(Vec::new()),
        face_worker_url: StoredValue::new(if options.face_worker_url.is_empty() { PAGE_FACE_WORKER.into() } else { options.face_worker_url.clone() }),
        comparison: RwSignal::new(None),
        draft_progress: RwSignal::new(Vec::new()),
        compare_abort: StoredValue::new_local(None),
        notify: RwSignal::new(false),
        compare_problem: RwSignal::new(None),
    };
    provide_context(studio);

    // Every edit is kept, so nothing is lost to an error or a reload; keys
    // only while "remember" is ticked.
    Effect::new(move |_| {
        let form = SavedForm { draft: draft.get(), endpoint: endpoint.get(), run: run_settings.get() };
        store.save_keys(&SavedKeys::of(&form.endpoint), form.run.remember_key);
        store.save_form(&form);
    });
    // The trim is kept with the kept clip, so a reload keeps both.
    Effect::new(move |_| {
        let trim = studio.trim.get();
        studio.store.with_value(|s| s.save_trim(trim));
    });

    // Local files chosen before a reload come back (and are checked again).
    super::local_input::restore_local_inputs(studio);

    // A job that was running when the page went away is picked up again, on
    // the endpoint it was sent to (when its key is at hand and it can still
    // deliver; otherwise the run panel says what is needed).
    if let Some(job) = studio.store.with_value(Store::load_job) {
        let notice = endpoint.with_untracked(|e| run_rules::saved_job_notice(&job, e, &options.page_origin, js_sys::Date::now()));
        if notice.can_resume() {
            start_run(studio, Start::Resume(Box::new(job)));
        }
    }
    on_cleanup(move || {
        studio.cancel();
        if let Some(Some(c)) = studio.compare_abort.try_get_value() {
            c.abort();
        }
    });
    if options.owns_title {
        show_run_in_title(studio);
    }

    view! {
        <div class="ths-studio" data-testid="studio">
            <header class="ths-header">
                <h1>"Talking-Head Studio"</h1>
                <p>"A portrait and a voice clip in, a video of that face speaking out (SadTalker on Segmind)."</p>
            </header>
            <main class="ths-main">
                // Inputs and settings on one side; what the model will see, the run and its result on the other.
                <div class="ths-columns">
                    <form class="ths-form" novalidate aria-label="Request" on:submit=|ev| ev.prevent_default()>
                        <EndpointPicker page_origin=options.page_origin />
                        <InputsSection />
                        <SettingsSection />
                        <CodePanel />
                    </form>
                    <div class="ths-stage">
                        <RunPanel />
                        {later(previews_part)}
                    </div>
                </div>
                <ComparePanel />
                {later(history_part)}
            </main>
        </div>
    }
}

/// The tab's title follows the run (the page's own studio only).
fn show_run_in_title(studio: Studio) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let base = document.title();
    Effect::new(move |_| {
        let run = studio.run.with(|run| match run {
            RunState::Idle => RunTitle::Idle,
            RunState::Running { .. } => RunTitle::Running,
            RunState::Succeeded(_) => RunTitle::Ready,
            RunState::Failed(_) => RunTitle::Failed,
        });
        let title = studio.comparison.with(|c| run_rules::tab_title(run, c.as_ref(), &base));
        document.set_title(&title);
    });
    // Told when a run ends while the tab is hidden, if asked for.
    Effect::new(move |was_running: Option<bool>| {
        let running = studio.running();
        if was_running == Some(true) && !running && studio.notify.get_untracked() {
            let title = if studio.run.with_untracked(|r| matches!(r, RunState::Succeeded(_))) { "Video ready" } else { "Run failed" };
            crate::browser::notify::tell(title, "Talking-Head Studio");
        }
        running
    });
}
