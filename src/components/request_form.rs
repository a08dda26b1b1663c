//! The request's own fields, and how the run is made (advanced).

use leptos::prelude::*;

use super::controls::{draft_text, field_message, field_message_view, slider_number};
use super::later::later;
use super::studio::use_studio;
use crate::chunks::split_point;
use crate::api::request::{Field, ImageSize, Preprocess};
use crate::api::run_settings::{DEFAULT_TIMEOUT_SECS, InputRoute, RunMode, RunSettings};

#[component]
pub fn InputsSection() -> impl IntoView {
    view! {
        <fieldset class="ths-inputs">
            <legend>"Inputs"</legend>
            {[
                (Field::InputImage, "https://example.com/portrait.jpg", "A clear, front-facing photo of one real human face (URL or data: URI)."),
                (Field::InputAudio, "https://example.com/voice.mp3", "Speech as WAV or MP3. Avoid special symbols in the file name: they can break the model's ffmpeg."),
            ].map(|(field, placeholder, hint)| draft_text(field, placeholder, hint)).into_iter().collect_view()}
        </fieldset>
    }
}

/// A radio group for one of the run settings (how to run, how files go).
fn run_choice<T: Copy + PartialEq + Send + Sync + 'static>(
    group: String,
    choices: [(T, &'static str, &'static str); 2],
    get: fn(&RunSettings) -> T,
    set: fn(&mut RunSettings, T),
) -> impl IntoView {
    let run_settings = use_studio().run_settings;
    choices
        .map(|(value, testid, label)| {
            view! {
                <label class="ths-choice">
                    <input type="radio" name=group.clone() data-testid=testid
                        prop:checked=move || run_settings.with(|r| get(r) == value)
                        on:change=move |_| run_settings.update(|r| set(r, value)) />
                    {label}
                </label>
            }
        })
        .into_iter()
        .collect_view()
}

/// A checkbox for one of the two boolean fields.
fn draft_toggle(field: Field, label: &'static str) -> impl IntoView {
    let draft = use_studio().draft;
    let get = move || draft.with(|d| if field == Field::Base64 { d.base64 } else { d.enhancer });
    let set = move |on: bool| draft.update(|d| if field == Field::Base64 { d.base64 = on } else { d.enhancer = on });
    view! {
        <label class="ths-choice ths-toggle">
            <input type="checkbox" data-testid=field.json_name() prop:checked=get on:change=move |ev| set(event_target_checked(&ev)) />
            {label}
        </label>
    }
}

