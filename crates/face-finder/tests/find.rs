//! The finder on real pictures (host build): the sample portrait (one face),
//! rustface's own group photo (many), a picture with no face. Pictures are
//! decoded to RGBA by ffmpeg, as the worker's canvas would.

use std::path::{Path, PathBuf};
use std::process::Command;

use face_finder::FaceFinder;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The rustface crate's folder (its model and group photo ship in it).
fn rustface_dir() -> PathBuf {
    let out = Command::new(env!("CARGO")).args(["metadata", "--format-version", "1"]).current_dir(repo()).output().expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let manifest = meta["packages"].as_array().expect("packages").iter().find(|p| p["name"] == "rustface").expect("rustface")["manifest_path"]
        .as_str()
        .expect("path")
        .to_string();
    PathBuf::from(manifest).parent().expect("folder").to_path_buf()
}

fn finder() -> FaceFinder {
    let model = std::fs::read(rustface_dir().join("model/seeta_fd_frontal_v1.0.bin")).expect("model");
    FaceFinder::new(&model).unwrap_or_else(|_| panic!("model loads"))
}

fn rgba(picture: &Path) -> (Vec<u8>, u32, u32) {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(picture)
        .output()
        .expect("ffprobe");
    let size = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (w, h) = size.split_once(',').expect("width,height");
    let out = Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(picture).args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"]).output().expect("ffmpeg");
    (out.stdout, w.parse().expect("width"), h.parse().expect("height"))
}

fn faces(picture: &Path, scale: f64) -> Vec<[f64; 5]> {
    let (pixels, w, h) = rgba(picture);
    finder().find(&pixels, w, h, scale).chunks_exact(5).map(|f| [f[0], f[1], f[2], f[3], f[4]]).collect()
}

#[test]
fn one_face_in_the_sample_portrait_where_the_face_is() {
    let found = faces(&repo().join("media/generated/portrait.jpg"), 1.0);
    assert_eq!(found.len(), 1, "{found:?}");
    let [x, y, w, h, _] = found[0];
    // The astronaut's face: in the upper middle of the 512 px photo, about a fifth of its width.
    assert!((150.0..250.0).contains(&x) && (40.0..140.0).contains(&y), "{found:?}");
    assert!((70.0..140.0).contains(&w) && (w - h).abs() < 1.0, "{found:?}");
}

#[test]
fn boxes_come_back_in_the_pictures_own_pixels() {
    let whole = faces(&repo().join("media/generated/portrait.jpg"), 1.0);
    let halved = faces(&repo().join("media/generated/portrait.jpg"), 2.0);
    assert_eq!(halved.len(), 1);
    assert!((halved[0][0] - whole[0][0] / 2.0).abs() < 0.01, "divided by the scale");
}

#[test]
fn many_faces_in_the_group_photo_most_confident_first() {
    let found = faces(&rustface_dir().join("test.png"), 1.0);
    assert!(found.len() >= 10, "{}", found.len());
    assert!(found.windows(2).all(|p| p[0][4] >= p[1][4]), "sorted by score");
}

#[test]
fn no_face_in_a_picture_of_none() {
    let found = faces(&repo().join("media/generated/no-face.png"), 1.0);
    assert!(found.is_empty(), "{found:?}");
}
