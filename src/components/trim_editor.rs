//! The voice clip's trim: its waveform with start and end handles, "trim
//! silence at the ends", playing the kept part, and the kept length with
//! its frame count. The rules are in `media::trim`; what is sent is cut from
//! the full clip, which stays in the page.

use leptos::prelude::*;

use crate::chunks::split_point;
use super::studio::Studio;
use crate::api::estimate::tenths_text;
use crate::media::local::LocalMedia;
use crate::media::trim::{self, Trim};

/// A share of the clip as a CSS width, in whole tenths of a percent.
fn share(part: f64, whole: f64) -> String {
    let per_mille = if whole > 0.0 { (part / whole * 1000.0).round().clamp(0.0, 1000.0) as u32 } else { 0 };
    format!("width: calc({per_mille}% / 10)")
}

/// One handle: a range over the clip's length, in tenths of a second.
fn handle(
    label: &'static str,
    testid: &'static str,
    max: String,
    at: impl Fn() -> f64 + Send + Sync + Copy + 'static,
    moved: impl Fn(f64) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    view! {
        <label>{label}
            <input type="range" min="0" max=max step="0.1" data-testid=testid
                prop:value=move || tenths_text(at())
                on:input=move |ev| {
                    if let Some(seconds) = crate::api::number::parse_f64(event_target_value(&ev).trim()) {
                        moved(seconds);
                    }
                } />
        </label>
    }
}

split_point! {
    /// The editor, fetched when a local voice clip is first shown.
    pub fn trim_part(studio: Studio, media: LocalMedia) -> AnyView {
        trim_editor(studio, &media).into_any()
    }
}

fn trim_editor(studio: Studio, media: &LocalMedia) -> impl IntoView {
    let duration = media.measure;
    let peaks = media.peaks.clone();
    let src = media.preview.as_str().to_string();
    let whole = Trim { start: 0.0, end: duration };
    let kept = move || studio.trim.get().unwrap_or(whole).within(duration);
    let set = move |edit: &dyn Fn(&mut Trim)| {
        let mut next = kept();
        edit(&mut next);
        studio.trim.set(Some(next.within(duration)));
    };
    let wave = format!(
        r#"<svg class="ths-wave" viewBox="0 0 400 48" preserveAspectRatio="none" aria-hidden="true"><path d="{}"></path></svg>"#,
        trim::waveform_path(&peaks, 400, 48)
    );
    let trim_silence = move |_| {
        if let Some(found) = trim::without_silence(&peaks, duration) {
            studio.trim.set(Some(found));
        }
    };
    let playing = StoredValue::new_local(None::<web_sys::HtmlAudioElement>);
    let play_kept = move |_| {
        let k = kept();
        // A media fragment starts at the start handle and stops at the end one.
        if let Ok(audio) = web_sys::HtmlAudioElement::new_with_src(&format!("{src}#t={},{}", tenths_text(k.start), tenths_text(k.end))) {
            let _ = audio.play();
            if let Some(Some(before)) = playing.try_get_value() {
                let _ = before.pause();
            }
            playing.set_value(Some(audio));
        }
    };
    let max = tenths_text(duration);
    view! {
        <div class="ths-trim" data-testid="trim" role="group" aria-label="Trim the voice">
            <div class="ths-wave-box">
                <div inner_html=wave></div>
                <div class="ths-cut ths-cut-start" style=move || share(kept().start, duration)></div>
                <div class="ths-cut ths-cut-end" style=move || share(duration - kept().end, duration)></div>
            </div>
            <div class="ths-trim-handles">
                {handle("Start ", "trim-start", max.clone(), move || kept().start, move |at| set(&move |t: &mut Trim| t.start = at))}
                {handle("End ", "trim-end", max, move || kept().end, move |at| set(&move |t: &mut Trim| t.end = at))}
            </div>
            <p class="ths-actions">
                <button type="button" data-testid="trim-silence" on:click=trim_silence>"Trim silence at the ends"</button>
                <button type="button" data-testid="trim-play" on:click=play_kept>"Play the kept part"</button>
                <button type="button" data-testid="trim-reset" on:click=move |_| studio.trim.set(None)>"Keep it all"</button>
            </p>
            <p class="ths-hint" data-testid="trim-kept">
                {move || format!("{} of {} s", kept().text(), tenths_text(duration))}
            </p>
        </div>
    }
}
