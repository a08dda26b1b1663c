//! A local file for the portrait or the voice: choose it, drop it, or paste
//! it (images); it is checked at once and previewed, and one click clears it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{Blob, File};

use super::studio::{use_studio, LocalState, Studio};
use super::capture_panel::capture_part;
use super::later::later;
use super::local_steps::{carry_out, FileStep};
use crate::chunks::split_point;
use crate::media::capture;
use crate::media::MediaProblem;
use crate::api::request::Field;

pub(super) fn slot(studio: Studio, field: Field) -> RwSignal<Option<LocalState>, LocalStorage> {
    if field == Field::InputImage {
        studio.local_image
    } else {
        studio.local_audio
    }
}

/// Checks a chosen file and puts the outcome in the field's slot.
fn take(studio: Studio, field: Field, file: File) {
    take_blob(studio, field, file.clone().into(), file.name());
}

/// Starts a new choice for `field` (a file, a capture, a Clear); its number.
fn new_choice(studio: Studio, field: Field) -> u32 {
    let at = usize::from(field != Field::InputImage);
    studio.choice_seq.try_update_value(|seq| {
        seq[at] = seq[at].wrapping_add(1);
        seq[at]
    })
    .unwrap_or_default()
}

/// Whether `choice` is still the latest for `field`: the last choice wins.
pub(super) fn is_latest(studio: Studio, field: Field, choice: u32) -> bool {
    let at = usize::from(field != Field::InputImage);
    studio.choice_seq.try_with_value(|seq| seq[at] == choice).unwrap_or(false)
}

/// As [`take`], for a capture (a camera frame or a recording). An accepted
/// file is kept in this browser, so a reload doesn't lose it. A check that
/// ends after a newer choice or a Clear changes nothing.
pub(super) fn take_blob(studio: Studio, field: Field, file: Blob, name: String) {
    // A new voice clip starts untrimmed (a restored one keeps its trim).
    if field == Field::InputAudio {
        studio.trim.set(None);
    }
    check_blob(studio, field, file, name);
}

/// Makes `file` the field's latest choice, "Checking" at once; its check and
/// keeping follow ([`FileStep::Check`]).
pub(super) fn check_blob(studio: Studio, field: Field, file: Blob, name: String) {
    let choice = new_choice(studio, field);
    slot(studio, field).set(Some(LocalState::Checking(name.clone())));
    carry_out(studio, FileStep::Check { field, file, name, choice });
}

/// A `data:` URI typed or pasted as an input is checked like a chosen file
/// (its bytes decoded by the browser): the same checks, the same messages,
/// kept the same way. Its text leaves the URL box.
pub fn take_data_uri(studio: Studio, field: Field, uri: String) {
    take_address(studio, field, uri, "data: URI".into(), "the browser could not read this data: URI");
}

/// A voice given as an address, fetched into the page to be trimmed (then it
/// is sent like a chosen file). Needs the server to allow it (CORS).
pub fn take_for_trimming(studio: Studio, uri: String) {
    let name = uri.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("voice").chars().take(80).collect();
    take_address(
        studio,
        Field::InputAudio,
        uri,
        name,
        "the clip's server does not let other pages read it (CORS): download it and choose the file to trim it",
    );
}

fn take_address(studio: Studio, field: Field, uri: String, name: String, unreadable: &'static str) {
    let choice = new_choice(studio, field);
    slot(studio, field).set(Some(LocalState::Checking(name.clone())));
    carry_out(studio, FileStep::Fetch { field, uri, name, unreadable, choice });
}

/// The first file of a file list, if any.
fn first_file(files: Option<web_sys::FileList>) -> Option<File> {
    files.and_then(|f| f.get(0))
}

/// Puts back the local files kept from the last visit (checked again), once
/// the form is drawn.
pub fn restore_local_inputs(studio: Studio) {
    let kept = [Field::InputImage, Field::InputAudio].iter().any(|f| studio.store.with_value(|s| s.input_kept(f.json_name())));
    if kept && studio.history.with_value(Option::is_some) {
        spawn_local(async move {
            crate::browser::idle::next_task().await;
            carry_out(studio, FileStep::Restore);
        });
    }
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
    // What was chosen (its check, its preview) is drawn by code that comes once there is a choice.
    let chosen = Memo::new(move |_| slot.with(Option::is_some));
    let status = move || chosen.get().then(|| later(move || status_part(studio, field)));
    view! {
        <div class="ths-local" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop on:paste=on_paste
            data-testid=format!("{name}-drop")>
            <label class="ths-file-button">
                {if is_image { "Choose a photo" } else { "Choose a recording" }}
                <input type="file" accept=accept data-testid=format!("{name}-file") on:change=on_pick />
            </label>
            <span class="ths-hint">{if is_image { " or drop it here, or paste it" } else { " or drop it here" }}</span>
            <button type="button" data-testid=format!("{name}-clear") hidden=move || slot.with(Option::is_none)
                on:click=move |_| {
                    new_choice(studio, field); // Clear wins over a check still running
                    slot.set(None);
                    if field == Field::InputAudio {
                        studio.trim.set(None);
                    }
                    studio.store.with_value(|s| s.mark_input_kept(field.json_name(), false));
                    carry_out(studio, FileStep::Forget(field));
                }>"Clear"</button>
            {capture_button(studio, field)}
            {status}
        </div>
    }
}

/// A capture that could not be made, as the field's refusal (the message says what to do).
pub(super) fn refuse(studio: Studio, field: Field, device: &str, error: capture::CaptureError) {
    slot(studio, field).set(Some(LocalState::Refused(device.to_string(), MediaProblem::Capture(error.to_string()))));
}

/// "Use camera" or "Record": the capture's own part, drawn while it lasts.
fn capture_button(studio: Studio, field: Field) -> impl IntoView {
    let open = RwSignal::new(false);
    let (testid, label) = if field == Field::InputImage { ("camera-open", "Use camera") } else { ("mic-record", "Record") };
    view! {
        <button type="button" data-testid=testid hidden=move || open.get() on:click=move |_| open.set(true)>{label}</button>
        {move || open.get().then(|| later(move || capture_part(studio, field, open)))}
    }
}

split_point! {
    preload pub fetch_status_part;
    /// What a choice shows: "Checking…", a refusal, or the preview with its summary and notes.
    fn status_part(studio: Studio, field: Field) -> AnyView {
        choice_status(studio, field).into_any()
    }
}

fn choice_status(studio: Studio, field: Field) -> impl IntoView {
    let slot = slot(studio, field);
    let (name, is_image) = (field.json_name(), field == Field::InputImage);
    move || {
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
                    view! {
                        <audio controls src=src data-testid=format!("{name}-preview")></audio>
                        { let media = media.clone(); later(move || super::trim_editor::trim_part(studio, media.clone())) }
                    }
                    .into_any()
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
    }
}
