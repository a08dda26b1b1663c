//! Compare: pick variants of the form's settings, see what the drafts will
//! cost, say yes once, and watch them side by side ([`super::compare_grid`]).
//! The rules live in `api::compare` and `studio::comparison`; the sending in
//! `studio::compare_run`.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortController;

use super::compare_grid::CompareGrid;
use super::later::later;
use crate::chunks::split_point;
use super::studio::{use_studio, LocalState, Studio};
use crate::api::compare::{self, Preset, Variant};
use crate::api::run_settings::DEFAULT_TIMEOUT_SECS;
use crate::browser::notify;
use crate::browser::saved_form::Store;
use crate::media::local;
use crate::net::Progress;
use crate::studio::compare_run::{self, Drafts};
use crate::studio::comparison::{Comparison, DraftRun, DraftState, DRAFT_AUDIO_NAME};
use crate::studio::run_rules;
use crate::studio::session::LocalInputs;

/// Starts this page's work on `comparison` (sending what is queued,
/// following what runs) on the endpoint it was sent to.
pub fn run_drafts(studio: Studio, comparison: &Comparison, locals: LocalInputs) -> Result<(), String> {
    let page_origin = studio.page_origin.get_value();
    let endpoint = studio.endpoint.with_untracked(|s| s.resolve_job(&comparison.endpoint, &page_origin)).map_err(|e| format!("To go on with the drafts: {e}"))?;
    let controller = AbortController::new().map_err(|_| "This browser cannot stop a request (no AbortController).".to_string())?;
    let signal = controller.signal();
    studio.compare_abort.set_value(Some(controller));
    let count = comparison.drafts.len();
    studio.draft_progress.set(vec![None; count]);
    let on_progress = Rc::new(move |index: usize, progress: Progress| {
        let _ = studio.draft_progress.try_update(|all| {
            if let Some(slot) = all.get_mut(index) {
                *slot = Some(progress);
            }
        });
    });
    let on_change = Rc::new(move || refresh(studio));
    let timeout_secs = studio.run_settings.with_untracked(|r| r.timeout().unwrap_or(DEFAULT_TIMEOUT_SECS));
    let (Some(store), Some(history)) = (studio.store.try_get_value(), studio.history.try_get_value()) else { return Ok(()) };
    let drafts = Drafts { id: comparison.id, endpoint, store, history, locals, signal, timeout_secs, on_progress, on_change };
    spawn_local(compare_run::go_on(Rc::new(drafts)));
    Ok(())
}

/// Reads the stored comparison back into the page; when it is over, this
/// page's work on it ends (and a notification says so, if asked for).
pub fn refresh(studio: Studio) {
    let Some(stored) = studio.store.try_with_value(|s| s.load_comparison()) else { return };
    if let Some(c) = stored.as_ref().filter(|c| c.is_over()) {
        if studio.comparing() {
            let _ = studio.compare_abort.try_set_value(None);
            if studio.notify.get_untracked() {
                let (done, all) = c.done_count();
                notify::tell("Drafts done", &format!("{done} of {all} drafts have a video."));
            }
        }
    }
    // The history list is read again only when a draft's video was added to it.
    let done = |c: &Option<Comparison>| c.as_ref().map_or(0, |c| c.done_count().0);
    let added = done(&stored) > studio.comparison.try_with_untracked(done).unwrap_or(0);
    let _ = studio.comparison.try_set(stored);
    if added {
        let _ = studio.history_version.try_update(|v| *v += 1);
    }
}

/// On opening the page: a kept comparison comes back, and whatever it has
/// left to send or follow goes on ([`compare_run::reopen`]).
pub fn reopen(studio: Studio) {
    let Some((comparison, goes_on)) = studio.store.with_value(compare_run::reopen) else { return };
    studio.comparison.set(Some(comparison.clone()));
    if goes_on {
        go_on(studio, comparison);
    }
}

/// This page takes the comparison up (on load, after Stop, or to send a
/// draft again) with the inputs kept for it.
pub fn go_on(studio: Studio, comparison: Comparison) {
    if studio.comparing() {
        return;
    }
    spawn_local(async move {
        let history = studio.history.try_get_value().flatten();
        let locals = compare_run::load_inputs(history.as_ref(), &comparison).await;
        if locals.is_none() && comparison.next_queued(0.0).is_some() {
            // Running drafts are still followed; queued ones cannot be sent without their voice.
            let _ = studio.compare_problem.try_set(Some("The drafts' voice was not kept in this browser, so the drafts not sent yet cannot be: start a new comparison for them.".into()));
        }
        if let Err(problem) = run_drafts(studio, &comparison, locals.unwrap_or_default()) {
            let _ = studio.compare_problem.try_set(Some(problem));
        }
    });
}

