//! The studio: state, persistence, and the page's layout.

use leptos::prelude::*;

use super::controls::Checked;
use super::endpoint_picker::EndpointPicker;
use super::request_form::{InputsSection, SettingsSection};
use super::run_panel::RunPanel;
use crate::endpoint::{sample_inputs, EndpointKind, EndpointSettings};
use crate::request::{not_public_inputs, RequestDraft};
use crate::saved_form::SavedForm;

/// Where the page was served from (the stand-in serves it and the samples).
fn page_origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// A first visit gets the stand-in's samples filled in; a return visit gets what was left.
fn initial_form(origin: &str) -> SavedForm {
    SavedForm::load().unwrap_or_else(|| {
        let (input_image, input_audio) = sample_inputs(origin);
        SavedForm { draft: RequestDraft { input_image, input_audio, ..RequestDraft::default() }, endpoint: EndpointSettings::default() }
    })
}

#[component]
pub fn App() -> impl IntoView {
    let origin = page_origin();
    let initial = initial_form(&origin);
    let draft = RwSignal::new(initial.draft);
    let endpoint = RwSignal::new(initial.endpoint);

    // Every edit is kept, so nothing is lost to an error or a reload.
    Effect::new(move |_| SavedForm { draft: draft.get(), endpoint: endpoint.get() }.store());

    let resolve_origin = origin.clone();
    let resolved = Memo::new(move |_| endpoint.with(|e| e.resolve(&resolve_origin)));
    let checked: Checked = Memo::new(move |_| {
        let request = draft.with(RequestDraft::validate)?;
        let problems = match endpoint.with(|e| e.kind) {
            EndpointKind::Segmind => not_public_inputs(&request),
            EndpointKind::StandIn | EndpointKind::Proxy => Vec::new(),
        };
        if problems.is_empty() {
            Ok(request)
        } else {
            Err(problems)
        }
    });

    view! {
        <div class="ths-studio" data-testid="studio">
            <header class="ths-header">
                <h1>"Talking-Head Studio"</h1>
                <p>"A portrait and a voice clip in, a video of that face speaking out (SadTalker on Segmind)."</p>
            </header>
            <form class="ths-form" novalidate on:submit=|ev| ev.prevent_default()>
                <EndpointPicker settings=endpoint resolved page_origin=origin />
                <InputsSection draft checked />
                <SettingsSection draft checked />
                <RunPanel checked resolved />
            </form>
        </div>
    }
}
