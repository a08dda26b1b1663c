//! The drafts side by side: each with its settings, its own progress or
//! failure, its video (playing one plays them all in step), and "Make it".

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

use super::compare_panel::{go_on, refresh};
use super::run_panel::start_run;
use super::studio::{use_studio, Studio};
use crate::api::compare::{self, Variant};
use crate::api::request::Field;
use crate::browser::object_url::ObjectUrl;
use crate::studio::comparison::{self, DraftState};
use crate::studio::run_rules::Start;

/// Sets the form to `variant`'s settings and makes the full-length run.
fn make_it(studio: Studio, variant: Variant) {
    studio.draft.update(|d| {
        d.set_text(Field::PoseStyle, variant.pose_style.to_string());
        d.set_text(Field::ExpressionScale, compare::scale_text(variant.expression_scale));
        d.set_text(Field::Preprocess, variant.preprocess.as_str().to_string());
        d.set_text(Field::ImageSize, variant.image_size.pixels().to_string());
        d.enhancer = variant.enhancer;
    });
    start_run(studio, Start::New);
}

/// The grid's other videos follow the one the person played, paused or
/// moved. Each follower only moves when it is out of step, so their own
/// events end the echo.
fn keep_in_step(grid: NodeRef<leptos::html::Div>, leader: &HtmlVideoElement) {
    let Some(list) = grid.get_untracked().and_then(|g| g.query_selector_all("video").ok()) else { return };
    for i in 0..list.length() {
        let Some(video) = list.item(i).and_then(|n| n.dyn_into::<HtmlVideoElement>().ok()) else { continue };
        if video == *leader {
            continue;
        }
        if (video.current_time() - leader.current_time()).abs() > 0.25 {
            video.set_current_time(leader.current_time());
        }
        match (leader.paused(), video.paused()) {
            (false, true) => drop(video.play()),
            (true, false) => drop(video.pause()),
            _ => {}
        }
    }
}

/// Puts drafts the person chose to send again back in the queue, and goes on.
fn send_again(studio: Studio, index: usize) {
    let Some(comparison) = studio.store.with_value(|s| {
        s.update_comparison(studio.comparison.with_untracked(|c| c.as_ref().map_or(0.0, |c| c.id)), |c| {
            if let Some(d) = c.drafts.get_mut(index) {
                d.state = DraftState::Queued { not_before_ms: 0.0 };
            }
        })
    }) else {
        return;
    };
    refresh(studio);
    go_on(studio, comparison);
}

#[component]
pub fn CompareGrid() -> impl IntoView {
    let studio = use_studio();
    let grid = NodeRef::<leptos::html::Div>::new();
    // The finished drafts' videos, by history id (read back from the history).
    let videos = RwSignal::new(Vec::<(f64, ObjectUrl)>::new());
    let done_ids = Memo::new(move |_| {
        studio.comparison.with(|c| {
            c.as_ref().map_or_else(Vec::new, |c| {
                c.drafts.iter().filter_map(|d| match d.state { DraftState::Done { history_id } => Some(history_id), _ => None }).collect::<Vec<f64>>()
            })
        })
    });
    Effect::new(move |_| {
        let wanted = done_ids.get();
        let Some(Some(history)) = studio.history.try_get_value() else { return };
        spawn_local(async move {
            let Ok(items) = history.list().await else { return };
            // An older read finishing last must not take newer drafts' videos away.
            if done_ids.try_get_untracked().is_none_or(|now| now != wanted) {
                return;
            }
            let found = items.iter().filter(|i| wanted.contains(&i.id)).filter_map(|i| Some((i.id, ObjectUrl::new(&i.blob)?))).collect();
            let _ = videos.try_set(found);
        });
    });
    let cell = move |(index, draft): (usize, comparison::DraftRun)| {
        let variant = draft.variant;
        let state = draft.state.clone();
        let status = move || studio.draft_progress.with(|p| comparison::status_text(&state, p.get(index).and_then(Option::as_ref)));
        let video = match draft.state {
            DraftState::Done { history_id } => videos.with(|v| v.iter().find(|(id, _)| *id == history_id).map(|(_, url)| url.as_str().to_string())),
            _ => None,
        };
        let resend = matches!(draft.state, DraftState::Failed { .. } | DraftState::Unknown);
        view! {
            <figure class="ths-draft" data-testid="draft" data-state=draft.state.name()>
                {video.map(|src| view! {
                    <video data-testid="draft-video" src=src controls prop:muted=true playsinline preload="auto"
                        on:play=move |ev| keep_in_step(grid, &event_target::<HtmlVideoElement>(&ev))
                        on:pause=move |ev| keep_in_step(grid, &event_target::<HtmlVideoElement>(&ev))
                        on:seeked=move |ev| keep_in_step(grid, &event_target::<HtmlVideoElement>(&ev))></video>
                })}
                <figcaption>
                    <p class="ths-draft-label" data-testid="draft-label">{variant.label()}</p>
                    <p class="ths-hint" data-testid="draft-status">{status}</p>
                    {matches!(draft.state, DraftState::Done { .. }).then(|| view! {
                        <button type="button" data-testid="make-it" disabled=move || studio.running()
                            on:click=move |_| make_it(studio, variant)>"Make it (full length)"</button>
                    })}
                    {resend.then(|| view! {
                        <button type="button" data-testid="draft-resend" on:click=move |_| send_again(studio, index)>"Send it again"</button>
                    })}
                </figcaption>
            </figure>
        }
    };
    view! {
        {move || studio.comparison.get().map(|c| {
            let over = c.is_over();
            let running = c.running_count();
            let (done, all) = c.done_count();
            let forget_label = if running > 0 && !studio.comparing() {
                format!("Forget these drafts ({running} still running: their videos will not be kept)")
            } else {
                "Clear these drafts (their videos stay in the history)".to_string()
            };
            let again = c.clone();
            view! {
                <div class="ths-actions">
                    <span data-testid="compare-count">{format!("{done} of {all} drafts done")}</span>
                    <button type="button" data-testid="compare-stop" hidden=move || !studio.comparing()
                        on:click=move |_| {
                            if let Some(Some(c)) = studio.compare_abort.try_get_value() { c.abort(); }
                            studio.compare_abort.set_value(None);
                            refresh(studio);
                        }>"Stop following"</button>
                    <button type="button" data-testid="compare-go-on" hidden=move || over || studio.comparing()
                        on:click=move |_| go_on(studio, again.clone())>"Go on"</button>
                    <button type="button" data-testid="compare-clear" hidden=move || studio.comparing()
                        on:click=move |_| {
                            studio.store.with_value(|s| s.save_comparison(None));
                            studio.comparison.set(None);
                        }>{forget_label}</button>
                </div>
                <div class="ths-draft-grid" data-testid="compare-grid" node_ref=grid>
                    {c.drafts.into_iter().enumerate().map(cell).collect_view()}
                </div>
            }
        })}
    }
}
