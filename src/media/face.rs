//! The face check's rules, plain and host-tested: what the faces the finder
//! reports mean for a SadTalker run (warnings with what to do), and the
//! framing each `preprocess` mode will use, estimated from the face box by
//! SadTalker's own proportions. Warnings, never blocks: the finder is not the
//! model's own detector.

use std::fmt;

use crate::api::request::{ImageSize, Preprocess};

/// A rectangle in the picture's own pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    fn centre(&self) -> (f64, f64) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    fn square_around(centre: (f64, f64), side: f64) -> Rect {
        Rect { x: centre.0 - side / 2.0, y: centre.1 - side / 2.0, width: side, height: side }
    }

    /// The part of this rectangle inside a `width` × `height` picture.
    fn clamped(&self, width: f64, height: f64) -> Rect {
        let x = self.x.clamp(0.0, width);
        let y = self.y.clamp(0.0, height);
        Rect { x, y, width: (self.x + self.width).clamp(0.0, width) - x, height: (self.y + self.height).clamp(0.0, height) - y }
    }
}

/// One face the finder reported.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Face {
    pub bounds: Rect,
    pub score: f64,
}

/// What the finder saw in a picture, most confident face first.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceReport {
    pub width: u32,
    pub height: u32,
    pub faces: Vec<Face>,
}

/// SadTalker crops a square of side about 2 × max(2 × eye distance,
/// 1.8 × eye-to-mouth distance). In the finder's boxes the eyes are about
/// 0.4 of the box's width apart and the mouth about 0.45 below them, which
/// makes the square about 1.6 box widths, centred near the box's centre.
const CROP_PER_FACE_WIDTH: f64 = 1.6;
/// `extcrop` and `extfull` keep a border of about 10% around that square.
const EXTENDED_BORDER: f64 = 0.1;
/// Below this share of `image_size`, the face is enlarged so much that the
/// video comes out soft (the model scales its crop to `image_size`).
const SMALLEST_FACE_SHARE: f64 = 0.25;
/// A square the crop may lose to the edge before the face is called cut.
const MOST_CUT: f64 = 0.15;
/// `resize` squashes the picture to a square; past this ratio of its sides the face is visibly distorted.
const MOST_SQUASH: f64 = 1.2;

/// A warning at the portrait, worded with what to do.
#[derive(Clone, Debug, PartialEq)]
pub enum FaceWarning {
    NoFace,
    SeveralFaces { count: usize },
    TooSmall { face_px: u32, image_size: u32 },
    AtTheEdge,
    Squashed { width: u32, height: u32 },
}

impl fmt::Display for FaceWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaceWarning::NoFace => f.write_str(
                "No face found. The model needs a clear, front-facing human face (drawings and side views often fail, and a failed run may still be charged): try a sharper photo where the face looks at the camera.",
            ),
            FaceWarning::SeveralFaces { count } => write!(
                f,
                "{count} faces found. The model animates only one of them, and you cannot choose which: crop the photo to the one face."
            ),
            FaceWarning::TooSmall { face_px, image_size } => write!(
                f,
                "The face is only about {face_px} px wide, so the model enlarges it a lot for image_size {image_size} and the video comes out soft: use a photo where the face is larger{}.",
                if *image_size > 256 { ", or image_size 256" } else { "" }
            ),
            FaceWarning::AtTheEdge => f.write_str(
                "The face is close to the picture's edge, so the model's square around the head is cut off: use a photo with room around the head and hair.",
            ),
            FaceWarning::Squashed { width, height } => write!(
                f,
                "preprocess \"resize\" squashes this {width}×{height} photo into a square, which distorts the face: choose \"crop\" or \"full\", or use a square photo."
            ),
        }
    }
}

/// The face the model would animate: it takes the first it finds; the most
/// confident is the best guess of that.
pub fn chosen_face(report: &FaceReport) -> Option<&Face> {
    report.faces.first()
}

