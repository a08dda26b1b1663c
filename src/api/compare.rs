//! A comparison, plain and host-tested: up to six variants of the form's
//! settings, each run as a short draft (the first seconds of the voice), what
//! they cost together, and the pace of submissions under an account's
//! per-minute limit. (The free plan allows 5 requests a minute.)

use thiserror::Error;

use crate::api::request::{ImageSize, NormalizedRequest, Preprocess, POSE_STYLE_MAX};
use crate::api::run_cost::{self, CostEstimate, CostInputs, PastRun};

pub const MAX_VARIANTS: usize = 6;
/// A draft's length by default: the first seconds of the voice.
pub const DEFAULT_DRAFT_SECS: f64 = 3.0;

/// The settings a variant may change.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Variant {
    pub pose_style: u8,
    pub expression_scale: f64,
    pub preprocess: Preprocess,
    pub image_size: ImageSize,
    pub enhancer: bool,
}

impl Variant {
    pub fn of(request: &NormalizedRequest) -> Variant {
        Variant {
            pose_style: request.pose_style,
            expression_scale: request.expression_scale,
            preprocess: request.preprocess,
            image_size: request.image_size,
            enhancer: request.enhancer,
        }
    }

    /// `request` with this variant's settings (its inputs and answer form unchanged).
    pub fn apply(&self, request: &NormalizedRequest) -> NormalizedRequest {
        NormalizedRequest {
            pose_style: self.pose_style,
            expression_scale: self.expression_scale,
            preprocess: self.preprocess,
            image_size: self.image_size,
            enhancer: self.enhancer,
            ..request.clone()
        }
    }

    /// "pose 7 · scale 1.4 · full · 256 px · enhancer on".
    pub fn label(&self) -> String {
        format!(
            "pose {} · scale {} · {} · {} px · enhancer {}",
            self.pose_style,
            scale_text(self.expression_scale),
            self.preprocess.as_str(),
            self.image_size.pixels(),
            if self.enhancer { "on" } else { "off" }
        )
    }
}

/// An expression scale to two decimals, "1.4" or "1.25" (no float formatting).
pub fn scale_text(scale: f64) -> String {
    let hundredths = (scale * 100.0).round().max(0.0) as u32;
    match hundredths % 10 {
        0 => format!("{}.{}", hundredths / 100, hundredths % 100 / 10),
        _ => format!("{}.{:02}", hundredths / 100, hundredths % 100),
    }
}

/// Quick sets of variants around the form's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    PoseStyles,
    ExpressionScales,
    Preprocesses,
    Enhancer,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::PoseStyles, Preset::ExpressionScales, Preset::Preprocesses, Preset::Enhancer];

    pub fn label(self) -> &'static str {
        match self {
            Preset::PoseStyles => "5 pose styles",
            Preset::ExpressionScales => "5 expression scales",
            Preset::Preprocesses => "each preprocess mode",
            Preset::Enhancer => "enhancer on and off",
        }
    }

    /// The variants, the form's own settings first.
    pub fn variants(self, base: Variant) -> Vec<Variant> {
        match self {
            Preset::PoseStyles => {
                // Spread over the 46 styles, starting from the form's.
                let step = (POSE_STYLE_MAX as u8 + 1) / 5;
                (0..5u8).map(|i| Variant { pose_style: (base.pose_style + i * step) % (POSE_STYLE_MAX as u8 + 1), ..base }).collect()
            }
            Preset::ExpressionScales => {
                let mut scales = vec![base.expression_scale];
                scales.extend([1.0, 1.5, 2.0, 2.5, 3.0].into_iter().filter(|s| (s - base.expression_scale).abs() > 0.05));
                scales.into_iter().take(5).map(|expression_scale| Variant { expression_scale, ..base }).collect()
            }
            Preset::Preprocesses => {
                let others = Preprocess::ALL.into_iter().filter(|p| *p != base.preprocess);
                std::iter::once(base.preprocess).chain(others).map(|preprocess| Variant { preprocess, ..base }).collect()
            }
            Preset::Enhancer => vec![base, Variant { enhancer: !base.enhancer, ..base }],
        }
    }
}

#[derive(Clone, Debug, Error, PartialEq)]
pub enum CompareError {
    #[error("Pick at least two variants to compare.")]
    TooFew,
    #[error("At most {MAX_VARIANTS} variants at a time ({0} picked): each is a paid run.")]
    TooMany(usize),
    #[error("Two variants are the same ({0}): each would be paid for the same video.")]
    Same(String),
    #[error("A draft is {SHORTEST_DRAFT_SECS}–{LONGEST_DRAFT_SECS} seconds of the voice (\"{0}\" is not).")]
    DraftLength(String),
}

