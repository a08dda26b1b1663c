//! The camera's live view and the microphone's recorder. Most people choose
//! files, so this is a part of its own, fetched the first time "Use camera"
//! or "Record" is clicked; the device opens as the part is drawn and closes
//! when it goes.

use std::time::Duration;

use leptos::html::Video;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::MediaStream;

use super::local_input::{refuse, take_blob};
use super::studio::Studio;
use crate::api::request::Field;
use crate::chunks::split_point;
use crate::media::capture::{self, Recording};

split_point! {
    /// The camera (for the portrait) or the microphone (for the voice);
    /// `open` goes false once the capture ends: taken, cancelled or refused.
    pub fn capture_part(studio: Studio, field: Field, open: RwSignal<bool>) -> AnyView {
        if field == Field::InputImage { camera(studio, open).into_any() } else { microphone(studio, open).into_any() }
    }
}

/// A live view, then a snapshot as the portrait.
fn camera(studio: Studio, open: RwSignal<bool>) -> impl IntoView {
    let stream = RwSignal::new_local(None::<MediaStream>);
    let video = NodeRef::<Video>::new();
    Effect::new(move |_| {
        if let (Some(element), Some(live)) = (video.get(), stream.get()) {
            element.set_src_object(Some(&live));
        }
    });
    let stop = move || {
        if let Some(Some(live)) = stream.try_get_untracked() {
            capture::stop(&live);
        }
        let _ = stream.try_set(None);
    };
    on_cleanup(stop);
    let close = move || {
        stop();
        open.set(false);
    };
    spawn_local(async move {
        match capture::open(true).await {
            // Closed while the camera was opening: it is stopped at once.
            Ok(live) => {
                if let Some(Some(late)) = stream.try_set(Some(live)) {
                    capture::stop(&late);
                }
            }
            Err(error) => {
                refuse(studio, Field::InputImage, "camera", error);
                let _ = open.try_set(false);
            }
        }
    });
    let shoot = move |_| {
        let Some(element) = video.get_untracked() else { return };
        spawn_local(async move {
            match capture::snapshot(&element).await {
                Ok(frame) => take_blob(studio, Field::InputImage, frame, "camera.png".into()),
                Err(error) => refuse(studio, Field::InputImage, "camera", error),
            }
            close();
        });
    };
    view! {
        <div class="ths-capture">
            <video node_ref=video autoplay muted playsinline data-testid="camera-live"></video>
            <button type="button" data-testid="camera-shoot" disabled=move || stream.with(Option::is_none) on:click=shoot>"Take photo"</button>
            <button type="button" data-testid="camera-cancel" on:click=move |_| close()>"Cancel"</button>
        </div>
    }
}

/// A recording with a level meter, then the recording as the voice.
fn microphone(studio: Studio, open: RwSignal<bool>) -> impl IntoView {
    let recording = StoredValue::new_local(None::<Recording>);
    let level = RwSignal::new(0.0);
    let started = RwSignal::new(None::<f64>);
    let now = RwSignal::new(0.0);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            recording.update_value(|r| {
                if let Some(r) = r {
                    level.set(r.level());
                }
            });
            now.set(js_sys::Date::now());
        },
        Duration::from_millis(100),
    ) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(move || {
        if let Some(r) = recording.try_update_value(Option::take).flatten() {
            r.cancel();
        }
    });
    spawn_local(async move {
        match Recording::start().await {
            Ok(r) => {
                // Closed while the microphone was opening: that recording is dropped.
                if let Some(Some(late)) = recording.try_set_value(Some(r)) {
                    late.cancel();
                } else {
                    let _ = started.try_set(Some(js_sys::Date::now()));
                }
            }
            Err(error) => {
                refuse(studio, Field::InputAudio, "microphone", error);
                let _ = open.try_set(false);
            }
        }
    });
    let finish = move |_| {
        let taken = recording.try_update_value(Option::take).flatten();
        open.set(false);
        let Some(r) = taken else { return };
        spawn_local(async move {
            match r.finish().await {
                Ok(blob) => take_blob(studio, Field::InputAudio, blob, "recording.webm".into()),
                Err(error) => refuse(studio, Field::InputAudio, "microphone", error),
            }
        });
    };
    let elapsed = move || started.get().map_or(0, |at| ((now.get() - at).max(0.0) / 1000.0) as u32);
    view! {
        <div class="ths-capture">
            // The meter shows once the recording runs (opening the microphone may ask for permission).
            {move || match started.with(Option::is_some) {
                false => view! { <span class="ths-hint">"Opening the microphone…"</span> }.into_any(),
                true => view! {
                    <meter min="0" max="100" value=move || ((level.get() * 100.0) as u32).to_string() data-testid="mic-level"></meter>
                    <span data-testid="mic-elapsed">{move || crate::api::estimate::clock(elapsed())}</span>
                }
                .into_any(),
            }}
            <button type="button" data-testid="mic-stop" on:click=finish>"Stop"</button>
        </div>
    }
}
