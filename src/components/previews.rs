//! What the model will see: the portrait (with the faces found and the
//! chosen framing drawn over it) and the voice, whichever way each was given.
//! The face check runs in a worker started on the first portrait; its rules
//! are in `media::face`.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::studio::{use_studio, FaceCheck, LocalState, Studio};
use crate::api::estimate::tenths_text;
use crate::api::request::{Field, ImageSize, Preprocess};
use crate::browser::face_worker::{find_faces, FacePicture};
use crate::media::face::{self, FaceReport, Rect};
use crate::studio::form_check::previewable_address;

/// A typed address is checked once typing pauses.
const TYPING_PAUSE: Duration = Duration::from_millis(400);

/// The portrait to show: a ready local file, else a valid typed address.
fn portrait_source(studio: Studio) -> Option<String> {
    match studio.local_image.with(|l| l.as_ref().map(|l| matches!(l, LocalState::Ready(_)))) {
        Some(true) => studio.local_image.with(|l| match l {
            Some(LocalState::Ready(media)) => Some(media.preview.as_str().to_string()),
            _ => None,
        }),
        Some(false) => None,
        None => studio.draft.with(|d| previewable_address(Field::InputImage, d.text(Field::InputImage))),
    }
}

fn voice_address(studio: Studio) -> Option<String> {
    if studio.local_audio.with(Option::is_some) {
        return None; // the chosen file has its own player
    }
    studio.draft.with(|d| previewable_address(Field::InputAudio, d.text(Field::InputAudio)))
}

/// `source` once it has stayed the same for [`TYPING_PAUSE`] (a chosen file
/// at once): half-typed addresses are never fetched.
fn settled(source: Memo<Option<String>>, at_once: impl Fn() -> bool + 'static) -> ReadSignal<Option<String>> {
    let (shown, set_shown) = signal(None::<String>);
    let latest = StoredValue::new(0u32);
    Effect::new(move |_| {
        let next = source.get();
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        if next.is_none() || at_once() {
            set_shown.set(next);
        } else {
            set_timeout(
                move || {
                    if latest.try_get_value() == Some(this) {
                        let _ = set_shown.try_set(next);
                    }
                },
                TYPING_PAUSE,
            );
        }
    });
    shown
}

/// Starts the face check whenever the shown portrait changes (the latest one wins).
fn watch_portrait(studio: Studio, shown: ReadSignal<Option<String>>) {
    let latest = StoredValue::new(0u32);
    Effect::new(move |_| {
        let Some(src) = shown.get() else {
            studio.face.set(FaceCheck::Idle);
            return;
        };
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        studio.face.set(FaceCheck::Checking);
        let picture = studio.local_image.with_untracked(|l| match l {
            Some(LocalState::Ready(media)) => FacePicture::Blob(media.blob.clone()),
            _ => FacePicture::Url(src),
        });
        let script = studio.face_worker_url.get_value();
        spawn_local(async move {
            let outcome = find_faces(&script, picture).await;
            if latest.try_get_value() == Some(this) {
                let _ = studio.face.try_set(match outcome {
                    Ok(report) => FaceCheck::Done(report),
                    Err(error) => FaceCheck::Failed(error),
                });
            }
        });
    });
}

/// A rectangle in whole pixels (no float formatting in the page: it costs KBs).
fn whole_pixels(r: Rect) -> [i32; 4] {
    [r.x, r.y, r.width, r.height].map(|n| n.round() as i32)
}

