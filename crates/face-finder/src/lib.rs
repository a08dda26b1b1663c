//! The studio's face finder: rustface (SeetaFace's frontal face detector)
//! compiled to wasm and run in a Web Worker (`web/worker.js`), so looking
//! for faces never holds the page's main thread. The page loads it only
//! when a portrait is chosen. The detector's model is fetched beside it
//! (`scripts/build-face.sh` copies it from the rustface crate).

use std::io::Cursor;

use rustface::{Detector, ImageData};
use wasm_bindgen::prelude::*;

/// The smallest face looked for, in the pixels searched (the worker scales
/// pictures down to at most 1024 px a side first).
const MIN_FACE_PX: u32 = 20;
/// The lowest score kept. Real faces in the test pictures score 5 to 28;
/// below about 4 the detector also reports patches of cloth and shadow
/// (seen: 3 on the astronaut's suit). SadTalker's own detector is stricter still.
const MIN_SCORE: f64 = 4.5;

/// A loaded detector.
#[wasm_bindgen]
pub struct FaceFinder {
    detector: Box<dyn Detector>,
}

#[wasm_bindgen]
impl FaceFinder {
    /// Loads the detector from the model file's bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<FaceFinder, JsError> {
        let model = rustface::read_model(Cursor::new(model)).map_err(|e| JsError::new(&format!("the face model could not be read: {e}")))?;
        let mut detector = rustface::create_detector_with_model(model);
        detector.set_min_face_size(MIN_FACE_PX);
        detector.set_score_thresh(MIN_SCORE);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        Ok(FaceFinder { detector })
    }

    /// The faces in `rgba` (`width` × `height` pixels, 4 bytes each), as
    /// `[x, y, width, height, score]` five numbers a face, in the picture's
    /// own pixels: each coordinate is divided by `scale`, the factor the
    /// picture was shrunk by before searching.
    pub fn find(&mut self, rgba: &[u8], width: u32, height: u32, scale: f64) -> Vec<f64> {
        let gray = luma(rgba, width, height);
        if gray.is_empty() {
            return Vec::new();
        }
        let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        let mut faces = self.detector.detect(&ImageData::new(&gray, width, height));
        // The most confident first.
        faces.sort_by(|a, b| b.score().total_cmp(&a.score()));
        faces
            .iter()
            .flat_map(|face| {
                let b = face.bbox();
                [f64::from(b.x()) / scale, f64::from(b.y()) / scale, f64::from(b.width()) / scale, f64::from(b.height()) / scale, face.score()]
            })
            .collect()
    }
}

/// RGBA → 8-bit luma (ITU-R BT.601 weights), or nothing when the sizes disagree.
pub fn luma(rgba: &[u8], width: u32, height: u32) -> Vec<u8> {
    let pixels = width as usize * height as usize;
    if pixels == 0 || rgba.len() != pixels * 4 {
        return Vec::new();
    }
    rgba.chunks_exact(4).map(|p| ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_weighs_green_most_and_refuses_a_wrong_size() {
        assert_eq!(luma(&[255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255], 3, 1), vec![76, 149, 29]);
        assert!(luma(&[0; 7], 2, 1).is_empty());
        assert!(luma(&[], 0, 0).is_empty());
    }
}