/// Sends the drafts: cuts the voice (read into the page when it is an
/// address), keeps the comparison and its inputs, then runs it.
fn start(studio: Studio, variants: Vec<Variant>, draft_secs: f64) {
    let problem = studio.compare_problem;
    problem.set(None);
    let (Ok(_), Ok(endpoint)) = (studio.checked.get_untracked(), studio.resolved.get_untracked()) else { return };
    let base = studio.draft.get_untracked();
    let voice = studio.local_audio.get_untracked();
    let image = match studio.local_image.get_untracked() {
        Some(LocalState::Ready(media)) => Some(media),
        _ => None,
    };
    let from_secs = studio.trim.get_untracked().map_or(0.0, |t| t.start);
    let route = studio.run_settings.with_untracked(|r| r.input_route);
    studio.comparison.set(None);
    spawn_local(async move {
        let voice = match voice {
            Some(LocalState::Ready(media)) => Ok(media),
            Some(_) => Err("Wait until the voice clip is checked.".to_string()),
            None => compare_run::fetch_voice(base.input_audio.trim()).await.map_err(|e| format!("The drafts are cut from the voice in this page, and {e}.")),
        };
        let cut = match voice {
            Ok(voice) => compare_run::cut_voice(&voice, from_secs, draft_secs).await.map_err(|e| format!("The voice could not be cut: {e}.")),
            Err(e) => Err(e),
        };
        let audio = match cut {
            Ok(blob) => local::load_audio(&blob, DRAFT_AUDIO_NAME).await.map_err(|e| format!("The cut voice could not be read: {e}.")),
            Err(e) => Err(e),
        };
        let audio = match audio {
            Ok(audio) => audio,
            Err(e) => return drop(problem.try_set(Some(e))),
        };
        let history = studio.history.try_get_value().flatten();
        compare_run::keep_inputs(history.as_ref(), &audio.blob, image.as_ref()).await;
        let comparison = Comparison {
            id: js_sys::Date::now(),
            endpoint: endpoint.for_job(),
            base,
            local_image: image.is_some(),
            route,
            from_secs,
            draft_secs: audio.measure,
            drafts: variants.into_iter().map(|variant| DraftRun { variant, state: DraftState::Queued { not_before_ms: 0.0 } }).collect(),
        };
        let Some(store) = studio.store.try_get_value() else { return };
        if !store.save_comparison(Some(&comparison)) {
            let _ = problem.try_set(Some("This page cannot keep the comparison (browser storage is off or full), so a reload would lose track of the drafts: keep this tab open.".into()));
        }
        let _ = studio.comparison.try_set(Some(comparison.clone()));
        if let Err(e) = run_drafts(studio, &comparison, LocalInputs { image, audio: Some(audio), trim: None }) {
            let _ = problem.try_set(Some(e));
        }
    });
}

/// The section as the first load draws it: its code (and a kept
/// comparison's) is fetched when it is opened, or at once when a comparison
/// is kept here.
#[component]
pub fn ComparePanel() -> impl IntoView {
    let studio = use_studio();
    let wanted = RwSignal::new(studio.store.with_value(Store::has_comparison));
    view! {
        <details class="ths-compare" data-testid="compare" open=move || studio.comparison.with(Option::is_some)
            on:toggle=move |_| if !wanted.get_untracked() { wanted.set(true) }>
            <summary>"Compare settings on short drafts"</summary>
            {move || wanted.get().then(|| later(compare_part))}
        </details>
    }
}

split_point! {
    fn compare_part() -> AnyView {
        // A comparison kept here comes back (and goes on) with the section's code.
        reopen(use_studio());
        view! { <CompareBody /> }.into_any()
    }
}

