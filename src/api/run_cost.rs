//! What a run will cost in time and money, before it starts: scaled by the
//! voice clip's length and the settings that drive the work, starting from
//! the provider's published figure and learning from this person's own
//! finished runs. Plain and host-tested; the page and the JS package's
//! `estimate()` both use it.
//!
//! The model renders 25 frames per second of audio, each through the face
//! renderer, the paste-back (full, extfull) and, with the enhancer, face
//! restoration; the provider bills per GPU-second. The published ~119 s /
//! ~$0.184 are for the defaults (full, enhancer, 256); the clip they were
//! measured with is not published, so a 10-second clip is assumed, and the
//! page says the figure is rough until there are runs of the person's own.

use crate::api::request::{ImageSize, Preprocess};
use crate::api::estimate::{clock, TYPICAL_PRICE, TYPICAL_RUN_SECS};

/// Frames the model renders per second of audio.
pub const FRAMES_PER_SECOND: f64 = 25.0;
/// The clip length the published figure is taken to be for (an assumption).
const REFERENCE_AUDIO_SECS: f64 = 10.0;
/// Loading and preparing, before any frame: the part that does not grow with the clip.
const FIXED_SECS: f64 = 20.0;
/// How much of the per-frame work each setting leaves (defaults = 1).
const WITHOUT_ENHANCER: f64 = 0.45;
const WITHOUT_PASTE_BACK: f64 = 0.85;
const AT_512: f64 = 1.8;
/// Pasting back into a photo over this many pixels costs more per frame.
const LARGE_PHOTO_PIXELS: f64 = 2_000_000.0;
const LARGE_PHOTO: f64 = 1.25;
/// How far a rough estimate may be off either way, and one from past runs.
const ROUGH_RANGE: (f64, f64) = (0.7, 1.6);
const LEARNT_MARGIN: (f64, f64) = (0.9, 1.15);

/// What a run's cost depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostInputs {
    /// The voice clip's length as sent (after any trim).
    pub audio_secs: f64,
    pub enhancer: bool,
    pub preprocess: Preprocess,
    pub image_size: ImageSize,
    /// The portrait's pixel count, when known (it matters when pasting back).
    pub photo_pixels: Option<f64>,
}

/// A finished run of this person's, as the history keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PastRun {
    pub inputs: CostInputs,
    /// From sending to the video, in seconds.
    pub took_secs: f64,
    /// What the provider said it charged, when it said so.
    pub charged_usd: Option<f64>,
}

