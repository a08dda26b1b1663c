//! Small form controls bound to one field of the request draft.

use leptos::prelude::*;

use super::studio::{use_studio, Checked};
use crate::api::request::{audio_name_warning, check_uri, Field, RequestDraft};

/// The message that belongs beside `field`, if any.
pub fn field_message(checked: Checked, field: Field) -> impl Fn() -> Option<String> + Copy {
    move || checked.with(|v| v.as_ref().err().and_then(|errors| RequestDraft::error_for(errors, field)))
}

/// A message slot under a control; empty when all is well. (Plain functions
/// rather than components here: one copy of the code serves every field.)
pub fn field_message_view(message: Signal<Option<String>>, testid: &str) -> impl IntoView {
    view! {
        <p class="ths-field-error" role="alert" data-testid=format!("error-{testid}") hidden=move || message.with(Option::is_none)>
            {move || message.get().unwrap_or_default()}
        </p>
    }
}

/// A text input that writes what is typed straight into the draft, with the
/// local-file alternative beneath it (the URL box hides while a file is used).
pub fn draft_text(field: Field, placeholder: &'static str, hint: &'static str) -> impl IntoView {
    let studio = use_studio();
    let local = if field == Field::InputImage { studio.local_image } else { studio.local_audio };
    let draft = studio.draft;
    let id = studio.id(field.json_name());
    let message = field_message(studio.checked, field);
    view! {
        <div class="ths-field" class:ths-invalid=move || message().is_some()>
            <label for=id.clone()>{field.label()}</label>
            <input id=id type="url" inputmode="url" spellcheck="false" autocomplete="off" hidden=move || local.with(Option::is_some)
                data-testid=field.json_name() placeholder=placeholder
                aria-invalid=move || message().is_some().to_string()
                prop:value=move || draft.with(|d| d.text(field).to_string())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    // A data: URI is bytes, not an address: checked like a file.
                    if text.trim().get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) && check_uri(field, &text).is_ok() {
                        draft.update(|d| d.set_text(field, String::new()));
                        super::local_input::take_data_uri(studio, field, text.trim().to_string());
                    } else {
                        draft.update(|d| d.set_text(field, text));
                    }
                } />
            {super::local_input::local_input(field)}
            <p class="ths-warning" data-testid=format!("warning-{}", field.json_name())
                hidden=move || field != Field::InputAudio || local.with(Option::is_some) || draft.with(|d| audio_name_warning(&d.input_audio).is_none())>
                {move || draft.with(|d| audio_name_warning(&d.input_audio)).unwrap_or_default()}
            </p>
            <p class="ths-hint">{hint}</p>
            {field_message_view(Signal::derive(message), field.json_name())}
        </div>
    }
}

/// A range slider and a number box for the same draft field; either one edits it.
pub fn slider_number(field: Field, min: &'static str, max: &'static str, step: &'static str, hint: &'static str) -> impl IntoView {
    let studio = use_studio();
    let draft = studio.draft;
    let id = studio.id(field.json_name());
    let message = field_message(studio.checked, field);
    let value = move || draft.with(|d| d.text(field).to_string());
    let set = move |text: String| draft.update(|d| d.set_text(field, text));
    view! {
        <div class="ths-field" class:ths-invalid=move || message().is_some()>
            <label for=id.clone()>{field.label()}</label>
            <div class="ths-slider-row">
                <input type="range" min=min max=max step=step aria-label=format!("{} slider", field.label())
                    data-testid=format!("{}-slider", field.json_name())
                    prop:value=value on:input=move |ev| set(event_target_value(&ev)) />
                // Text, not type="number": a number box reports "" for a half-typed "1.",
                // which would wipe what the person is typing when echoed back.
                <input id=id type="text" inputmode="decimal" autocomplete="off" class="ths-number"
                    data-testid=field.json_name()
                    aria-invalid=move || message().is_some().to_string()
                    prop:value=value on:input=move |ev| set(event_target_value(&ev)) />
            </div>
            <p class="ths-hint">{hint}</p>
            {field_message_view(Signal::derive(message), field.json_name())}
        </div>
    }
}