/// The shortest and longest draft: long enough to judge the motion, short
/// enough to stay a fraction of a run.
pub const SHORTEST_DRAFT_SECS: u32 = 1;
pub const LONGEST_DRAFT_SECS: u32 = 15;

/// The draft length as typed, in seconds.
pub fn draft_secs(text: &str) -> Result<f64, CompareError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_DRAFT_SECS);
    }
    crate::api::number::parse_f64(text)
        .filter(|s| s.is_finite() && (f64::from(SHORTEST_DRAFT_SECS)..=f64::from(LONGEST_DRAFT_SECS)).contains(s))
        .ok_or_else(|| CompareError::DraftLength(text.to_string()))
}

/// The variants checked: two to six, none twice.
pub fn checked(variants: &[Variant]) -> Result<(), CompareError> {
    if variants.len() < 2 {
        return Err(CompareError::TooFew);
    }
    if variants.len() > MAX_VARIANTS {
        return Err(CompareError::TooMany(variants.len()));
    }
    for (i, a) in variants.iter().enumerate() {
        if variants[..i].contains(a) {
            return Err(CompareError::Same(a.label()));
        }
    }
    Ok(())
}

/// What the drafts cost together: the sum of each one's price for a clip of
/// `draft_secs`; their time is the longest one's, as they run side by side.
pub fn total(variants: &[Variant], draft_secs: f64, photo_pixels: Option<f64>, past: &[PastRun]) -> CostEstimate {
    let each: Vec<CostEstimate> = variants
        .iter()
        .map(|v| {
            let inputs =
                CostInputs { audio_secs: draft_secs, enhancer: v.enhancer, preprocess: v.preprocess, image_size: v.image_size, photo_pixels };
            run_cost::estimate(&inputs, past)
        })
        .collect();
    let sum = |f: fn(&CostEstimate) -> f64| each.iter().map(f).sum::<f64>();
    CostEstimate {
        secs: (each.iter().map(|e| e.secs.0).fold(0.0, f64::max), each.iter().map(|e| e.secs.1).fold(0.0, f64::max)),
        usd: (sum(|e| e.usd.0), sum(|e| e.usd.1)),
        frames: each.iter().map(|e| e.frames).sum(),
        basis: each.first().map_or(run_cost::Basis::Published, |e| e.basis),
    }
}

/// What the page says before asking: "6 drafts of 3.0 s, side by side: about
/// 0:20–0:45 and $0.07–$0.16 in all (rough: …)".
pub fn plan_text(count: usize, draft_secs: f64, total: &CostEstimate) -> String {
    let each = total.text();
    let detail = each.strip_prefix("This run: ").unwrap_or(&each);
    format!("{count} drafts of {} s, side by side: {}", crate::api::estimate::tenths_text(draft_secs), detail.replacen(" for ", " in all, for ", 1))
}

