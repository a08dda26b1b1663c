//! A local file for the portrait or the voice: choose it, drop it, or paste
//! it (images); it is checked at once and previewed, and one click clears it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::File;

use super::studio::{use_studio, LocalState, Studio};
use crate::local_media;
use crate::request::Field;

fn slot(studio: Studio, field: Field) -> RwSignal<Option<LocalState>, LocalStorage> {
    if field == Field::InputImage {
        studio.local_image
    } else {
        studio.local_audio
    }
}

/// Checks a chosen file and puts the outcome in the field's slot.
fn take(studio: Studio, field: Field, file: File) {
    let slot = slot(studio, field);
    let name = file.name();
    slot.set(Some(LocalState::Checking(name.clone())));
    spawn_local(async move {
        let outcome = if field == Field::InputImage {
            local_media::load_image(&file, &name).await
        } else {
            local_media::load_audio(&file, &name).await
        };
        let _ = slot.try_set(Some(match outcome {
            Ok(media) => LocalState::Ready(media),
            Err(problem) => LocalState::Refused(name, problem),
        }));
    });
}

/// The first file of a file list, if any.
fn first_file(files: Option<web_sys::FileList>) -> Option<File> {
    files.and_then(|f| f.get(0))
}

pub fn local_input(field: Field) -> impl IntoView {
    let studio = use_studio();
    let slot = slot(studio, field);
    let is_image = field == Field::InputImage;
    let accept = if is_image { "image/*" } else { "audio/*,video/webm" };
    let on_pick = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = first_file(input.as_ref().and_then(|i| i.files())) {
            take(studio, field, file);
        }
        if let Some(input) = input {
            input.set_value(""); // choosing the same file again still counts
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = first_file(ev.data_transfer().and_then(|d| d.files())) {
            take(studio, field, file);
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let (true, Some(file)) = (is_image, first_file(ev.clipboard_data().and_then(|d| d.files()))) {
            ev.prevent_default();
            take(studio, field, file);
        }
    };
    let name = field.json_name();
    let status = move || {
        slot.with(|s| match s {
            None => ().into_any(),
            Some(LocalState::Checking(file)) => view! { <p class="ths-hint">"Checking " {file.clone()} "…"</p> }.into_any(),
            Some(LocalState::Refused(file, _)) => {
                view! { <p class="ths-hint" data-testid=format!("{name}-refused")>{file.clone()} " was not accepted:"</p> }.into_any()
            }
            Some(LocalState::Ready(media)) => {
                let src = media.preview.as_str().to_string();
                let preview = if is_image {
                    view! { <img class="ths-thumb" src=src alt="Portrait preview" data-testid=format!("{name}-preview") /> }.into_any()
                } else {
                    view! { <audio controls src=src data-testid=format!("{name}-preview")></audio> }.into_any()
                };
                let notes = media.notes.iter().map(|n| view! { <p class="ths-note" data-testid=format!("{name}-note")>{n.clone()}</p> }).collect_view();
                view! {
                    <div class="ths-local-ready">
                        {preview}
                        <p class="ths-hint" data-testid=format!("{name}-summary")>{media.name.clone()} " · " {media.summary.clone()}</p>
                        {notes}
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <div class="ths-local" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop on:paste=on_paste
            data-testid=format!("{name}-drop")>
            <label class="ths-file-button">
                {if is_image { "Choose a photo" } else { "Choose a recording" }}
                <input type="file" accept=accept data-testid=format!("{name}-file") on:change=on_pick />
            </label>
            <span class="ths-hint">{if is_image { " or drop it here, or paste it" } else { " or drop it here" }}</span>
            <button type="button" data-testid=format!("{name}-clear") hidden=move || slot.with(Option::is_none)
                on:click=move |_| slot.set(None)>"Clear"</button>
            {status}
        </div>
    }
}
