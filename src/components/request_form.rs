//! The request's own fields: the two inputs and the model settings.

use leptos::prelude::*;

use super::controls::{field_message, Checked, DraftText, FieldMessage, SliderNumber};
use crate::request::{Field, ImageSize, Preprocess, RequestDraft};

#[component]
pub fn InputsSection(draft: RwSignal<RequestDraft>, checked: Checked) -> impl IntoView {
    view! {
        <fieldset class="ths-inputs">
            <legend>"Inputs"</legend>
            <DraftText draft checked field=Field::InputImage placeholder="https://example.com/portrait.jpg"
                hint="A clear, front-facing photo of one real human face (URL or data: URI)." />
            <DraftText draft checked field=Field::InputAudio placeholder="https://example.com/voice.mp3"
                hint="Speech as WAV or MP3. Avoid special symbols in the file name: they can break the model's ffmpeg." />
        </fieldset>
    }
}

#[component]
pub fn SettingsSection(draft: RwSignal<RequestDraft>, checked: Checked) -> impl IntoView {
    let preprocess_message = field_message(checked, Field::Preprocess);
    let size_message = field_message(checked, Field::ImageSize);
    let preprocess_options = Preprocess::ALL.map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> });
    let size_options = ImageSize::ALL.map(|size| {
        let px = size.pixels().to_string();
        let label = format!("{px} px");
        let value = px.clone();
        view! {
            <label class="ths-choice">
                <input type="radio" name="ths-image-size" value=px.clone() data-testid=format!("image_size-{px}")
                    prop:checked=move || draft.with(|d| d.image_size.trim() == value)
                    on:change=move |_| draft.update(|d| d.image_size = px.clone()) />
                {label}
            </label>
        }
    });

    view! {
        <fieldset class="ths-settings">
            <legend>"Settings"</legend>
            <SliderNumber draft checked field=Field::PoseStyle min="0" max="45" step="1"
                hint="Head-movement style, a whole number 0–45 (default 4)." />
            <SliderNumber draft checked field=Field::ExpressionScale min="1" max="3" step="0.1"
                hint="Strength of facial expression, 1–3 (default 1.4)." />

            <div class="ths-field" class:ths-invalid=move || preprocess_message().is_some()>
                <label for="ths-preprocess">"Preprocess"</label>
                <select id="ths-preprocess" data-testid="preprocess"
                    prop:value=move || draft.with(|d| d.preprocess.trim().to_ascii_lowercase())
                    on:change=move |ev| draft.update(|d| d.preprocess = event_target_value(&ev))>
                    {preprocess_options.into_iter().collect_view()}
                </select>
                <p class="ths-hint">"How the portrait is framed: crop to the face, resize it, or keep the full image."</p>
                <FieldMessage message=Signal::derive(preprocess_message) field=Field::Preprocess />
            </div>

            <div class="ths-field" role="radiogroup" aria-label="Image size" class:ths-invalid=move || size_message().is_some()>
                <span class="ths-label">"Image size"</span>
                <div class="ths-choices">{size_options.into_iter().collect_view()}</div>
                <p class="ths-hint">"Resolution of the face renderer; 512 is sharper and slower."</p>
                <FieldMessage message=Signal::derive(size_message) field=Field::ImageSize />
            </div>

            <label class="ths-choice ths-toggle">
                <input type="checkbox" data-testid="enhancer"
                    prop:checked=move || draft.with(|d| d.enhancer)
                    on:change=move |ev| draft.update(|d| d.enhancer = event_target_checked(&ev)) />
                "Enhance the face (face restoration)"
            </label>

            <details class="ths-advanced">
                <summary>"Advanced"</summary>
                <label class="ths-choice ths-toggle">
                    <input type="checkbox" data-testid="base64"
                        prop:checked=move || draft.with(|d| d.base64)
                        on:change=move |ev| draft.update(|d| d.base64 = event_target_checked(&ev)) />
                    "Ask for the video base64-encoded (base64: true); the page decodes it either way."
                </label>
            </details>
        </fieldset>
    }
}