#[component]
pub fn SettingsSection() -> impl IntoView {
    let studio = use_studio();
    let draft = studio.draft;
    let run_settings = studio.run_settings;
    let preprocess_message = field_message(studio.checked, Field::Preprocess);
    let size_message = field_message(studio.checked, Field::ImageSize);
    let preprocess_options = Preprocess::ALL.map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> });
    let size_group = studio.id("image-size");
    let size_options = ImageSize::ALL.map(|size| {
        let px = size.pixels().to_string();
        let label = format!("{px} px");
        let value = px.clone();
        view! {
            <label class="ths-choice">
                <input type="radio" name=size_group.clone() value=px.clone() data-testid=format!("image_size-{px}")
                    prop:checked=move || draft.with(|d| d.image_size.trim() == value)
                    on:change=move |_| draft.update(|d| d.image_size = px.clone()) />
                {label}
            </label>
        }
    });
    // Opened at start when its time limit is marked, so the mark is seen; drawn once opened.
    let advanced_open = run_settings.with_untracked(|r| r.timeout().is_err());
    let advanced = RwSignal::new(advanced_open);
    let preprocess_id = studio.id("preprocess");

    view! {
        <fieldset class="ths-settings">
            <legend>"Settings"</legend>
            {[
                (Field::PoseStyle, "0", "45", "1", "Head-movement style, a whole number 0–45 (default 4)."),
                (Field::ExpressionScale, "1", "3", "0.1", "Strength of facial expression, 1–3 (default 1.4)."),
            ].map(|(field, min, max, step, hint)| slider_number(field, min, max, step, hint)).into_iter().collect_view()}

            <div class="ths-field" class:ths-invalid=move || preprocess_message().is_some()>
                <label for=preprocess_id.clone()>"Preprocess"</label>
                <select id=preprocess_id data-testid="preprocess"
                    prop:value=move || draft.with(|d| d.preprocess.trim().to_ascii_lowercase())
                    on:change=move |ev| draft.update(|d| d.preprocess = event_target_value(&ev))>
                    {preprocess_options.into_iter().collect_view()}
                </select>
                <p class="ths-hint">"How the portrait is framed: crop to the face, resize it, or keep the full image."</p>
                {field_message_view(Signal::derive(preprocess_message), "preprocess")}
            </div>

            <div class="ths-field" role="radiogroup" aria-label="Image size" class:ths-invalid=move || size_message().is_some()>
                <span class="ths-label">"Image size"</span>
                <div class="ths-choices">{size_options.into_iter().collect_view()}</div>
                <p class="ths-hint">"Resolution of the face renderer; 512 is sharper and slower."</p>
                {field_message_view(Signal::derive(size_message), "image_size")}
            </div>

            {draft_toggle(Field::Enhancer, "Enhance the face (face restoration)")}

            <details class="ths-advanced" data-testid="advanced" open=advanced_open
                on:toggle=move |_| if !advanced.get_untracked() { advanced.set(true) }>
                <summary>"Advanced"</summary>
                {move || advanced.get().then(|| later(advanced_part))}
            </details>
        </fieldset>
    }
}

split_point! {
    /// The closed "Advanced" part of the settings: its code comes when it is first opened.
    fn advanced_part() -> AnyView {
        view! { <AdvancedSettings /> }.into_any()
    }
}

/// How the run is made: the answer's encoding, job or one request, how local
/// files go, and the time limit.
#[component]
fn AdvancedSettings() -> impl IntoView {
    let studio = use_studio();
    let run_settings = studio.run_settings;
    let timeout_message = move || run_settings.with(|r| r.timeout().err().map(|e| e.to_string()));
    let mode_options = run_choice(
        studio.id("mode"),
        [(RunMode::Job, "mode-job", "As a job (survives a reload; the provider's advice for video)"), (RunMode::OneShot, "mode-one_shot", "One long request")],
        |r| r.mode,
        |r, mode| r.mode = mode,
    );
    let route_options = run_choice(
        studio.id("route"),
        [
            (InputRoute::Upload, "route-upload", "Upload local files first (the provider's storage), then send their URLs"),
            (InputRoute::Inline, "route-inline", "Send local files inline, inside the request (data: URIs)"),
        ],
        |r| r.input_route,
        |r, route| r.input_route = route,
    );
    let timeout_id = studio.id("timeout");

    view! {
            {draft_toggle(Field::Base64, "Ask for the video base64-encoded (base64: true); the page decodes it either way.")}
            <div class="ths-field" role="radiogroup" aria-label="How to run">
                <span class="ths-label">"How to run"</span>
                <div class="ths-choices">{mode_options}</div>
            </div>
            <div class="ths-field" role="radiogroup" aria-label="How local files are sent">
                <span class="ths-label">"Local files"</span>
                <div class="ths-choices">{route_options}</div>
            </div>
            <div class="ths-field" class:ths-invalid=move || timeout_message().is_some()>
                <label for=timeout_id.clone()>"Time limit (seconds)"</label>
                <input id=timeout_id type="text" inputmode="numeric" class="ths-number" data-testid="timeout"
                    prop:value=move || run_settings.with(|r| r.timeout_secs.clone())
                    on:input=move |ev| run_settings.update(|r| r.timeout_secs = event_target_value(&ev)) />
                <p class="ths-hint">{format!("The page stops waiting after this long (default {DEFAULT_TIMEOUT_SECS}; a run takes about 120).")}</p>
                {field_message_view(Signal::derive(timeout_message), "timeout")}
            </div>
    }
}
