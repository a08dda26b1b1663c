//! The voice clip's trim, plain and host-tested: the kept stretch and its
//! frame count, silence found at the ends, and the waveform drawn from a
//! clip's peaks. The page keeps the full clip; what is sent is the kept part.

use crate::api::estimate::tenths_text;
use crate::api::run_cost::FRAMES_PER_SECOND;

/// The shortest stretch the page sends (the model's own lower limit is near this).
pub const SHORTEST_SECS: f64 = 0.5;
/// Peaks the waveform is drawn from.
pub const PEAKS: usize = 400;
/// Quieter than this (of full scale) counts as silence: about −40 dBFS.
const SILENCE: f32 = 0.01;
/// Kept around the speech when trimming silence, so no syllable is cut.
const PADDING_SECS: f64 = 0.1;

/// The kept stretch of a clip, in seconds from its start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trim {
    pub start: f64,
    pub end: f64,
}

impl Trim {
    /// This trim made to fit a clip of `duration` seconds (at least [`SHORTEST_SECS`] kept).
    pub fn within(self, duration: f64) -> Trim {
        let duration = if duration.is_finite() { duration.max(0.0) } else { 0.0 };
        let shortest = SHORTEST_SECS.min(duration);
        let start = if self.start.is_finite() { self.start.clamp(0.0, duration - shortest) } else { 0.0 };
        let end = if self.end.is_finite() { self.end.clamp(start + shortest, duration) } else { duration };
        Trim { start, end }
    }

    pub fn kept_secs(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }

    /// The frames the model will render for the kept stretch.
    pub fn frames(&self) -> u64 {
        (self.kept_secs() * FRAMES_PER_SECOND).ceil() as u64
    }

    /// Whether anything is cut from a clip of `duration` seconds.
    pub fn cuts(&self, duration: f64) -> bool {
        self.start > 0.005 || self.end < duration - 0.005
    }

    /// "2.0–4.0 s".
    pub fn range_text(&self) -> String {
        format!("{}–{} s", tenths_text(self.start), tenths_text(self.end))
    }

    /// "2.0 s kept · 50 frames", without float formatting.
    pub fn text(&self) -> String {
        format!("{} s kept · {} frames", tenths_text(self.kept_secs()), self.frames())
    }
}

/// The stretch between the first and the last sound above silence, padded a
/// little, from the clip's `peaks` (each covering `duration / peaks.len()` seconds).
pub fn without_silence(peaks: &[f32], duration: f64) -> Option<Trim> {
    let first = peaks.iter().position(|p| *p > SILENCE)?;
    let last = peaks.iter().rposition(|p| *p > SILENCE)?;
    let per_peak = duration / peaks.len() as f64;
    Some(Trim { start: first as f64 * per_peak - PADDING_SECS, end: (last + 1) as f64 * per_peak + PADDING_SECS }.within(duration))
}

/// An SVG path of the waveform in a `width` × `height` box: one vertical
/// stroke a peak, centred (whole numbers only: no float formatting in the page).
pub fn waveform_path(peaks: &[f32], width: u32, height: u32) -> String {
    let step = f64::from(width) / peaks.len().max(1) as f64;
    let middle = f64::from(height) / 2.0;
    peaks
        .iter()
        .enumerate()
        .map(|(i, peak)| {
            let x = (i as f64 * step).round() as i64;
            let half = (f64::from(peak.clamp(0.0, 1.0)) * middle).round().max(1.0) as i64;
            format!("M{x} {}V{}", middle as i64 - half, middle as i64 + half)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_trim_fits_its_clip_and_keeps_half_a_second_at_least() {
        assert_eq!(Trim { start: 2.0, end: 4.0 }.within(8.4), Trim { start: 2.0, end: 4.0 });
        assert_eq!(Trim { start: -1.0, end: 99.0 }.within(8.4), Trim { start: 0.0, end: 8.4 });
        assert_eq!(Trim { start: 5.0, end: 5.1 }.within(8.4), Trim { start: 5.0, end: 5.5 });
        assert_eq!(Trim { start: 8.4, end: 8.4 }.within(8.4), Trim { start: 7.9, end: 8.4 });
        let odd = Trim { start: f64::NAN, end: f64::INFINITY }.within(3.0);
        assert_eq!(odd, Trim { start: 0.0, end: 3.0 });
    }

    #[test]
    fn kept_length_and_frames() {
        let trim = Trim { start: 2.0, end: 4.0 };
        assert_eq!(trim.frames(), 50);
        assert_eq!(trim.text(), "2.0 s kept · 50 frames");
        assert_eq!(trim.range_text(), "2.0–4.0 s");
        assert!(trim.cuts(8.4));
        assert!(!Trim { start: 0.0, end: 8.4 }.cuts(8.4));
    }

    #[test]
    fn silence_at_the_ends_is_found_and_the_speech_kept() {
        // 10 s in 100 peaks: silence for 1 s at each end.
        let mut peaks = vec![0.5f32; 100];
        peaks[..10].fill(0.001);
        peaks[90..].fill(0.002);
        let trim = without_silence(&peaks, 10.0).expect("speech");
        assert!((trim.start - 0.9).abs() < 1e-9 && (trim.end - 9.1).abs() < 1e-9, "{trim:?}");
        assert_eq!(without_silence(&[0.0; 50], 5.0), None, "all silence: nothing to keep");
    }

    #[test]
    fn the_waveform_is_one_stroke_a_peak() {
        let path = waveform_path(&[0.0, 1.0], 100, 40);
        assert_eq!(path, "M0 19V21M50 0V40");
    }
}