/// The square SadTalker crops around `face`, before `extcrop`'s border.
fn crop_square(face: &Face) -> Rect {
    Rect::square_around(face.bounds.centre(), face.bounds.width * CROP_PER_FACE_WIDTH)
}

fn extended(square: Rect) -> Rect {
    Rect::square_around(square.centre(), square.width * (1.0 + 2.0 * EXTENDED_BORDER))
}

/// What a mode does with the picture, to draw over the preview.
#[derive(Clone, Debug, PartialEq)]
pub struct Framing {
    /// The part the model animates (clamped to the picture).
    pub animated: Rect,
    /// Whether the video is only that part (crop modes) or the whole picture
    /// with it pasted back (full modes).
    pub pasted_back: bool,
    /// `resize`: the whole picture squashed into a square.
    pub squashed: bool,
}

/// What the drawing over the preview means for `preprocess`.
pub fn framing_note(preprocess: Preprocess) -> &'static str {
    match preprocess {
        Preprocess::Crop => "Green: the face found. Dashed: the square the model animates; the video is that square.",
        Preprocess::Extcrop => "Green: the face found. Dashed: the square with a border the model animates; the video is that box.",
        Preprocess::Full => "Green: the face found. Dashed: the square the model animates and pastes back into the whole photo.",
        Preprocess::Extfull => "Green: the face found. Dashed: the larger box the model animates and pastes back into the whole photo.",
        Preprocess::Resize => "The whole photo squashed into a square, as the model will take it.",
    }
}

pub fn framing(report: &FaceReport, preprocess: Preprocess) -> Option<Framing> {
    let (width, height) = (f64::from(report.width), f64::from(report.height));
    if preprocess == Preprocess::Resize {
        return Some(Framing { animated: Rect { x: 0.0, y: 0.0, width, height }, pasted_back: false, squashed: true });
    }
    let square = crop_square(chosen_face(report)?);
    let (region, pasted_back) = match preprocess {
        Preprocess::Crop => (square, false),
        Preprocess::Extcrop => (extended(square), false),
        Preprocess::Full => (square, true),
        Preprocess::Extfull | Preprocess::Resize => (extended(square), true),
    };
    Some(Framing { animated: region.clamped(width, height), pasted_back, squashed: false })
}