/// The faces and the chosen mode's framing, over the picture, as SVG markup
/// (made of numbers and fixed names only; as text it costs the page far less
/// than SVG elements built by the view).
fn overlay_svg(report: &FaceReport, preprocess: Preprocess) -> String {
    let rect = |class: &str, extra: &str, r: Rect| {
        let [x, y, w, h] = whole_pixels(r);
        format!(r#"<rect class="{class}" {extra} x="{x}" y="{y}" width="{w}" height="{h}"></rect>"#)
    };
    let mut shapes: String = report
        .faces
        .iter()
        .map(|f| rect("ths-face-box", &format!(r#"data-testid="face-box" data-score="{}""#, f.score.round() as i32), f.bounds))
        .collect();
    if let Some(framing) = face::framing(report, preprocess).filter(|f| !f.squashed) {
        let class = if framing.pasted_back { "ths-framing ths-pasted" } else { "ths-framing" };
        shapes.push_str(&rect(class, &format!(r#"data-testid="framing" data-mode="{}""#, preprocess.as_str()), framing.animated));
    }
    format!(
        r#"<svg class="ths-overlay" viewBox="0 0 {} {}" preserveAspectRatio="none" aria-hidden="true" data-testid="face-overlay">{shapes}</svg>"#,
        report.width, report.height
    )
}

/// The face check's state in words; `shown` is the picture's size as the
/// browser displays it (known even when its pixels may not be read).
fn status_text(check: &FaceCheck, shown: Option<(u32, u32)>, image_size: ImageSize, preprocess: Preprocess) -> (String, Vec<String>) {
    match check {
        FaceCheck::Idle => (String::new(), Vec::new()),
        FaceCheck::Checking => ("Looking for the face…".into(), Vec::new()),
        FaceCheck::Failed(error) => {
            let size = shown.map(|(w, h)| format!("{w}×{h} px · ")).unwrap_or_default();
            (format!("{size}{error}"), Vec::new())
        }
        FaceCheck::Done(report) => {
            let warnings: Vec<String> = face::warnings(report, image_size, preprocess).iter().map(ToString::to_string).collect();
            let size = format!("{}×{} px", report.width, report.height);
            let faces = match report.faces.len() {
                0 => "no face found".to_string(),
                1 => "one face found".to_string(),
                n => format!("{n} faces found"),
            };
            let note = if report.faces.is_empty() && preprocess != Preprocess::Resize { "" } else { face::framing_note(preprocess) };
            (format!("{size} · {faces}. {note}"), warnings)
        }
    }
}

crate::chunks::split_point! {
    /// What the model will see, fetched after the form is drawn.
    pub fn previews_part() -> AnyView {
        view! { <Previews /> }.into_any()
    }
}

#[component]
fn Previews() -> impl IntoView {
    let studio = use_studio();
    let source = settled(Memo::new(move |_| portrait_source(studio)), move || studio.local_image.with_untracked(Option::is_some));
    watch_portrait(studio, source);
    let settings = move || studio.draft.with(|d| d.framing_settings());
    let shown_size = RwSignal::new(None::<(u32, u32)>);
    let status = move || {
        let (image_size, preprocess) = settings();
        studio.face.with(|check| status_text(check, shown_size.get(), image_size, preprocess))
    };
    let squashed = move || settings().1 == Preprocess::Resize;
    let voice = settled(Memo::new(move |_| voice_address(studio)), || false);
    let voice_length = studio.voice_secs;
    Effect::new(move |_| {
        if voice.with(Option::is_none) {
            voice_length.set(None);
        }
    });

    view! {
        <section class="ths-previews" aria-labelledby=studio.id("previews-title")>
            <h2 id=studio.id("previews-title")>"What the model will see"</h2>
            {move || source.get().map(|src| view! {
                <figure class="ths-portrait" data-testid="portrait-preview">
                    <div class="ths-picture" class:ths-squashed=squashed>
                        <img src=src alt="The portrait, as it will be sent" data-testid="portrait-image"
                            on:load=move |ev| {
                                let img = event_target::<web_sys::HtmlImageElement>(&ev);
                                shown_size.set(Some((img.natural_width(), img.natural_height())));
                            } />
                        <div class="ths-overlay-box" inner_html=move || studio.face.with(|c| match c {
                            FaceCheck::Done(report) => overlay_svg(report, settings().1),
                            _ => String::new(),
                        })></div>
                    </div>
                    <figcaption data-testid="face-status">{move || status().0}</figcaption>
                </figure>
            })}
            <ul class="ths-face-warnings">
                {move || status().1.into_iter().map(|w| view! { <li class="ths-warning" data-testid="face-warning">{w}</li> }).collect_view()}
            </ul>
            {move || voice.get().map(|src| view! {
                <figure class="ths-voice" data-testid="voice-preview">
                    <audio controls preload="metadata" src=src.clone()
                        on:loadedmetadata=move |ev| voice_length.set(event_target::<web_sys::HtmlMediaElement>(&ev).duration().into())></audio>
                    <figcaption data-testid="voice-length">
                        {move || voice_length.get().filter(|d| d.is_finite()).map(|d| format!("{} s", tenths_text(d)))}
                    </figcaption>
                    <button type="button" data-testid="voice-trim"
                        on:click=move |_| super::local_input::take_for_trimming(studio, src.clone())>"Trim this clip"</button>
                </figure>
            })}
            <p class="ths-hint" hidden=move || source.with(Option::is_some) || voice.with(Option::is_some)>
                "Give a portrait and a voice to see them here."
            </p>
        </section>
    }
}