/// Seconds to wait before the next submission, given when the earlier ones
/// went (seconds, any clock) and the account's limit per minute, if known.
/// A 429 still wins: its `Retry-After` is honoured as for any run.
pub fn next_submission_in(sent_at: &[f64], now: f64, per_minute: Option<u32>) -> f64 {
    let Some(limit) = per_minute.filter(|l| *l > 0) else { return 0.0 };
    let mut recent: Vec<f64> = sent_at.iter().copied().filter(|t| t.is_finite() && now - t < 60.0).collect();
    if recent.len() < limit as usize {
        return 0.0;
    }
    recent.sort_by(f64::total_cmp);
    // The oldest of the last `limit` frees its slot 60 s after it went.
    let oldest = recent[recent.len() - limit as usize];
    (oldest + 60.0 - now).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::request::InputSource;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn base() -> Variant {
        Variant { pose_style: 4, expression_scale: 1.4, preprocess: Preprocess::Full, image_size: ImageSize::Px256, enhancer: true }
    }

    #[test]
    fn presets_start_from_the_form_and_stay_within_bounds() {
        let poses = Preset::PoseStyles.variants(base());
        assert_eq!(poses.len(), 5);
        assert_eq!(poses[0], base());
        assert!(poses.iter().all(|v| v.pose_style <= 45));
        assert!(checked(&poses).is_ok(), "five different styles");
        let scales = Preset::ExpressionScales.variants(base());
        assert_eq!(scales.len(), 5);
        assert!(scales.iter().all(|v| (1.0..=3.0).contains(&v.expression_scale)));
        assert!(checked(&scales).is_ok());
        assert_eq!(Preset::Preprocesses.variants(base()).len(), 5);
        assert_eq!(Preset::Enhancer.variants(base()).len(), 2);
    }

    #[test]
    fn two_to_six_variants_none_twice() {
        assert_eq!(checked(&[base()]), Err(CompareError::TooFew));
        let seven: Vec<Variant> = (0..7).map(|i| Variant { pose_style: i, ..base() }).collect();
        assert_eq!(checked(&seven), Err(CompareError::TooMany(7)));
        assert!(matches!(checked(&[base(), base()]), Err(CompareError::Same(_))));
        assert!(checked(&seven[..6]).is_ok());
    }

    #[test]
    fn a_draft_is_one_to_fifteen_seconds() {
        assert_eq!(draft_secs(""), Ok(DEFAULT_DRAFT_SECS));
        assert_eq!(draft_secs(" 2.5 "), Ok(2.5));
        for bad in ["0.5", "16", "three", "NaN", "inf"] {
            assert_eq!(draft_secs(bad), Err(CompareError::DraftLength(bad.into())), "{bad}");
        }
        assert!(CompareError::DraftLength("16".into()).to_string().contains("1–15 seconds"));
    }

    #[test]
    fn a_variant_changes_only_the_settings() {
        let request = NormalizedRequest {
            input_image: InputSource::Address("https://e.com/a.jpg".into()),
            input_audio: InputSource::Address("https://e.com/v.mp3".into()),
            pose_style: 4,
            expression_scale: 1.4,
            preprocess: Preprocess::Full,
            image_size: ImageSize::Px256,
            enhancer: true,
            base64: true,
        };
        let changed = Variant { pose_style: 13, enhancer: false, ..Variant::of(&request) }.apply(&request);
        assert_eq!((changed.pose_style, changed.enhancer, changed.base64), (13, false, true));
        assert_eq!(changed.input_image, request.input_image);
        assert_eq!(Variant { pose_style: 13, ..base() }.label(), "pose 13 · scale 1.4 · full · 256 px · enhancer on");
        assert_eq!((scale_text(2.0), scale_text(1.25), scale_text(3.0)), ("2.0".into(), "1.25".into(), "3.0".into()));
    }

    #[test]
    fn drafts_cost_a_fraction_of_full_runs_and_add_up() {
        let variants = Preset::PoseStyles.variants(base());
        let drafts = total(&variants, DEFAULT_DRAFT_SECS, None, &[]);
        let one_full = total(&variants[..1], 30.0, None, &[]);
        assert!(drafts.usd.1 < 2.0 * one_full.usd.1, "five 3 s drafts cost about what one 30 s run does: {drafts:?} {one_full:?}");
        assert_eq!(drafts.frames, 5 * 75);
        let one = total(&variants[..1], DEFAULT_DRAFT_SECS, None, &[]);
        assert!((drafts.usd.1 - 5.0 * one.usd.1).abs() < 1e-9);
        assert_eq!(drafts.secs, one.secs, "side by side, five take as long as one");
        let text = plan_text(5, DEFAULT_DRAFT_SECS, &drafts);
        assert!(text.starts_with("5 drafts of 3.0 s, side by side: about "), "{text}");
        assert!(text.contains(" in all, for 375 frames (rough"), "{text}");
    }

    #[test]
    fn submissions_are_paced_to_the_per_minute_limit() {
        // No limit known: go now.
        assert_eq!(next_submission_in(&[0.0, 1.0, 2.0, 3.0, 4.0], 5.0, None), 0.0);
        // Under the limit: go now.
        assert_eq!(next_submission_in(&[0.0, 1.0, 2.0, 3.0], 5.0, Some(5)), 0.0);
        // Five in the last minute: the sixth waits until the first is a minute old.
        assert_eq!(next_submission_in(&[0.0, 1.0, 2.0, 3.0, 4.0], 5.0, Some(5)), 55.0);
        // Older than a minute no longer counts.
        assert_eq!(next_submission_in(&[0.0, 61.0, 62.0, 63.0, 64.0], 65.0, Some(5)), 0.0);
        // Odd clocks never give a negative or NaN wait.
        let wait = next_submission_in(&[f64::NAN, 70.0, 70.0, 70.0, 70.0, 70.0], 65.0, Some(5));
        assert!(wait.is_finite() && wait >= 0.0);
    }
}