/// What an estimate rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The provider's published figure, scaled: rough.
    Published,
    /// This many of the person's own runs with settings like these.
    PastRuns(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostEstimate {
    pub secs: (f64, f64),
    pub usd: (f64, f64),
    pub frames: u64,
    pub basis: Basis,
}

fn finite_or(value: f64, fallback: f64) -> f64 {
    if value.is_finite() {
        value
    } else {
        fallback
    }
}

fn pastes_back(preprocess: Preprocess) -> bool {
    matches!(preprocess, Preprocess::Full | Preprocess::Extfull)
}

/// The model's own seconds for these inputs, from the published figure.
fn modelled_secs(inputs: &CostInputs) -> f64 {
    let per_audio_second = (f64::from(TYPICAL_RUN_SECS) - FIXED_SECS) / REFERENCE_AUDIO_SECS;
    let mut factor = 1.0;
    if !inputs.enhancer {
        factor *= WITHOUT_ENHANCER;
    }
    if !pastes_back(inputs.preprocess) {
        factor *= WITHOUT_PASTE_BACK;
    } else if inputs.photo_pixels.is_some_and(|p| p > LARGE_PHOTO_PIXELS) {
        factor *= LARGE_PHOTO;
    }
    if inputs.image_size == ImageSize::Px512 {
        factor *= AT_512;
    }
    let audio = finite_or(inputs.audio_secs, 0.0).clamp(0.0, 3600.0);
    FIXED_SECS + per_audio_second * factor * audio
}

/// Runs alike in what changes the work per frame (the clip's length is scaled for).
fn alike(a: &CostInputs, b: &CostInputs) -> bool {
    a.enhancer == b.enhancer && a.image_size == b.image_size && pastes_back(a.preprocess) == pastes_back(b.preprocess)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite() && *v > 0.0);
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// The estimate for `inputs`, learning from the `past` runs alike to it.
pub fn estimate(inputs: &CostInputs, past: &[PastRun]) -> CostEstimate {
    let modelled = modelled_secs(inputs);
    let published_rate = TYPICAL_PRICE / f64::from(TYPICAL_RUN_SECS);
    let frames = (finite_or(inputs.audio_secs, 0.0).clamp(0.0, 3600.0) * FRAMES_PER_SECOND).ceil() as u64;
    let similar: Vec<&PastRun> = past.iter().filter(|p| alike(&p.inputs, inputs) && p.took_secs.is_finite() && p.took_secs > 0.0).collect();
    let ratios: Vec<f64> = similar.iter().map(|p| p.took_secs / modelled_secs(&p.inputs)).collect();
    let (secs, basis) = match median(ratios.clone()) {
        Some(ratio) => {
            let lowest = ratios.iter().copied().fold(ratio, f64::min);
            let highest = ratios.iter().copied().fold(ratio, f64::max);
            ((modelled * lowest * LEARNT_MARGIN.0, modelled * highest * LEARNT_MARGIN.1), Basis::PastRuns(similar.len()))
        }
        None => ((modelled * ROUGH_RANGE.0, modelled * ROUGH_RANGE.1), Basis::Published),
    };
    // Dollars per second of work: what this person was charged, else the published rate.
    let rate = median(similar.iter().filter_map(|p| p.charged_usd.map(|c| c / p.took_secs)).collect()).unwrap_or(published_rate);
    CostEstimate { secs, usd: (secs.0 * rate, secs.1 * rate), frames, basis }
}

/// Dollars to the cent, without float formatting: "$0.18".
pub fn dollars(usd: f64) -> String {
    let cents = (finite_or(usd, 0.0).max(0.0) * 100.0).round() as u64;
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// A range of seconds as `m:ss–m:ss`.
fn clock_range((low, high): (f64, f64)) -> String {
    let whole = |s: f64| s.round().clamp(0.0, 1e7) as u32;
    format!("{}–{}", clock(whole(low)), clock(whole(high)))
}

impl CostEstimate {
    /// "about 1:15–2:51 and $0.12–$0.26 (rough: no runs of yours like this yet)".
    pub fn text(&self) -> String {
        let basis = match self.basis {
            Basis::Published => "rough: from the provider's typical figure, no runs of yours like this yet".to_string(),
            Basis::PastRuns(1) => "from 1 of your runs like this".to_string(),
            Basis::PastRuns(n) => format!("from {n} of your runs like this"),
        };
        format!(
            "This run: about {} and {}–{} for {} frames ({basis}).",
            clock_range(self.secs),
            dollars(self.usd.0),
            dollars(self.usd.1),
            self.frames
        )
    }

    /// The time alone: "about 0:01–0:02 (from 2 of your runs like this)".
    pub fn time_text(&self) -> String {
        let basis = match self.basis {
            Basis::Published => "rough".to_string(),
            Basis::PastRuns(n) => format!("from {n} of your runs like this"),
        };
        format!("about {} ({basis})", clock_range(self.secs))
    }

    /// Whether `balance` surely covers this run (its high end).
    pub fn covered_by(&self, balance: f64) -> bool {
        balance >= self.usd.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn defaults(audio_secs: f64) -> CostInputs {
        CostInputs { audio_secs, enhancer: true, preprocess: Preprocess::Full, image_size: ImageSize::Px256, photo_pixels: Some(262_144.0) }
    }

    #[test]
    fn the_published_figure_is_met_for_the_assumed_clip() {
        let e = estimate(&defaults(10.0), &[]);
        assert!(e.secs.0 < 119.0 && 119.0 < e.secs.1, "{e:?}");
        assert!(e.usd.0 < 0.184 && 0.184 < e.usd.1, "{e:?}");
        assert_eq!(e.frames, 250);
        assert_eq!(e.basis, Basis::Published);
        assert!(e.text().contains("rough"), "{}", e.text());
    }

    #[test]
    fn it_grows_with_the_clip() {
        let short = estimate(&defaults(3.0), &[]);
        let long = estimate(&defaults(40.0), &[]);
        assert!(long.secs.0 > 3.0 * short.secs.0 && long.usd.1 > 3.0 * short.usd.1, "{short:?} {long:?}");
    }

    #[test]
    fn it_drops_without_the_enhancer_and_grows_at_512_and_with_a_large_photo() {
        let base = estimate(&defaults(10.0), &[]);
        assert!(estimate(&CostInputs { enhancer: false, ..defaults(10.0) }, &[]).secs.1 < base.secs.1);
        assert!(estimate(&CostInputs { preprocess: Preprocess::Crop, ..defaults(10.0) }, &[]).secs.1 < base.secs.1);
        assert!(estimate(&CostInputs { image_size: ImageSize::Px512, ..defaults(10.0) }, &[]).secs.1 > base.secs.1);
        assert!(estimate(&CostInputs { photo_pixels: Some(12e6), ..defaults(10.0) }, &[]).secs.1 > base.secs.1);
    }

    #[test]
    fn past_runs_alike_are_cited_and_narrow_the_range() {
        let past = [
            PastRun { inputs: defaults(5.0), took_secs: 40.0, charged_usd: Some(0.06) },
            PastRun { inputs: defaults(8.0), took_secs: 55.0, charged_usd: Some(0.08) },
            // Not alike (no enhancer): not cited.
            PastRun { inputs: CostInputs { enhancer: false, ..defaults(8.0) }, took_secs: 500.0, charged_usd: None },
        ];
        let e = estimate(&defaults(10.0), &past);
        assert_eq!(e.basis, Basis::PastRuns(2));
        assert!(e.text().contains("from 2 of your runs like this"), "{}", e.text());
        let rough = estimate(&defaults(10.0), &[]);
        assert!(e.secs.1 - e.secs.0 < rough.secs.1 - rough.secs.0, "narrower: {e:?} vs {rough:?}");
        assert!(e.secs.1 < rough.secs.1, "these runs were faster than published: {e:?}");
        // Charged about $0.0015 a second: the price follows that rate.
        assert!((e.usd.1 / e.secs.1 - 0.06 / 40.0).abs() < 0.0003, "{e:?}");
    }

    #[test]
    fn never_negative_or_nan_on_odd_inputs() {
        for audio in [f64::NAN, f64::INFINITY, -5.0, 0.0, 1e12] {
            let past = [PastRun { inputs: defaults(audio), took_secs: f64::NAN, charged_usd: Some(f64::NAN) }];
            let e = estimate(&defaults(audio), &past);
            for n in [e.secs.0, e.secs.1, e.usd.0, e.usd.1] {
                assert!(n.is_finite() && n >= 0.0, "{audio}: {e:?}");
            }
            assert!(e.secs.0 <= e.secs.1);
        }
    }

    #[test]
    fn dollars_to_the_cent() {
        assert_eq!(dollars(0.184), "$0.18");
        assert_eq!(dollars(1.5), "$1.50");
        assert_eq!(dollars(-1.0), "$0.00");
        assert_eq!(dollars(f64::NAN), "$0.00");
    }

    #[test]
    fn a_balance_covers_a_run_only_up_to_its_high_end() {
        let e = estimate(&defaults(40.0), &[]);
        assert!(!e.covered_by(0.18), "a long clip costs more than the typical run: {e:?}");
        assert!(e.covered_by(e.usd.1));
    }
}