/// The warnings for this picture with these settings, most important first.
pub fn warnings(report: &FaceReport, image_size: ImageSize, preprocess: Preprocess) -> Vec<FaceWarning> {
    let mut found = Vec::new();
    let (width, height) = (f64::from(report.width), f64::from(report.height));
    match report.faces.len() {
        0 => found.push(FaceWarning::NoFace),
        1 => {}
        count => found.push(FaceWarning::SeveralFaces { count }),
    }
    if let Some(face) = chosen_face(report) {
        let pixels = image_size.pixels();
        if face.bounds.width < f64::from(pixels) * SMALLEST_FACE_SHARE {
            found.push(FaceWarning::TooSmall { face_px: face.bounds.width.round().max(0.0) as u32, image_size: pixels });
        }
        let square = crop_square(face);
        let kept = square.clamped(width, height);
        let lost = 1.0 - (kept.width * kept.height) / (square.width * square.height).max(1.0);
        if lost > MOST_CUT {
            found.push(FaceWarning::AtTheEdge);
        }
    }
    let ratio = width.max(height) / width.min(height).max(1.0);
    if preprocess == Preprocess::Resize && ratio > MOST_SQUASH {
        found.push(FaceWarning::Squashed { width: report.width, height: report.height });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn face(x: f64, y: f64, side: f64) -> Face {
        Face { bounds: Rect { x, y, width: side, height: side }, score: 20.0 }
    }

    /// The sample portrait as the finder reports it: 512 px, one face of 96 px.
    fn portrait() -> FaceReport {
        FaceReport { width: 512, height: 512, faces: vec![face(176.0, 67.0, 96.0)] }
    }

    #[test]
    fn one_clear_face_gives_no_warning() {
        for mode in Preprocess::ALL.into_iter().filter(|m| *m != Preprocess::Resize) {
            assert_eq!(warnings(&portrait(), ImageSize::Px256, mode), vec![], "{mode:?}");
        }
    }

    #[test]
    fn no_face_and_several_faces_are_told() {
        let none = FaceReport { faces: vec![], ..portrait() };
        assert_eq!(warnings(&none, ImageSize::Px256, Preprocess::Full), vec![FaceWarning::NoFace]);
        assert!(framing(&none, Preprocess::Crop).is_none(), "no face, no square to draw");
        let two = FaceReport { width: 1024, faces: vec![face(689.0, 67.0, 97.0), face(176.0, 67.0, 96.0)], ..portrait() };
        assert_eq!(warnings(&two, ImageSize::Px256, Preprocess::Full), vec![FaceWarning::SeveralFaces { count: 2 }]);
        assert!(FaceWarning::SeveralFaces { count: 2 }.to_string().contains("crop the photo"));
    }

    #[test]
    fn a_face_small_for_the_image_size_is_told_with_the_way_out() {
        assert_eq!(warnings(&portrait(), ImageSize::Px512, Preprocess::Full), vec![FaceWarning::TooSmall { face_px: 96, image_size: 512 }]);
        assert!(FaceWarning::TooSmall { face_px: 96, image_size: 512 }.to_string().contains("image_size 256"));
        let tiny = FaceReport { width: 1400, height: 1000, faces: vec![face(620.0, 405.0, 48.0)] };
        assert_eq!(warnings(&tiny, ImageSize::Px256, Preprocess::Full), vec![FaceWarning::TooSmall { face_px: 48, image_size: 256 }]);
    }

    #[test]
    fn a_face_against_the_edge_is_told() {
        let cut = FaceReport { faces: vec![face(440.0, 67.0, 96.0)], ..portrait() };
        assert_eq!(warnings(&cut, ImageSize::Px256, Preprocess::Crop), vec![FaceWarning::AtTheEdge]);
    }

    #[test]
    fn resize_squashes_and_warns_only_when_far_from_square() {
        let wide = FaceReport { width: 1024, height: 512, faces: vec![face(176.0, 67.0, 96.0)] };
        assert_eq!(warnings(&wide, ImageSize::Px256, Preprocess::Resize), vec![FaceWarning::Squashed { width: 1024, height: 512 }]);
        assert_eq!(warnings(&portrait(), ImageSize::Px256, Preprocess::Resize), vec![]);
        let f = framing(&wide, Preprocess::Resize).expect("framing");
        assert!(f.squashed && f.animated == Rect { x: 0.0, y: 0.0, width: 1024.0, height: 512.0 });
    }

    #[test]
    fn framing_follows_the_mode() {
        let crop = framing(&portrait(), Preprocess::Crop).expect("crop");
        let extcrop = framing(&portrait(), Preprocess::Extcrop).expect("extcrop");
        let full = framing(&portrait(), Preprocess::Full).expect("full");
        let extfull = framing(&portrait(), Preprocess::Extfull).expect("extfull");
        // A square around the face, larger than it; extcrop's is larger still.
        assert!((crop.animated.width - 96.0 * 1.6).abs() < 0.01 && crop.animated.width == crop.animated.height);
        assert!(extcrop.animated.width > crop.animated.width);
        let (cx, cy) = crop.animated.centre();
        assert!((cx - 224.0).abs() < 0.01 && (cy - 115.0).abs() < 0.01, "centred on the face");
        assert!(!crop.pasted_back && !extcrop.pasted_back && full.pasted_back && extfull.pasted_back);
        assert_eq!(full.animated, crop.animated);
        assert_eq!(extfull.animated, extcrop.animated);
    }

    #[test]
    fn framing_stays_inside_the_picture() {
        let corner = FaceReport { faces: vec![face(0.0, 0.0, 96.0)], ..portrait() };
        let f = framing(&corner, Preprocess::Extcrop).expect("framing");
        assert!(f.animated.x >= 0.0 && f.animated.y >= 0.0 && f.animated.x + f.animated.width <= 512.0);
    }
}
