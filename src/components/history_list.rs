//! Videos made before, kept in this browser: play, download, reuse the
//! settings, or delete.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::studio::{use_studio, RunState};
use crate::browser::history::HistoryError;
use crate::browser::json_doc::JsonDoc;
use crate::browser::object_url::ObjectUrl;
use crate::api::estimate;
use crate::api::request::RequestDraft;
use crate::studio::run_rules;
use crate::studio::session::Finished;

#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: f64,
    when: String,
    summary: String,
    file_name: String,
    draft_json: String,
    from_stand_in: bool,
    draft_secs: Option<f64>,
    url: ObjectUrl,
}

crate::chunks::split_point! {
    /// The history list, fetched after the form is drawn.
    pub fn history_part() -> AnyView {
        view! { <HistoryList /> }.into_any()
    }
}

#[component]
fn HistoryList() -> impl IntoView {
    let studio = use_studio();
    let rows = RwSignal::new(None::<Result<Vec<Row>, HistoryError>>);
    Effect::new(move |_| {
        let version = studio.history_version.get();
        let Some(Some(history)) = studio.history.try_get_value() else { return };
        spawn_local(async move {
            let listed = history.list().await;
            // Reads overlap when videos are kept in quick succession: an
            // older one finishing last must not hide the newer videos.
            if studio.history_version.try_get_untracked() != Some(version) {
                return;
            }
            let listed = listed.map(|items| {
                let past: Vec<_> = items
                    .iter()
                    .filter_map(|item| Some(run_rules::KeptRun { run: run_rules::past_run(&item.draft_json, item.cost)?, on_stand_in: item.from_stand_in }))
                    .collect();
                let _ = studio.past_runs.try_set(past);
                items
                    .into_iter()
                    .filter_map(|item| {
                        let when = String::from(js_sys::Date::new(&item.id.into()).to_locale_string("default", &Default::default()));
                        Some(Row {
                            id: item.id,
                            when,
                            summary: item.summary,
                            file_name: item.file_name,
                            draft_json: item.draft_json,
                            from_stand_in: item.from_stand_in,
                            draft_secs: item.draft_secs,
                            url: ObjectUrl::new(&item.blob)?,
                        })
                    })
                    .collect()
            });
            let _ = rows.try_set(Some(listed));
        });
    });
    let row_view = move |row: Row| {
        let src = row.url.as_str().to_string();
        let play = row.clone();
        let reuse = row.draft_json.clone();
        let id = row.id;
        view! {
            <li class="ths-history-item" data-testid="history-item">
                <video class="ths-poster" src=src.clone() preload="metadata" muted></video>
                <div>
                    <p class="ths-history-when">{row.when.clone()}
                        {row.draft_secs.map(|secs| view! { " " <span class="ths-badge" data-testid="history-draft">"Draft · " {estimate::tenths_text(secs)} " s"</span> })}
                    </p>
                    <p class="ths-hint" data-testid="history-summary">{row.summary.clone()}</p>
                    <button type="button" data-testid="history-play" on:click=move |_| studio.run.set(RunState::Succeeded(Finished {
                        url: play.url.clone(), summary: play.summary.clone(), file_name: play.file_name.clone(),
                        remaining_credits: None, from_stand_in: play.from_stand_in, not_kept: None,
                        ticket_kept: false, history_id: Some(id),
                    }))>"Play"</button>
                    <a href=src download=row.file_name.clone() data-testid="history-download">"Download"</a>
                    <button type="button" data-testid="history-reuse" on:click=move |_| {
                        if let Some(doc) = JsonDoc::parse(&reuse) {
                            studio.draft.set(RequestDraft::from_doc(&doc));
                        }
                    }>"Reuse settings"</button>
                    <button type="button" data-testid="history-delete" on:click=move |_| {
                        let Some(Some(history)) = studio.history.try_get_value() else { return };
                        spawn_local(async move {
                            let _ = history.delete(id).await;
                            let _ = studio.history_version.try_update(|v| *v += 1);
                        });
                    }>"Delete"</button>
                </div>
            </li>
        }
    };
    view! {
        <section class="ths-history" data-testid="history" hidden=move || studio.history.with_value(Option::is_none)>
            <h2>"History"</h2>
            {move || match rows.get() {
                None => ().into_any(),
                Some(Err(error)) => view! { <p class="ths-warning" data-testid="history-error">{error.to_string()}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="ths-hint">"Videos you make are kept here, in this browser."</p> }.into_any(),
                Some(Ok(list)) => view! { <ul class="ths-history-list">{list.into_iter().map(row_view).collect_view()}</ul> }.into_any(),
            }}
        </section>
    }
}