#[component]
fn CompareBody() -> impl IntoView {
    let studio = use_studio();
    // The last comparison's variants, so another round starts from them.
    let kept = studio.comparison.with_untracked(|c| c.as_ref().map(|c| c.drafts.iter().map(|d| d.variant).collect::<Vec<Variant>>()));
    let variants = RwSignal::new(kept.unwrap_or_default());
    let secs_text = RwSignal::new(String::new());
    let asking = RwSignal::new(false);
    let base = move || studio.checked.with(|c| c.as_ref().ok().map(Variant::of));
    let plan = Memo::new(move |_| {
        let chosen = variants.get();
        compare::checked(&chosen).map_err(|e| e.to_string())?;
        let secs = compare::draft_secs(&secs_text.get()).map_err(|e| e.to_string())?;
        if base().is_none() {
            return Err("Fix the form's marked fields first: the drafts use its portrait and voice.".to_string());
        }
        let photo_pixels = studio.cost_inputs().and_then(|c| c.photo_pixels);
        let on_stand_in = studio.resolved.with(run_rules::is_free);
        let total = studio.past_runs.with(|kept| compare::total(&chosen, secs, photo_pixels, &run_rules::runs_for(kept, on_stand_in)));
        Ok((chosen.len(), secs, compare::plan_text(chosen.len(), secs, &total), on_stand_in))
    });
    let busy = move || studio.comparison.with(|c| c.as_ref().is_some_and(|c| !c.is_over())) || studio.running();
    let preset_button = move |preset: Preset| {
        view! {
            <button type="button" data-testid="compare-preset" disabled=move || base().is_none()
                on:click=move |_| if let Some(base) = base() { variants.set(preset.variants(base)) }>
                {preset.label()}
            </button>
        }
    };
    view! {
            <p class="ths-hint">"Each variant runs on the first seconds of the voice, for a fraction of a run's price; pick the best, then make it in full."</p>
            <div class="ths-compare-plan" hidden=move || studio.comparison.with(|c| c.as_ref().is_some_and(|c| !c.is_over()))>
            <div class="ths-actions">
                {Preset::ALL.into_iter().map(preset_button).collect_view()}
                <button type="button" data-testid="compare-add" disabled=move || base().is_none() || variants.with(|v| v.len() >= compare::MAX_VARIANTS)
                    on:click=move |_| if let Some(base) = base() { variants.update(|v| if !v.contains(&base) { v.push(base) }) }>
                    "Add the form's settings"
                </button>
            </div>
            <ol class="ths-variants">
                {move || variants.get().into_iter().enumerate().map(|(i, v)| view! {
                    <li data-testid="variant">{v.label()} " "
                        <button type="button" class="ths-small" data-testid="variant-remove" aria-label=format!("Remove variant {}", i + 1)
                            on:click=move |_| variants.update(|all| { if i < all.len() { all.remove(i); } })>"Remove"</button>
                    </li>
                }).collect_view()}
            </ol>
            <div class="ths-field">
                <label for=studio.id("draft-secs")>"Draft length (seconds)"</label>
                <input id=studio.id("draft-secs") type="text" inputmode="decimal" class="ths-number" data-testid="draft-secs" placeholder="3"
                    prop:value=move || secs_text.get() on:input=move |ev| secs_text.set(event_target_value(&ev)) />
                <p class="ths-hint">{move || format!("From {} s of the voice (where its trim starts).", crate::api::estimate::tenths_text(studio.trim.get().map_or(0.0, |t| t.start)))}</p>
            </div>
            <p data-testid="compare-plan">{move || match plan.get() { Ok((_, _, text, _)) => text, Err(e) => e }}</p>
            <div class="ths-actions">
                <button type="button" class="ths-generate" data-testid="compare-start" disabled=move || plan.with(Result::is_err) || busy()
                    on:click=move |_| asking.set(true)>
                    {move || plan.with(|p| p.as_ref().map_or_else(|_| "Make drafts…".to_string(), |p| format!("Make {} drafts…", p.0)))}
                </button>
            </div>
            <div class="ths-note" role="alertdialog" aria-label="Send the drafts?" data-testid="compare-confirm" hidden=move || !asking.get()>
                <p>{move || plan.get().ok().map(|(count, _, text, free)| if free {
                    format!("Send {count} runs to the local stand-in (free)? {text}")
                } else {
                    format!("Send {count} paid runs? {text}")
                })}</p>
                <button type="button" data-testid="compare-send" disabled=move || plan.with(Result::is_err) || busy() on:click=move |_| {
                    asking.set(false);
                    if let Ok((_, secs, _, _)) = plan.get_untracked() {
                        start(studio, variants.get_untracked(), secs);
                    }
                }>"Send them"</button>
                " "
                <button type="button" data-testid="compare-not-now" on:click=move |_| asking.set(false)>"Not now"</button>
            </div>
            </div>
            <p class="ths-warning" role="alert" data-testid="compare-problem" hidden=move || studio.compare_problem.with(Option::is_none)>
                {move || studio.compare_problem.get()}
            </p>
            <CompareGrid />
    }
}
